"""A small synthetic grid with Chinese road names (for naming rules, matching and ranking).

Grid 4 × 4 junctions, 400 m apart, around Taiyuan (112.55 E, 37.85 N). East–west roads
(south to north): 南内环街, 府西街, 府东街, 北大街; north–south roads (west to east):
新建路, 五一路, 解放路, 建设路. 府西街 is one-way eastward. A dead-end spur without a name
leaves 建设路, and 北大街 ends in the east at a dead end.
"""

from __future__ import annotations

import math

LON0, LAT0 = 112.55, 37.85
STEP_M = 400.0
EW = ["南内环街", "府西街", "府东街", "北大街"]
NS = ["新建路", "五一路", "解放路", "建设路"]


def lonlat(i: float, j: float) -> tuple[float, float]:
    dlat = j * STEP_M / 111_320.0
    dlon = i * STEP_M / (111_320.0 * math.cos(math.radians(LAT0)))
    return LON0 + dlon, LAT0 + dlat


def node(i: int, j: int) -> int:
    return 100 + 10 * j + i


def links() -> list[dict]:
    out = []
    lid = 1
    for j, name in enumerate(EW):
        for i in range(3):
            out.append({"link_id": lid, "from_node": node(i, j), "to_node": node(i + 1, j),
                        "road_name": name, "dir": 1 if name == "府西街" else 0,
                        "highway": "primary", "coords": [lonlat(i, j), lonlat(i + 1, j)]})
            lid += 1
    for i, name in enumerate(NS):
        for j in range(3):
            out.append({"link_id": lid, "from_node": node(i, j), "to_node": node(i, j + 1),
                        "road_name": name, "dir": 0, "highway": "secondary",
                        "coords": [lonlat(i, j), lonlat(i, j + 1)]})
            lid += 1
    # 北大街 continues 300 m east past 建设路 to a dead end.
    out.append({"link_id": lid, "from_node": node(3, 3), "to_node": 999,
                "road_name": "北大街", "dir": 0, "highway": "primary",
                "coords": [lonlat(3, 3), lonlat(3.75, 3)]})
    lid += 1
    # An unnamed service way leaves 五一路 between 南内环街 and 府西街: it must not cut.
    out.append({"link_id": lid, "from_node": 5001, "to_node": 5002, "road_name": "",
                "dir": 0, "highway": "service", "coords": [lonlat(1, 0.5), lonlat(1.5, 0.5)]})
    return out


def split_for_service(items: list[dict]) -> list[dict]:
    """Split 五一路 (1,0)-(1,1) at the service way's node 5001."""
    out = []
    for rec in items:
        if rec["road_name"] == "五一路" and rec["from_node"] == node(1, 0):
            out.append({**rec, "to_node": 5001, "coords": [lonlat(1, 0), lonlat(1, 0.5)]})
            out.append({**rec, "link_id": rec["link_id"] + 1000, "from_node": 5001,
                        "coords": [lonlat(1, 0.5), lonlat(1, 1)]})
        else:
            out.append(rec)
    return out


def grid_links() -> list[dict]:
    return split_for_service(links())


def districts_geojson() -> dict:
    """West half 迎泽区, east half 杏花岭区, and 综改示范区 over the north-east corner."""
    def box(i0, j0, i1, j1):
        a, b = lonlat(i0, j0), lonlat(i1, j1)
        return {"type": "Polygon", "coordinates": [[[a[0], a[1]], [b[0], a[1]], [b[0], b[1]],
                                                    [a[0], b[1]], [a[0], a[1]]]]}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "迎泽区"}, "geometry": box(-1, -1, 1.5, 4)},
        {"type": "Feature", "properties": {"name": "杏花岭区"}, "geometry": box(1.5, -1, 5, 4)},
        {"type": "Feature", "properties": {"name": "综改示范区"},
         "geometry": box(2.5, 2.5, 5, 4)},
    ]}
