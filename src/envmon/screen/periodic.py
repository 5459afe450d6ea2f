"""periodic: a small-amplitude periodic fluctuation at a period unlike process variation.

Statistic, in windows of `WINDOW_H` (72) hours stepped by 12, per pollutant: the periodogram of
the first differences of the window's valid values, measured and 折算 (a program may make either;
the other then carries the O2's own variation; short gaps filled linearly), and at each period
between `MIN_PERIOD_H` (2.5 h) and `MAX_PERIOD_H` (23 h), except the bins of the day's first
`SKIPPED_HARMONICS` harmonics (24, 12, 8 h: daily load, two- and three-shift work, soot
blowing; the higher ones, 6, 4.8, 4 … h, must pass a `HARMONIC_FACTOR` (5) times higher ratio,
as a square daily pattern has weak lines there), the ratio of its power to the median power of
the `FLOOR_BINS` (8) bins on each side (the local noise floor: CEMS series are red noise, so a
global floor would see every slow swing as a peak; differencing whitens it and spreads load
steps). Fires when the ratio exceeds `RATIO` (60). For a periodogram ordinate of noise, power /
local median is about Exp(1)/ln 2, so a ratio of 60 would have a chance of e^−41 per bin if the
median were exact; it is the median of 16 bins, so the real tail is heavier: at 40 a few honest
simulated point-months fired, at 60 none did. Overlapping firing windows are one finding.

Why: data made by a program ("软件自动生成数据", a base value plus a sine or a cyclic table)
show a clean spectral line that combustion and load never make; a spectral test is the
standard way to find a hidden period (Fisher's g test; a local floor is the usual
refinement for red noise). 60 and the bands are our own calibration.
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
RATIO = 60.0
MIN_VALID_SHARE = 0.9
HARMONICS_OF_H = 24.0
SKIPPED_HARMONICS = 3
HARMONIC_FACTOR = 5.0


def _searchable(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(bins searched for a line, the ratio each must exceed) of an n-hour window."""
    bins = np.arange(n // 2 + 1)
    with np.errstate(divide="ignore"):
        period = np.where(bins > 0, n / np.maximum(bins, 1), np.inf)
    ok = (period >= MIN_PERIOD_H) & (period <= MAX_PERIOD_H)
    needed = np.full(len(bins), RATIO)
    for k in range(1, int(HARMONICS_OF_H / MIN_PERIOD_H) + 1):
        on_harmonic = np.abs(bins - n * k / HARMONICS_OF_H) < 0.5  # the bin of 24/k hours
        if k <= SKIPPED_HARMONICS:
            ok &= ~on_harmonic
        else:
            needed[on_harmonic] = RATIO * HARMONIC_FACTOR
    return bins[ok], needed[ok]


def _floor_index(n: int, bins: np.ndarray) -> np.ndarray:
    """For each searched bin, `2 × FLOOR_BINS` bins around it (not its main lobe, ±1), the
    run shifted inwards where one side is short; the slowest bins (periods over a day, where
    differencing and trends shape the power) are never part of a floor."""
    top = n // 2
    lowest = int(np.ceil(n / HARMONICS_OF_H)) + 1
    rows = []
    for b in bins:
        around = [k for k in range(b - 4 * FLOOR_BINS, b + 4 * FLOOR_BINS + 1)
                  if lowest <= k <= top and abs(k - b) > 1]
        around.sort(key=lambda k: (abs(k - b), k))
        rows.append(sorted(around[:2 * FLOOR_BINS]))
    return np.array(rows)


def peak_ratios(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per window (rows, gap-free): (power / local floor, scaled so that RATIO is each bin's
    threshold, period in hours) of the strongest searchable line."""
    n = windows.shape[1]
    # first differences: red noise becomes nearly white and load steps broadband, while a
    # sine stays a sine (one line)
    differences = np.diff(windows, axis=1, prepend=windows[:, :1])
    differences -= differences.mean(axis=1, keepdims=True)
    power = np.abs(np.fft.rfft(differences, axis=1)) ** 2
    bins, needed = _searchable(n)
    floor = np.median(power[:, _floor_index(n, bins)], axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(floor > 0, power[:, bins] / floor, 0.0) * (RATIO / needed)
    best = np.argmax(ratio, axis=1)
    return ratio[np.arange(len(ratio)), best], n / bins[best]


def peak_ratio(window: np.ndarray) -> tuple[float, float]:
    """`peak_ratios` of one window (NaN gaps filled linearly)."""
    t = np.arange(len(window))
    good = np.isfinite(window)
    ratio, period = peak_ratios(np.interp(t, t[good], window[good])[None, :])
    return float(ratio[0]), float(period[0])


def _window_ratios(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first hours, ratios, periods) of the series' windows with enough valid hours."""
    good = np.isfinite(values)
    firsts = np.arange(0, len(values) - WINDOW_H + 1, STEP_H)
    if good.sum() < 2 or not len(firsts):
        return firsts[:0], np.zeros(0), np.zeros(0)
    t = np.arange(len(values))
    filled = np.interp(t, t[good], values[good])
    index = firsts[:, None] + np.arange(WINDOW_H)[None, :]
    windows = filled[index]
    keep = (good[index].mean(axis=1) >= MIN_VALID_SHARE) & (windows.std(axis=1) > 0)
    if not keep.any():
        return firsts[:0], np.zeros(0), np.zeros(0)
    ratios, periods = peak_ratios(windows[keep])
    return firsts[keep], ratios, periods


def detect(series: PointSeries) -> list[Finding]:
    out = []
    for factor in series.pollutants:
        measured, corrected = series.valid_values(factor), series.valid_corrected(factor)
        best: dict[int, tuple[float, float]] = {}
        for values in (measured, corrected):
            for first, ratio, period in zip(*_window_ratios(values), strict=True):
                if ratio > RATIO and ratio > best.get(int(first), (0.0, 0.0))[0]:
                    best[int(first)] = (float(ratio), float(period))
        spans: list[list] = []
        for first in sorted(best):
            ratio, period = best[first]
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
