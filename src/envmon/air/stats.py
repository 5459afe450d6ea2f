"""Statistics of ambient air quality (GB 3095-2012 §6, HJ 663-2013), vectorised over numpy.

Array layout: hourly station values are `(stations, days, 24)`, slot j of day d being the 1-h
value **labelled** j+1 o'clock (the hour ending then; slot 23 is 24:00 = 00:00 of the next
date), as HJ 663-2013 Annex A labels them. Daily values are `(stations or cities, days)`.
Missing values are NaN everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from envmon.air.aqi import round_concentration
from envmon.air.rounding import round_gbt8170, round_gbt8170_array
from envmon.air.standards import DECIMALS, STANDARD_2012, Standard
from envmon.period import Period

MIN_HOURS_PER_DAY = 20  # GB 3095-2012 Table 4: 24-h value needs ≥ 20 hourly values
MIN_HOURS_PER_8H = 6  # GB 3095-2012 Table 4: 8-h value needs ≥ 6 hourly values
MIN_WINDOWS_MDA8 = 14  # HJ 663-2013 §6.1: MDA8 needs ≥ 14 valid 8-h values (8:00–24:00)
MIN_DAYS_PER_YEAR = 324  # GB 3095-2012 Table 4 / HJ 663-2013 §6.1
MIN_DAYS_PER_MONTH = 27
MIN_DAYS_FEBRUARY = 25


# ---------------------------------------------------------------------------------- station days
def daily_mean(hourly: np.ndarray, min_hours: int = MIN_HOURS_PER_DAY) -> np.ndarray:
    """24-h mean over the natural day's hours 1:00…24:00 (GB 3095-2012 §3, HJ 663 A): valid
    only with ≥ 20 hourly values (GB 3095-2012 Table 4), else NaN."""
    valid = ~np.isnan(hourly)
    count = valid.sum(axis=-1)
    total = np.where(valid, hourly, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count >= min_hours, total / count, np.nan)


def daily_max(hourly: np.ndarray, min_hours: int = MIN_HOURS_PER_DAY) -> np.ndarray:
    """Daily maximum 1-h value (O3 日最大1小时), valid with ≥ 20 hourly values (ASSUMPTION:
    the 24-h rule of GB 3095 Table 4 applied to the daily max; the standard lists none)."""
    valid = ~np.isnan(hourly)
    top = np.where(valid, hourly, -np.inf).max(axis=-1)
    return np.where(valid.sum(axis=-1) >= min_hours, top, np.nan)


def eight_hour_windows(hourly: np.ndarray, min_hours: int = MIN_HOURS_PER_8H) -> np.ndarray:
    """The 17 8-h rolling means labelled 8:00 … 24:00 of each day (HJ 663-2013 A: the value at
    X is the mean of the 1-h values labelled X−7 … X), shape (…, 17); NaN where fewer than 6
    of its 8 hours are valid (GB 3095-2012 Table 4)."""
    valid = ~np.isnan(hourly)
    zeros = np.zeros(hourly.shape[:-1] + (1,))
    csum = np.concatenate([zeros, np.cumsum(np.where(valid, hourly, 0.0), axis=-1)], axis=-1)
    ccnt = np.concatenate([zeros, np.cumsum(valid, axis=-1)], axis=-1)
    total = csum[..., 8:25] - csum[..., 0:17]
    count = ccnt[..., 8:25] - ccnt[..., 0:17]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count >= min_hours, total / count, np.nan)


def mda8(
    hourly_o3: np.ndarray,
    *,
    limit: float = 160.0,
    min_windows: int = MIN_WINDOWS_MDA8,
) -> np.ndarray:
    """日最大8小时平均 (MDA8): max of the 8-h values labelled 8:00 to 24:00 — 17 windows, all
    inside the natural day (HJ 663-2013 Annex A). Valid with ≥ 14 valid 8-h values; with fewer,
    a maximum that still exceeds `limit` (the 8-h Grade II limit, 160 µg/m³) is valid
    (HJ 663-2013 §6.1)."""
    windows = eight_hour_windows(hourly_o3)
    valid = ~np.isnan(windows)
    count = valid.sum(axis=-1)
    top = np.where(valid, windows, -np.inf).max(axis=-1)
    ok = (count >= min_windows) | ((count > 0) & (top > limit))
    return np.where(ok, top, np.nan)


def rolling_mean(series: np.ndarray, window: int, min_count: int) -> np.ndarray:
    """Trailing rolling mean over the last axis (value at i = mean of i−window+1 … i), NaN
    where fewer than `min_count` values are present. Used for the real-time 24-h SO2 and 8-h
    O3 values."""
    valid = ~np.isnan(series)
    zeros = np.zeros(series.shape[:-1] + (1,))
    csum = np.concatenate([zeros, np.cumsum(np.where(valid, series, 0.0), axis=-1)], axis=-1)
    ccnt = np.concatenate([zeros, np.cumsum(valid, axis=-1)], axis=-1)
    n = series.shape[-1]
    hi = np.arange(1, n + 1)
    lo = np.maximum(hi - window, 0)
    total = csum[..., hi] - csum[..., lo]
    count = ccnt[..., hi] - ccnt[..., lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count >= min_count, total / count, np.nan)


HOURLY_POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm25")
DAILY_KEYS = ("so2", "no2", "co", "pm10", "pm25", "o3_1h", "o3_8h")


def station_daily(
    hourly: Mapping[str, np.ndarray],
    standard: Standard = STANDARD_2012,
    *,
    round_hourly: bool = True,
    o3_1h_max_min_hours: int = MIN_HOURS_PER_DAY,
) -> dict[str, np.ndarray]:
    """Station daily values from hourly arrays (stations, days, 24): the 24-h means of SO2,
    NO2, CO, PM10, PM2.5, the O3 daily max 1-h ("o3_1h", valid with `o3_1h_max_min_hours`
    hourly values: `[air]` setting) and MDA8 ("o3_8h"), each with its validity rule. Hourly
    base data are first rounded per GB/T 8170 (HJ 663-2013 §6.3)."""
    out: dict[str, np.ndarray] = {}
    for name in HOURLY_POLLUTANTS:
        if name not in hourly:
            continue
        values = np.asarray(hourly[name], dtype=float)
        if round_hourly:
            values = round_concentration(name, values)
        if name == "o3":
            out["o3_1h"] = daily_max(values, o3_1h_max_min_hours)
            out["o3_8h"] = mda8(values, limit=standard.limit("8h", "o3"))
        else:
            out[name] = daily_mean(values)
    return out


# ---------------------------------------------------------------------------------- city days
def city_required_stations(n_stations: np.ndarray) -> np.ndarray:
    """Valid stations a city needs (HJ 663-2013 §6.1): ≥ 75 % of its city stations, ≥ 50 % if
    it has fewer than 4."""
    n = np.asarray(n_stations)
    return np.where(n >= 4, np.ceil(0.75 * n), np.ceil(0.5 * n)).astype(int)


def city_mean(
    station_values: np.ndarray, city_of_station: np.ndarray, n_city_stations: np.ndarray
) -> np.ndarray:
    """City values (cities, days): arithmetic mean over the city's valid city stations
    (城市点; HJ 663-2013 Annex A), NaN unless enough stations are valid (§6.1).

    `city_of_station[s]` is the city index of station s, −1 for stations that are not city
    stations (control, background, regional, roadside, source: excluded). `n_city_stations`
    counts each city's registered city stations, with or without data: (cities,), or
    (cities, days) when stations open or close within the period (active dates).
    """
    n_cities = len(n_city_stations)
    values = np.asarray(station_values, dtype=float)
    shape = (n_cities,) + values.shape[1:]
    sums = np.zeros(shape)
    counts = np.zeros(shape)
    rows = np.nonzero(city_of_station >= 0)[0]
    if rows.size:
        rows = rows[np.argsort(city_of_station[rows], kind="stable")]
        cities = city_of_station[rows]
        starts = np.flatnonzero(np.r_[True, cities[1:] != cities[:-1]])
        chosen = values[rows]
        valid = ~np.isnan(chosen)
        sums[cities[starts]] = np.add.reduceat(np.where(valid, chosen, 0.0), starts, axis=0)
        counts[cities[starts]] = np.add.reduceat(valid.astype(np.int32), starts, axis=0)
    n = np.asarray(n_city_stations)
    need = city_required_stations(n).reshape(n.shape + (1,) * (values.ndim - n.ndim))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((counts >= need) & (counts > 0), sums / counts, np.nan)


# ---------------------------------------------------------------------------------- percentiles
def percentile(values: Sequence[float] | np.ndarray, p: float) -> float:
    """Percentile by HJ 663-2013 Annex A.6: sort ascending; k = 1 + (n−1)·p/100, s = int(k);
    m_p = X(s) + (X(s+1) − X(s))·(k − s) (= X(s) when k is an integer). NaN ignored; NaN when
    empty. Equals numpy's default linear method. Example: 1…10, p = 95 → 9.55."""
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return math.nan
    k = 1 + (n - 1) * p / 100
    s = int(k)
    if s >= n:
        return float(x[-1])
    return float(x[s - 1] + (x[s] - x[s - 1]) * (k - s))


def nanpercentile_rows(values: np.ndarray, p: float) -> np.ndarray:
    """HJ 663 A.6 percentile of each row (last axis), NaN ignored; rows all-NaN give NaN.
    Vectorised: one sort (NaN last), then k = 1 + (n−1)·p/100 per row."""
    x = np.sort(np.asarray(values, dtype=float), axis=-1)
    n = (~np.isnan(x)).sum(axis=-1)
    k = 1 + (np.maximum(n, 1) - 1) * p / 100
    s = np.floor(k).astype(np.int64)  # 1-based
    lo = np.take_along_axis(x, (s - 1)[..., None], axis=-1)[..., 0]
    hi_index = np.minimum(s, np.maximum(n, 1) - 1)  # X(s+1), 0-based s
    hi = np.take_along_axis(x, hi_index[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore"):
        value = np.where(s >= n, lo, lo + (hi - lo) * (k - s))
    return np.where(n > 0, value, np.nan)


# ---------------------------------------------------------------------------------- period rules
def period_validity(valid_days: np.ndarray, days: Sequence[date]) -> np.ndarray:
    """Whether a period statistic is valid (GB 3095-2012 Table 4, HJ 663-2013 §6.1), per row.

    `valid_days` (rows, days) marks days with a valid daily value. Every complete calendar month
    inside the period needs ≥ 27 valid days (February ≥ 25); every complete calendar year ≥ 324.
    A period covering no complete month (a week, a month so far) has no count rule.
    """
    valid_days = np.atleast_2d(valid_days)
    ok = np.ones(valid_days.shape[0], dtype=bool)
    if not days:
        return ok
    first, last = days[0], days[-1]
    index = {d: i for i, d in enumerate(days)}
    span = Period(Period.day(first).start, Period.day(last).end)
    for month in span.months():
        month_days = month.days()
        if month_days[0] >= first and month_days[-1] <= last:
            cols = [index[d] for d in month_days]
            need = MIN_DAYS_FEBRUARY if month_days[0].month == 2 else MIN_DAYS_PER_MONTH
            ok &= valid_days[:, cols].sum(axis=1) >= need
    for year in range(first.year, last.year + 1):
        year_days = Period.year(year).days()
        if year_days[0] >= first and year_days[-1] <= last:
            cols = slice(index[year_days[0]], index[year_days[-1]] + 1)
            ok &= valid_days[:, cols].sum(axis=1) >= MIN_DAYS_PER_YEAR
    return ok


# ---------------------------------------------------------------------------------- period stats
@dataclass
class PeriodStats:
    """Unrounded statistics of a period, per row (city): `conc` holds the six ranking
    statistics (SO2, NO2, PM10, PM2.5 period means; CO P95 of daily means; O3 P90 of MDA8),
    `extra` the Annex C percentiles (SO2/NO2 P98, PM10/PM2.5 P95)."""

    conc: dict[str, np.ndarray]
    valid_days: dict[str, np.ndarray]
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def period_stats(
    daily: Mapping[str, np.ndarray],
    days: Sequence[date],
    *,
    check_validity: bool = True,
) -> PeriodStats:
    """Period statistics from daily values (rows, days) (standards note §4.2, HJ 663 Table 1):
    means of the daily values (GB 3095 §3: means of daily means, not of hours), CO 95th
    percentile of daily means, O3 90th percentile of MDA8 (HJ 663 A.6). A statistic failing
    `period_validity` is NaN (HJ 663 §6.1: reported as missing)."""
    conc: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    extra: dict[str, np.ndarray] = {}
    for name in ("so2", "no2", "pm10", "pm25", "co", "o3_8h"):
        values = np.atleast_2d(np.asarray(daily[name], dtype=float))
        valid = ~np.isnan(values)
        n = valid.sum(axis=1)
        key = "o3" if name == "o3_8h" else name
        if name == "co":
            stat = nanpercentile_rows(values, 95)
        elif name == "o3_8h":
            stat = nanpercentile_rows(values, 90)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                stat = np.where(valid, values, 0.0).sum(axis=1) / n
            extra[f"{key}_p{98 if name in ('so2', 'no2') else 95}"] = nanpercentile_rows(
                values, 98 if name in ("so2", "no2") else 95
            )
        stat = np.where(n > 0, stat, np.nan)
        if check_validity:
            stat = np.where(period_validity(valid, days), stat, np.nan)
        conc[key] = stat
        counts[key] = n
    return PeriodStats(conc, counts, extra)


def rounded_concentrations(conc: Mapping[str, float]) -> dict[str, float | int | None]:
    """Statistics rounded as published (GB/T 8170, HJ 663 §6.3: µg/m³ 0 decimals, CO 1)."""
    return {k: round_gbt8170(v, DECIMALS[k]) for k, v in conc.items()}


# ---------------------------------------------------------------------------------- composite
COMPOSITE_ORDER = ("so2", "no2", "pm10", "pm25", "co", "o3")


@dataclass
class Composite:
    index: float | None  # unrounded I_sum
    published: float | None  # I_sum rounded per GB/T 8170 to 2 decimals
    single: dict[str, float | None]  # I_i
    load_shares: dict[str, float | None]  # P_i, %, 1 decimal
    max_index: float | None = None  # I_max (Annex C)
    method: str = "mee"


def composite_index(
    conc: Mapping[str, float],
    standard: Standard = STANDARD_2012,
    *,
    method: str = "mee",
    extra: Mapping[str, float] | None = None,
) -> Composite:
    """环境空气质量综合指数.

    method "mee" (default; 《城市环境空气质量排名技术规定》, standards note §4.2):
    I_sum = Σ C_i/S_i over SO2, NO2, PM10, PM2.5 (period means / annual Grade II limits),
    CO (P95 of daily means / 4) and O3 (P90 of MDA8 / 160); from **unrounded** statistics,
    I_sum rounded to 2 decimals; load shares P_i = I_i/I_sum in %, 1 decimal.

    method "hj663" (HJ 663-2013 Annex C, informative): I_i = max(C_annual/S_annual,
    C_percentile/S_24h) for SO2, NO2 (P98) and PM10, PM2.5 (P95) — `extra` holds the
    percentiles "so2_p98", "no2_p98", "pm10_p95", "pm25_p95"; CO P95/4; O3 P90/160;
    also gives I_max.

    Any missing statistic makes the index missing (HJ 663 §3.1).
    """
    divisors = standard.composite_divisors()
    single: dict[str, float | None] = {}
    for name in COMPOSITE_ORDER:
        value = conc.get(name)
        if value is None or math.isnan(value):
            single[name] = None
            continue
        ratio = value / divisors[name]
        if method == "hj663" and name in ("so2", "no2", "pm10", "pm25"):
            key = f"{name}_p{98 if name in ('so2', 'no2') else 95}"
            pct = (extra or {}).get(key)
            if pct is None or math.isnan(pct):
                single[name] = None
                continue
            ratio = max(ratio, pct / standard.limit("24h", name))
        elif method not in ("mee", "hj663"):
            raise ValueError(f"unknown composite-index method {method!r}; allowed: mee, hj663")
        single[name] = ratio
    if any(v is None for v in single.values()):
        return Composite(None, None, single, dict.fromkeys(single), None, method)
    total = math.fsum(single.values())  # type: ignore[arg-type]
    shares = {
        k: round_gbt8170(100 * v / total, 1) if total else None  # type: ignore[operator]
        for k, v in single.items()
    }
    return Composite(total, round_gbt8170(total, 2), single, shares,
                     max(single.values()), method)  # type: ignore[type-var]


def composite_index_rows(
    conc: Mapping[str, np.ndarray], standard: Standard = STANDARD_2012
) -> np.ndarray:
    """The MEE composite index (§4.2) for many rows at once, unrounded; NaN if any is missing."""
    divisors = standard.composite_divisors()
    return sum(np.asarray(conc[k], dtype=float) / divisors[k] for k in COMPOSITE_ORDER)


# ---------------------------------------------------------------------------------- compliance
def exceedance_multiple(conc: float | None, limit: float) -> float | None:
    """超标倍数 B = (C − S)/S, 2 decimals (GB/T 8170; HJ 663-2013 §5, standards note §3.1);
    None when C is missing or within the limit."""
    if conc is None or math.isnan(conc) or conc <= limit:
        return None
    return round_gbt8170((conc - limit) / limit, 2)


def compliance_rate(daily: np.ndarray, limit: float, decimals: int = 0) -> float | None:
    """达标率 D = days within the limit / valid days × 100 %, 1 decimal (HJ 663-2013 §5,
    standards note §3.1); daily values are compared as published (rounded to `decimals`)."""
    values = np.asarray(daily, dtype=float)
    valid = ~np.isnan(values)
    n = int(valid.sum())
    if not n:
        return None
    rounded = round_gbt8170_array(values[valid], decimals)
    return round_gbt8170(100 * int((rounded <= limit).sum()) / n, 1)


# ---------------------------------------------------------------------------------- days
@dataclass
class DayCounts:
    valid_days: int
    good_days: int
    good_rate: float | None  # %, 1 decimal
    heavy_days: int  # 重污染: AQI > 200
    severe_days: int  # 严重污染: AQI > 300
    by_level: list[int]  # days per level, 优 … 严重污染


def day_counts(aqi: np.ndarray, excluded: np.ndarray | None = None) -> DayCounts:
    """优良天数 and its share (standards note §1.5): days with a valid AQI ≤ 100 over valid
    monitoring days, in %, 1 decimal (GB/T 8170; 3 of 7 → 42.9). `excluded` marks days taken
    out by a switch (sand-dust 扣沙, exceptional events)."""
    a = np.asarray(aqi, dtype=float)
    valid = ~np.isnan(a)
    if excluded is not None:
        valid &= ~np.asarray(excluded, dtype=bool)
    n = int(valid.sum())
    good = int((valid & (a <= 100)).sum())
    levels = np.searchsorted(np.array([50, 100, 150, 200, 300.0]), a[valid], side="left")
    by_level = [int((levels == i).sum()) for i in range(6)]
    return DayCounts(
        n, good, round_gbt8170(100 * good / n, 1) if n else None,
        int((valid & (a > 200)).sum()), int((valid & (a > 300)).sum()), by_level,
    )


# ---------------------------------------------------------------------------------- comparisons
def yoy_change(this: float | None, last: float | None, decimals: int = 1) -> float | None:
    """Year-on-year change (同比) = (this − last)/last × 100 %, rounded per GB/T 8170 to
    `decimals` (standards note §4.2); > 0 is worse for indices and concentrations. None when
    either is missing or last is 0."""
    if this is None or last is None or math.isnan(this) or math.isnan(last) or last == 0:
        return None
    return round_gbt8170((this - last) / last * 100, decimals)


def competition_rank(values: Sequence[float | None], *, decimals: int | None = 2,
                     descending: bool = False) -> list[int | None]:
    """Standard competition ranking (1, 2, 2, 4) of `values` compared at their published
    `decimals` (GB/T 8170) — equal published values rank equal (并列; standards note §4.2,
    ASSUMPTION on the tie style). Ascending: the smallest is 1. Missing values get None."""
    def key(v: float | None) -> float | None:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        if decimals is None:
            return float(v)
        r = round_gbt8170(v, decimals)
        return -r if descending else r  # type: ignore[operator]

    keys = [key(v) for v in values]
    present = sorted(k for k in keys if k is not None)
    first: dict[float, int] = {}
    for i, k in enumerate(present, start=1):
        first.setdefault(k, i)
    return [None if k is None else first[k] for k in keys]


# Spearman critical values, one-sided 0.05 (HJ 663-2013 Annex B, Table B.1 as in the note).
SPEARMAN_CRITICAL = {5: 0.900, 6: 0.829, 7: 0.714, 8: 0.643, 9: 0.600, 10: 0.564, 12: 0.506,
                     14: 0.456, 16: 0.425, 18: 0.399, 20: 0.377}


def spearman_trend(values: Sequence[float]) -> tuple[float, str | None]:
    """Trend over periods (HJ 663-2013 Annex B): γs = 1 − 6Σ(Xj − Yj)²/(n(n²−1)), Xj the rank
    of the period, Yj the rank of the concentration (ties: mean rank). Returns γs and
    "上升"/"下降"/"无显著变化" against the critical value (None if n < 5 or n not tabled)."""
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n < 2:
        return math.nan, None
    order = np.argsort(y, kind="stable")
    ranks = np.empty(n)
    ranks[order] = np.arange(1, n + 1)
    for v in np.unique(y):  # mean rank for ties
        same = y == v
        ranks[same] = ranks[same].mean()
    x = np.arange(1, n + 1)
    gamma = 1 - 6 * float(((x - ranks) ** 2).sum()) / (n * (n * n - 1))
    critical = SPEARMAN_CRITICAL.get(n)
    if critical is None:
        return gamma, None
    if abs(gamma) < critical:
        return gamma, "无显著变化"
    return gamma, "上升" if gamma > 0 else "下降"
