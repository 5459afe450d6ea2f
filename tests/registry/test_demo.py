"""The demo registry: 山西省, real GB/T 2260 codes, deterministic, importable."""

from __future__ import annotations

from collections import Counter

from envmon.registry.codes import uscc_problem
from envmon.registry.demo import SHANXI, demo_registry, write_demo_registry_csv
from envmon.registry.importer import import_file, import_rows

CITIES = {
    "140100": "太原市", "140200": "大同市", "140300": "阳泉市", "140400": "长治市",
    "140500": "晋城市", "140600": "朔州市", "140700": "晋中市", "140800": "运城市",
    "140900": "忻州市", "141000": "临汾市", "141100": "吕梁市",
}  # fmt: skip


def test_eleven_cities_with_real_codes_and_counties():
    assert {code: name for code, name, _ in SHANXI} == CITIES
    counties = {code: name for _, _, cs in SHANXI for code, name in cs}
    for code, name in {
        "140105": "小店区", "140106": "迎泽区", "140107": "杏花岭区", "140108": "尖草坪区",
        "140109": "万柏林区", "140110": "晋源区", "140213": "平城区", "140403": "潞州区",
        "140681": "怀仁市", "140703": "太谷区", "141082": "霍州市", "141182": "汾阳市",
    }.items():  # fmt: skip
        assert counties[code] == name
    for city_code, _, cs in SHANXI:
        assert len(cs) >= 3
        assert all(code[:4] == city_code[:4] and not code.endswith("00") for code, _ in cs)
    assert len(counties) == 117  # 山西省's county-level divisions


def test_demo_rows():
    rows = demo_registry()
    points = [r for r in rows if r["mn"]]
    assert len(points) == 300
    assert {r["city_code"]: r["city"] for r in rows} == CITIES  # every city has units
    assert all(r["province"] == "山西省" for r in rows)
    assert len({r["mn"] for r in points}) == 300
    assert all(len(r["mn"]) == 24 and int(r["mn"], 16) >= 0 for r in points)
    assert all(len(r["pw"]) == 6 for r in points)
    assert all(uscc_problem(r["unit_id"]) is None for r in rows)
    kinds = Counter(r["kind"] for r in points)
    assert kinds["gas"] > 0 and kinds["water"] > 0
    for r in points:
        if r["kind"] == "gas":
            assert (r["factors"], r["o2_ref"]) == ("a21026:35;a21002:50;a34013:10", "6")
        else:
            assert (r["factors"], r["o2_ref"]) == ("w01018:50;w21003:5", "")
    no_point = [r for r in rows if not r["mn"]]
    assert len(no_point) >= 3
    assert all(r["must_network"] == "1" and not r["outlet_id"] for r in no_point)
    assert any(r["unit_name"].endswith("污水处理厂") for r in rows)
    assert any(r["unit_name"].endswith("热电有限公司") for r in rows)
    assert any(r["unit_name"].endswith("焦化有限公司") for r in rows)


def test_demo_is_deterministic_and_seeded():
    assert demo_registry(seed=3, points=50) == demo_registry(seed=3, points=50)
    assert demo_registry(seed=3, points=50) != demo_registry(seed=4, points=50)
    assert sum(1 for r in demo_registry(points=17) if r["mn"]) == 17


def test_demo_imports_cleanly(store):
    report = import_rows(store, demo_registry())
    assert report.ok and not report.warnings, report
    assert len(store.list_points()) == 300
    levels = store.query(
        "SELECT level, COUNT(*) FROM regions WHERE level <> 'county' GROUP BY level ORDER BY level"
    )
    assert levels == [("city", 11), ("province", 1)]


def test_write_demo_registry_csv(tmp_path, store):
    path = tmp_path / "demo.csv"
    assert write_demo_registry_csv(path, points=20, seed=2) == len(demo_registry(2, 20))
    report = import_file(store, path)
    assert report.ok and report.counts.points_new == 20


def test_every_demo_unit_has_a_location_near_its_city_and_its_points_share_it(tmp_path):
    from envmon.registry.demo import CITY_CENTRES
    from envmon.store import open_store

    rows = demo_registry(seed=2, points=80)
    assert CITY_CENTRES["140100"] == (112.55, 37.87) and len(CITY_CENTRES) == 11
    by_unit: dict[str, set] = {}
    for r in rows:
        lon, lat = float(r["longitude"]), float(r["latitude"])
        c_lon, c_lat = CITY_CENTRES[r["city_code"]]
        assert (lon - c_lon) ** 2 + (lat - c_lat) ** 2 <= 0.3 ** 2 + 1e-9
        by_unit.setdefault(r["unit_id"], set()).add((lon, lat))
    assert all(len(locations) == 1 for locations in by_unit.values())
    assert len({loc for locs in by_unit.values() for loc in locs}) == len(by_unit)
    assert demo_registry(seed=2, points=80) == rows  # seeded
    path = tmp_path / "demo.csv"
    write_demo_registry_csv(path, seed=2, points=80)
    with open_store(tmp_path / "d.duckdb") as store:
        assert import_file(store, path).ok
        located = {(p.unit_id, p.longitude, p.latitude) for p in store.list_points()}
        assert all(lon is not None and lat is not None for _, lon, lat in located)
        assert len({u for u, _, _ in located}) == len(located)  # one location per unit
