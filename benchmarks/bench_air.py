"""Air-quality benchmark: a year of hourly data for 339 cities × 5 stations.

    .venv/bin/python -m benchmarks.bench_air [--cities 339] [--stations 5] [--store]

Times the vectorised pipeline of `envmon.air` (GB/T 8170 rounding of hourly base data, station
24-h means and MDA8 with their validity rules, city values with the 75 % rule, daily AQI,
annual statistics with percentiles, composite index, ranking) on synthetic data with 3 % of
hours missing, and compares it with a **baseline measured in the same run**: a naive per-row
pure-Python implementation of the same rules (loops over hours, `decimal` rounding per value,
`sorted` percentiles), run on a subset of cities and scaled up linearly to all cities. The two
must agree on the composite index of every subset city (checked).

With `--store`, the year is also written to a DuckDB store (arrow INSERT … SELECT) and ranked
from there (`envmon.air.service.ranking`: SQL load + the same pipeline), timed separately.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import numpy as np

from envmon.air import aqi, stats
from envmon.air.standards import STANDARD_2012

POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm25")
BASE = {"so2": 15.0, "no2": 35.0, "co": 0.9, "o3": 70.0, "pm10": 75.0, "pm25": 40.0}


def synthetic_year(n_cities: int, n_stations: int, days: int = 365, seed: int = 2025):
    """Hourly arrays (stations, days, 24) per pollutant; 3 % of hours missing."""
    rng = np.random.default_rng(seed)
    n = n_cities * n_stations
    city_level = rng.lognormal(0, 0.35, size=(n_cities, 1, 1)).repeat(n_stations, axis=0)
    season = 1 + 0.4 * np.cos(np.arange(days) / 365 * 2 * np.pi)[None, :, None]
    hour = np.arange(24)[None, None, :]
    out = {}
    for p in POLLUTANTS:
        diurnal = 1 + (0.6 * np.sin((hour - 9) / 24 * 2 * np.pi) if p == "o3"
                       else 0.2 * np.cos((hour - 8) / 24 * 2 * np.pi))
        o3_season = (2 - season) if p == "o3" else season
        noise = rng.lognormal(0, 0.3, size=(n, days, 24))
        values = BASE[p] * city_level * o3_season * diurnal * noise
        values = np.round(values, 1 if p == "co" else 0)
        values[rng.random((n, days, 24)) < 0.03] = np.nan
        out[p] = values
    return out


def vectorised(hourly, n_cities: int, n_stations: int, days: list[date]):
    """The envmon.air pipeline; returns the unrounded composite index per city."""
    station = stats.station_daily(hourly, STANDARD_2012)
    city_of = np.repeat(np.arange(n_cities), n_stations)
    n_city = np.full(n_cities, n_stations)
    city = {k: stats.city_mean(v, city_of, n_city) for k, v in station.items()}
    daily = aqi.daily_aqi(city, STANDARD_2012)
    good = [stats.day_counts(daily.aqi[i]).good_days for i in range(n_cities)]
    period = stats.period_stats(city, days)
    index = stats.composite_index_rows(period.conc, STANDARD_2012)
    ranks = stats.competition_rank(list(index))
    return index, good, ranks


# ---------------------------------------------------------------------------------- naive
def _round(value: float, decimals: int) -> float:
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(q, rounding=ROUND_HALF_EVEN))


def _iaqi(term: str, c: float) -> float:
    bps = STANDARD_2012.breakpoints[term]
    levels = (0, 50, 100, 150, 200, 300, 400, 500)
    for i in range(1, len(bps)):
        if not math.isnan(bps[i]) and c <= bps[i]:
            v = (levels[i] - levels[i - 1]) / (bps[i] - bps[i - 1]) * (c - bps[i - 1]) \
                + levels[i - 1]
            return math.ceil(v - 1e-9)
    return 500


def _pct(values: list[float], p: float) -> float:
    x = sorted(values)
    k = 1 + (len(x) - 1) * p / 100
    s = int(k)
    return x[-1] if s >= len(x) else x[s - 1] + (x[s] - x[s - 1]) * (k - s)


def naive(hourly, cities: range, n_stations: int, n_days: int) -> list[float]:
    """Per-row pure Python, the same rules; composite index per city."""
    decimals = {"so2": 0, "no2": 0, "co": 1, "o3": 0, "pm10": 0, "pm25": 0}
    result = []
    for c in cities:
        city_daily: dict[str, list[float | None]] = {}
        for key in ("so2", "no2", "co", "pm10", "pm25", "o3_8h"):
            series: list[float | None] = []
            for d in range(n_days):
                station_values = []
                for s in range(c * n_stations, (c + 1) * n_stations):
                    p = "o3" if key == "o3_8h" else key
                    hours = [_round(float(v), decimals[p]) for v in hourly[p][s, d]
                             if not math.isnan(v)]
                    if key == "o3_8h":
                        day = [None if math.isnan(v) else _round(float(v), 0)
                               for v in hourly["o3"][s, d]]
                        windows = []
                        for end in range(7, 24):
                            w = [v for v in day[end - 7:end + 1] if v is not None]
                            if len(w) >= 6:
                                windows.append(sum(w) / len(w))
                        if len(windows) >= 14 or (windows and max(windows) > 160):
                            station_values.append(max(windows))
                    elif len(hours) >= 20:
                        station_values.append(sum(hours) / len(hours))
                need = math.ceil(0.75 * n_stations) if n_stations >= 4 else math.ceil(
                    0.5 * n_stations)
                series.append(sum(station_values) / len(station_values)
                              if len(station_values) >= need else None)
            city_daily[key] = series
        for d in range(n_days):  # daily AQI, as the vectorised pipeline computes it
            day = {k: city_daily[k][d] for k in city_daily}
            if all(v is not None for v in day.values()):
                max(_iaqi(f"{k}_24h" if k != "o3_8h" else "o3_8h",
                          _round(v, decimals.get(k, 0))) for k, v in day.items())
        conc = {}
        for key in ("so2", "no2", "pm10", "pm25"):
            vals = [v for v in city_daily[key] if v is not None]
            conc[key] = sum(vals) / len(vals)
        conc["co"] = _pct([v for v in city_daily["co"] if v is not None], 95)
        conc["o3"] = _pct([v for v in city_daily["o3_8h"] if v is not None], 90)
        s_i = {"so2": 60, "no2": 40, "pm10": 70, "pm25": 35, "co": 4, "o3": 160}
        result.append(sum(conc[k] / s_i[k] for k in s_i))
    return result


def store_run(hourly, n_cities: int, n_stations: int, first: date, days: int) -> tuple:
    import pyarrow as pa

    from envmon.air import service
    from envmon.period import Period
    from envmon.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        codes = [f"{c:03d}{s}A" for c in range(n_cities) for s in range(n_stations)]
        t0 = time.perf_counter()
        with open_store(db) as store:
            store.execute("INSERT INTO air_stations (code, name, city, type, lat, lon, "
                          "updated_at) SELECT code, code, city, 'city', NULL, NULL, now() "
                          "FROM (SELECT UNNEST(?) AS code, UNNEST(?) AS city)",
                          [codes, [f"城市{c:03d}" for c in range(n_cities)
                                   for _ in range(n_stations)]])
            origin = Period.day(first).start
            n_hours = days * 24
            ends = pa.array(np.tile(np.arange(1, n_hours + 1, dtype="int64") * 3_600_000_000
                                    + int(origin.timestamp() * 1e6), len(codes)),
                            pa.timestamp("us", tz="UTC"))
            table = pa.table(
                {"station_code": pa.array(np.repeat(codes, n_hours)), "end_time": ends}
                | {p: pa.array(hourly[p].reshape(-1), from_pandas=True) for p in POLLUTANTS}
            )
            with store.transaction(), store.staged("bench_in", table):
                store.execute(
                    "INSERT INTO air_hourly (station_code, start_time, end_time, so2, no2, co, "
                    "o3, pm10, pm25, source, imported_at) SELECT station_code, "
                    "end_time - INTERVAL '1 hour', end_time, so2, no2, co, o3, pm10, pm25, "
                    "'bench', now() FROM bench_in")
            load = time.perf_counter() - t0
            t1 = time.perf_counter()
            result = service.ranking(store, first, first + timedelta(days - 1), standard="2012")
            rank = time.perf_counter() - t1
    return load, rank, len(result["cities"])


# `python -m benchmarks --smoke` (and .ci/run): the tiny size that proves the benchmark still
# runs and its cross-checks still hold, in seconds; no figure of it means anything.
SMOKE_ARGS = ["--cities", "3", "--stations", "2", "--days", "3", "--baseline-cities", "1",
              "--store"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cities", type=int, default=339)
    parser.add_argument("--stations", type=int, default=5)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--baseline-cities", type=int, default=2,
                        help="cities run through the naive baseline (scaled up)")
    parser.add_argument("--store", action="store_true", help="also load into DuckDB and rank")
    args = parser.parse_args()
    first = date(2025, 1, 1)
    days = [first + timedelta(i) for i in range(args.days)]
    t0 = time.perf_counter()
    hourly = synthetic_year(args.cities, args.stations, args.days)
    gen = time.perf_counter() - t0
    n_values = args.cities * args.stations * args.days * 24
    print(f"synthetic data: {args.cities} cities × {args.stations} stations × {args.days} days "
          f"× 24 h × 6 pollutants = {n_values * 6 / 1e6:.1f} M values ({gen:.1f} s to make)")

    t0 = time.perf_counter()
    index, _good, _ranks = vectorised(hourly, args.cities, args.stations, days)
    fast = time.perf_counter() - t0
    print(f"envmon.air (vectorised): {fast:.2f} s for all {args.cities} cities "
          f"({n_values / fast / 1e6:.1f} M station-hours/s)")

    subset = range(args.baseline_cities)
    t0 = time.perf_counter()
    slow_index = naive(hourly, subset, args.stations, args.days)
    slow = (time.perf_counter() - t0) * args.cities / len(subset)
    for c, value in zip(subset, slow_index, strict=True):
        assert abs(value - index[c]) < 1e-9, (c, value, index[c])
    print(f"naive per-row Python baseline: {slow / args.cities * len(subset):.2f} s for "
          f"{len(subset)} cities → {slow:.0f} s scaled to {args.cities} (same results)")
    print(f"speed-up: {slow / fast:.0f}×")
    if args.store:
        load, rank, n = store_run(hourly, args.cities, args.stations, first, args.days)
        print(f"store: load {n_values / 1e6:.1f} M hourly rows {load:.1f} s; ranking {n} cities "
              f"from the store (SQL load + pipeline + last-year lookup) {rank:.1f} s")


if __name__ == "__main__":
    main()
