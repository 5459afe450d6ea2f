"""flag_gaming: maintenance (M) or calibration (C) flags, or exemption marks, placed on the
hours that would exceed.

Statistic, per pollutant with a limit: the runs of M/C-flagged hours whose valid neighbouring
hours (before and after) both have a 折算 value ≥ the edge (the larger of `EDGE` (0.8) × limit
and the point's own `EDGE_QUANTILE` (80 %) quantile) — the rising and falling edges of a peak
the flags hide — or whose own reported 折算 value is in (limit, `SPAN` (3) × limit] (a real
exceedance, not a span-gas reading, which sits far higher). Under flags placed without regard
to the values (honest calibration at a fixed hour, maintenance when needed), a run meets this
with probability q ≈ p_edge² + p_exceed (the shares of valid hours at or above the edge and
exceeding; at least `MIN_Q`, 0.5 %, as neighbouring hours are correlated). Runs starting at a
scheduled hour (the same hour of day on at least `SCHEDULE_DAYS` (5) days: routine calibration)
are left out. Fires when at least `MIN_RUNS` (3) runs meet it and the one-sided binomial test
of their number against q gives p < `MAX_P` (1e-4); each such run is a finding. Exemption marks
(停产/停运) whose edges touch hours above the limit are counted the same way.

Why: cases of 篡改 describe "超标时段人为设置维护/校准标记" so that the hours drop out of
the validity count (HJ 75-2017: M/C hours are not valid data, so not exceedances); honest
flags do not follow the values. 0.8, the 80 % quantile, 3 × limit and 3 runs are our own
calibration. `MAX_P` comes from the false-alarm budget: 1 per 20 point-months shared by 7
patterns is ~0.007 per pattern; a point has up to 3 pollutants × 2 kinds of marks = 6 tests,
so ~1e-3 per test, and 1e-4 keeps a factor 10 for what the binomial model misses (hours are
correlated). It was 1e-5, which missed every episode of a point whose own values sit near
the limit (seed 1 of `envmon simulate-falsifying`: 5 of 6 runs hit at q = 7 %, p = 1.2e-5).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binomtest

from envmon.screen.findings import Finding, runs, score_of
from envmon.screen.series import PointSeries

PATTERN = "flag_gaming"
EDGE = 0.8
EDGE_QUANTILE = 0.8
MIN_Q = 0.005
SPAN = 3.0
MIN_RUNS = 3
MAX_P = 1e-4
GAMING_FLAGS = ("M", "C")


SCHEDULE_DAYS = 5


def _unscheduled(all_runs: list[tuple[int, int]], start_hour: int) -> list[tuple[int, int]]:
    """The runs that do not start at a scheduled hour of day (an hour at which runs start on
    at least `SCHEDULE_DAYS` days: routine calibration, honest whatever the values)."""
    hours = [(start_hour + first) % 24 for first, _ in all_runs]
    scheduled = {h for h in set(hours) if hours.count(h) >= SCHEDULE_DAYS}
    return [r for r, h in zip(all_runs, hours, strict=True) if h not in scheduled]


def _suspicious_runs(flagged: np.ndarray, corrected_valid: np.ndarray,
                     reported: np.ndarray, limit: float, start_hour: int, edge: float
                     ) -> tuple[list, int]:
    """(unscheduled runs whose valid neighbours are all ≥ `edge` or whose values exceed,
    number of unscheduled runs)."""
    all_runs = _unscheduled(runs(flagged), start_hour)
    n = len(corrected_valid)
    hit = []
    for first, last in all_runs:
        edges = [corrected_valid[i] for i in (first - 1, last)
                 if 0 <= i < n and np.isfinite(corrected_valid[i])]
        high_edge = bool(edges) and all(e >= edge for e in edges)
        inside = reported[first:last]
        exceeding = np.any((inside > limit) & (inside <= SPAN * limit))
        if high_edge or exceeding:
            hit.append((first, last))
    return hit, len(all_runs)


def detect(series: PointSeries) -> list[Finding]:
    out = []
    for factor in series.pollutants:
        limit = series.limits.get(factor)
        if not limit:
            continue
        valid = series.valid_corrected(factor)
        flagged = np.isin(series.flags[factor], GAMING_FLAGS)
        for kind, mask in (("M/C 标记", flagged), ("豁免标记", _marked(series))):
            # the base rates from the valid hours outside the runs under test
            outside = valid[np.isfinite(valid) & ~mask]
            if len(outside) < 48:
                continue
            edge = max(EDGE * limit, float(np.quantile(outside, EDGE_QUANTILE)))
            p_edge = float(np.mean(outside >= edge))
            p_exceed = float(np.mean((outside > limit) & (outside <= SPAN * limit)))
            q = min(0.99, max(p_edge ** 2 + p_exceed, MIN_Q))
            hit, total = _suspicious_runs(mask, valid, series.corrected[factor], limit,
                                          series.start.hour, edge)
            if len(hit) < MIN_RUNS:
                continue
            p = binomtest(len(hit), total, q, alternative="greater").pvalue
            if p >= MAX_P:
                continue
            for first, last in hit:
                out.append(Finding(
                    PATTERN, factor, series.hour(first), series.hour(last), p, MAX_P,
                    f"{kind}时段紧邻或覆盖超标/高值（{len(hit)}/{total} 段，随机放置的期望比例 "
                    f"{q:.1%}，二项检验 p={p:.1e}）",
                    score_of(MAX_P, max(p, 1e-300)) / max(1, len(hit)) + 1.0))
    return out


def _marked(series: PointSeries) -> np.ndarray:
    """Hours of the grid inside an exemption mark of the point or its unit."""
    mask = np.zeros(series.n_hours, bool)
    for start, end in series.marks:
        first = max(0, int((start - series.start).total_seconds() // 3600))
        last = min(series.n_hours, int(-(-(end - series.start).total_seconds() // 3600)))
        if first < last:
            mask[first:last] = True
    return mask
