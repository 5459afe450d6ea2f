"""Road network: directed edges for matching, segments junction to junction for ranking.

Rules (roads.md §7, §4.7):
- A segment runs junction to junction along one named road: consecutive pieces with the same
  name are merged until a node where a *different named road* meets (a named cross street), a
  fork of the road itself, or a dead end. Unnamed side ways and service roads do not cut.
- Name = `<road><A>口至<B>口` from the cross streets' own names (`太榆路` → `太榆路口`); the
  order follows the travel direction of one-way roads, else the OSM geometry order.
- An end without a named cross street falls back to: an expressway ramp (`…口`), the nearest
  named POI (`…门前` when within `poi_front_m`, else landmark with side `新兰小区北`), else the
  other end + direction + metres (`太榆路口东300米`), i.e. 路名 + 方位 + N米.
- Each segment belongs to the district (or development zone) holding most of its length.
- Segment ids are stable: a hash of the sorted OSM way ids and both end-node ids (§7.6).

Geometry is handled in a metric CRS (UTM zone of the network's centre; Taiyuan and Xi'an:
EPSG:32649) and stored as WGS-84 WKT.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# Order of importance when several cross streets meet at one node (most important first).
HIGHWAY_RANK = {
    name: i
    for i, name in enumerate(
        (
            "motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link",
            "trunk_link", "primary_link", "secondary_link", "tertiary_link", "unclassified",
            "residential", "living_street", "service", "road",
        )
    )
}
RAMP_CLASSES = ("motorway_link", "trunk_link")
EXPRESSWAY_CLASSES = ("motorway", "trunk")
# Names that are not road names (Chinese web-map networks carry these; OSM leaves name empty).
UNNAMED = frozenset({"", "无名道路", "路口转向", "nan", "None"})
# Development-zone markers: such polygons are cut out of the districts they overlap.
ZONE_MARKERS = ("示范区", "开发区", "高新区", "经开区", "园区", "新区")


@dataclass
class Piece:
    """One OSM way piece between two consecutive graph nodes, in metric coordinates."""

    way_id: int
    u: int
    v: int
    name: str
    highway: str
    oneway: int  # +1 along the geometry, -1 against it, 0 two-way
    coords: np.ndarray  # (n, 2) metres, from u to v


@dataclass
class Poi:
    name: str
    x: float
    y: float
    kind: str = "poi"  # poi | gate


@dataclass
class Segment:
    segment_id: str
    road: str
    start_label: str
    end_label: str
    name: str
    highway: str
    length_m: float
    coords: np.ndarray  # metres, in the segment's direction
    way_ids: tuple[int, ...]
    start_node: int
    end_node: int
    district: str | None = None


@dataclass
class Edge:
    """A directed matching edge (fastmm needs directed edges)."""

    edge_id: int
    source: int
    target: int
    coords: np.ndarray
    length_m: float
    road: str
    highway: str
    segment: int  # index into RoadNetwork.segments, -1 when on no segment (unnamed way)


@dataclass
class RoadNetwork:
    crs: str  # metric CRS of coords, e.g. EPSG:32649
    edges: list[Edge]
    segments: list[Segment]
    version: str = ""
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    pois: list[Poi] = field(default_factory=list)


@dataclass(frozen=True)
class NamingConfig:
    poi_search_m: float = 150.0  # fallback search radius for POIs and landmarks
    poi_front_m: float = 30.0  # closer than this: "…门前"
    ramp_search_m: float = 300.0
    junction_merge_m: float = 40.0  # merge pieces inside a junction (dual carriageways)


# ------------------------------------------------------------------------------- geometry
def utm_crs_for(lon: float, lat: float) -> str:
    """The UTM zone EPSG code for a point (Taiyuan 112.5° E → EPSG:32649)."""
    zone = int((lon + 180) // 6) + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def transformer(src: str, dst: str):
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def line_length(coords: np.ndarray) -> float:
    d = np.diff(coords, axis=0)
    return float(np.hypot(d[:, 0], d[:, 1]).sum())


def bearing_word(dx: float, dy: float) -> str:
    """Compass word (东/南/西/北 and diagonals) of the vector (dx east, dy north)."""
    angle = math.degrees(math.atan2(dx, dy)) % 360  # 0 = north, clockwise
    words = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
    return words[int((angle + 22.5) // 45) % 8]


def bearing_word4(dx: float, dy: float) -> str:
    if abs(dx) >= abs(dy):
        return "东" if dx >= 0 else "西"
    return "北" if dy >= 0 else "南"


# ------------------------------------------------------------------------------- naming
def junction_label(cross_name: str) -> str:
    """`太榆路` → `太榆路口`, `北营南街` → `北营南街口` (roads.md §7.2)."""
    return f"{cross_name}口"


def segment_name(road: str, start_label: str, end_label: str) -> str:
    """`龙城大街` + `太榆路口` + `至` + `北营南路口` (roads.md §1, §7.2)."""
    return f"{road}{start_label}至{end_label}"


def poi_label(poi: Poi, dx: float, dy: float, distance_m: float, front_m: float) -> str:
    """Fallback end label from a POI: `…门前` when close (gates and doors keep their own
    name, e.g. `“温馨苑·北郡”东门`), else landmark with side (`新兰小区北`): the side is the
    direction from the POI to the point (roads.md §7.3)."""
    if poi.kind == "gate" or poi.name.endswith("门"):
        return poi.name if distance_m <= front_m or poi.name.endswith("门") else (
            f"{poi.name}{bearing_word4(dx, dy)}")
    if distance_m <= front_m:
        return f"{poi.name}门前"
    return f"{poi.name}{bearing_word4(dx, dy)}"


def hotspot_name(road: str, district: str | None, poi: str, dx: float, dy: float,
                 distance_m: float) -> str:
    """2021 hotspot form `路名 + 区名 + POI + 方位 + N米路段` (roads.md §1, §7.4), e.g.
    `新兰路尖草坪区新昌汽修厂东南177米路段`; (dx, dy) runs from the POI to the point."""
    return f"{road}{district or ''}{poi}{bearing_word(dx, dy)}{round(distance_m)}米路段"


def segment_id_for(way_ids: Iterable[int], start_node: int, end_node: int) -> str:
    """Stable id from the OSM way ids and the end-node ids (roads.md §7.6)."""
    text = ",".join(str(w) for w in sorted(set(way_ids))) + f"|{start_node}|{end_node}"
    return "S" + hashlib.sha1(text.encode()).hexdigest()[:12]


def _clean_name(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    text = str(value).strip()
    return "" if text in UNNAMED else text


def _highway(value: Any) -> str:
    text = _clean_name(value)
    return text or "road"


def _rank(highway: str) -> int:
    return HIGHWAY_RANK.get(highway, len(HIGHWAY_RANK))


# ------------------------------------------------------------------------------- building
def build_network(
    pieces: Sequence[Piece],
    crs: str,
    pois: Sequence[Poi] = (),
    districts: Sequence[tuple[str, Any]] = (),
    naming: NamingConfig = NamingConfig(),
    source: str = "",
) -> RoadNetwork:
    """Segments junction to junction and directed matching edges from way pieces.

    `districts`: (name, shapely polygon in the same metric CRS) in precedence order, zones
    already cut out (see `load_districts`).
    """
    incident: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(pieces):
        incident[p.u].append(i)
        if p.v != p.u:
            incident[p.v].append(i)

    node_xy: dict[int, np.ndarray] = {}
    for p in pieces:
        node_xy.setdefault(p.u, p.coords[0])
        node_xy.setdefault(p.v, p.coords[-1])

    # Named-road groups and cut nodes.
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pieces):
        if p.name:
            by_name[p.name].append(i)

    def is_cut(node: int, name: str) -> bool:
        same = [i for i in incident[node] if pieces[i].name == name]
        if len(same) != 2:
            return True
        return any(pieces[i].name and pieces[i].name != name for i in incident[node])

    from scipy.spatial import cKDTree

    # k-d trees: POIs, and every vertex of the named expressways (with its piece)
    poi_tree = cKDTree(np.array([[q.x, q.y] for q in pois])) if pois else None
    ramp_pieces = [p for p in pieces if p.highway in EXPRESSWAY_CLASSES and p.name]
    ramp_owner = np.concatenate([np.full(len(p.coords), k) for k, p in enumerate(ramp_pieces)]
                                ) if ramp_pieces else np.zeros(0, dtype=int)
    ramp_tree = cKDTree(np.vstack([p.coords for p in ramp_pieces])) if ramp_pieces else None

    def end_label(node: int, road: str) -> str | None:
        cross = {}
        for i in incident[node]:
            p = pieces[i]
            if p.name and p.name != road:
                cross[p.name] = min(cross.get(p.name, 99), _rank(p.highway))
        if cross:
            best = sorted(cross.items(), key=lambda kv: (kv[1], kv[0]))[0][0]
            return junction_label(best)
        xy = node_xy[node]
        # Expressway ramp: the nearest named expressway + 口 (`太原绕城高速口`).
        if any(pieces[i].highway in RAMP_CLASSES for i in incident[node]) or any(
            pieces[i].highway in EXPRESSWAY_CLASSES for i in incident[node]
        ):
            best_d, best_name = naming.ramp_search_m, None
            if ramp_tree is not None:
                for k in ramp_tree.query_ball_point(xy, naming.ramp_search_m):
                    p = ramp_pieces[int(ramp_owner[k])]
                    d = float(np.hypot(*(ramp_tree.data[k] - xy)))
                    if p.name != road and d < best_d:
                        best_d, best_name = d, p.name
            if best_name:
                return junction_label(best_name)
        if poi_tree is not None:
            d, k = poi_tree.query(xy, distance_upper_bound=naming.poi_search_m)
            if np.isfinite(d):
                q = pois[int(k)]
                return poi_label(q, xy[0] - q.x, xy[1] - q.y, float(d), naming.poi_front_m)
        return None

    segments: list[Segment] = []
    piece_segment = np.full(len(pieces), -1, dtype=np.int64)

    for name, members in by_name.items():
        member_set = set(members)
        visited: set[int] = set()

        def walk(
            start_node: int, first: int, name: str = name, member_set: set[int] = member_set,
            visited: set[int] = visited,
        ) -> tuple[list[tuple[int, bool]], int]:
            chain, node, i = [], start_node, first
            while True:
                p = pieces[i]
                forward = p.u == node
                chain.append((i, forward))
                visited.add(i)
                node = p.v if forward else p.u
                if node == start_node or is_cut(node, name):
                    return chain, node
                nxt = [j for j in incident[node] if j in member_set and j not in visited]
                if not nxt:
                    return chain, node
                i = nxt[0]

        chains = []
        for i in members:
            for node in (pieces[i].u, pieces[i].v):
                if i not in visited and is_cut(node, name):
                    chains.append((node, *walk(node, i)))
        for i in members:  # closed loops without any cut node
            if i not in visited:
                chains.append((pieces[i].u, *walk(pieces[i].u, i)))

        for start, chain, end in chains:
            # Orientation: one-way travel direction, else the OSM geometry order (by length).
            along = against = 0.0
            for i, forward in chain:
                p = pieces[i]
                length = line_length(p.coords)
                direction = (1 if forward else -1) * (p.oneway if p.oneway else 1)
                if direction > 0:
                    along += length
                else:
                    against += length
            if against > along:
                chain = [(i, not f) for i, f in reversed(chain)]
                start, end = end, start
            parts = []
            for i, forward in chain:
                c = pieces[i].coords if forward else pieces[i].coords[::-1]
                parts.append(c if not parts else c[1:])
            coords = np.vstack(parts)
            length = line_length(coords)
            a, b = end_label(start, name), end_label(end, name)
            if a is None and b is None:
                a, b = (f"{bearing_word4(*(coords[0] - coords[-1]))}端",
                        f"{bearing_word4(*(coords[-1] - coords[0]))}端")
            elif a is None:
                dx, dy = coords[0] - coords[-1]
                a = f"{b}{bearing_word4(dx, dy)}{round(length)}米"
            elif b is None:
                dx, dy = coords[-1] - coords[0]
                b = f"{a}{bearing_word4(dx, dy)}{round(length)}米"
            way_ids = tuple(sorted({pieces[i].way_id for i, _ in chain}))
            highway = min((pieces[i].highway for i, _ in chain), key=_rank)
            index = len(segments)
            for i, _ in chain:
                piece_segment[i] = index
            segments.append(
                Segment(
                    segment_id=segment_id_for(way_ids, start, end),
                    road=name,
                    start_label=a,
                    end_label=b,
                    name=segment_name(name, a, b),
                    highway=highway,
                    length_m=length,
                    coords=coords,
                    way_ids=way_ids,
                    start_node=start,
                    end_node=end,
                )
            )

    segments, piece_segment = merge_junction_internal(segments, piece_segment,
                                                      naming.junction_merge_m)

    # Same id twice (a loop walked from both sides cannot happen; parallel pieces can).
    seen: dict[str, int] = {}
    for s in segments:
        n = seen.get(s.segment_id, 0)
        seen[s.segment_id] = n + 1
        if n:
            s.segment_id = f"{s.segment_id}-{n}"

    if districts:
        assign_districts(segments, districts)

    edges: list[Edge] = []
    for i, p in enumerate(pieces):
        length = line_length(p.coords)
        seg = int(piece_segment[i])
        if p.oneway >= 0:
            edges.append(Edge(2 * i, p.u, p.v, p.coords, length, p.name, p.highway, seg))
        if p.oneway <= 0:
            edges.append(Edge(2 * i + 1, p.v, p.u, p.coords[::-1].copy(), length, p.name,
                              p.highway, seg))
    net = RoadNetwork(crs=crs, edges=edges, segments=segments, source=source, pois=list(pois))
    net.version = network_version(net)
    net.meta = {"named_pieces": int(sum(1 for p in pieces if p.name)), "pieces": len(pieces)}
    return net


def hotspot_names(net_crs: str, segments: Sequence[dict[str, Any]],
                  pois: Sequence[tuple[str, str, float, float]], search_m: float = 500.0
                  ) -> dict[str, str]:
    """2021 form for each segment (`segment_id`, `road`, `district`, `lonlat` rows): the
    segment's midpoint located from the nearest named POI within `search_m`, e.g.
    `新兰路尖草坪区新昌汽修厂东南177米路段`. Segments without a POI nearby are left out."""
    if not pois:
        return {}
    to_metric = transformer("EPSG:4326", net_crs)
    px, py = to_metric.transform(np.array([p[2] for p in pois]), np.array([p[3] for p in pois]))
    pxy = np.column_stack([px, py])
    out = {}
    for s in segments:
        x, y = to_metric.transform(s["lonlat"][:, 0], s["lonlat"][:, 1])
        coords = np.column_stack([x, y])
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
        half = cum[-1] / 2
        mid = np.array([np.interp(half, cum, coords[:, 0]), np.interp(half, cum, coords[:, 1])])
        d = np.hypot(*(pxy - mid).T)
        k = int(np.argmin(d))
        if d[k] <= search_m:
            dx, dy = mid - pxy[k]
            out[s["segment_id"]] = hotspot_name(s["road"], s.get("district"), pois[k][0],
                                                float(dx), float(dy), float(d[k]))
    return out


def merge_junction_internal(segments: list[Segment], piece_segment: np.ndarray,
                            max_len_m: float) -> tuple[list[Segment], np.ndarray]:
    """Absorb the short pieces a road has *inside* one junction into its neighbour segment.

    Where the cross street is a dual carriageway, the road crosses two ways with the same
    name a few metres apart and the junction-to-junction rule leaves a piece named
    `X路Y路口至Y路口`: such a segment (same label at both ends, shorter than `max_len_m`) is
    merged into the longest segment of the same road that shares one of its end nodes.
    """
    if max_len_m <= 0:
        return segments, piece_segment
    touching: dict[tuple[str, int], set[int]] = defaultdict(set)
    for k, seg in enumerate(segments):
        touching[(seg.road, seg.start_node)].add(k)
        touching[(seg.road, seg.end_node)].add(k)
    removed: set[int] = set()
    order = sorted(range(len(segments)), key=lambda k: segments[k].length_m)
    for k in order:
        seg = segments[k]
        if seg.start_label != seg.end_label or seg.length_m >= max_len_m:
            continue
        cands = [j for node in (seg.start_node, seg.end_node)
                 for j in touching[(seg.road, node)] if j != k and j not in removed]
        if not cands:
            continue
        j = max(cands, key=lambda i: segments[i].length_m)
        t = segments[j]
        if t.start_node == seg.end_node:
            t.coords = np.vstack([seg.coords, t.coords[1:]])
            t.start_node, t.start_label = seg.start_node, seg.start_label
        elif t.end_node == seg.start_node:
            t.coords = np.vstack([t.coords, seg.coords[1:]])
            t.end_node, t.end_label = seg.end_node, seg.end_label
        elif t.start_node == seg.start_node:
            t.coords = np.vstack([seg.coords[::-1], t.coords[1:]])
            t.start_node, t.start_label = seg.end_node, seg.end_label
        else:  # t.end_node == seg.end_node
            t.coords = np.vstack([t.coords, seg.coords[::-1][1:]])
            t.end_node, t.end_label = seg.start_node, seg.start_label
        t.way_ids = tuple(sorted(set(t.way_ids) | set(seg.way_ids)))
        t.length_m = line_length(t.coords)
        t.highway = min((t.highway, seg.highway), key=_rank)
        t.name = segment_name(t.road, t.start_label, t.end_label)
        t.segment_id = segment_id_for(t.way_ids, t.start_node, t.end_node)
        touching[(t.road, t.start_node)].add(j)
        touching[(t.road, t.end_node)].add(j)
        piece_segment[piece_segment == k] = j
        removed.add(k)
    if not removed:
        return segments, piece_segment
    keep = [k for k in range(len(segments)) if k not in removed]
    remap = np.full(len(segments) + 1, -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    piece_segment = np.where(piece_segment >= 0, remap[piece_segment], -1)
    return [segments[k] for k in keep], piece_segment


def network_version(net: RoadNetwork) -> str:
    h = hashlib.sha1()
    for s in net.segments:
        h.update(s.segment_id.encode())
    h.update(str(len(net.edges)).encode())
    return "N" + h.hexdigest()[:10]


# ------------------------------------------------------------------------------- districts
def load_districts(path: str | Path | dict, crs: str) -> list[tuple[str, Any]]:
    """District polygons from GeoJSON (WGS-84), in `crs`, development zones cut out.

    The name is the property `name` (else `district`, `NAME`, `区县`). A feature whose
    property `zone` is true, or whose name marks a development zone (`综改示范区`, `…开发区`,
    `…高新区`), is its own unit: it is cut out of every other polygon it overlaps (roads.md §1).
    """
    import shapely
    from shapely.geometry import shape

    data = path if isinstance(path, dict) else json.loads(Path(path).read_text(
        encoding="utf-8-sig"))  # a byte-order mark is common in files saved on Windows
    features = data["features"] if data.get("type") == "FeatureCollection" else [data]
    to_metric = transformer("EPSG:4326", crs)
    zones, plain = [], []
    for f in features:
        props = f.get("properties") or {}
        name = next((str(props[k]) for k in ("name", "district", "NAME", "区县") if props.get(k)),
                    None)
        if not name:
            continue
        geom = shapely.transform(
            shape(f["geometry"]),
            lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1])))
        is_zone = bool(props.get("zone")) or any(m in name for m in ZONE_MARKERS)
        (zones if is_zone else plain).append((name, geom))
    out = list(zones)
    for name, geom in plain:
        for _, z in zones:
            geom = geom.difference(z)
        out.append((name, geom))
    return out


def assign_districts(segments: Sequence[Segment], districts: Sequence[tuple[str, Any]]) -> None:
    """Majority length: each segment goes to the polygon holding most of its length."""
    from shapely import STRtree
    from shapely.geometry import LineString

    polys = [g for _, g in districts]
    tree = STRtree(polys)
    for s in segments:
        line = LineString(s.coords)
        best, best_len = None, 0.0
        for k in tree.query(line):
            inside = line.intersection(polys[int(k)]).length
            if inside > best_len:
                best, best_len = districts[int(k)][0], inside
        s.district = best


# ------------------------------------------------------------------------------- OSM input
def pieces_from_pbf(path: str | Path) -> tuple[list[Piece], list[Poi], str]:
    """Driveable way pieces and named POIs from an OSM PBF (pyrosm), projected to UTM."""
    import pyrosm

    osm = pyrosm.OSM(str(path))
    _nodes, edges = osm.get_network(network_type="driving", nodes=True)
    if edges is None or len(edges) == 0:
        raise ValueError(f"{path}: no driveable roads in this extract")
    bounds = edges.total_bounds
    crs = utm_crs_for((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    to_metric = transformer("EPSG:4326", crs)
    pieces = []
    names = edges["name"].tolist() if "name" in edges else [None] * len(edges)
    oneways = edges["oneway"].tolist() if "oneway" in edges else [None] * len(edges)
    for way_id, u, v, name, highway, oneway, geom in zip(
        edges["id"].tolist(), edges["u"].tolist(), edges["v"].tolist(), names,
        edges["highway"].tolist(), oneways, edges.geometry, strict=True,
    ):
        lon, lat = np.asarray(geom.coords).T
        x, y = to_metric.transform(lon, lat)
        ow = _clean_name(oneway)
        direction = 1 if ow in ("yes", "true", "1") else -1 if ow == "-1" else 0
        hw = _highway(highway)
        if direction == 0 and hw in ("motorway",):
            direction = 1
        pieces.append(Piece(int(way_id), int(u), int(v), _clean_name(name), hw, direction,
                            np.column_stack([x, y])))
    pois = []
    try:
        gdf = osm.get_pois(custom_filter={"amenity": True, "shop": True, "tourism": True,
                                          "office": True, "building": True, "barrier": ["gate"],
                                          "entrance": True})
    except Exception:  # pragma: no cover - extracts without POIs
        gdf = None
    if gdf is not None and len(gdf):
        gdf = gdf[gdf["name"].notna()] if "name" in gdf else gdf.iloc[0:0]
        for name, geom, barrier, entrance in zip(
            gdf["name"].tolist(), gdf.geometry,
            gdf["barrier"].tolist() if "barrier" in gdf else [None] * len(gdf),
            gdf["entrance"].tolist() if "entrance" in gdf else [None] * len(gdf), strict=True,
        ):
            if geom is None or geom.is_empty:
                continue
            c = geom.representative_point()
            x, y = to_metric.transform(c.x, c.y)
            kind = "gate" if _clean_name(barrier) == "gate" or _clean_name(entrance) else "poi"
            pois.append(Poi(str(name), float(x), float(y), kind))
    return pieces, pois, crs


def network_from_pbf(
    pbf: str | Path, districts: str | Path | dict | None = None,
    naming: NamingConfig = NamingConfig(),
) -> RoadNetwork:
    """The network of an OSM extract; `districts`: a GeoJSON file or its parsed content."""
    pieces, pois, crs = pieces_from_pbf(pbf)
    polys = load_districts(districts, crs) if districts else []
    return build_network(pieces, crs, pois, polys, naming, source=str(pbf))


def network_from_links(
    links: Iterable[dict[str, Any]], crs: str | None = None,
    districts: str | Path | dict | None = None, source: str = "",
) -> RoadNetwork:
    """A network from link records (`link_id, from_node, to_node, road_name, dir, coords` with
    WGS-84 lon/lat coords; `dir` 1 = one-way along the geometry, 0 = two-way), e.g. a
    gotrackit/Gaode-style link layer or a synthetic network."""
    links = list(links)
    if crs is None:
        lon, lat = np.asarray(links[0]["coords"][0])
        crs = utm_crs_for(float(lon), float(lat))
    to_metric = transformer("EPSG:4326", crs)
    pieces = []
    for rec in links:
        lon, lat = np.asarray(rec["coords"], dtype=float).T
        x, y = to_metric.transform(lon, lat)
        pieces.append(Piece(int(rec["link_id"]), int(rec["from_node"]), int(rec["to_node"]),
                            _clean_name(rec.get("road_name")), _highway(rec.get("highway")),
                            int(rec.get("dir", 0)), np.column_stack([x, y])))
    polys = load_districts(districts, crs) if districts else []
    return build_network(pieces, crs, (), polys, source=source)
