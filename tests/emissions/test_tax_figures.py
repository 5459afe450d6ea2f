"""Tax figures a bureau can sign (issue 11): payable totals without the lines whose data may
not be the tax basis, money to the fen as the tax form, rates only for configured provinces,
the whole water table of the tax law, the stopped-minutes rule as a setting."""

from __future__ import annotations

from datetime import date

import pytest

from envmon.emissions.tax import PollutantMonth, compute_tax, to_fen
from envmon.reports.emissions import tax_json

NOV = date(2026, 11, 1)


def _so2(unit: str, outlet: str, kg: float, **kw) -> PollutantMonth:
    return PollutantMonth(unit, outlet, "gas", "a21026", kg, province_code="140000", **kw)


def test_money_is_rounded_to_the_fen_half_up():
    # 环境保护税纳税申报表 (国家税务总局公告2018年第7号): 金额单位 元至角分
    assert to_fen(5456.842105263158) == 5456.84
    assert to_fen(2.675) == 2.68 and to_fen(0.125) == 0.13  # half up, not to even
    # the figure: 2 880 kg SO2 → 3 031.578… eq × 1.8 ¥ = 5 456.842105… ¥
    line = compute_tax([_so2("U", "DA001", 2880.0)], NOV)[0]
    assert line.payable_yuan == 5456.84 and line.gross_yuan == 5456.84 and line.relief_yuan == 0
    reduced = compute_tax([_so2("U", "DA001", 2880.0, mean_conc=10.0, limit=100.0)], NOV)[0]
    assert reduced.reduction == 0.5
    # the form: 减免税额 = 应纳税额 × 50 % to the fen; payable = gross − relief
    assert (reduced.gross_yuan, reduced.relief_yuan, reduced.payable_yuan) == \
        (5456.84, 2728.42, 2728.42)


def test_unusable_lines_are_out_of_the_payable_total_and_shown_apart():
    lines = compute_tax([_so2("U", "DA001", 2880.0), _so2("U", "DA002", 1000.0)], NOV)
    lines[0].extra["usable_for_tax"] = True
    lines[1].extra["usable_for_tax"] = False  # capture rate < 75 %
    data = tax_json(lines, "2026-11")
    unit = data["units"][0]
    assert unit["tax_yuan"] == 5456.84  # not 5456.84 + 1894.74
    assert unit["unusable_tax_yuan"] == 1894.74
    assert data["total_yuan"] == 5456.84 and data["unusable_total_yuan"] == 1894.74
    by_outlet = {x["outlet_id"]: x for x in unit["lines"]}
    assert by_outlet["DA002"]["tax"] == 1894.74 and not by_outlet["DA002"]["usable_for_tax"]
    assert by_outlet["DA001"]["gross"] == 5456.84 and by_outlet["DA001"]["relief"] == 0.0
    assert all(round(x["tax"], 2) == x["tax"] for x in unit["lines"])


def test_bulletin_footnote_names_the_unusable_sum():
    from envmon.reports.emissions import tax_bulletin

    lines = compute_tax([_so2("U", "DA001", 2880.0), _so2("U", "DA002", 1000.0)], NOV)
    lines[1].extra["usable_for_tax"] = False
    notes = " ".join(tax_bulletin(lines, "2026-11").footnotes)
    assert "合计：5456.84 元" in notes and "1894.74" in notes


@pytest.mark.parametrize("value", [0.005, 1.005, 1234.565, 0.0])
def test_to_fen_never_leaves_float_dust(value):
    assert to_fen(value) == round(to_fen(value), 2)


# ---------------------------------------------------------------- item 14: province rates
SHANXI_UNIT, BEIJING_UNIT = "91140100MA0GTAX001", "91110000MA0GTAX002"


@pytest.fixture(scope="module")
def two_provinces(tmp_path_factory):
    """A Shanxi unit and a Beijing unit, each with a gas point and a day of hourly data."""
    from datetime import datetime, timedelta

    from envmon.registry.importer import import_rows
    from envmon.sim.values import SimPoint, period_values
    from envmon.store import RawPacketRow, RecordRow, open_store
    from envmon.timeutil import BEIJING_FIXED

    month = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
    path = tmp_path_factory.mktemp("taxprov") / "t.duckdb"
    store = open_store(path)
    places = {SHANXI_UNIT: ("山西省", "太原市", "140100", "小店区", "140105",
                            "TAXSX0000000000000000001"),
              BEIJING_UNIT: ("北京市", "市辖区", "110100", "朝阳区", "110105",
                             "TAXBJ0000000000000000002")}
    rows, records, raws = [], [], []
    for unit, (province, city, city_code, county, county_code, mn) in places.items():
        rows.append({"province": province, "city": city, "city_code": city_code,
                     "county": county, "county_code": county_code, "unit_id": unit,
                     "unit_name": f"{province}热电厂", "must_network": "1", "assessed": "1",
                     "outlet_id": "DA001", "outlet_name": "1号烟囱", "kind": "gas", "mn": mn,
                     "pw": "123456", "factors": "a21026:35", "o2_ref": "6",
                     "standard": "GB 13223-2011"})
        point = SimPoint(mn, "123456", "gas", {"a21026": 35.0}, 6.0, unit)
        raws.append(RawPacketRow(month, "test", "accepted", None, mn, "2061", None, b""))
        for k in range(24):
            hour = month + timedelta(hours=k)
            for code, f in period_values(point, hour, 3600, 5).items():
                records.append(RecordRow(
                    mn, "2061", hour, code, code, None, f.get("Avg"), f.get("Min"),
                    f.get("Max"), f.get("Cou"), None, f.get("ZsAvg"), f.get("Flag"), None,
                    None, hour + timedelta(hours=1), None))
    import_rows(store, rows)
    store.write_batch(raws, records)
    store.close()
    return path


def _tax(path, *extra):
    import json

    from typer.testing import CliRunner

    from envmon.cli import app

    result = CliRunner().invoke(app, ["tax", "--db", str(path), "--month", "2026-11", *extra])
    return result, (json.loads(result.stdout) if result.exit_code == 0 else None)


def test_a_unit_of_a_province_without_rates_is_refused_naming_the_province(two_provinces):
    result, _ = _tax(two_provinces)
    assert result.exit_code == 1, result.output
    assert "北京市 (110000)" in result.output and BEIJING_UNIT in result.output
    assert "Traceback" not in result.output
    only_beijing, _ = _tax(two_provinces, "--unit", BEIJING_UNIT)
    assert only_beijing.exit_code == 1 and "北京市" in only_beijing.output


def test_a_unit_of_a_configured_province_is_computed_when_selected(two_provinces, tmp_path):
    result, data = _tax(two_provinces, "--unit", SHANXI_UNIT)
    assert result.exit_code == 0, result.output
    assert [u["unit_id"] for u in data["units"]] == [SHANXI_UNIT] and data["not_taxed"] == []
    assert data["units"][0]["lines"][0]["rate"] == 1.8 and data["units"][0]["lines"][0]["tax"] > 0
    # with Beijing's rates configured, both units are computed, each at its own rate
    conf = tmp_path / "tax.toml"
    conf.write_text('[[rates]]\nprovince_code = "110000"\nprovince = "北京市"\nair = 12.0\n'
                    'water = 14.0\nvalid_from = 2018-01-01\n', encoding="utf-8")
    result, data = _tax(two_provinces, "--tax-config", str(conf))
    assert result.exit_code == 0, result.output
    rates = {u["unit_id"]: u["lines"][0]["rate"] for u in data["units"]}
    assert rates == {SHANXI_UNIT: 1.8, BEIJING_UNIT: 12.0}


def test_compute_tax_refuses_an_unconfigured_province():
    from envmon.emissions.tax import UnconfiguredProvinceError

    with pytest.raises(UnconfiguredProvinceError, match="110000"):
        compute_tax([PollutantMonth("B", "DA001", "gas", "a21026", 95.0,
                                    province_code="110000")], NOV)


# ---------------------------------------------------------------- item 19: stopped minutes
def test_the_stopped_minutes_rule_is_a_setting():
    from datetime import datetime, timedelta

    from envmon.emissions.accounting import AccountingConfig
    from envmon.emissions.hourly import hourly_from_minutes

    t0 = datetime(2026, 11, 1, 8)
    # 20 valid, 25 stopped, 15 fault minutes: invalid by default (25 ≤ 30 F minutes)
    minutes = [(t0 + timedelta(minutes=k), 10.0,
                "N" if k < 20 else "F" if k < 45 else "D") for k in range(60)]
    assert hourly_from_minutes(minutes)[t0].status == "invalid"
    assert hourly_from_minutes(minutes, stopped_over=20)[t0].status == "stopped"
    assert AccountingConfig().stopped_over_minutes == 30
    with pytest.raises(ValueError, match="stopped_over"):
        hourly_from_minutes(minutes, stopped_over=61)


# ---------------------------------------------------------------- item 18: the water table
def test_the_water_items_of_the_tax_law_with_an_hj212_code_are_all_taxed():
    from envmon.emissions.tax import (
        WATER_CLASS1_EQUIVALENT_KG,
        WATER_ITEM_BY_FACTOR,
        equivalent_value_kg,
        tax_item,
    )

    # 环境保护税法 Annex 2 (emissions.md §9.2) × HJ 212-2017 Table B.1 codes
    assert tax_item("water", "w20126") == "总银" and tax_item("water", "w20127") == "总铍"
    assert tax_item("water", "w25043") == "苯并(a)芘"
    assert tax_item("water", "w21019") == "硫化物"
    assert tax_item("water", "w19002") == "阴离子表面活性剂"
    assert tax_item("water", "w20124") == "总锰" and tax_item("water", "w20128") == "总硒"
    assert set(WATER_CLASS1_EQUIVALENT_KG) <= set(WATER_ITEM_BY_FACTOR.values())
    for item in WATER_ITEM_BY_FACTOR.values():
        assert equivalent_value_kg("water", item) > 0


def test_a_sulphide_outlet_gets_sulphide_into_the_top_three():
    water = [PollutantMonth("U", "DW001", "water", code, kg, province_code="140000")
             for code, kg in (("w01018", 100.0), ("w21003", 8.0), ("w21011", 1.0),
                              ("w21019", 5.0))]  # eq 100, 10, 4, 40
    lines = {t.factor: t for t in compute_tax(water, NOV)}
    assert lines["w21019"].taxed and lines["w21019"].equivalents == pytest.approx(40.0)
    assert not lines["w21011"].taxed  # 4 eq is now fourth


def test_factors_without_a_tax_line_are_reported_not_dropped():
    from envmon.emissions.accounting import PollutantResult, not_taxed

    def result(kind, factor):
        return PollutantResult("MN1", "U", "单位", "DW001", "总排口", "140105", "140100",
                               kind, factor, None, [], 100.0)

    rows = not_taxed([result("water", f) for f in
                      ("w01018", "w01001", "w01002", "w21001", "w99001", "w00000")])
    reasons = {r["factor"]: r["reason"] for r in rows}
    assert set(reasons) == {"w01001", "w01002", "w21001", "w99001"}  # COD taxed, flow a parameter
    assert "pH" in reasons["w01001"] and "吨" in reasons["w01001"]
    assert "总氮" in reasons["w21001"] and "w99001" in reasons["w99001"]
    assert not not_taxed([result("gas", f) for f in ("a21026", "a00000", "a19001", "a21003")])
    assert not_taxed([result("gas", "a24088")])[0]["factor"] == "a24088"  # NMHC: no item
