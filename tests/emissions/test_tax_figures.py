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
