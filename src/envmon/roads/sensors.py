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

Every rejected row is kept in `road_rejections` with its reason and counted; a field of the
wrong type (`lat: true`, a list for a number, a non-finite number) is rejected with the field
named (`ImportResult.problems`), never coerced.

Readings are idempotent on (device_id, time): a reading already stored with the same values is
counted in `duplicates` and not stored again (a re-posted batch, a re-imported file); one with
other values is rejected as `conflict` (kept in `road_rejections`), never replacing the stored
one. The key is checked inside the import's transaction; imports run one at a time (the CLI's
own process, or the intake's one import slot), so two imports cannot both miss each other.
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


MAX_PROBLEMS = 20  # field problems listed per import: enough to fix a client, bounded output


@dataclass
class ImportResult:
    """Counts of an import: received = accepted + duplicates + sum(rejected)."""

    received: int = 0
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)
    duplicates: int = 0  # already stored with the same values: not stored again
    problems: list[dict[str, Any]] = field(default_factory=list)  # first field problems

    def as_dict(self) -> dict[str, Any]:
        return {"received": self.received, "accepted": self.accepted,
                "rejected": dict(sorted(self.rejected.items())),
                "rejected_total": sum(self.rejected.values()),
                "duplicates": self.duplicates}


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
def _kind(value: Any) -> str:
    """A value as the JSON it came from, for a message (`true`, `a list`, `'abc'`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(row: dict[str, Any], key: str, reason: str) -> float | None:
    """A finite number, or None when absent or empty; `_Reject(reason)` naming `key` for
    anything else. Text is parsed (CSV cells); a JSON true/false is not a number."""
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Reject(reason, key, f"must be a number, not {_kind(value)}")
    if isinstance(value, str):
        text = value.strip()
        if text == "" or text.upper() in ("NA", "NAN", "NULL"):
            return None
        try:
            number = float(text)
        except ValueError:
            raise _Reject(reason, key, f"must be a number, not {_kind(value)}") from None
    else:
        try:
            number = float(value)
        except OverflowError:  # an int beyond float range
            raise _Reject(reason, key, "must be a finite number") from None
    if not np.isfinite(number):
        raise _Reject(reason, key, "must be a finite number")
    return number


# Readings outside these years are typos or forgeries: no taxi carried a PM sensor before
# 2000, and year 1 in Beijing time is not representable in UTC (it answered 500).
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2100, 1, 1, tzinfo=UTC)


def _time(text: Any, default_tz: timezone) -> datetime:
    value = text if isinstance(text, datetime) else datetime.fromisoformat(str(text).strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    try:
        in_range = EARLIEST_TIME <= value < LATEST_TIME
    except OverflowError:
        in_range = False
    if not in_range:
        raise _Reject("bad_time", "time", f"{value.isoformat()} is outside "
                      f"{EARLIEST_TIME:%Y-%m-%d} to {LATEST_TIME:%Y-%m-%d}")
    return value


MMAQSHINY_COLUMNS = {"date(LT)": "time", "Latitude": "lat", "Longitude": "lon",
                     "DT8530_PM2.5 (ug/m3)": "pm25", "RH(%)": "rh"}


MAX_DEVICE_ID = 64  # a plate (晋A-T001) or a sensor serial; longer is not an id


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
    device_prefix: str | None = None,
) -> tuple[dict[str, np.ndarray], list[dict[str, Any]], ImportResult]:
    """Accepted readings (columns), rejected rows (with `reason`) and counts.

    `calibrations`: device → [(valid_from, pm25_slope, pm25_intercept, pm10_slope,
    pm10_intercept, datum)] sorted by valid_from. `device_prefix`: readings of devices whose
    id does not start with it are rejected (`device_not_allowed`: an intake token's binding).
    """
    if datum not in DATUMS:
        raise ValueError(f"datum must be one of {', '.join(DATUMS)}, got {datum!r}")
    calibrations = calibrations or {}
    result = ImportResult(received=len(rows))
    rejected: list[dict[str, Any]] = []
    dev, tim, lat, lon, pm25, pm10, rh, spd, lines = [], [], [], [], [], [], [], [], []
    for n, r in enumerate(rows, start=1):
        try:
            raw_device = r.get("device_id")
            if raw_device is not None and not isinstance(raw_device, str):
                raise _Reject("missing_device", "device_id",
                              f"must be text, not {_kind(raw_device)}")
            device = (raw_device or "").strip()
            if not device:
                raise _Reject("missing_device", "device_id", "missing or empty")
            if len(device) > MAX_DEVICE_ID:
                raise _Reject("missing_device", "device_id",
                              f"{len(device)} characters, at most {MAX_DEVICE_ID}")
            if device_prefix and not device.startswith(device_prefix):
                raise _Reject("device_not_allowed", "device_id",
                              f"not a device of this token (ids start with {device_prefix!r})")
            raw_time = r.get("time")
            if not isinstance(raw_time, str | datetime):
                raise _Reject("bad_time", "time", f"must be ISO 8601 text, not "
                              f"{_kind(raw_time) if raw_time is not None else 'missing'}")
            try:
                t = _time(raw_time, default_tz)
            except (TypeError, ValueError):
                raise _Reject("bad_time", "time", f"not an ISO 8601 time: {_kind(raw_time)}"
                              ) from None
            la, lo = _number(r, "lat", "bad_position"), _number(r, "lon", "bad_position")
            if la is None or lo is None or not (-90 <= la <= 90 and -180 <= lo <= 180) or (
                    la == 0 and lo == 0):
                raise _Reject("bad_position", "lat" if la is None or not -90 <= la <= 90
                              else "lon", "missing, out of range, or 0,0")
            a, b = _number(r, "pm25", "bad_number"), _number(r, "pm10", "bad_number")
            h, s = _number(r, "rh", "bad_number"), _number(r, "speed", "bad_number")
        except _Reject as why:
            result.rejected[why.reason] += 1
            if why.field and len(result.problems) < MAX_PROBLEMS:
                result.problems.append({"line": n, "field": why.field, "reason": why.reason,
                                        "detail": why.detail})
            device_text = r.get("device_id")
            rejected.append({"line": n, "reason": why.reason, "row": r,
                             "device_id": device_text if isinstance(device_text, str) else None,
                             "time": None})
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
    def __init__(self, reason: str, field: str | None = None, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.field, self.detail = reason, field, detail


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


COMPARED = ("lat", "lon", "pm25_raw", "pm10_raw", "rh", "speed_kmh")  # what a re-send repeats


def _micros(seconds: np.ndarray) -> np.ndarray:
    return (seconds * 1e6).astype(np.int64)


def _same(a: Any, b: Any) -> bool:
    missing_a = a is None or (isinstance(a, float) and np.isnan(a))
    missing_b = b is None or (isinstance(b, float) and np.isnan(b))
    return missing_a == missing_b and (missing_a or float(a) == float(b))


def _stored_already(store, accepted: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Masks over `accepted`: stored already with the same values (duplicate), stored with
    other values (conflict). One query per device, over the batch's time range (zonemaps skip
    the rest of the table)."""
    n = len(accepted["device_id"])
    duplicate, conflict = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    micros = _micros(accepted["time"])
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for device in np.unique(accepted["device_id"].astype(str)) if n else ():
        sel = np.nonzero(accepted["device_id"] == device)[0]
        lo, hi = int(micros[sel].min()), int(micros[sel].max())
        rows = store.query(
            f"SELECT time, {', '.join(COMPARED)} FROM road_readings "
            "WHERE device_id = ? AND time BETWEEN ? AND ?",
            [device, epoch + timedelta(microseconds=lo), epoch + timedelta(microseconds=hi)])
        if not rows:
            continue
        stored = {(row[0] - epoch) // timedelta(microseconds=1): row[1:] for row in rows}
        for i in sel:
            values = stored.get(int(micros[i]))
            if values is None:
                continue
            if all(_same(accepted[c][i], v) for c, v in zip(COMPARED, values, strict=True)):
                duplicate[i] = True
            else:
                conflict[i] = True
    return duplicate, conflict


def store_readings(store, accepted: dict[str, np.ndarray], rejected: list[dict[str, Any]],
                   source: str, result: ImportResult | None = None,
                   rows: Sequence[dict[str, Any]] = ()) -> None:
    """Append the accepted readings and the rejected rows in one transaction, leaving out
    readings stored already (`result.duplicates`) and rejecting other values for a stored
    (device_id, time) as `conflict`."""
    with store.transaction():
        duplicate, conflict = _stored_already(store, accepted)
        if duplicate.any() or conflict.any():
            rejected = list(rejected)
            for i in np.nonzero(conflict)[0]:
                n = int(accepted["line"][i])
                rejected.append({"line": n, "reason": "conflict",
                                 "row": rows[n - 1] if rows else {},
                                 "device_id": accepted["device_id"][i],
                                 "time": datetime.fromtimestamp(accepted["time"][i], UTC)})
            keep = ~(duplicate | conflict)
            accepted = {k: v[keep] for k, v in accepted.items()}
            if result is not None:
                result.duplicates += int(duplicate.sum())
                if conflict.any():
                    result.rejected["conflict"] += int(conflict.sum())
                result.accepted = len(accepted["device_id"])
        _append(store, accepted, rejected, source)


def _append(store, accepted: dict[str, np.ndarray], rejected: list[dict[str, Any]],
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
    store.append("road_readings", readings)
    store.append("road_rejections", rej)


def import_rows(store, rows: Iterable[dict[str, Any]], datum: str = "wgs84",
                source: str = "api", config: SensorConfig = SensorConfig(),
                default_tz: timezone = BEIJING_FIXED,
                device_prefix: str | None = None) -> ImportResult:
    """Import readings (CSV rows or the HTTP JSON payload's list of objects: same fields)."""
    rows = list(rows)
    accepted, rejected, result = process_rows(rows, datum, load_calibrations(store),
                                              config, default_tz, device_prefix)
    store_readings(store, accepted, rejected, source, result, rows)
    return result


def import_csv(store, path: str | Path, datum: str = "wgs84", device_id: str | None = None,
               config: SensorConfig = SensorConfig()) -> ImportResult:
    rows, tz = read_csv_rows(path, device_id)
    return import_rows(store, rows, datum, str(path), config, tz)
