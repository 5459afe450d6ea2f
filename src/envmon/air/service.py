"""City summaries, rankings and station real-time AQI from the store.

Pipeline (airquality.md §3.2): station hourly (rounded per GB/T 8170) → station daily values
with GB 3095 validity and MDA8 → city daily values (city stations only, ≥ 75 % / 50 % valid) →
daily AQI on the rounded city daily values → period statistics over valid days (means, CO P95,
O3 P90 of MDA8) → composite index from unrounded statistics → rounding as published.
Published station daily values (an imported daily file, else CNEMC's T00 row) win over the
recomputation by default (`[air] published_daily_wins`), and every station day where the two
differ is listed (`published_daily.differences`). Untyped stations are out of city values and
named (`untyped_stations`, `warnings`); a station counts among its city's stations only on the
days of its active dates. The open choices are `envmon.air.settings.AirSettings`.

The standard set is chosen by the period's first day (`standard="auto"`); the same-period
comparison a year earlier uses the same set (like with like).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from envmon.air import aqi as aqi_mod
from envmon.air import stats, storage
from envmon.air.rounding import round_gbt8170
from envmon.air.settings import AirSettings
from envmon.air.standards import CNEMC_NAMES, DECIMALS, Standard, standard_for
from envmon.errors import EnvmonError, MissingDataError
from envmon.period import Period
from envmon.store import Store
from envmon.timeutil import BEIJING_FIXED

DAILY_KEYS = ("so2", "no2", "co", "pm10", "pm25", "o3_1h", "o3_8h")
CONC_KEYS = ("so2", "no2", "pm10", "pm25", "co", "o3")
Excluded = dict[str, set[date]]


class AirError(EnvmonError, ValueError):
    """A request the data cannot answer (unknown city or station, empty period …)."""


class NoStationsError(AirError, MissingDataError):
    """No city stations in the store: nothing to rank (not a bad option)."""


@dataclass
class CityDays:
    """City daily values over days first…last: arrays (cities, days)."""

    cities: list[str]
    days: list[date]
    values: dict[str, np.ndarray]
    aqi: aqi_mod.AqiResult
    standard: Standard
    differences: list[dict] = field(default_factory=list)
    """Station days where a published daily value and our recomputation differ (as
    published, GB/T 8170): station, city, date, pollutant, computed, published, used."""
    untyped: list[str] = field(default_factory=list)
    """Stations of these cities without a type: out of the city values until typed."""


def year_before(first: date, last: date) -> tuple[date, date]:
    """The same days a year earlier (29 February → 28 February), cut by `Period`."""
    days = Period(Period.day(first).start, Period.day(last).end).year_before().days()
    return days[0], days[-1]


def city_days(
    store: Store,
    first: date,
    last: date,
    *,
    cities: list[str] | None = None,
    standard: Standard | None = None,
    excluded: Excluded | None = None,
    settings: AirSettings | None = None,
) -> CityDays:
    """City daily values and daily AQI for `cities` (default: every city with city stations).

    `excluded` maps a city to days taken out of every statistic (扣沙: sand-dust days;
    HJ 663—2026 例外事件: exceptional events) — applied only when given (standards note §1.5).
    Station daily values: published ones (an imported daily file, else CNEMC's T00 row) win
    over our recomputation when `settings.published_daily_wins` (the default), else they only
    fill days we cannot compute; every station day where the two differ is listed. A station
    counts among its city's stations only on the days of its active dates (HJ 663 §6.1 75 %).
    """
    if last < first:
        raise AirError(f"the period ends ({last}) before it starts ({first})")
    settings = settings or AirSettings()
    standard = standard or standard_for(first)
    registry = storage.stations(store)
    all_cities = sorted({s.city for s in registry if s.type == "city"})
    if cities is None:
        cities = all_cities
    else:
        unknown = [c for c in cities if c not in all_cities]
        if unknown:
            raise AirError(
                f"unknown city {', '.join(unknown)}: no city stations (城市点) registered for it"
                + (f"; known: {', '.join(all_cities[:20])}" if all_cities else
                   "; import stations first (envmon air stations import)")
            )
    city_index = {c: i for i, c in enumerate(cities)}
    members = [s for s in registry if s.type == "city" and s.city in city_index]
    codes = [s.code for s in members]
    city_of = np.array([city_index[s.city] for s in members], dtype=int)
    n_days = (last - first).days + 1
    days = [first + timedelta(i) for i in range(n_days)]
    active = np.array([[s.active_on(d) for d in days] for s in members], dtype=bool
                      ).reshape(len(members), n_days)
    n_city = np.zeros((len(cities), n_days), dtype=int)
    if len(members):
        np.add.at(n_city, city_of, active.astype(int))
    any_hourly, any_daily = storage.has_data(store, first, last)
    empty = np.full((len(codes), n_days), np.nan)
    station = (
        stats.station_daily(storage.load_hourly(store, codes, first, last), standard,
                            o3_1h_max_min_hours=settings.o3_1h_max_min_hours)
        if any_hourly else dict.fromkeys(DAILY_KEYS, empty)
    )
    published = storage.load_published_daily(store, codes, first, last) if any_hourly else {}
    if any_daily:
        imported = storage.load_daily(store, codes, first, last)
        published = {k: np.where(np.isnan(imported[k]), published[k], imported[k])
                     if k in published else imported[k] for k in DAILY_KEYS}
    differences: list[dict] = []
    values: dict[str, np.ndarray] = {}
    for key in DAILY_KEYS:
        merged = station[key]
        if key in published:
            differences += _differences(key, merged, published[key], members, days,
                                        settings.published_daily_wins)
            merged = (np.where(np.isnan(published[key]), merged, published[key])
                      if settings.published_daily_wins
                      else np.where(np.isnan(merged), published[key], merged))
        merged = np.where(active, merged, np.nan)  # outside its active dates: not counted
        values[key] = stats.city_mean(merged, city_of, n_city)
    if settings.city_o3_1h == "city_hourly" and any_hourly and len(members):
        hourly_o3 = aqi_mod.round_concentration(
            "o3", storage.load_hourly(store, codes, first, last)["o3"])
        hourly_o3 = np.where(active[:, :, None], hourly_o3, np.nan)
        values["o3_1h"] = stats.daily_max(stats.city_mean(hourly_o3, city_of, n_city),
                                          settings.o3_1h_max_min_hours)
    if excluded:
        mask = np.zeros((len(cities), n_days), dtype=bool)
        for c, name in enumerate(cities):
            for day in excluded.get(name, ()):
                if first <= day <= last:
                    mask[c, (day - first).days] = True
        values = {k: np.where(mask, np.nan, v) for k, v in values.items()}
    result = aqi_mod.daily_aqi(values, standard, require_all=settings.daily_aqi_requires_all)
    untyped = [s.code for s in registry if s.type is None and s.city in city_index]
    return CityDays(list(cities), days, values, result, standard, differences, untyped)


def _differences(key: str, computed: np.ndarray, published: np.ndarray, members: list,
                 days: list[date], published_wins: bool) -> list[dict]:
    """Station days where both values exist and differ as published (GB/T 8170)."""
    decimals = DECIMALS["o3" if key.startswith("o3") else key]
    both = ~np.isnan(computed) & ~np.isnan(published)
    out = []
    for s, d in zip(*np.nonzero(both), strict=True):
        ours = round_gbt8170(float(computed[s, d]), decimals)
        theirs = round_gbt8170(float(published[s, d]), decimals)
        if ours != theirs:
            out.append({"station": members[s].code, "city": members[s].city,
                        "date": days[d].isoformat(), "pollutant": key, "computed": ours,
                        "published": theirs,
                        "used": "published" if published_wins else "computed"})
    return out


def _num(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _rounded(key: str, value: float | None) -> float | int | None:
    value = _num(value)
    return None if value is None else round_gbt8170(value, DECIMALS[key])


@dataclass
class PeriodResult:
    """Everything a summary or ranking needs for one city and period."""

    city: str
    days: list[date]
    conc: dict[str, float | None]  # unrounded period statistics
    composite: stats.Composite
    counts: stats.DayCounts
    daily_aqi: np.ndarray
    daily_values: dict[str, np.ndarray]
    iaqi: dict[str, np.ndarray]
    has_data: bool
    extra: dict[str, float | None]  # Annex C percentiles (SO2/NO2 P98, PM10/PM2.5 P95)


def period_results(
    data: CityDays, *, method: str = "mee", check_validity: bool = True,
    settings: AirSettings | None = None,
) -> list[PeriodResult]:
    daily = data.values
    if settings is not None and settings.period_from_rounded_daily:
        daily = {k: aqi_mod.round_concentration("o3" if k.startswith("o3") else k, v)
                 for k, v in daily.items()}
    period = stats.period_stats(daily, data.days, check_validity=check_validity)
    out = []
    for i, city in enumerate(data.cities):
        conc = {k: _num(period.conc[k][i]) for k in CONC_KEYS}
        extra = {k: _num(v[i]) for k, v in period.extra.items()}
        composite = stats.composite_index(
            {k: (math.nan if v is None else v) for k, v in conc.items()},
            data.standard, method=method,
            extra={k: (math.nan if v is None else v) for k, v in extra.items()},
        )
        aqi_row = data.aqi.aqi[i]
        has_data = bool(any(np.any(~np.isnan(data.values[k][i])) for k in DAILY_KEYS))
        out.append(PeriodResult(
            city, data.days, conc, composite, stats.day_counts(aqi_row), aqi_row,
            {k: v[i] for k, v in data.values.items()},
            {k: v[i] for k, v in data.aqi.iaqi.items()}, has_data, extra,
        ))
    return out


def _daily_rows(result: PeriodResult) -> list[dict]:
    rows = []
    for d, day in enumerate(result.days):
        value = _num(result.daily_aqi[d])
        level = aqi_mod.level_of(value)
        iaqis = {k: v[d] for k, v in result.iaqi.items()}
        rows.append({
            "date": day.isoformat(),
            "aqi": None if value is None else int(value),
            "level": level.category if level else None,
            "primary": aqi_mod.primary_pollutants(value if value is not None else math.nan,
                                                  iaqis),
            "concentrations": {k: _rounded(k, result.daily_values[k][d]) for k in DAILY_KEYS},
        })
    return rows


def _yoy(this: PeriodResult, last: PeriodResult, *, rounded: bool) -> dict:
    def pick(key: str, r: PeriodResult) -> float | None:
        v = r.conc[key]
        return _rounded(key, v) if rounded else v

    index_this = this.composite.published if rounded else this.composite.index
    index_last = last.composite.published if rounded else last.composite.index
    good_rate = (
        None if this.counts.good_rate is None or last.counts.good_rate is None
        else round_gbt8170(this.counts.good_rate - last.counts.good_rate, 1)
    )
    return {
        "composite_index": stats.yoy_change(index_this, index_last),
        "composite_index_last": last.composite.published,
        "good_days": this.counts.good_days - last.counts.good_days,
        "good_days_last": last.counts.good_days,
        "good_rate": good_rate,  # percentage points
        "good_rate_last": last.counts.good_rate,
        "concentrations": {k: stats.yoy_change(pick(k, this), pick(k, last)) for k in CONC_KEYS},
        "concentrations_last": {k: _rounded(k, last.conc[k]) for k in CONC_KEYS},
        "valid_days_last": last.counts.valid_days,
    }


def summary_dict(result: PeriodResult, last: PeriodResult | None, *, standard: Standard,
                 yoy_rounded: bool = False) -> dict:
    counts = result.counts
    out = {
        "city": result.city,
        "from": result.days[0].isoformat(),
        "to": result.days[-1].isoformat(),
        "standard": standard.name,
        "method": result.composite.method,
        "valid_days": counts.valid_days,
        "good_days": counts.good_days,
        "good_rate": counts.good_rate,
        "heavy_days": counts.heavy_days,
        "severe_days": counts.severe_days,
        "days_by_level": dict(zip(("优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"),
                                  counts.by_level, strict=True)),
        "composite_index": result.composite.published,
        "load_shares": result.composite.load_shares,
        "single_indices": {k: None if v is None else round_gbt8170(v, 2)
                           for k, v in result.composite.single.items()},
        "concentrations": {k: _rounded(k, result.conc[k]) for k in CONC_KEYS},
        "compliance": compliance(result, standard),
        "daily": _daily_rows(result),
    }
    if standard.unverified:
        out["notes"] = list(standard.unverified)
    if last is not None and last.has_data:
        out["yoy"] = _yoy(result, last, rounded=yoy_rounded)
    return out


def city_summary(
    store: Store,
    city: str,
    first: date,
    last: date,
    *,
    standard: str = "auto",
    method: str = "mee",
    yoy: bool = True,
    yoy_rounded: bool = False,
    check_validity: bool = True,
    excluded: Excluded | None = None,
    settings: AirSettings | None = None,
) -> dict:
    """The JSON summary of `envmon air summary` for one city and period (see the issue)."""
    settings = settings or AirSettings()
    std = standard_for(first, standard)
    data = city_days(store, first, last, cities=[city], standard=std, excluded=excluded,
                     settings=settings)
    this = period_results(data, method=method, check_validity=check_validity,
                          settings=settings)[0]
    previous = None
    if yoy:
        before = city_days(store, *year_before(first, last), cities=[city], standard=std,
                           excluded=excluded, settings=settings)
        previous = period_results(before, method=method, check_validity=check_validity,
                                  settings=settings)[0]
    out = summary_dict(this, previous, standard=std, yoy_rounded=yoy_rounded)
    out["published_daily"] = {"wins": settings.published_daily_wins,
                              "differences": data.differences}
    out["untyped_stations"] = data.untyped
    out["warnings"] = untyped_warnings(data)
    if excluded is not None:
        out["excluded_days"] = sorted(d.isoformat() for d in excluded.get(city, ())
                                      if first <= d <= last)
    return out


def untyped_warnings(data: CityDays) -> list[str]:
    """One line naming the stations left out of the city values for having no type."""
    if not data.untyped:
        return []
    return [f"station(s) {', '.join(data.untyped)} have no type and are out of the city "
            "values until typed (envmon air stations import, column type: city, control, …)"]


def meets_grade_ii(conc: dict[str, float | None], standard: Standard,
                   extra: dict[str, float | None] | None = None) -> bool:
    """Compliance of all six pollutants with Grade II (HJ 663-2013 §5, standards note §3.1):
    SO2, NO2, PM10, PM2.5 period mean within the annual limit **and** their 24-h percentile
    (P98, P98, P95, P95, from `extra`) within the 24-h limit; CO P95 and O3 MDA8 P90 within
    the 24-h and 8-h limits; compared as published (GB/T 8170). A missing statistic fails."""
    limits = standard.composite_divisors()
    for key in CONC_KEYS:
        value = _rounded(key, conc[key])
        if value is None or value > limits[key]:
            return False
    if extra is not None:
        for key, pct in (("so2", "so2_p98"), ("no2", "no2_p98"), ("pm10", "pm10_p95"),
                         ("pm25", "pm25_p95")):
            value = _rounded(key, extra.get(pct))
            if value is None or value > standard.limit("24h", key):
                return False
    return True


def compliance(result: PeriodResult, standard: Standard) -> dict:
    """Per pollutant: 超标倍数 of the period statistic (None when within the limit) and 达标率
    of the daily values against the 24-h (O3: 8-h) Grade II limit (HJ 663-2013 §5)."""
    limits = standard.composite_divisors()
    daily_limit = {"so2": standard.limit("24h", "so2"), "no2": standard.limit("24h", "no2"),
                   "pm10": standard.limit("24h", "pm10"), "pm25": standard.limit("24h", "pm25"),
                   "co": standard.limit("24h", "co"), "o3": standard.limit("8h", "o3")}
    out = {}
    for key in CONC_KEYS:
        daily = result.daily_values["o3_8h" if key == "o3" else key]
        out[key] = {
            "exceedance_multiple": stats.exceedance_multiple(_rounded(key, result.conc[key]),
                                                             limits[key]),
            "compliance_rate": stats.compliance_rate(daily, daily_limit[key], DECIMALS[key]),
        }
    return out


def ranking(
    store: Store,
    first: date,
    last: date,
    *,
    standard: str = "auto",
    method: str = "mee",
    check_validity: bool = True,
    excluded: Excluded | None = None,
    settings: AirSettings | None = None,
) -> dict:
    """Every city ranked by composite index (ascending, ties equal at 2 decimals) and by its
    year-on-year change (ascending: the largest fall is 1). Cities whose six pollutants all meet
    Grade II do not enter the worsening ranking (standards note §4.2)."""
    settings = settings or AirSettings()
    std = standard_for(first, standard)
    data = city_days(store, first, last, standard=std, excluded=excluded, settings=settings)
    if not data.cities:
        raise NoStationsError("no city stations registered: import stations first")
    this = period_results(data, method=method, check_validity=check_validity,
                          settings=settings)
    before = period_results(
        city_days(store, *year_before(first, last), standard=std, excluded=excluded,
                  settings=settings),
        method=method, check_validity=check_validity, settings=settings,
    )
    by_city_last = {r.city: r for r in before}
    index_ranks = stats.competition_rank([r.composite.published for r in this])
    changes = []
    for r in this:
        previous = by_city_last.get(r.city)
        changes.append(
            stats.yoy_change(r.composite.index, previous.composite.index)
            if previous is not None and previous.has_data else None
        )
    change_ranks = stats.competition_rank(changes, decimals=1)
    worsening_candidates = [
        c if c is not None and c > 0 and not meets_grade_ii(r.conc, std, r.extra) else None
        for r, c in zip(this, changes, strict=True)
    ]
    worsening_ranks = stats.competition_rank(worsening_candidates, decimals=1, descending=True)
    rows = []
    for i, r in enumerate(this):
        rows.append({
            "city": r.city,
            "composite_index": r.composite.published,
            "rank": index_ranks[i],
            "yoy": changes[i],
            "yoy_rank": change_ranks[i],
            "worsening_rank": worsening_ranks[i],
            "good_rate": r.counts.good_rate,
            "valid_days": r.counts.valid_days,
            "meets_grade_ii": meets_grade_ii(r.conc, std, r.extra),
            "concentrations": {k: _rounded(k, r.conc[k]) for k in CONC_KEYS},
            "primary": _primary_of_period(r),
        })
    rows.sort(key=lambda row: (row["rank"] is None, row["rank"] or 0, row["city"]))
    return {"from": first.isoformat(), "to": last.isoformat(), "standard": std.name,
            "method": method, "cities": rows,
            "published_daily": {"wins": settings.published_daily_wins,
                                "differences": data.differences},
            "untyped_stations": data.untyped, "warnings": untyped_warnings(data)}


def _primary_of_period(result: PeriodResult) -> str | None:
    """The pollutant with the largest single index (首要污染物 of the period), CNEMC wording."""
    single = {k: v for k, v in result.composite.single.items() if v is not None}
    if not single:
        return None
    key = max(single, key=lambda k: single[k])
    return CNEMC_NAMES["o3_8h" if key == "o3" else key]


# ---------------------------------------------------------------------------------- real time
def station_realtime(
    store: Store,
    code: str,
    start: datetime,
    end: datetime,
    *,
    standard: str = "auto",
    o3_8h: bool = False,
) -> list[dict]:
    """Hourly real-time AQI of one station for hours whose end label is in (start, end]:
    `time` (end of the hour, ISO +08:00), `station`, `aqi`, `level`, `primary`."""
    known = store.query("SELECT code FROM air_stations WHERE code = ?", [code])
    if not known:
        raise AirError(f"unknown station {code!r}: import it (envmon air stations import) "
                       "or its data (envmon air import --format cnemc)")
    first = (start.astimezone(BEIJING_FIXED) - timedelta(hours=1)).date() - timedelta(1)
    last = (end.astimezone(BEIJING_FIXED) - timedelta(hours=1)).date()
    hourly = storage.load_hourly(store, [code], first, last)
    flat = {p: v.reshape(-1) for p, v in hourly.items()}
    rounded = {p: aqi_mod.round_concentration(p, v) for p, v in flat.items()}
    so2_24h = stats.rolling_mean(rounded["so2"], 24, stats.MIN_HOURS_PER_DAY)
    o3_roll = stats.rolling_mean(rounded["o3"], 8, stats.MIN_HOURS_PER_8H) if o3_8h else None
    std = standard_for(first, standard)
    result = aqi_mod.realtime_aqi(rounded, std, so2_24h=so2_24h, o3_8h=o3_roll,
                                  round_inputs=False)
    origin = Period.day(first).start
    rows = []
    for i in range(len(result.aqi)):
        label = origin + timedelta(hours=i + 1)
        if not (start < label <= end):
            continue
        if all(np.isnan(flat[p][i]) for p in flat):
            continue
        value = _num(result.aqi[i])
        level = aqi_mod.level_of(value)
        rows.append({
            "time": label.isoformat(),
            "station": code,
            "aqi": None if value is None else int(value),
            "level": level.category if level else None,
            "primary": result.primary(i) if value is not None else [],
        })
    return rows
