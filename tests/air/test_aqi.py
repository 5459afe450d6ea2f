"""IAQI/AQI (HJ 633-2012) against worked examples.

Sources: HJ 633-2012 Table 1 (breakpoints, notes 2 and 3) and §5 (formula 1), as tabulated in
the standards note (shared/standards/airquality.md §1); ceil rounding confirmed against
published CNEMC station AQIs (note §1.2, example PM2.5 60 → 81.25 → 82); the python-aqi
comparison table of note §5 (CO 2.5 → 63, CO 3.9 → 98, CO 1-h 5.5 → 55, PM10 50.6 → 51,
PM2.5 75.4 → 101, NO2 40.5 → 51, SO2 1-h 900 → SO2 24-h IAQI, O3 8-h 900 → O3 1-h IAQI).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from envmon.air import aqi
from envmon.air.standards import BREAKPOINTS_2012, IAQI_LEVELS, standard_for


@pytest.mark.parametrize("term", sorted(BREAKPOINTS_2012))
def test_every_breakpoint_maps_exactly_to_its_iaqi(term):
    # HJ 633-2012 Table 1: each concentration breakpoint gives exactly its IAQI (no 101 at 75).
    for conc, level in zip(BREAKPOINTS_2012[term], IAQI_LEVELS, strict=True):
        if math.isnan(conc):
            continue
        assert aqi.iaqi(term, conc) == level, (term, conc)


@pytest.mark.parametrize(
    ("term", "conc", "expected"),
    [
        ("pm25_24h", 75, 100),  # issue 6: 75 → 100
        ("pm25_24h", 75.4, 101),  # issue 6 / note §5: 101 on the raw value
        ("pm25_24h", 60, 82),  # note §1.2: 81.25 → ceil 82
        ("co_24h", 2.5, 63),  # note §5: 62.5 → 63
        ("co_24h", 3.9, 98),  # note §5: 97.5 → 98
        ("co_1h", 5.5, 55),  # note §5
        ("pm10_24h", 50.6, 51),  # note §5: 50.3 → 51
        ("no2_24h", 40.5, 51),  # note §5: raw value
        ("no2_24h", 40, 50),
        ("pm25_24h", 35.1, 51),  # first value above the 50 breakpoint is rounded up
        ("so2_24h", 475, 150),
        ("o3_8h", 800, 300),
        ("pm25_24h", 0, 0),
    ],
)
def test_worked_examples_and_ceil(term, conc, expected):
    assert aqi.iaqi(term, conc) == expected


def test_rounded_concentration_then_iaqi():
    # note §5: PM2.5 75.4 → 100 after GB/T 8170 rounding to 75; NO2 40.5 → 40 (half-even) → 50
    assert aqi.iaqi("pm25_24h", aqi.round_concentration("pm25", 75.4)) == 100
    assert aqi.iaqi("no2_24h", aqi.round_concentration("no2", 40.5)) == 50
    assert aqi.iaqi("no2_24h", aqi.round_concentration("no2", 41.5)) == 53  # 42 → 52.5 → 53


def test_top_breakpoint_fallbacks():
    # note §1.1: above the top breakpoint CNEMC publishes 500 (PM10 observed, others assumed)
    assert aqi.iaqi("pm10_24h", 601) == 500
    assert aqi.iaqi("pm25_24h", 900) == 500
    assert aqi.iaqi("co_1h", 151) == 500
    # Table 1 notes 2 and 3: no 1-h SO2 IAQI above 800, no 8-h O3 IAQI above 800
    assert np.isnan(aqi.iaqi("so2_1h", 800.5))
    assert aqi.iaqi("so2_1h", 800) == 200
    assert np.isnan(aqi.iaqi("o3_8h", 900))


def test_realtime_so2_above_800_uses_the_24h_iaqi():
    # Table 1 note 2: SO2 1-h 900 → the SO2 24-h IAQI is reported (24-h 300 → 150 + …)
    result = aqi.realtime_aqi({"so2": np.array([900.0, 100.0])}, so2_24h=np.array([300.0, 50.0]),
                              require_all=False)
    expected_24h = aqi.iaqi("so2_24h", 300)  # (150-100)/(475-150)*(300-150)+100 = 123.08 → 124
    assert expected_24h == 124
    assert list(result.iaqi["so2"]) == [124, 34]  # 1-h 100 → 100*50/150 = 33.3 → 34
    assert list(result.aqi) == [124, 34]


def test_daily_o3_8h_above_800_uses_the_o3_1h_iaqi():
    # Table 1 note 3
    day = {"so2": [10], "no2": [20], "co": [0.5], "pm10": [40], "pm25": [20],
           "o3_1h": [1000.0], "o3_8h": [900.0]}
    result = aqi.daily_aqi({k: np.array(v, float) for k, v in day.items()})
    assert result.iaqi["o3_8h"][0] == 400 and result.aqi[0] == 400
    assert result.primary(0) == ["臭氧1小时", "臭氧8小时"]


def test_realtime_uses_24h_columns_for_particles_and_1h_for_gases():
    # note §1.3: PM with the 24-h columns on the 1-h value; gases with 1-h columns
    result = aqi.realtime_aqi({"pm25": np.array([75.0]), "no2": np.array([200.0]),
                               "co": np.array([10.0]), "o3": np.array([160.0])},
                              require_all=False)
    assert result.iaqi["pm25"][0] == 100
    assert result.iaqi["no2"][0] == 100 and result.iaqi["co"][0] == 100
    assert result.iaqi["o3"][0] == 50
    # O3 8-h switch (default off): only when the rolling 8-h value is given
    assert "o3_8h" not in result.iaqi
    on = aqi.realtime_aqi({"o3": np.array([160.0])}, o3_8h=np.array([215.0]), require_all=False)
    assert np.isnan(aqi.realtime_aqi({"o3": np.array([160.0])}).aqi[0])  # others missing
    assert on.aqi[0] == 150


def test_primary_pollutant_rules():
    # note §1.4: none when AQI ≤ 50; ties listed in CNEMC wording, comma-joined by callers
    assert aqi.primary_pollutants(50, {"pm25": 50.0}) == []
    assert aqi.primary_pollutants(120, {"pm10": 120.0, "pm25": 120.0, "no2": 30.0}) == [
        "颗粒物(PM10)", "细颗粒物(PM2.5)"]
    assert aqi.exceeding_pollutants({"pm10": 120.0, "pm25": 100.0}) == ["颗粒物(PM10)"]


def test_daily_aqi_requires_all_pollutants_by_default():
    day = {"so2": [10, 10], "no2": [20, 20], "co": [0.5, 0.5], "pm10": [40, 40],
           "pm25": [60, np.nan], "o3_1h": [100, 100], "o3_8h": [90, 90]}
    arrays = {k: np.array(v, float) for k, v in day.items()}
    strict = aqi.daily_aqi(arrays)
    assert strict.aqi[0] == 82 and np.isnan(strict.aqi[1])
    loose = aqi.daily_aqi(arrays, require_all=False)
    assert loose.aqi[1] == 45  # max of O3 8-h 90 → 45, PM10 40 → 40, O3 1-h 100 → 32 …
    assert strict.primary(0) == ["细颗粒物(PM2.5)"]


@pytest.mark.parametrize(
    ("value", "level", "category", "rgb"),
    [(0, "一级", "优", (0, 228, 0)), (50, "一级", "优", (0, 228, 0)),
     (51, "二级", "良", (255, 255, 0)), (100, "二级", "良", (255, 255, 0)),
     (101, "三级", "轻度污染", (255, 126, 0)), (150, "三级", "轻度污染", (255, 126, 0)),
     (151, "四级", "中度污染", (255, 0, 0)), (201, "五级", "重度污染", (153, 0, 76)),
     (300, "五级", "重度污染", (153, 0, 76)), (301, "六级", "严重污染", (126, 0, 35)),
     (500, "六级", "严重污染", (126, 0, 35))],
)
def test_levels_and_colours(value, level, category, rgb):
    # HJ 633-2012 Table 2 (note §1.4)
    got = aqi.level_of(value)
    assert (got.level, got.category, got.rgb) == (level, category, rgb)
    assert aqi.level_of(float("nan")) is None


def test_standard_chosen_by_date():
    from datetime import date

    assert standard_for(date(2026, 2, 28)).name == "2012"
    s26 = standard_for(date(2026, 3, 1))
    # note §6 (confirmed): PM2.5 transitional Grade II annual 30 / 24-h 60 to 2030-12-31
    assert s26.name == "2026" and s26.limit("annual", "pm25") == 30
    assert s26.limit("24h", "pm25") == 60
    assert standard_for(date(2031, 1, 1)).limit("annual", "pm25") == 25
    assert s26.unverified  # new PM breakpoints are not applied until confirmed
    with pytest.raises(ValueError, match="unknown standard"):
        standard_for(None, "2030")
