"""flat: a series flat or quantised over whole days, far below the instrument's own noise.

Statistic, per Beijing day with at least `MIN_HOURS` valid hours of a factor: the ratio of
the day's standard deviation to the point's typical one (the median over its days), and the
number of distinct values. A day is flat when the ratio is below `STD_RATIO` (0.1) or when it
has at most `MAX_DISTINCT` (3) distinct values while the point's typical day has at least
`TYPICAL_DISTINCT` (12); consecutive flat days are one finding.

Why: investigators' cases of 伪造 describe "数据长时间恒定或在极小范围内波动" (values fixed or
barely moving, typed in or produced by a program); the `constant` alarm (envmon.alarms) sees
runs of identical values over hours, this sees whole days whose spread is a tenth of the
point's own day-to-day noise (a CEMS analyser's hourly means vary with load and combustion by
several per cent; HJ 75-2017 allows a zero/span drift of ±2.5 % F.S., so a real series never
stands still). 0.1 and 3 are our own calibration on the simulated fleet
(benchmarks/bench_screen.py), kept far from where honest days fall (ratios ≥ 0.3 there).
"""

from __future__ import annotations

import warnings

import numpy as np

from envmon.screen.findings import Finding, runs, score_of
from envmon.screen.series import FLOW, O2, PointSeries

PATTERN = "flat"
MIN_HOURS = 20
STD_RATIO = 0.1
MAX_DISTINCT = 3
TYPICAL_DISTINCT = 12
MIN_DAYS = 5  # days with enough valid hours for the point's typical noise to mean anything


def day_statistics(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(days, 24) with NaN for invalid hours → valid hours, std and distinct values per day."""
    counts = np.isfinite(days).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # days without data: NaN
        std = np.nanstd(np.where(counts[:, None] > 1, days, np.nan), axis=1)
    distinct = np.array([len(np.unique(d[np.isfinite(d)])) for d in days])
    return counts, std, distinct


def detect(series: PointSeries) -> list[Finding]:
    out = []
    for factor in [*series.pollutants, O2, FLOW]:
        if factor not in series.values or series.n_days < MIN_DAYS:
            continue
        days = series.days(series.valid_values(factor))
        counts, std, distinct = day_statistics(days)
        full = counts >= MIN_HOURS
        if full.sum() < MIN_DAYS:
            continue
        typical_std = float(np.median(std[full]))
        typical_distinct = float(np.median(distinct[full]))
        if typical_std <= 0:
            continue  # the whole period is flat: no own noise to compare with
        ratio = std / typical_std
        quantised = (distinct <= MAX_DISTINCT) & (typical_distinct >= TYPICAL_DISTINCT)
        flat = full & ((ratio < STD_RATIO) | quantised)
        for first, last in runs(flat):
            worst = float(np.min(ratio[first:last]))
            fewest = int(np.min(distinct[first:last]))
            out.append(Finding(
                PATTERN, factor, series.hour(first * 24), series.hour(last * 24), worst,
                STD_RATIO,
                f"{last - first} 天日内标准差仅为本点位典型值 {typical_std:.4g} 的 "
                f"{worst:.1%}，最少 {fewest} 个不同数值（典型 {typical_distinct:.0f} 个）",
                score_of(max(worst, 1e-3), STD_RATIO, above=False) + 0.5 * (last - first)))
    return out
