"""Registry import from CSV and XLSX into a real DuckDB store."""

from __future__ import annotations

import openpyxl
import pytest

from envmon.registry.importer import RegistryFileError, import_file, import_rows
from envmon.store import open_store

from .conftest import HEADER, MN_1, MN_2, MN_3, UNIT_A, UNIT_B, csv_text, line


def write(tmp_path, text, name="registry.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems(report):
    return [str(p) for p in report.rejected]


def test_csv_import_and_what_the_store_holds(tmp_path, store):
    path = write(tmp_path, csv_text(
        line(),
        line(outlet_id="DW001", outlet_name="废水总排口", kind="water", mn=MN_2,
             factors="w01018:50;w21003:5", o2_ref="", standard="GB 18918-2002 一级A"),
        line(unit_id=UNIT_B, unit_name="迎泽南污水处理厂", county="迎泽区", county_code="140106",
             outlet_id="", outlet_name="", kind="", mn="", pw="", factors="", o2_ref="",
             standard=""),
    ))  # fmt: skip
    report = import_file(store, path)
    assert report.ok and report.rows_read == report.rows_imported == 3, report
    c = report.counts
    assert (c.units_new, c.outlets_new, c.points_new, c.regions_new) == (2, 2, 2, 4)
    points = {p.mn: p for p in store.list_points()}
    gas = points[MN_1]
    assert gas.factors == {"a21026": 35.0, "a21002": 50.0, "a34013": 10.0}
    assert (gas.kind, gas.o2_ref, gas.pw, gas.unit_id, gas.outlet_id) == (
        "gas", 6.0, "123456", UNIT_A, "DA001")  # fmt: skip
    assert (gas.county_code, gas.city_code, gas.unit_name) == (
        "140105", "140100", "小店恒泰热电有限公司")  # fmt: skip
    assert points[MN_2].o2_ref is None and points[MN_2].kind == "water"
    auth = store.point_auth(MN_1)
    assert (auth.pw, auth.unit_id, auth.kind, auth.crc_modes) == (
        "123456", UNIT_A, "gas", ("hj212",))  # fmt: skip
    # the unit without a point yet is in the registry, counted for 联网率
    units = dict(store.query("SELECT unit_id, points FROM unit_registry"))
    assert units == {UNIT_A: 2, UNIT_B: 0}
    regions = store.query("SELECT code, name, level, parent_code FROM regions ORDER BY code")
    assert regions == [
        ("140000", "山西省", "province", None),
        ("140100", "太原市", "city", "140000"),
        ("140105", "小店区", "county", "140100"),
        ("140106", "迎泽区", "county", "140100"),
    ]


def test_chinese_headers_bom_and_aliases(tmp_path, store):
    header = (
        "省,地市,地市代码,区县,区县代码,统一社会信用代码,企业名称,应联网,纳入考核,排口编号,"
        "排口名称,排口类型,MN号,密码,监测因子,基准氧含量(%),执行标准"
    )
    body = line(kind="废气", must_network="是", assessed="否", factors="02:35；03：50、01")
    path = write(tmp_path, header + "\n" + body + "\n", encoding="utf-8-sig")
    report = import_file(store, path)
    assert report.ok, problems(report)
    (point,) = store.list_points()
    assert point.kind == "gas"
    assert point.factors == {"a21026": 35.0, "a21002": 50.0, "a34013": None}  # 2005 codes mapped
    assert store.query("SELECT must_network, assessed FROM units") == [(True, False)]


def test_gb18030_file_is_read_and_said_so(tmp_path, store):
    path = write(tmp_path, csv_text(line()), encoding="gb18030")
    report = import_file(store, path)
    assert report.ok
    assert any("GB18030" in n for n in report.notices)
    assert store.list_points()[0].unit_name == "小店恒泰热电有限公司"


def test_title_row_above_header_and_ignored_columns(tmp_path, store):
    text = "山西省重点排污单位名录（2026）\n" + HEADER + ",备注\n" + line() + ",新建\n"
    report = import_file(store, write(tmp_path, text))
    assert report.ok
    assert any("备注" in n for n in report.notices)
    assert len(store.list_points()) == 1


def test_bad_rows_are_reported_by_line_and_column(tmp_path, store):
    path = write(tmp_path, csv_text(
        line(),                                                    # 2: good
        line(mn=MN_2, county_code="140205"),                       # 3: county not in city
        line(mn=MN_3, city_code="14010"),                          # 4: not six digits
        line(mn="0A0000A8900016F000169DC4", kind="steam"),         # 5: kind
        line(mn="0A0000A8900016F000169DC5", factors="a21026:x"),   # 6: limit
        line(mn="0A0000A8900016F000169DC6", factors="w01018:50"),  # 7: water factor, gas point
        line(mn="0A0000A8900016F000169DC7", pw=""),                # 8: no password
        line(mn="0A0000A8900016F000169DC8", outlet_id="DA002", outlet_name="2号", o2_ref="25"),
        line(mn="0A0000A8900016F000169DC9", unit_id="91140105MA0TEST"),  # 10: 15 chars
        line(mn="0A0000A8900016F000169DCA", must_network="maybe"),  # 11
        line(mn="0A0000A8900016F000169DCB", factors="a99999x"),    # 12: unknown code
        line(mn="0A0000A8900016F000169DCC", outlet_id=""),         # 13: point without outlet
    ))  # fmt: skip
    report = import_file(store, path)
    assert not report.ok
    assert report.rejected_lines == list(range(3, 14))
    text = "\n".join(problems(report))
    for expected in (
        "line 3: county_code: 140205 is not in city 140100",
        "line 4: city_code: '14010' is not a six-digit GB/T 2260 code",
        "line 5: kind: 'steam' is neither gas",
        "line 6: factors: limit 'x' of a21026 is not a number",
        "line 7: factors: w01018 is a water factor but the point is gas",
        "line 8: pw: empty",
        "line 9: o2_ref: 25 % is not a reference O2 content",
        "line 10: unit_id: '91140105MA0TEST' has 15 characters",
        "line 11: must_network: expected 1 or 0",
        "line 12: factors: unknown factor code 'a99999x'",
        "line 13: outlet_id: empty, but the row has an MN",
    ):
        assert expected in text, text
    assert [p.mn for p in store.list_points()] == [MN_1]  # the good row is kept


def test_reimport_updates_in_place_and_replaces_factors(tmp_path, store):
    import_file(store, write(tmp_path, csv_text(line(), line(outlet_id="DA002", mn=MN_2))))
    store.set_crc_modes(MN_1, ("hj212", "modbus"))
    changed = csv_text(
        line(unit_name="小店恒泰热电股份有限公司", pw="654321", factors="a21026:50;a19001",
             outlet_name="1号机组排口"),
        line(outlet_id="DA002", mn=MN_2, unit_name="小店恒泰热电股份有限公司"),
    )  # fmt: skip
    report = import_file(store, write(tmp_path, changed, name="v2.csv"))
    assert report.ok
    c = report.counts
    assert (c.units_new, c.units_updated, c.points_new, c.points_updated) == (0, 1, 0, 2)
    assert (c.outlets_new, c.outlets_updated) == (0, 2)
    assert store.query("SELECT COUNT(*) FROM units") == [(1,)]
    point = {p.mn: p for p in store.list_points()}[MN_1]
    assert point.factors == {"a21026": 50.0, "a19001": None}  # replaced, not merged
    assert (point.unit_name, point.pw, point.outlet_name) == (
        "小店恒泰热电股份有限公司", "654321", "1号机组排口")  # fmt: skip
    assert store.point_auth(MN_1).crc_modes == ("hj212", "modbus")  # CRC policy kept


def test_crc_modes_column(tmp_path, store):
    text = (HEADER + ",crc_modes\n" + line() + ",hj212;modbus_swapped\n"
            + line(outlet_id="DA002", mn=MN_2) + ",crc16\n"
            + line(outlet_id="DA003", mn=MN_3) + ",\n")  # fmt: skip
    report = import_file(store, write(tmp_path, text))
    assert report.rejected_lines == [3]
    assert "line 3: crc_modes: unknown CRC mode crc16" in problems(report)[0]
    assert store.point_auth(MN_1).crc_modes == ("hj212", "modbus_swapped")
    assert store.point_auth(MN_3).crc_modes == ("hj212",)
    store.set_crc_modes(MN_3, ("modbus",))
    import_file(store, write(tmp_path, text, name="again.csv"))  # empty keeps the policy
    assert store.point_auth(MN_3).crc_modes == ("modbus",)


def test_duplicate_mn_is_an_error_on_the_later_row(tmp_path, store):
    path = write(tmp_path, csv_text(line(), line(outlet_id="DA002", outlet_name="2号锅炉排口")))
    report = import_file(store, path)
    assert report.rejected_lines == [3]
    assert f"line 3: mn: {MN_1} is repeated: it is already on line 2" in problems(report)
    assert len(store.list_points()) == 1


def test_conflicting_unit_details_are_an_error_on_the_later_row(tmp_path, store):
    path = write(tmp_path, csv_text(
        line(), line(outlet_id="DA002", mn=MN_2, unit_name="别的公司"),
        line(outlet_id="DA001", mn=MN_3, kind="water", factors=""),
    ))  # fmt: skip
    report = import_file(store, path)
    assert report.rejected_lines == [3, 4]
    text = "\n".join(problems(report))
    assert "line 3: unit_name: '别的公司' differs from line 2" in text
    assert "line 4: kind: 'water' differs from line 2 ('gas') for the same outlet" in text


def test_region_name_conflict_is_a_warning_and_the_first_name_kept(tmp_path, store):
    report = import_file(store, write(tmp_path, csv_text(line(), line(
        outlet_id="DA002", mn=MN_2, county="小店"))))  # fmt: skip
    assert report.ok
    assert any("county: '小店' differs from line 2" in str(w) for w in report.warnings)
    assert store.query("SELECT name FROM regions WHERE code = '140105'") == [("小店区",)]


def test_check_character_is_a_warning_by_default_and_an_error_when_strict(tmp_path, store):
    bad = UNIT_A[:17] + ("0" if UNIT_A[17] != "0" else "1")
    path = write(tmp_path, csv_text(line(unit_id=bad)))
    report = import_file(store, path)
    assert report.ok
    (warning,) = [w for w in report.warnings if w.column == "unit_id"]
    assert warning.line == 2 and f"gives {UNIT_A[17]!r}" in warning.message
    with open_store(tmp_path / "strict.duckdb") as strict_store:
        strict = import_file(strict_store, path, strict_unit_id=True)
        assert strict.rejected_lines == [2]
        assert strict_store.list_points() == []


def test_xlsx_import_with_number_cells(tmp_path, store):
    path = tmp_path / "registry.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["统一社会信用代码", "单位名称", "地市代码", "区县代码", "排口编号", "类型",
                  "MN", "密码", "监测因子", "基准氧含量", "应联网", "纳入考核"])  # fmt: skip
    sheet.append([UNIT_A, "小店恒泰热电有限公司", 140100, 140105, "DA001", "废气", MN_1,
                  "012345", "a21026:35", 6, 1, 1])  # fmt: skip
    sheet.append([UNIT_A, "小店恒泰热电有限公司", 140100, 140105, "DW001", "废水",
                  123456789012345678901234, 123456, "w01018:50", None, 1, 1])  # fmt: skip
    sheet.append([UNIT_B, "迎泽南污水处理厂", 140100.0, 140106, None, None, None, None, None,
                  None, 1, 0])  # fmt: skip
    workbook.save(path)
    report = import_file(store, path)
    assert report.rejected_lines == [3]
    assert "line 3: mn: the cell holds the number" in problems(report)[0]
    (point,) = store.list_points()
    assert (point.mn, point.pw, point.o2_ref, point.county_code) == (MN_1, "012345", 6.0, "140105")
    assert store.query("SELECT unit_id, assessed FROM units ORDER BY unit_id") == sorted(
        [(UNIT_A, True), (UNIT_B, False)]
    )


def test_file_level_errors(tmp_path, store):
    with pytest.raises(RegistryFileError, match="missing column"):
        import_file(store, write(tmp_path, "unit_id,unit_name,city_code\nx,y,140100\n"))
    with pytest.raises(RegistryFileError, match="no header row"):
        import_file(store, write(tmp_path, "a,b,c\n1,2,3\n"))
    with pytest.raises(RegistryFileError, match=r"\.xls"):
        import_file(store, write(tmp_path, "x", name="old.xls"))
    with pytest.raises(RegistryFileError, match="no such file"):
        import_file(store, tmp_path / "missing.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(HEADER.encode() + b"\n\xff\xff\xff\xfe\x80\x80\n")
    with pytest.raises(RegistryFileError, match="neither UTF-8 nor GB18030"):
        import_file(store, binary)


def test_import_rows_accepts_dicts_with_chinese_keys(store):
    rows = [{"统一社会信用代码": UNIT_A, "单位名称": "甲", "市代码": "140100",
             "区县代码": "140105", "排口编号": "DA001", "排口类型": "gas", "MN": MN_1,
             "密码": "111111", "监测因子": "a21026"}]  # fmt: skip
    report = import_rows(store, rows)
    assert report.ok and report.counts.points_new == 1
    assert "1 of 1 rows imported" in str(report)
