"""Readings → map matching → drive passes → store (roads.md §4), and coverage per taxi-day."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from envmon.period import Period
from envmon.roads.matching import MatchConfig, Matcher
from envmon.roads.network import RoadNetwork, transformer
from envmon.roads.stats import PassConfig, idle_mask, passes, point_speed_kmh, smooth_flicker

log = logging.getLogger("envmon.roads")


@dataclass
class PipelineResult:
    points: int
    matched: np.ndarray  # bool per point
    on_segment: np.ndarray  # bool per point
    idle: np.ndarray  # bool per point
    seg: np.ndarray  # segment index per point (−1 none)
    passes: dict[str, np.ndarray]


def run(net: RoadNetwork, matcher: Matcher, device: np.ndarray, t: np.ndarray,
        lon: np.ndarray, lat: np.ndarray, pm25: np.ndarray, pm10: np.ndarray,
        speed_kmh: np.ndarray | None = None, config: PassConfig = PassConfig()
        ) -> PipelineResult:
    """The whole per-point pipeline on arrays sorted by (device, time); t in epoch seconds."""
    x, y = transformer("EPSG:4326", net.crs).transform(lon, lat)
    x, y = np.asarray(x), np.asarray(y)
    m = matcher.match(device, t, x, y)
    matched = m["edge"] >= 0
    seg = np.where(matched, matcher.edge_segment[np.maximum(m["edge"], 0)], -1)
    # flicker smoothing; a fix without any road candidate stays off the segments
    seg = np.where(matched, smooth_flicker(device, m["traj"], seg), -1)
    px = np.where(matched, m["x"], x)
    py = np.where(matched, m["y"], y)
    speed = point_speed_kmh(device, t, x, y)
    if speed_kmh is not None:
        speed = np.where(np.isfinite(speed_kmh), speed_kmh, speed)
    idle = idle_mask(device, t, speed, config)
    lengths = np.array([s.length_m for s in net.segments] or [0.0])
    p = passes(device, t, m["traj"], seg, px, py, pm25, pm10, ~idle, lengths, config)
    return PipelineResult(len(t), matched, seg >= 0, idle, seg, p)


def _ts(seconds: np.ndarray) -> pa.Array:
    return pa.array((np.asarray(seconds) * 1e6).astype(np.int64)).cast(
        pa.timestamp("us", tz="UTC"))


def process(store, start: datetime, end: datetime, version: str | None = None,
            match_config: MatchConfig = MatchConfig(), config: PassConfig = PassConfig(),
            matcher: Matcher | None = None, progress=None) -> dict:
    """Match the readings with `start <= time < end` and (re)write their passes and coverage,
    one Beijing day at a time; match coverage per taxi per day is logged and stored.
    `progress(done_days, total_days)` is called after each day."""
    from envmon.roads.storage import load_network

    net = matcher.net if matcher else load_network(store, version)
    matcher = matcher or Matcher(net, match_config)
    totals = {"points": 0, "matched": 0, "on_segments": 0, "idle_dropped": 0, "passes": 0,
              "passes_counted": 0}
    coverage: list[dict] = []
    with store.transaction():
        store.execute("DELETE FROM road_passes WHERE network_version = ? AND start_time >= ? "
                      "AND start_time < ?", [net.version, start, end])
        # one Beijing day of the fleet at a time, so a month never sits in memory at once
        # (roads.md §5: matching per vehicle-day)
        chunks = list(Period(start, end).day_bounds()) if start < end else []
        for done, (a, b) in enumerate(chunks, start=1):
            out = _process_chunk(store, net, matcher, a, b, config)
            if progress is not None:
                progress(done, len(chunks))
            for k in totals:
                totals[k] += out[k]
            coverage += out["coverage"]
    return {"network_version": net.version, **totals, "coverage": coverage}


def _process_chunk(store, net: RoadNetwork, matcher: Matcher, start: datetime, end: datetime,
                   config: PassConfig) -> dict:
    table = store.arrow(
        "SELECT device_id, EXTRACT(EPOCH FROM time) AS t_s, lon, lat, pm25, pm10, speed_kmh "
        "FROM road_readings WHERE time >= ? AND time < ? ORDER BY device_id, time",
        [start, end])
    n = table.num_rows
    if n == 0:
        return {"points": 0, "matched": 0, "on_segments": 0, "idle_dropped": 0, "passes": 0,
                "passes_counted": 0, "coverage": []}
    device = np.array(table.column("device_id").to_pylist(), dtype=object)
    t = table.column("t_s").to_numpy(zero_copy_only=False).astype(np.float64)

    def col(name: str) -> np.ndarray:
        return table.column(name).to_numpy(zero_copy_only=False).astype(float)

    res = run(net, matcher, device, t, col("lon"), col("lat"), col("pm25"), col("pm10"),
              col("speed_kmh"), config)
    p = res.passes
    now = datetime.now(UTC)
    seg_ids = np.array([s.segment_id for s in net.segments], dtype=object)
    npass = len(p["segment"])
    pass_table = pa.table({
        "network_version": [net.version] * npass,
        "segment_id": pa.array(seg_ids[p["segment"].astype(np.int64)].tolist(), pa.string()),
        "device_id": pa.array(device[p["point"].astype(np.int64)].tolist(), pa.string()),
        "start_time": _ts(p["start"]), "end_time": _ts(p["end"]),
        "n_readings": pa.array(p["n"].astype(np.int32)),
        "covered_m": pa.array(p["covered"].astype(float)),
        "pm25_mean": pa.array(p["pm25"].astype(float), from_pandas=True),
        "pm10_mean": pa.array(p["pm10"].astype(float), from_pandas=True),
        "counted": pa.array(p["counted"].astype(bool)),
    })
    # coverage per device (the chunk is one Beijing day), vectorised
    day = start.astimezone(_beijing()).date()
    devices, inverse = np.unique(device.astype(str), return_inverse=True)
    counts = np.bincount(inverse, minlength=len(devices))
    matched = np.bincount(inverse, weights=res.matched, minlength=len(devices)).astype(int)
    on_seg = np.bincount(inverse, weights=res.on_segment, minlength=len(devices)).astype(int)
    idle = np.bincount(inverse, weights=res.idle, minlength=len(devices)).astype(int)
    k = len(devices)
    cov = pa.table({
        "network_version": [net.version] * k,
        "device_id": devices.tolist(),
        "day": pa.array([day] * k, pa.date32()),
        "n_points": pa.array(counts.astype(np.int32)),
        "n_matched": pa.array(matched.astype(np.int32)),
        "n_on_segments": pa.array(on_seg.astype(np.int32)),
        "n_idle": pa.array(idle.astype(np.int32)),
        "computed_at": pa.array([now] * k, pa.timestamp("us", tz="UTC")),
    })
    store.execute("DELETE FROM road_coverage WHERE network_version = ? AND day = ?",
                  [net.version, day])
    store.append("road_passes", pass_table)
    store.append("road_coverage", cov)
    coverage = []
    for d, c, m, i in zip(devices.tolist(), counts.tolist(), matched.tolist(), idle.tolist(),
                          strict=True):
        log.info("match coverage %s %s: %d/%d points matched (%.1f %%), %d idle", d, day, m, c,
                 100.0 * m / max(c, 1), i)
        coverage.append({"device_id": d, "day": str(day), "points": c, "matched": m,
                         "rate": round(m / max(c, 1), 4)})
    return {"points": n, "matched": int(res.matched.sum()),
            "on_segments": int(res.on_segment.sum()), "idle_dropped": int(res.idle.sum()),
            "passes": npass, "passes_counted": int(p["counted"].sum()), "coverage": coverage}


def _beijing():
    from envmon.timeutil import BEIJING_FIXED

    return BEIJING_FIXED


def unmatched_days(store, start: datetime, end: datetime, version: str | None = None
                   ) -> list[tuple[datetime, datetime]]:
    """The Beijing days of [start, end) whose readings are not all map-matched yet: matching
    writes one coverage row per taxi and day with the readings it took (`n_points`), so a
    day whose readings outnumber its coverage has readings imported since (or never) matched.
    Without a network there is nothing to compare (the ranking says so itself)."""
    from envmon.roads.storage import latest_version

    version = version or latest_version(store)
    if version is None or start >= end:
        return []
    bounds = list(Period(start, end).day_bounds())
    covered = dict(store.query(
        "SELECT day, SUM(n_points) FROM road_coverage WHERE network_version = ? "
        "AND day >= ? AND day <= ? GROUP BY day",
        [version, bounds[0][0].astimezone(_beijing()).date(),
         bounds[-1][0].astimezone(_beijing()).date()]))
    pending = []
    for a, b in bounds:
        readings = store.query("SELECT COUNT(*) FROM road_readings WHERE time >= ? AND time < ?",
                               [a, b])[0][0]
        if readings > (covered.get(a.astimezone(_beijing()).date()) or 0):
            pending.append((a, b))
    return pending
