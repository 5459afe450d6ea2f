"""Ranking: JSON shape, eligibility (数据不足), district tallies and sentences."""

from __future__ import annotations

from datetime import datetime

from envmon.period import Period
from envmon.roads.rank import SegmentValue, district_sentence, ranking
from envmon.timeutil import BEIJING_FIXED


def test_month_bounds_are_beijing_months():
    month = Period.month("2026-12", allow_future=True)
    a, b = month.start, month.end
    assert a == datetime(2026, 12, 1, tzinfo=BEIJING_FIXED)
    assert b == datetime(2027, 1, 1, tzinfo=BEIJING_FIXED)


def test_sentence_form():
    assert district_sentence({"小店区": 12, "杏花岭区": 1}) == "其中，涉及小店区12条、杏花岭区1条。"


def sv(i, value, district, eligible=True):
    return SegmentValue(f"S{i}", f"路{i}甲路口至乙路口", f"路{i}", district, 400.0, value,
                        value - 5, value + 5, 20 if eligible else 3, 9 if eligible else 2,
                        3, eligible)


def test_ranking_json_shape_and_counts():
    values = [sv(i, 50 + i, ["小店区", "杏花岭区", "综改示范区"][i % 3]) for i in range(30)]
    values += [sv(100 + i, 999, "小店区", eligible=False) for i in range(4)]
    month = Period.month("2026-10")
    a, b = month.start, month.end
    r = ranking(values, a, b, "pm10", top=20)
    assert set(r) == {"from", "to", "pollutant", "dirty", "clean", "district_counts",
                      "sentence", "insufficient"}
    assert r["insufficient"] == 4
    assert len(r["dirty"]) == len(r["clean"]) == 20
    assert set(r["dirty"][0]) == {"rank", "segment_id", "name", "road", "district", "value",
                                  "n_passes", "n_days", "n_taxis"}
    assert r["dirty"][0]["value"] == 79 and r["clean"][0]["value"] == 50  # 数据不足 not ranked
    assert [i["rank"] for i in r["dirty"]] == list(range(1, 21))
    for side in ("dirty", "clean"):
        assert sum(r["district_counts"][side].values()) == 20
        assert r["sentence"][side].startswith("其中，涉及")
