"""Statistics, validity, rounding and the composite index against worked examples.

Sources (all as quoted in shared/standards/airquality.md):
- GB/T 8170 "四舍六入五成双" applied by HJ 663-2013 §6.3 (note §3.4);
- GB 3095-2012 Table 4 validity: 24-h ≥ 20 hours, 8-h ≥ 6 hours, annual ≥ 324 days and
  ≥ 27 per month (February ≥ 25) (note §2.2);
- HJ 663-2013 Annex A (hour labels, 8-h windows, MDA8 windows 8:00–24:00, city values) and
  §6.1 (MDA8 ≥ 14 windows or exceeding, city ≥ 75 % / 50 % of stations) (note §3.2, §3.3);
- HJ 663-2013 Annex A.6 percentile, example 1…10, p95 → 9.55 (note §3.5);
- MEE ranking method (《城市环境空气质量排名技术规定》), synthetic example of note §4.2:
  4.5179 → 4.52 with load shares 25.3/22.1/22.1/19.4/6.6/4.4 %;
- HJ 663-2013 Annex C (note §4.1); Annex B Spearman (note §3.6);
- good-day share example 3 of 7 → 42.9 % (note §1.5).
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest

from envmon.air import rounding, stats
from envmon.air.standards import standard_for

NAN = float("nan")


# ------------------------------------------------------------------ rounding
@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [(2.5, 0, 2), (3.5, 0, 4), (0.5, 0, 0), (1.5, 0, 2), (2.51, 0, 3), (2.49, 0, 2),
     (2.675, 2, 2.68),  # binary 2.67499999… but the decimal 2.675 → even 2.68
     (0.125, 2, 0.12), (0.135, 2, 0.14), (1.05, 1, 1.0), (1.15, 1, 1.2), (1.2501, 1, 1.3),
     (4.51785, 2, 4.52), (42.85714, 1, 42.9), (-2.5, 0, -2)],
)
def test_gbt8170_round_half_even_on_the_decimal_value(value, decimals, expected):
    # GB/T 8170 (note §3.4): 5 as last digit → even; digits after the 5 → up
    assert rounding.round_gbt8170(value, decimals) == expected
    assert rounding.round_gbt8170_array(np.array([value]), decimals)[0] == expected


def test_vectorised_rounding_matches_decimal_on_many_values():
    rng = random.Random(8170)
    values = [round(rng.uniform(0, 500), rng.choice([1, 2, 3])) for _ in range(5000)]
    values += [k / 2 for k in range(0, 400)] + [k / 20 for k in range(0, 400)]
    for decimals in (0, 1, 2):
        got = rounding.round_gbt8170_array(np.array(values), decimals)
        q = Decimal(1).scaleb(-decimals)
        want = [float(Decimal(repr(v)).quantize(q, ROUND_HALF_EVEN)) for v in values]
        assert got.tolist() == want
    assert rounding.round_gbt8170(None) is None
    assert np.isnan(rounding.round_gbt8170_array(np.array([NAN]))[0])


def test_iaqi_ceil_snaps_float_noise():
    # note §1.2: exact breakpoints must not become 101 through float noise
    assert rounding.ceil_iaqi(100.00000000001) == 100
    assert rounding.ceil_iaqi(81.25) == 82


# ------------------------------------------------------------------ percentile (HJ 663 A.6)
def test_percentile_annex_a6_example():
    assert stats.percentile(range(1, 11), 95) == pytest.approx(9.55)
    assert rounding.round_gbt8170(stats.percentile(range(1, 11), 95), 1) == 9.6
    # k integer → X(s): n = 5, p = 50 → k = 3 → X(3)
    assert stats.percentile([5, 1, 4, 2, 3], 50) == 3
    # k = 1 + 9·0.9 = 9.1 → X(9) + 0.1·(X(10) − X(9))
    assert stats.percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 200], 90) == pytest.approx(101)
    assert stats.percentile([7.0], 95) == 7.0 and math.isnan(stats.percentile([], 95))
    x = np.array([[3.0, 1, 2, NAN, 10], [NAN] * 5])
    got = stats.nanpercentile_rows(x, 95)
    assert got[0] == pytest.approx(stats.percentile([3, 1, 2, 10], 95)) and np.isnan(got[1])


# ------------------------------------------------------------------ daily values and validity
def test_24h_mean_needs_20_hours():
    day = np.full(24, 50.0)
    day[:4] = NAN  # 20 values: valid
    assert stats.daily_mean(day[None, None, :])[0, 0] == 50
    day[4] = NAN  # 19 values: invalid (GB 3095-2012 Table 4)
    assert np.isnan(stats.daily_mean(day[None, None, :])[0, 0])


def test_8h_windows_are_labelled_8_to_24_and_need_6_hours():
    # HJ 663 A: window at X averages labels X−7…X; MDA8 uses windows labelled 8:00…24:00
    hours = np.arange(1, 25, dtype=float)  # value = label
    windows = stats.eight_hour_windows(hours)
    assert windows.shape == (17,)
    assert windows[0] == pytest.approx(np.mean(range(1, 9)))  # label 8: hours 1…8
    assert windows[-1] == pytest.approx(np.mean(range(17, 25)))  # label 24: hours 17…24
    gappy = hours.copy()
    gappy[[0, 1]] = NAN  # window 8 has 6 values: valid
    assert stats.eight_hour_windows(gappy)[0] == pytest.approx(np.mean(range(3, 9)))
    gappy[2] = NAN  # 5 values: invalid
    assert np.isnan(stats.eight_hour_windows(gappy)[0])


def test_mda8_is_max_of_window_means_within_the_day():
    o3 = np.full(24, 100.0)
    o3[12:20] = 200.0  # labels 13…20 → the window labelled 20 averages 200
    assert stats.mda8(o3[None, :])[0] == 200
    # hours before 8:00 never enter a window ending before 8:00 (no previous-day windows)
    early = np.full(24, 50.0)
    early[0] = 900.0  # label 1 only enters the window labelled 8 → (900 + 7·50)/8
    assert stats.mda8(early[None, :])[0] == pytest.approx((900 + 7 * 50) / 8)


def test_mda8_validity_14_windows_or_exceeding():
    # HJ 663-2013 §6.1: ≥ 14 valid 8-h values; with fewer, an exceeding MDA8 is still valid
    o3 = np.full(24, 100.0)
    o3[21:24] = NAN  # windows 22,23,24 have < 6 values? window 24: hours 17…24 → 5 valid
    windows = stats.eight_hour_windows(o3)
    assert int((~np.isnan(windows)).sum()) == 16
    assert stats.mda8(o3[None, :])[0] == 100
    low = np.full(24, NAN)
    low[0:19] = 100.0  # windows 8…21 valid? window 21 (14…21): 6 valid → 14 windows
    assert int((~np.isnan(stats.eight_hour_windows(low))).sum()) == 14
    assert stats.mda8(low[None, :])[0] == 100
    low[18] = NAN  # 13 windows, max 100 ≤ 160: invalid
    assert np.isnan(stats.mda8(low[None, :])[0])
    high = low * 2  # 13 windows but max 200 > 160: valid
    assert stats.mda8(high[None, :])[0] == 200


def test_station_daily_rounds_hourly_base_data_first():
    # HJ 663 §6.3: hourly base data rounded per GB/T 8170 before use: 20 hours of 10.5 → 10
    hourly = np.full((1, 1, 24), NAN)
    hourly[0, 0, :20] = 10.5
    daily = stats.station_daily({"pm25": hourly})
    assert daily["pm25"][0, 0] == 10
    assert stats.station_daily({"pm25": hourly}, round_hourly=False)["pm25"][0, 0] == 10.5


def test_city_value_excludes_non_city_stations_and_needs_75_percent():
    # HJ 663 A (城市点 only) and §6.1 (≥ 75 %, or ≥ 50 % below 4 stations)
    values = np.array([[10.0], [20.0], [30.0], [NAN], [1000.0]])
    city_of = np.array([0, 0, 0, 0, -1])  # station 5 is a control station
    assert stats.city_mean(values, city_of, np.array([4]))[0, 0] == 20  # 3/4 valid: ok
    values[2, 0] = NAN
    assert np.isnan(stats.city_mean(values, city_of, np.array([4]))[0, 0])  # 2/4
    two = np.array([[10.0], [NAN]])
    assert stats.city_mean(two, np.array([0, 0]), np.array([2]))[0, 0] == 10  # 1/2 = 50 %
    three = np.array([[10.0], [NAN], [NAN]])
    assert np.isnan(stats.city_mean(three, np.array([0, 0, 0]), np.array([3]))[0, 0])
    assert list(stats.city_required_stations(np.array([1, 2, 3, 4, 5, 8]))) == [1, 1, 2, 3, 4, 6]


def _days(start: date, n: int) -> list[date]:
    return [start + timedelta(i) for i in range(n)]


def test_period_validity_month_and_year_counts():
    # GB 3095 Table 4 / HJ 663 §6.1: ≥ 27 per month (February ≥ 25), ≥ 324 per year
    nov = _days(date(2026, 11, 1), 30)
    valid = np.ones((1, 30), bool)
    valid[0, :3] = False  # 27 valid
    assert stats.period_validity(valid, nov)[0]
    valid[0, 3] = False  # 26 valid
    assert not stats.period_validity(valid, nov)[0]
    feb = _days(date(2026, 2, 1), 28)
    v = np.ones((1, 28), bool)
    v[0, :3] = False  # 25 valid in February
    assert stats.period_validity(v, feb)[0]
    v[0, 3] = False
    assert not stats.period_validity(v, feb)[0]
    year = _days(date(2025, 1, 1), 365)
    vy = np.ones((1, 365), bool)
    # 27 valid days in each 30/31-day month, 25 in Feb → 12 months ok but total < 324?
    for m in range(1, 13):
        idx = [i for i, d in enumerate(year) if d.month == m]
        keep = 25 if m == 2 else 27
        vy[0, idx[keep:]] = False
    assert int(vy.sum()) == 322
    assert not stats.period_validity(vy, year)[0]  # every month passes, the year does not
    week = _days(date(2026, 11, 3), 7)  # no complete month: no count rule
    assert stats.period_validity(np.zeros((1, 7), bool), week)[0]


def test_period_stats_means_and_percentiles_with_validity():
    days = _days(date(2026, 11, 1), 30)
    daily = {k: np.arange(1.0, 31.0)[None, :] for k in ("so2", "no2", "pm10", "pm25", "co")}
    daily["o3_8h"] = np.arange(1.0, 31.0)[None, :]
    got = stats.period_stats(daily, days)
    assert got.conc["pm25"][0] == 15.5  # mean of daily values
    assert got.conc["co"][0] == pytest.approx(stats.percentile(range(1, 31), 95))
    assert got.conc["o3"][0] == pytest.approx(stats.percentile(range(1, 31), 90))
    daily["pm25"] = daily["pm25"].copy()
    daily["pm25"][0, :4] = NAN  # 26 days: the November mean is invalid (reported missing)
    got = stats.period_stats(daily, days)
    assert np.isnan(got.conc["pm25"][0]) and got.valid_days["pm25"][0] == 26
    assert stats.period_stats(daily, days, check_validity=False).conc["pm25"][0] == 17.5


# ------------------------------------------------------------------ composite index
EXAMPLE = {"pm25": 40, "pm10": 70, "so2": 12, "no2": 35, "co": 1.2, "o3": 160}


def test_composite_index_mee_method_worked_example():
    # note §4.2 synthetic example: 1.1429 + 1 + 0.2 + 0.875 + 0.3 + 1 = 4.5179 → 4.52
    c = stats.composite_index(EXAMPLE)
    assert c.index == pytest.approx(4.517857, abs=1e-6)
    assert c.published == 4.52
    assert c.load_shares == {"so2": 4.4, "no2": 19.4, "pm10": 22.1, "pm25": 25.3, "co": 6.6,
                             "o3": 22.1}
    rows = stats.composite_index_rows({k: np.array([v]) for k, v in EXAMPLE.items()})
    assert rows[0] == pytest.approx(c.index)


def test_composite_index_from_unrounded_statistics():
    # note §4.2: computed from unrounded statistics, only I_sum rounded
    conc = dict(EXAMPLE, pm25=40.4, no2=35.4)
    unrounded = stats.composite_index(conc).published
    from_rounded = stats.composite_index(dict(EXAMPLE)).published
    assert unrounded == 4.54 and from_rounded == 4.52


def test_composite_index_missing_pollutant_is_missing():
    c = stats.composite_index(dict(EXAMPLE, o3=NAN))
    assert c.index is None and c.published is None


def test_composite_index_hj663_annex_c():
    # note §4.1: I_i = max(annual/S_annual, percentile/S_24h); CO P95/4; O3 P90/160
    extra = {"so2_p98": 30, "no2_p98": 100, "pm10_p95": 120, "pm25_p95": 90}
    c = stats.composite_index(EXAMPLE, method="hj663", extra=extra)
    # SO2 max(12/60, 30/150)=0.2; NO2 max(35/40, 100/80)=1.25; PM10 max(1, 0.8)=1;
    # PM2.5 max(40/35, 90/75)=1.2; CO 0.3; O3 1 → 4.95, I_max 1.25
    assert c.published == 4.95 and c.max_index == 1.25
    with pytest.raises(ValueError):
        stats.composite_index(EXAMPLE, method="daily")


def test_composite_divisors_follow_the_standard():
    assert standard_for(None, "2012").composite_divisors() == {
        "so2": 60, "no2": 40, "pm10": 70, "pm25": 35, "co": 4, "o3": 160}


# ------------------------------------------------------------------ days, YoY, ranking, trend
def test_good_days_and_share():
    # note §1.5: 3 of 7 → 42.9 %; heavy > 200 includes severe > 300; missing days not counted
    got = stats.day_counts(np.array([50, 100, 101, 150, 201, 301, 99, NAN]))
    assert (got.valid_days, got.good_days, got.good_rate) == (7, 3, 42.9)
    assert (got.heavy_days, got.severe_days) == (2, 1)
    assert got.by_level == [1, 2, 2, 0, 1, 1]
    # sand-dust / exceptional-event switch removes flagged days
    excluded = np.array([0, 0, 0, 0, 0, 1, 0, 0], bool)
    assert stats.day_counts(np.array([50, 100, 101, 150, 201, 301, 99, NAN]), excluded
                            ).valid_days == 6


def test_yoy_change():
    # note §4.2: (I_this − I_last)/I_last × 100 %, 1 decimal; > 0 worse
    assert stats.yoy_change(4.05, 4.5) == -10.0
    assert stats.yoy_change(4.52, 4.0) == 13.0
    assert stats.yoy_change(1.0, 3.0) == -66.7
    assert stats.yoy_change(1.0, None) is None and stats.yoy_change(1.0, 0) is None


def test_competition_ranking_with_ties_at_two_decimals():
    # note §4.2: ascending, equal published values rank equal, 1, 2, 2, 4
    values = [4.52, 3.101, 3.104, 5.0, None, 3.1]
    assert stats.competition_rank(values) == [4, 1, 1, 5, None, 1]
    assert stats.competition_rank([1.0, 2.0, 2.0, 3.0]) == [1, 2, 2, 4]
    assert stats.competition_rank([-10.0, 5.0, -10.04], decimals=1) == [1, 3, 1]


def test_spearman_trend_annex_b():
    gamma, verdict = stats.spearman_trend([50, 48, 45, 44, 40])
    assert gamma == -1 and verdict == "下降"
    gamma, verdict = stats.spearman_trend([50, 52, 49, 51, 50.5])
    assert abs(gamma) < 0.9 and verdict == "无显著变化"


def test_city_mean_with_interleaved_stations():
    values = np.array([[10.0, NAN], [100.0, 200.0], [20.0, 30.0], [300.0, NAN]])
    city_of = np.array([0, 1, 0, 1])
    got = stats.city_mean(values, city_of, np.array([2, 2]))
    assert got.tolist() == [[15.0, 30.0], [200.0, 200.0]]
    none = stats.city_mean(values, np.array([-1, -1, -1, -1]), np.array([2]))
    assert np.isnan(none).all()


def test_exceedance_multiple_and_compliance_rate():
    # HJ 663-2013 §5 (note §3.1): B = (C − S)/S, 2 decimals; D = within / valid × 100 %, 1 decimal
    assert stats.exceedance_multiple(40, 35) == 0.14  # 0.142857…
    assert stats.exceedance_multiple(105, 70) == 0.5
    assert stats.exceedance_multiple(35, 35) is None and stats.exceedance_multiple(None, 35) is None
    # 3 of 7 valid days within 75 → 42.9 %; 75.4 is published as 75 (GB/T 8170): within
    daily = np.array([75.4, 76, 80, 50, 90, 100, 120, NAN])
    assert stats.compliance_rate(daily, 75) == 28.6  # 75.4→75 and 50: 2 of 7
    assert stats.compliance_rate(np.array([10.0, 80, 90, 60, 100, 20, 200]), 75) == 42.9
    assert stats.compliance_rate(np.array([NAN]), 75) is None
