"""dilution: O2 raised above the point's own level while the measured concentration falls,
so that the O2-corrected (折算) value sits just under the limit.

Statistic, per Beijing day with at least `MIN_HOURS` valid hours of O2 and of the pollutant:
the day's median O2 minus the point's median of daily medians, in units of the point's robust
day-to-day spread (1.4826 × MAD of the daily medians), floored at `MIN_RISE_PCT` (1.5
percentage points). A day is diluted when this exceeds `Z_THRESHOLD` (3) and at least
`NEAR_SHARE` (half) of its valid hours have a 折算 value in [`NEAR_LIMIT` × limit, limit).
Consecutive such days are one finding.

Why: 稀释排放 (《环境监测数据弄虚作假行为判定及处理办法》, 2015, 篡改 item 4; air let into
the flue or the sampling line) lowers the measured concentration
and raises O2; the O2 correction undoes it only when the O2 is measured where the air is, so
cases describe O2 "长期偏高" with 折算 values pinned just below the limit. A day's O2 three
robust deviations above its own history while 折算 hugs the limit is
not load variation (low load raises O2 too, but then the corrected value does not cluster
under the limit). 3, 1.5 pp, 0.8 and one half are our own calibration. Comparing with peers
(points of the same process) is not done yet: the registry does not record the process.
"""

from __future__ import annotations

import warnings

import numpy as np

from envmon.screen.findings import Finding, runs, score_of
from envmon.screen.series import O2, PointSeries

PATTERN = "dilution"
MIN_HOURS = 18
MIN_DAYS = 7
Z_THRESHOLD = 3.0
MIN_RISE_PCT = 1.5
NEAR_LIMIT = 0.8
NEAR_SHARE = 0.5


def detect(series: PointSeries) -> list[Finding]:
    if O2 not in series.values or series.n_days < MIN_DAYS:
        return []
    o2_days = series.days(series.valid_values(O2))
    o2_hours = np.isfinite(o2_days).sum(axis=1)
    out = []
    for factor in series.pollutants:
        limit = series.limits.get(factor)
        if not limit:
            continue
        measured = series.days(series.valid_values(factor))
        corrected = series.days(series.valid_corrected(factor))
        full = (o2_hours >= MIN_HOURS) & (np.isfinite(measured).sum(axis=1) >= MIN_HOURS)
        if full.sum() < MIN_DAYS:
            continue
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # days without data: NaN
            o2_median = np.nanmedian(np.where(full[:, None], o2_days, np.nan), axis=1)
            near = np.nansum((corrected >= NEAR_LIMIT * limit) & (corrected < limit), axis=1)
        usual = np.median(o2_median[full])
        spread = max(1.4826 * np.median(np.abs(o2_median[full] - usual)), MIN_RISE_PCT / 4)
        z = (o2_median - usual) / spread
        share = near / np.maximum(np.isfinite(corrected).sum(axis=1), 1)
        diluted = (full & (z > Z_THRESHOLD) & (o2_median - usual >= MIN_RISE_PCT)
                   & (share >= NEAR_SHARE))
        for first, last in runs(diluted):
            worst = float(np.max(z[first:last]))
            out.append(Finding(
                PATTERN, factor, series.hour(first * 24), series.hour(last * 24), worst,
                Z_THRESHOLD,
                f"{last - first} 天氧量中位数 {np.max(o2_median[first:last]):.2f}% 高于本点位"
                f"常态 {usual:.2f}%（{worst:.1f} 倍稳健离差），"
                f"{np.max(share[first:last]):.0%} 小时折算值贴近限值 {limit:g}",
                score_of(worst, Z_THRESHOLD) + 0.5 * (last - first)))
    return out
