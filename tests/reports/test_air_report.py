"""The monthly air bulletin's wording (envmon.reports.air)."""

from __future__ import annotations

from envmon.reports.air import summary_sentence


def _summary(**changes):
    base = {
        "city": "太原市", "from": "2025-11-01", "to": "2025-11-30", "composite_index": 4.5,
        "valid_days": 30, "good_days": 20, "good_rate": 66.7, "heavy_days": 2,
        "concentrations": {"pm25": 40},
    }
    base.update(changes)
    return base


def test_sentence_without_last_year():
    text = summary_sentence(_summary())
    assert text == ("2025年11月，太原市环境空气质量综合指数为4.50；"
                    "优良天数20天（有效监测天数30天），优良天数比例为66.7%；"
                    "重污染天数2天；PM2.5平均浓度为40微克/立方米。")


def test_sentence_with_worse_year_and_partial_period():
    yoy = {"composite_index": 3.2, "good_days": -4, "concentrations": {"pm25": 0.0}}
    text = summary_sentence(_summary(to="2025-11-15", yoy=yoy))
    assert text.startswith("2025-11-01至2025-11-15，太原市环境空气质量综合指数为4.50，同比上升3.2%")
    assert "优良天数同比减少4天" in text and "同比持平" in text


def test_sentence_when_the_index_cannot_be_computed():
    text = summary_sentence(_summary(composite_index=None, good_rate=None, valid_days=0,
                                     good_days=0, concentrations={"pm25": None}))
    assert "综合指数无法计算（有效数据不足）" in text and "PM2.5" not in text
