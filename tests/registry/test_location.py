"""Registry columns for the web map and the offline rule: the unit's location (经度 / 纬度,
WGS 84, checked to lie in China) and the point's upload interval (数据上传间隔(秒)); imported,
kept at the unit level, exported and read back."""

from __future__ import annotations

from envmon.registry.export import export_file
from envmon.registry.importer import import_file, import_rows

from .conftest import MN_1, MN_2, UNIT_A, UNIT_B, csv_text, line


def row(**kw: str) -> dict[str, str]:
    base = {
        "city_code": "140100", "county_code": "140105", "unit_id": UNIT_A,
        "unit_name": "小店恒泰热电有限公司", "outlet_id": "DA001", "kind": "gas", "mn": MN_1,
        "pw": "123456", "factors": "a21026:35",
    }  # fmt: skip
    base.update(kw)
    return base


def test_location_and_interval_are_imported_at_unit_level_and_exported(store, tmp_path):
    report = import_rows(store, [
        {**row(), "经度": "112.55", "纬度": "37.87", "数据上传间隔(秒)": "3600"},
        row(outlet_id="DA002", mn=MN_2),  # a point row without a location: the unit's
    ])
    assert report.ok, report.rejected
    points = {p.mn: p for p in store.list_points()}
    assert (points[MN_1].longitude, points[MN_1].latitude) == (112.55, 37.87)
    assert (points[MN_2].longitude, points[MN_2].latitude) == (112.55, 37.87)
    assert points[MN_1].expected_interval_s == 3600 and points[MN_2].expected_interval_s is None
    exported = tmp_path / "out.csv"
    export_file(store, exported)
    text = exported.read_text(encoding="utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert {"longitude", "latitude", "expected_interval_s", "effective_from"} <= set(header)
    by_mn = {r.mn: r for r in store.registry_rows()}
    assert (by_mn[MN_2].longitude, by_mn[MN_2].latitude) == (112.55, 37.87)
    # the exported file reads back to the same registry
    again = import_file(store, exported)
    assert again.ok and again.changes == ()
    assert {p.mn: (p.longitude, p.latitude, p.expected_interval_s)
            for p in store.list_points()} == {MN_1: (112.55, 37.87, 3600),
                                              MN_2: (112.55, 37.87, None)}


def test_bad_coordinates_and_intervals_are_row_errors_naming_the_column(store):
    report = import_rows(store, [
        row(longitude="37.87", latitude="112.55"),                     # swapped
        row(unit_id=UNIT_B, mn=MN_2, longitude="112.5"),                # latitude missing
        row(unit_id=UNIT_B, mn="0A0000A8900016F000169DC3", outlet_id="DA009",
            expected_interval_s="-60"),
        row(unit_id=UNIT_B, mn="0A0000A8900016F000169DC4", outlet_id="DA008",
            longitude="东经112"),
    ])
    problems = {(p.line, p.column) for p in report.rejected}
    assert {(2, "longitude"), (2, "latitude"), (3, "latitude"), (4, "expected_interval_s"),
            (5, "longitude")} <= problems
    messages = " ".join(str(p) for p in report.rejected)
    assert "outside China" in messages and "a location needs both" in messages


def test_rows_of_one_unit_must_agree_on_its_location(store, tmp_path):
    path = tmp_path / "two.csv"
    text = csv_text(line(), line(outlet_id="DA002", mn=MN_2)).splitlines()
    text[0] += ",经度,纬度"
    text[1] += ",112.55,37.87"
    text[2] += ",112.60,37.87"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    report = import_file(store, path)
    assert [(p.line, p.column) for p in report.rejected] == [(3, "longitude")]
