"""periodic: a small-amplitude periodic fluctuation at a period unlike process variation.

Statistic, in windows of `WINDOW_H` (72) hours stepped by 12, per pollutant: the
periodogram of the first differences of the window's valid values (short gaps filled
linearly), and at each period between `MIN_PERIOD_H` (2.5 h) and `MAX_PERIOD_H` (23 h),
except the bins of the day's harmonics (24/k h: daily load, two- and three-shift work,
soot blowing), the ratio of its power to the median power of the `FLOOR_BINS` (8) bins on
each side (the local noise floor: CEMS series are red noise, so a global floor would see
every slow swing as a peak; differencing whitens it and spreads load steps).
Fires when the ratio exceeds `RATIO` (40). For a periodogram
ordinate of noise, power / local median is about Exp(1)/ln 2, so P(ratio > 40) ≈ e^−27.7
≈ 1e−12 per bin: no honest window reaches it. Overlapping firing windows are one finding.

Why: data made by a program ("软件自动生成数据", a base value plus a sine or a cyclic table)
show a clean spectral line that combustion and load never make; a spectral test is the
standard way to find a hidden period (Fisher's g test; a local floor is the usual
refinement for red noise). 40 and the bands are our own calibration.
"""

from __future__ import annotations

import numpy as np

from envmon.screen.findings import Finding, score_of
from envmon.screen.series import PointSeries

PATTERN = "periodic"
WINDOW_H = 72
STEP_H = 12
MIN_PERIOD_H = 2.5
MAX_PERIOD_H = 23.0
FLOOR_BINS = 8
RATIO = 40.0
MIN_VALID_SHARE = 0.9
HARMONICS_OF_H = 24.0


def _searchable(n: int) -> np.ndarray:
    """The rfft bins of an n-hour window searched for a line."""
    bins = np.arange(n // 2 + 1)
    with np.errstate(divide="ignore"):
        period = np.where(bins > 0, n / np.maximum(bins, 1), np.inf)
    ok = (period >= MIN_PERIOD_H) & (period <= MAX_PERIOD_H)
    for k in range(1, int(HARMONICS_OF_H / MIN_PERIOD_H) + 1):
        harmonic = n * k / HARMONICS_OF_H  # the bin of 24/k hours
        ok &= np.abs(bins - harmonic) >= 0.5
    return ok


def peak_ratio(window: np.ndarray) -> tuple[float, float]:
    """(power / local floor, period in hours) of the strongest searchable line."""
    n = len(window)
    t = np.arange(n)
    good = np.isfinite(window)
    filled = np.interp(t, t[good], window[good])
    # first differences: red noise becomes nearly white and load steps broadband, while a
    # sine stays a sine (one line)
    differences = np.diff(filled, prepend=filled[0])
    power = np.abs(np.fft.rfft(differences - differences.mean())) ** 2
    bins = np.flatnonzero(_searchable(n))
    offsets = np.r_[np.arange(-FLOOR_BINS - 1, -1), np.arange(2, FLOOR_BINS + 2)]
    around = bins[:, None] + offsets[None, :]
    inside = (around >= 1) & (around < len(power))
    side = np.where(inside, power[np.clip(around, 0, len(power) - 1)], np.nan)
    floor = np.nanmedian(side, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(floor > 0, power[bins] / floor, 0.0)
    if not len(ratio):
        return 0.0, 0.0
    best = int(np.argmax(ratio))
    return float(ratio[best]), n / bins[best]


def detect(series: PointSeries) -> list[Finding]:
    out = []
    for factor in series.pollutants:
        values = series.valid_values(factor)
        spans: list[list] = []
        for first in range(0, series.n_hours - WINDOW_H + 1, STEP_H):
            window = values[first:first + WINDOW_H]
            if np.isfinite(window).mean() < MIN_VALID_SHARE or np.nanstd(window) == 0:
                continue
            ratio, period = peak_ratio(window)
            if ratio <= RATIO:
                continue
            if spans and first < spans[-1][1]:
                spans[-1][1] = first + WINDOW_H
                if ratio > spans[-1][2]:
                    spans[-1][2:] = [ratio, period]
            else:
                spans.append([first, first + WINDOW_H, ratio, period])
        for first, last, ratio, period in spans:
            out.append(Finding(
                PATTERN, factor, series.hour(first), series.hour(last), ratio, RATIO,
                f"周期约 {period:.1f} 小时的谱线功率为邻近噪声底的 {ratio:.0f} 倍"
                f"（非日周期谐波，工况变化不产生）",
                score_of(ratio, RATIO)))
    return out
