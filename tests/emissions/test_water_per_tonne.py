"""Issue 11 item 18: the tax law's per-tonne water items and the units of heavy metals.

The per-tonne values are those of 环境保护税法附表二 part 三 (emissions.md §9.2; the law's annex
as published, e.g. https://puyuecs.com/bumenfagui/2016/09-08/13916-3.html): pH 0–1/13–14
0.06 t, 1–2/12–13 0.125 t, 2–3/11–12 0.25 t, 3–4/10–11 0.5 t, 4–5/9–10 1 t, 5–6 5 t (6–9 not
taxed; note 2: "pH5-6指大于等于5，小于6；pH9-10指大于9，小于等于10"), 色度 5 吨水·倍,
大肠菌群数（超标）3.3 吨污水, 余氯量 3.3 吨污水 (note 1: only one of the two is taxed). They are
其他类水污染物 and compete for the top three (Art. 9). The worked examples below are by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from envmon.emissions.accounting import (
    AccountingConfig,
    HourEmission,
    PollutantResult,
    monthly_tax,
    not_taxed,
)
from envmon.emissions.per_tonne import colour_multiple
from envmon.emissions.tax import PollutantMonth, compute_tax, ph_tonnes_per_equivalent
from envmon.registry.importer import import_rows
from envmon.store import RecordRow, open_store
from envmon.timeutil import BEIJING_FIXED

H0 = datetime(2026, 11, 3, 0, tzinfo=BEIJING_FIXED)
MONTH, NEXT = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED), datetime(2026, 12, 1,
                                                                      tzinfo=BEIJING_FIXED)


def _hours(values, volume=100.0, limit=None):
    return [HourEmission(H0 + timedelta(hours=k), v, v, volume, v * volume * 1e-3,
                         v * volume * 1e-3, "valid", None, "2061", limit)
            for k, v in enumerate(values)]


def _result(factor, values, limit=None, volume=100.0):
    return PollutantResult("MNW", "U", "单位", "DW001", "总排口", "140105", "140100", "water",
                           factor, limit, _hours(values, volume, limit), 100.0)


def test_ph_bands_and_their_edges_as_the_annex_note_fixes_them():
    assert ph_tonnes_per_equivalent(7.0) is None
    assert ph_tonnes_per_equivalent(6.0) is None and ph_tonnes_per_equivalent(9.0) is None
    assert ph_tonnes_per_equivalent(5.0) == 5.0  # 5–6: ≥ 5, < 6
    assert ph_tonnes_per_equivalent(4.99) == 1.0
    assert ph_tonnes_per_equivalent(10.0) == 1.0  # 9–10: > 9, ≤ 10
    assert ph_tonnes_per_equivalent(10.01) == 0.5
    assert ph_tonnes_per_equivalent(0.5) == 0.06 and ph_tonnes_per_equivalent(13.5) == 0.06
    assert ph_tonnes_per_equivalent(1.0) == 0.125 and ph_tonnes_per_equivalent(12.5) == 0.125
    assert ph_tonnes_per_equivalent(2.5) == 0.25 and ph_tonnes_per_equivalent(3.5) == 0.5


def test_ph_is_taxed_per_hour_and_takes_its_place_in_the_top_three():
    """Worked example (by hand). One water outlet, 10 hours of 100 m³ (= 100 t) each, Shanxi
    2.1 ¥ per equivalent, no limits (no reduction):
    COD 50 mg/L → 10 × 100 × 50 × 10⁻³ = 50 kg → 50 eq (value 1 kg);
    NH3-N 4 mg/L → 4 kg → 5 eq (0.8); TP 1 mg/L → 1 kg → 4 eq (0.25);
    pH 9.5, 9.5, 5.5, 7, 7, 7, 6.0, 9.0, 7, 7 → 100/1 + 100/1 + 100/5 = 220 eq (6.0 and 9.0 are
    in 6–9, not taxed).
    Other classes' top three: pH 220, COD 50, NH3-N 5 → (220 + 50 + 5) × 2.1 = 577.50 ¥;
    TP (4 eq) is fourth. The old code dropped pH: COD, NH3-N, TP = 59 × 2.1 = 123.90 ¥."""
    results = [_result("w01018", [50.0] * 10), _result("w21003", [4.0] * 10),
               _result("w21011", [1.0] * 10),
               _result("w01001", [9.5, 9.5, 5.5, 7, 7, 7, 6.0, 9.0, 7, 7])]
    lines = {t.factor: t for t in monthly_tax(None, MONTH, NEXT, results=results)}
    assert lines["w01001"].item == "pH值"
    assert lines["w01001"].equivalents == pytest.approx(220.0)
    assert lines["w01001"].taxed and lines["w01018"].taxed and lines["w21003"].taxed
    assert not lines["w21011"].taxed and "前三项" in lines["w21011"].reason
    assert "300.0 吨" in lines["w01001"].reason  # the tonnes outside 6–9 are shown
    assert lines["w01001"].equivalent_kg is None  # its value is in tonnes, not kg
    assert sum(t.payable_yuan for t in lines.values()) == pytest.approx(577.50)
    assert lines["w01001"].payable_yuan == 462.00
    assert not not_taxed(results)


def test_colour_and_coliform_count_the_tonnes_above_the_limit():
    """By hand. 色度 limit 50 倍, hours of 100 t at 80 and 40 倍: 超标倍数 (80 − 50)/50 = 0.6 →
    100 × 0.6 / 5 = 12 eq ("ratio" reading 80/50 = 1.6 → 32 eq). 粪大肠菌群 limit 1000 个/L,
    hours of 33 t at 5000, 200, 2000 → 66 t above / 3.3 = 20 eq."""
    assert colour_multiple(80.0, 50.0) == pytest.approx(0.6)
    assert colour_multiple(40.0, 50.0) == 0.0
    colour = _result("w01002", [80.0, 40.0], limit=50.0)
    coliform = _result("w02003", [5000.0, 200.0, 2000.0], limit=1000.0, volume=33.0)
    lines = {t.factor: t for t in monthly_tax(None, MONTH, NEXT, results=[colour, coliform])}
    assert lines["w01002"].equivalents == pytest.approx(12.0)
    assert lines["w02003"].equivalents == pytest.approx(20.0)
    assert lines["w02003"].item == "大肠菌群数（超标）"
    ratio = monthly_tax(None, MONTH, NEXT, results=[colour],
                        config=AccountingConfig(colour_multiple="ratio"))
    assert ratio[0].equivalents == pytest.approx(32.0)


def test_a_per_tonne_factor_that_cannot_be_counted_is_reported_with_why():
    no_limit = _result("w01002", [80.0])  # colour without a registered limit
    no_hours = PollutantResult("MNW", "U", "单位", "DW001", "总排口", "140105", "140100",
                               "water", "w01001", None, [], 100.0)
    assert monthly_tax(None, MONTH, NEXT, results=[no_limit, no_hours]) == []
    reasons = {r["factor"]: r["reason"] for r in not_taxed([no_limit, no_hours])}
    assert "限值" in reasons["w01002"] and "有效" in reasons["w01001"]


def test_coliform_and_residual_chlorine_are_one_item(monkeypatch):
    water = [PollutantMonth("U", "DW001", "water", "w02003", 0.0, province_code="140000",
                            equivalents=20.0),
             PollutantMonth("U", "DW001", "water", "w99998", 0.0, province_code="140000",
                            equivalents=30.0)]
    from envmon.emissions import tax

    # 余氯量 has no HJ 212 code: a registry code for it, as a bureau could map one
    monkeypatch.setitem(tax.WATER_PER_TONNE_BY_FACTOR, "w99998", "余氯量（用氯消毒的医院废水）")
    lines = {t.factor: t for t in compute_tax(water, MONTH.date())}
    assert lines["w99998"].taxed and not lines["w02003"].taxed
    assert "只征一项" in lines["w02003"].reason


# ------------------------------------------------------------------ heavy-metal units
WATER_MN = "010000A8900016F0001UNIT1"


def _store_tax(tmp_path, name, mercury, config=None):
    """10 hours of 100 m³ with 总汞 `mercury` (as sent) on a real store → the tax lines."""
    def row(factor, avg, cou, at):
        return RecordRow(WATER_MN, "2061", at, factor, factor, None, avg, None, None, cou,
                         None, None, "N", None, None, at + timedelta(minutes=5), None)

    with open_store(tmp_path / f"{name}.duckdb") as store:
        import_rows(store, [{
            "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
            "county_code": "140105", "unit_id": "91140100MA0GUNIT01", "unit_name": "电镀厂",
            "must_network": "1", "assessed": "1", "pw": "123456", "standard": "GB 8978-1996",
            "outlet_id": "DW001", "outlet_name": "车间排口", "kind": "water", "mn": WATER_MN,
            "factors": "w20111:0.05", "o2_ref": ""}])
        rows = []
        for k in range(10):
            at = H0 + timedelta(hours=k)
            rows += [row("w20111", mercury, None, at), row("w00000", 27.78, 100.0, at)]
        store.write_batch([], rows)
        return monthly_tax(store, MONTH, NEXT, config=config)


def test_mercury_in_ug_per_l_gives_the_tax_of_the_mg_per_l_figure(tmp_path):
    """HJ 212-2017 Table B.1 gives 总汞 (w20111) in µg/L (hj212.codes). By hand: 5 µg/L =
    0.005 mg/L × 100 m³ × 10⁻³ = 0.0005 kg/h, 10 h = 0.005 kg → 0.005 / 0.0005 = 10 eq; mean
    0.005 mg/L < 50 % of the GB 8978 limit 0.05 mg/L → pay 50 %: 10 × 2.1 × 0.5 = 10.50 ¥.
    The same water sent in mg/L (0.005, the `water_units` override) gives the same tax; the
    old code read 5 µg/L as 5 mg/L: 10 000 eq, above the limit, 21 000 ¥."""
    as_ug = _store_tax(tmp_path, "ug", 5.0)
    as_mg = _store_tax(tmp_path, "mg", 0.005,
                       AccountingConfig(water_units=(("w20111", "mg/L"),)))
    for lines in (as_ug, as_mg):
        (line,) = lines
        assert line.emission_kg == pytest.approx(0.005)
        assert line.equivalents == pytest.approx(10.0)
        assert line.reduction == 0.5 and line.payable_yuan == 10.50
    with pytest.raises(ValueError, match="water_units"):
        AccountingConfig(water_units=(("w20111", "ppm"),))
