"""Reading and writing the road tables (`envmon.roads.tables`) through the one store
(bulk writes with `store.append`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from envmon.roads.network import Edge, RoadNetwork, Segment, transformer


def _wkt(coords_lonlat: np.ndarray) -> str:
    return "LINESTRING (" + ", ".join(f"{x:.7f} {y:.7f}" for x, y in coords_lonlat) + ")"


def _parse_wkt(text: str) -> np.ndarray:
    body = text[text.index("(") + 1 : text.rindex(")")]
    return np.array([[float(v) for v in pt.split()] for pt in body.split(",")])


def save_network(store, net: RoadNetwork) -> None:
    """Write (or replace) one network version."""
    to_wgs = transformer(net.crs, "EPSG:4326")

    def lonlat(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    segs = net.segments
    seg_table = pa.table({
        "network_version": [net.version] * len(segs),
        "segment_id": [s.segment_id for s in segs],
        "name": [s.name for s in segs],
        "road": [s.road for s in segs],
        "start_label": [s.start_label for s in segs],
        "end_label": [s.end_label for s in segs],
        "district": [s.district for s in segs],
        "highway": [s.highway for s in segs],
        "length_m": pa.array([s.length_m for s in segs], pa.float64()),
        "way_ids": [",".join(map(str, s.way_ids)) for s in segs],
        "start_node": pa.array([s.start_node for s in segs], pa.int64()),
        "end_node": pa.array([s.end_node for s in segs], pa.int64()),
        "geom_wkt": [_wkt(lonlat(s.coords)) for s in segs],
    })
    edges = net.edges
    edge_table = pa.table({
        "network_version": [net.version] * len(edges),
        "edge_id": pa.array([e.edge_id for e in edges], pa.int64()),
        "source": pa.array([e.source for e in edges], pa.int64()),
        "target": pa.array([e.target for e in edges], pa.int64()),
        "segment_id": [segs[e.segment].segment_id if e.segment >= 0 else None for e in edges],
        "road": [e.road or None for e in edges],
        "highway": [e.highway for e in edges],
        "length_m": pa.array([e.length_m for e in edges], pa.float64()),
        "geom_wkt": [_wkt(lonlat(e.coords)) for e in edges],
    })
    pois = net.pois
    plon, plat = to_wgs.transform(np.array([q.x for q in pois], dtype=float),
                                  np.array([q.y for q in pois], dtype=float))
    poi_table = pa.table({
        "network_version": pa.array([net.version] * len(pois), pa.string()),
        "name": pa.array([q.name for q in pois], pa.string()),
        "kind": pa.array([q.kind for q in pois], pa.string()),
        "lon": pa.array(np.asarray(plon, dtype=float)), "lat": pa.array(np.asarray(plat,
                                                                              dtype=float)),
    })
    with store.transaction():
        for table in ("road_segments", "road_edges", "road_networks", "road_pois"):
            key = "version" if table == "road_networks" else "network_version"
            store.execute(f"DELETE FROM {table} WHERE {key} = ?", [net.version])
        store.execute(
            "INSERT INTO road_networks (version, source, crs, n_segments, n_edges, built_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [net.version, net.source, net.crs, len(segs), len(edges), datetime.now(UTC)],
        )
        store.append("road_segments", seg_table)
        store.append("road_edges", edge_table)
        store.append("road_pois", poi_table)


def readings_in(store, start, end, *, any_: bool = False) -> int:
    """How many taxi readings have `start <= time < end` (with `any_`: 1 if there is one, a
    cheaper question)."""
    where = "FROM road_readings WHERE time >= ? AND time < ?"
    sql = (f"SELECT COUNT(*) FROM (SELECT 1 {where} LIMIT 1) one" if any_
           else f"SELECT COUNT(*) {where}")
    return store.query(sql, [start, end])[0][0]


def latest_version(store) -> str | None:
    rows = store.query("SELECT version FROM road_networks ORDER BY built_at DESC LIMIT 1")
    return rows[0][0] if rows else None


class NoRoadNetwork(LookupError):
    """No road network in the store yet (`envmon roads network` builds one): data the store
    lacks, not a bad option."""


def load_network(store, version: str | None = None) -> RoadNetwork:
    """The stored network (latest version by default), geometry back in its metric CRS."""
    version = version or latest_version(store)
    if version is None:
        raise NoRoadNetwork("no road network in the store; run `envmon roads network` first")
    rows = store.query("SELECT crs, source FROM road_networks WHERE version = ?", [version])
    if not rows:
        raise LookupError(f"road network version {version} is not in the store")
    crs, source = rows[0]
    to_metric = transformer("EPSG:4326", crs)

    def metric(text: str) -> np.ndarray:
        ll = _parse_wkt(text)
        x, y = to_metric.transform(ll[:, 0], ll[:, 1])
        return np.column_stack([x, y])

    segments = []
    index = {}
    for (sid, name, road, a, b, district, highway, length, way_ids, sn, en, wkt) in store.query(
        "SELECT segment_id, name, road, start_label, end_label, district, highway, length_m, "
        "way_ids, start_node, end_node, geom_wkt FROM road_segments "
        "WHERE network_version = ? ORDER BY segment_id", [version]
    ):
        index[sid] = len(segments)
        segments.append(Segment(sid, road, a, b, name, highway, length, metric(wkt),
                                tuple(int(w) for w in way_ids.split(",") if w), sn, en,
                                district))
    edges = [
        Edge(eid, src, dst, metric(wkt), length, road or "", highway or "",
             index.get(sid, -1) if sid else -1)
        for eid, src, dst, sid, road, highway, length, wkt in store.query(
            "SELECT edge_id, source, target, segment_id, road, highway, length_m, geom_wkt "
            "FROM road_edges WHERE network_version = ? ORDER BY edge_id", [version]
        )
    ]
    return RoadNetwork(crs=crs, edges=edges, segments=segments, version=version,
                       source=source or "")


def segment_rows(store, version: str, ids: Sequence[str] | None = None) -> dict[str, dict]:
    rows = store.query(
        "SELECT segment_id, name, road, district, length_m, geom_wkt FROM road_segments "
        "WHERE network_version = ?", [version])
    out = {}
    for sid, name, road, district, length, wkt in rows:
        if ids is None or sid in ids:
            out[sid] = {"segment_id": sid, "name": name, "road": road, "district": district,
                        "length_m": length, "lonlat": _parse_wkt(wkt)}
    return out


def segment_passes(store, version: str, segment_id: str, start, end) -> list[tuple] | None:
    """(device_id, start_time, end_time, n_readings, covered_m, pm25_mean, pm10_mean, counted)
    of one segment's drive passes starting in [start, end), in time order; None when the
    network version has no such segment."""
    known = store.query("SELECT 1 FROM road_segments WHERE network_version = ? AND "
                        "segment_id = ?", [version, segment_id])
    if not known:
        return None
    return [tuple(r) for r in store.query(
        "SELECT device_id, start_time, end_time, n_readings, covered_m, pm25_mean, pm10_mean, "
        "counted FROM road_passes WHERE network_version = ? AND segment_id = ? AND "
        "start_time >= ? AND start_time < ? ORDER BY start_time, device_id",
        [version, segment_id, start, end])]


def load_pois(store, version: str) -> list[tuple[str, str, float, float]]:
    """(name, kind, lon, lat) of the network version's POIs."""
    return [tuple(r) for r in store.query(
        "SELECT name, kind, lon, lat FROM road_pois WHERE network_version = ?", [version])]
