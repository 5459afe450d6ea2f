"""Readings → map matching → drive passes → store (roads.md §4), and coverage per taxi-day."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from envmon.roads.matching import MatchConfig, Matcher
from envmon.roads.network import RoadNetwork, transformer
from envmon.roads.stats import PassConfig, idle_mask, passes, point_speed_kmh, smooth_flicker

log = logging.getLogger("envmon.roads")
BEIJING_OFFSET_S = 8 * 3600


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
    seg = smooth_flicker(device, m["traj"], seg)
    px = np.where(matched, m["x"], x)
    py = np.where(matched, m["y"], y)
    speed = point_speed_kmh(device, t, x, y)
    if speed_kmh is not None:
        speed = np.where(np.isfinite(speed_kmh), speed_kmh, speed)
    idle = idle_mask(device, t, speed, config)
    lengths = np.array([s.length_m for s in net.segments] or [0.0])
    p = passes(device, t, m["traj"], seg, px, py, pm25, pm10, ~idle, lengths, config)
    return PipelineResult(len(t), matched, seg >= 0, idle, seg, p)


def _arrow(store, sql: str, params: list) -> pa.Table:
    return store._arrow(sql, params)


def process(store, start: datetime, end: datetime, version: str | None = None,
            match_config: MatchConfig = MatchConfig(), config: PassConfig = PassConfig(),
            matcher: Matcher | None = None) -> dict:
    """Match the readings with `start <= time < end` and (re)write their passes and coverage."""
    from envmon.roads.storage import ensure_tables, insert_arrow, load_network

    ensure_tables(store)
    net = matcher.net if matcher else load_network(store, version)
    matcher = matcher or Matcher(net, match_config)
    table = _arrow(store,
                   "SELECT device_id, epoch_us(time) AS t_us, lon, lat, pm25, pm10, speed_kmh "
                   "FROM road_readings WHERE time >= ? AND time < ? ORDER BY device_id, time",
                   [start, end])
    device = np.array(table.column("device_id").to_pylist(), dtype=object)
    t = table.column("t_us").to_numpy(zero_copy_only=False).astype(np.float64) / 1e6

    def col(name: str) -> np.ndarray:
        return table.column(name).to_numpy(zero_copy_only=False).astype(float)

    res = run(net, matcher, device, t, col("lon"), col("lat"), col("pm25"), col("pm10"),
              col("speed_kmh"), config)
    p = res.passes
    now = datetime.now(UTC)
    seg_ids = np.array([s.segment_id for s in net.segments], dtype=object)
    npass = len(p["segment"])

    def ts(seconds: np.ndarray) -> pa.Array:
        return pa.array((np.asarray(seconds) * 1e6).astype(np.int64)).cast(
            pa.timestamp("us", tz="UTC"))

    pass_table = pa.table({
        "network_version": [net.version] * npass,
        "segment_id": pa.array(seg_ids[p["segment"].astype(np.int64)].tolist(), pa.string()),
        "device_id": pa.array(device[p["point"].astype(np.int64)].tolist(), pa.string()),
        "start_time": ts(p["start"]), "end_time": ts(p["end"]),
        "n_readings": pa.array(p["n"].astype(np.int32)),
        "covered_m": pa.array(p["covered"].astype(float)),
        "pm25_mean": pa.array(p["pm25"].astype(float), from_pandas=True),
        "pm10_mean": pa.array(p["pm10"].astype(float), from_pandas=True),
        "counted": pa.array(p["counted"].astype(bool)),
    })
    # coverage per device and Beijing day
    day = np.floor((t + BEIJING_OFFSET_S) / 86400).astype(np.int64)
    cov_rows: dict[tuple, list[int]] = {}
    for d, dd, mt, on, idl in zip(device.tolist(), day.tolist(), res.matched.tolist(),
                                  res.on_segment.tolist(), res.idle.tolist(), strict=True):
        c = cov_rows.setdefault((d, dd), [0, 0, 0, 0])
        c[0] += 1
        c[1] += mt
        c[2] += on
        c[3] += idl
    epoch = datetime(1970, 1, 1).date()
    cov = pa.table({
        "network_version": [net.version] * len(cov_rows),
        "device_id": [k[0] for k in cov_rows],
        "day": pa.array([epoch + timedelta(days=k[1]) for k in cov_rows], pa.date32()),
        "n_points": pa.array([v[0] for v in cov_rows.values()], pa.int32()),
        "n_matched": pa.array([v[1] for v in cov_rows.values()], pa.int32()),
        "n_on_segments": pa.array([v[2] for v in cov_rows.values()], pa.int32()),
        "n_idle": pa.array([v[3] for v in cov_rows.values()], pa.int32()),
        "computed_at": pa.array([now] * len(cov_rows), pa.timestamp("us", tz="UTC")),
    })
    with store._transaction():
        store.execute("DELETE FROM road_passes WHERE network_version = ? AND start_time >= ? "
                      "AND start_time < ?", [net.version, start, end])
        days = sorted({k[1] for k in cov_rows})
        if days:
            store.execute(
                "DELETE FROM road_coverage WHERE network_version = ? AND day BETWEEN ? AND ?",
                [net.version, epoch + timedelta(days=days[0]), epoch + timedelta(days=days[-1])])
        insert_arrow(store, "road_passes", pass_table)
        insert_arrow(store, "road_coverage", cov)
    for (d, dd), v in sorted(cov_rows.items()):
        log.info("match coverage %s %s: %d/%d points matched (%.1f %%), %d idle", d,
                 epoch + timedelta(days=dd), v[1], v[0], 100.0 * v[1] / max(v[0], 1), v[3])
    return {
        "network_version": net.version, "points": res.points,
        "matched": int(res.matched.sum()), "on_segments": int(res.on_segment.sum()),
        "idle_dropped": int(res.idle.sum()), "passes": npass,
        "passes_counted": int(p["counted"].sum()) if npass else 0,
        "coverage": [{"device_id": d, "day": str(epoch + timedelta(days=dd)), "points": v[0],
                      "matched": v[1], "rate": round(v[1] / max(v[0], 1), 4)}
                     for (d, dd), v in sorted(cov_rows.items())],
    }
