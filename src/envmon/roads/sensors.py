"""Taxi PM sensor readings: parse, convert the datum, calibrate, correct humidity, reject.

Pipeline per batch (roads.md §3, §4 steps 1–2, §6), vectorised with numpy:
1. parse `device_id,time,lat,lon,pm25,pm10[,rh,speed]` (time ISO 8601; no offset = Beijing
   time); a row that cannot be parsed is rejected with the field that was wrong;
2. GCJ-02 → WGS-84 when the input (or the device) declares GCJ-02;
3. position spikes: a fix implying > 150 km/h (or > 500 m in 1 s) to both neighbours;
4. plausibility (project default): PM ≤ 0, saturated (≥ `saturation_ugm3`), PM2.5 > PM10
   beyond tolerance, RH outside 0..1;
5. per-device linear calibration `PM_cal = slope · PM_raw + intercept` in force at the
   reading's time (Alas et al. 2019, AMT 12:4697);
6. humidity: `CF = 1 + 0.25 · RH² / (1 − RH)` when RH > 0.60 (RH as a fraction), else 1;
   `PM_corr = PM_cal / CF` (Chakrabarti et al. 2004, as in mmaqshiny).

Every rejected row is kept in `road_rejections` with its reason and counted.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from envmon.roads.coords import gcj02_to_wgs84
from envmon.timeutil import BEIJING_FIXED

DATUMS = ("wgs84", "gcj02")


@dataclass(frozen=True)
class SensorConfig:
    saturation_ugm3: float = 1000.0  # PMS5003-class effective range
    pm25_over_pm10_tolerance: float = 1.1  # reject pm25 > 1.1 · pm10 + 5
    pm25_over_pm10_slack_ugm3: float = 5.0
    max_speed_kmh: float = 150.0
    max_jump_1s_m: float = 500.0
    rh_threshold: float = 0.60


@dataclass
class ImportResult:
    received: int = 0
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"received": self.received, "accepted": self.accepted,
                "rejected": dict(sorted(self.rejected.items())),
                "rejected_total": sum(self.rejected.values())}


def rh_correction_factor(rh_fraction, threshold: float = 0.60) -> np.ndarray:
    """Chakrabarti et al. 2004: CF = 1 + 0.25·RH²/(1−RH) for RH > 0.6 (fraction), else 1."""
    rh = np.asarray(rh_fraction, dtype=float)
    safe = np.clip(rh, 0.0, 0.999)
    cf = 1.0 + 0.25 * safe**2 / (1.0 - safe)
    return np.where(np.isfinite(rh) & (rh > threshold), cf, 1.0)


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    r = 6_371_008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


# ------------------------------------------------------------------------------- parsing
def _float(text: Any) -> float | None:
    if text is None:
        return None
    if isinstance(text, int | float):
        return float(text)
    text = str(text).strip()
    if text == "" or text.upper() in ("NA", "NAN", "NULL"):
        return None
    return float(text)


def _time(text: Any, default_tz: timezone) -> datetime:
    value = text if isinstance(text, datetime) else datetime.fromisoformat(str(text).strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    return value


MMAQSHINY_COLUMNS = {"date(LT)": "time", "Latitude": "lat", "Longitude": "lon",
                     "DT8530_PM2.5 (ug/m3)": "pm25", "RH(%)": "rh"}


def read_csv_rows(path: str | Path, device_id: str | None = None) -> tuple[list[dict], timezone]:
    """Rows as dicts with the standard keys, and the time zone of times without an offset.

    Layouts: the envmon one (`device_id,time,lat,lon,pm25,pm10[,rh,speed]`, Beijing time) and
    the mmaqshiny joined file (ILK Labs, Bengaluru: `date(LT)`, `Latitude`, `Longitude`,
    `DT8530_PM2.5 (ug/m3)`, `RH(%)` as a fraction; local time IST, UTC+05:30).
    """
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    fields = reader.fieldnames or []
    if "date(LT)" in fields:
        device = device_id or Path(path).stem
        rows = [{"device_id": device, **{MMAQSHINY_COLUMNS[k]: v for k, v in r.items()
                                        if k in MMAQSHINY_COLUMNS}} for r in reader]
        return rows, timezone(timedelta(hours=5, minutes=30), "IST")
    rows = list(reader)
    if device_id:
        for r in rows:
            r.setdefault("device_id", device_id)
            if not r.get("device_id"):
                r["device_id"] = device_id
    return rows, BEIJING_FIXED


# ------------------------------------------------------------------------------- pipeline
def process_rows(
    rows: Sequence[dict[str, Any]],
    datum: str = "wgs84",
    calibrations: dict[str, list[tuple]] | None = None,
    config: SensorConfig = SensorConfig(),
    default_tz: timezone = BEIJING_FIXED,
) -> tuple[dict[str, np.ndarray], list[dict[str, Any]], ImportResult]:
    """Accepted readings (columns), rejected rows (with `reason`) and counts.

    `calibrations`: device → [(valid_from, pm25_slope, pm25_intercept, pm10_slope,
    pm10_intercept, datum)] sorted by valid_from.
    """
    if datum not in DATUMS:
        raise ValueError(f"datum must be one of {', '.join(DATUMS)}, got {datum!r}")
    calibrations = calibrations or {}
    result = ImportResult(received=len(rows))
    rejected: list[dict[str, Any]] = []
    dev, tim, lat, lon, pm25, pm10, rh, spd, lines = [], [], [], [], [], [], [], [], []
    for n, r in enumerate(rows, start=1):
        try:
            device = str(r.get("device_id") or "").strip()
            if not device:
                raise _Reject("missing_device")
            try:
                t = _time(r.get("time"), default_tz)
            except (TypeError, ValueError):
                raise _Reject("bad_time") from None
            try:
                la, lo = _float(r.get("lat")), _float(r.get("lon"))
            except ValueError:
                raise _Reject("bad_position") from None
            if la is None or lo is None or not (-90 <= la <= 90 and -180 <= lo <= 180) or (
                    la == 0 and lo == 0):
                raise _Reject("bad_position")
            try:
                a, b = _float(r.get("pm25")), _float(r.get("pm10"))
                h, s = _float(r.get("rh")), _float(r.get("speed"))
            except ValueError:
                raise _Reject("bad_number") from None
        except _Reject as why:
            result.rejected[why.reason] += 1
            rejected.append({"line": n, "reason": why.reason, "row": r,
                             "device_id": r.get("device_id"), "time": None})
            continue
        dev.append(device)
        tim.append(t)
        lat.append(la)
        lon.append(lo)
        pm25.append(np.nan if a is None else a)
        pm10.append(np.nan if b is None else b)
        rh.append(np.nan if h is None else (h / 100.0 if h > 1.5 else h))
        spd.append(np.nan if s is None else s)
        lines.append(n)

    cols = {
        "device_id": np.array(dev, dtype=object),
        "time": np.array([t.timestamp() for t in tim], dtype=float),
        "lat": np.array(lat, dtype=float), "lon": np.array(lon, dtype=float),
        "pm25_raw": np.array(pm25, dtype=float), "pm10_raw": np.array(pm10, dtype=float),
        "rh": np.array(rh, dtype=float), "speed_kmh": np.array(spd, dtype=float),
        "line": np.array(lines, dtype=np.int64),
    }
    cols["datum"] = np.array([datum] * len(dev), dtype=object)
    for d, entries in calibrations.items():
        if entries and entries[-1][5] == "gcj02":
            cols["datum"][cols["device_id"] == d] = "gcj02"
    reasons = np.full(len(dev), "", dtype=object)

    def flag(mask: np.ndarray, reason: str) -> None:
        free = mask & (reasons == "")
        reasons[free] = reason

    # datum
    g = cols["datum"] == "gcj02"
    if g.any():
        cols["lon"][g], cols["lat"][g] = gcj02_to_wgs84(cols["lon"][g], cols["lat"][g])
    # order per device and time; duplicates
    order = np.lexsort((cols["time"], cols["device_id"].astype(str)))
    for k in cols:
        cols[k] = cols[k][order]
    reasons = reasons[order]
    same_dev = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        same_dev[1:] = cols["device_id"][1:] == cols["device_id"][:-1]
        dup = np.zeros(len(order), dtype=bool)
        dup[1:] = same_dev[1:] & (cols["time"][1:] == cols["time"][:-1])
        flag(dup, "duplicate")
        # position spikes: too fast to both neighbours
        dist = haversine_m(cols["lon"][:-1], cols["lat"][:-1], cols["lon"][1:], cols["lat"][1:])
        dt = np.maximum(np.diff(cols["time"]), 1e-9)
        fast = same_dev[1:] & (((dist / dt) * 3.6 > config.max_speed_kmh)
                               | ((dt <= 1.0) & (dist > config.max_jump_1s_m)))
        into = np.zeros(len(order), dtype=bool)
        out = np.zeros(len(order), dtype=bool)
        into[1:] = fast
        out[:-1] = fast
        # a spike is too fast to both neighbours (a bad first or last fix of a device finds
        # no road candidate in matching instead)
        flag(into & out, "speed_jump")
    # plausibility
    p25, p10 = cols["pm25_raw"], cols["pm10_raw"]
    flag(np.isnan(p25) & np.isnan(p10), "no_pm")
    flag((p25 <= 0) | (p10 <= 0), "pm_nonpositive")
    flag((p25 >= config.saturation_ugm3) | (p10 >= config.saturation_ugm3), "pm_saturated")
    flag(p25 > config.pm25_over_pm10_tolerance * p10 + config.pm25_over_pm10_slack_ugm3,
         "pm25_above_pm10")
    flag((cols["rh"] < 0) | (cols["rh"] > 1), "rh_out_of_range")

    # calibration in force at each reading's time, then the RH factor
    cal = np.tile(np.array([1.0, 0.0, 1.0, 0.0]), (len(order), 1))
    for d, entries in calibrations.items():
        sel = np.nonzero(cols["device_id"] == d)[0]
        if not len(sel):
            continue
        starts = np.array([e[0].timestamp() for e in entries])
        k = np.searchsorted(starts, cols["time"][sel], side="right") - 1
        params = np.array([e[1:5] for e in entries], dtype=float)
        has = k >= 0
        cal[sel[has]] = params[k[has]]
    cf = rh_correction_factor(cols["rh"], config.rh_threshold)
    cols["pm25"] = (cal[:, 0] * p25 + cal[:, 1]) / cf
    cols["pm10"] = (cal[:, 2] * p10 + cal[:, 3]) / cf

    bad = reasons != ""
    for i in np.nonzero(bad)[0]:
        result.rejected[reasons[i]] += 1
        n = int(cols["line"][i])
        rejected.append({"line": n, "reason": reasons[i], "row": rows[n - 1],
                         "device_id": cols["device_id"][i],
                         "time": datetime.fromtimestamp(cols["time"][i], UTC)})
    keep = ~bad
    accepted = {k: v[keep] for k, v in cols.items()}
    result.accepted = int(keep.sum())
    return accepted, rejected, result


class _Reject(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------------------- store I/O
def load_calibrations(store) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for row in store.query(
        "SELECT device_id, valid_from, pm25_slope, pm25_intercept, pm10_slope, "
        "pm10_intercept, datum FROM road_devices ORDER BY device_id, valid_from"
    ):
        out.setdefault(row[0], []).append(tuple(row[1:]))
    return out


def device_seen(store, device_id: str) -> bool:
    """Whether the store knows the device: readings, rejections or a calibration of it."""
    return bool(store.query(
        "SELECT 1 FROM road_devices WHERE device_id = ? UNION ALL "
        "SELECT 1 FROM road_readings WHERE device_id = ? UNION ALL "
        "SELECT 1 FROM road_rejections WHERE device_id = ? LIMIT 1",
        [device_id, device_id, device_id]))


def set_calibration(store, device_id: str, valid_from: datetime, pm25: tuple[float, float],
                    pm10: tuple[float, float], sensor_model: str | None = None,
                    datum: str | None = None) -> None:
    store.execute("DELETE FROM road_devices WHERE device_id = ? AND valid_from = ?",
                  [device_id, valid_from])
    store.execute(
        "INSERT INTO road_devices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [device_id, valid_from, pm25[0], pm25[1], pm10[0], pm10[1], sensor_model, datum,
         datetime.now(UTC)],
    )


def _row_text(row: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in row.items() if v not in (None, ""))


def store_readings(store, accepted: dict[str, np.ndarray], rejected: list[dict[str, Any]],
                   source: str) -> None:
    now = datetime.now(UTC)
    n = len(accepted["device_id"])

    def floats(a: np.ndarray) -> pa.Array:
        return pa.array(a, pa.float64(), from_pandas=True)

    readings = pa.table({
        "device_id": pa.array(accepted["device_id"].astype(str), pa.string()),
        "time": pa.array((accepted["time"] * 1e6).astype(np.int64), pa.int64()).cast(
            pa.timestamp("us", tz="UTC")),
        "lat": floats(accepted["lat"]), "lon": floats(accepted["lon"]),
        "pm25": floats(accepted["pm25"]), "pm10": floats(accepted["pm10"]),
        "pm25_raw": floats(accepted["pm25_raw"]), "pm10_raw": floats(accepted["pm10_raw"]),
        "rh": floats(accepted["rh"]), "speed_kmh": floats(accepted["speed_kmh"]),
        "datum": pa.array(accepted["datum"].astype(str), pa.string()),
        "source": pa.array([source] * n, pa.string()),
        "imported_at": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
    })
    rej = pa.table({
        "device_id": pa.array([None if r["device_id"] is None else str(r["device_id"])
                               for r in rejected], pa.string()),
        "time": pa.array([r["time"] for r in rejected], pa.timestamp("us", tz="UTC")),
        "line": pa.array([r["line"] for r in rejected], pa.int32()),
        "reason": pa.array([r["reason"] for r in rejected], pa.string()),
        "raw": pa.array([_row_text(r["row"]) for r in rejected], pa.string()),
        "source": pa.array([source] * len(rejected), pa.string()),
        "imported_at": pa.array([now] * len(rejected), pa.timestamp("us", tz="UTC")),
    })
    with store.transaction():
        store.append("road_readings", readings)
        store.append("road_rejections", rej)


def import_rows(store, rows: Iterable[dict[str, Any]], datum: str = "wgs84",
                source: str = "api", config: SensorConfig = SensorConfig(),
                default_tz: timezone = BEIJING_FIXED) -> ImportResult:
    """Import readings (CSV rows or the HTTP JSON payload's list of objects: same fields)."""
    accepted, rejected, result = process_rows(list(rows), datum, load_calibrations(store),
                                              config, default_tz)
    store_readings(store, accepted, rejected, source)
    return result


def import_csv(store, path: str | Path, datum: str = "wgs84", device_id: str | None = None,
               config: SensorConfig = SensorConfig()) -> ImportResult:
    rows, tz = read_csv_rows(path, device_id)
    return import_rows(store, rows, datum, str(path), config, tz)
