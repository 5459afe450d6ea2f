"""copied: a block of 24 hours (starting on a whole or a half day: `BLOCK_STEP`) whose values
equal, or are a linear function (r ≈ 1, tiny residual) of, another block of the same or another
point, whatever the factor. Pasted hours are found when they cover such a block and were moved
by a whole number of half days (as pasting a day, or a shift, does).

Candidates by hashing, not by comparing every pair of days: two days related by y = a·x + b
with a > 0 have the same pattern of rises and falls, so each day-vector is filed under two
keys, the signs of its lag-1 differences (23 bits) and of its lag-2 differences (22 bits)
(two keys: a copy whose re-rounding turns one near-tie still meets its source under the
other). Only days sharing a key are compared: Pearson r ≥ `MIN_R` (0.9999) and the residual
of the least-squares line below `MAX_RESIDUAL` (1 %) of the day's standard deviation.

Why: 数据复制/粘贴 (a day's data pasted over another, or another unit's, sometimes scaled) is
伪造 under 《环境监测数据弄虚作假行为判定及处理办法》(2015: "删除、修改、增加…数据"); and one
published case (https://m.31ppt.com/p-6731541.html: a manganese plant whose particulate, flue-gas
velocity and temperature "变化趋势完全一致", the temperature signal wired in place of the other
two) is found the same way, since the factors of a point (temperature included) share the
hash space; honest days of a CEMS series are
never that close (their hour-to-hour changes follow combustion and load, r between two days
is far below 0.99). Days with fewer than `MIN_DISTINCT` distinct values are left to `flat`.
The thresholds are our own calibration: a copy re-rounded to 3 decimals keeps r > 0.99999.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from envmon.screen.findings import Finding, score_of
from envmon.screen.series import FLOW, O2, TEMPERATURE, PointSeries

PATTERN = "copied"
MIN_R = 0.9999
MAX_RESIDUAL = 0.01
MIN_DISTINCT = 12
BLOCK_STEP = 12


def _day_vectors(fleet: list[PointSeries]):
    """(point index, factor, first hour, vector) of every complete, non-flat 24-hour block
    starting on a whole or half day (`BLOCK_STEP`) of the grid."""
    for p, series in enumerate(fleet):
        for factor in [*series.pollutants, O2, FLOW, TEMPERATURE]:
            if factor not in series.values:
                continue
            # every received value, whatever its flag: a pasted day is pasted whole
            values = series.values[factor]
            for first in range(0, series.n_hours - 23, BLOCK_STEP):
                vector = values[first:first + 24]
                if np.isfinite(vector).all() and len(np.unique(vector)) >= MIN_DISTINCT:
                    yield p, factor, first, vector


def _keys(vector: np.ndarray) -> tuple[bytes, bytes]:
    return (np.packbits(np.diff(vector) > 0).tobytes() + b"1",
            np.packbits(vector[2:] > vector[:-2]).tobytes() + b"2")


def _related(x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """(r, residual / std of y) when y is a linear function of x within the thresholds."""
    sx, sy = x.std(), y.std()
    if sx == 0 or sy == 0:
        return None
    r = float(np.corrcoef(x, y)[0, 1])
    if r < MIN_R:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    residual = float(np.std(y - (slope * x + intercept)) / sy)
    return (r, residual) if residual <= MAX_RESIDUAL else None


def detect_fleet(fleet: list[PointSeries]) -> dict[int, list[Finding]]:
    """Findings per point index of `fleet`: each copied block, on the later of the two (the
    earlier one is named in the detail as the source; the same hours of two points: both)."""
    buckets: dict[bytes, list] = defaultdict(list)
    for item in _day_vectors(fleet):
        for key in _keys(item[3]):
            buckets[key].append(item)
    seen: set[tuple] = set()
    out: dict[int, list[Finding]] = defaultdict(list)
    for members in buckets.values():
        if len(members) < 2:
            continue
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                a, b = members[i], members[j]
                if (a[0], a[1]) == (b[0], b[1]) and abs(a[2] - b[2]) < 24:
                    continue  # the same block, or two overlapping blocks of one series
                # the copy is the later day (only past data can be pasted); the same day of
                # two points: both carry the finding
                source, copy = (a, b) if (a[2], a[0]) <= (b[2], b[0]) else (b, a)
                pair = (source[0], source[1], source[2], copy[0], copy[1], copy[2])
                if pair in seen:
                    continue
                seen.add(pair)
                related = _related(source[3], copy[3])
                if related is None:
                    continue
                r, residual = related
                if source[2] == copy[2]:
                    out[source[0]].append(_finding(fleet, copy, source, r, residual))
                out[copy[0]].append(_finding(fleet, source, copy, r, residual))
    return out


def _finding(fleet, source, copy, r: float, residual: float) -> Finding:
    """The finding on `copy`'s point and day, naming `source` as where it came from."""
    src, series = fleet[source[0]], fleet[copy[0]]
    where = "本点位" if source[0] == copy[0] else f"点位 {src.mn}"
    return Finding(
        PATTERN, copy[1], series.hour(copy[2]), series.hour(copy[2] + 24), r, MIN_R,
        f"与{where} {src.hour(source[2]):%Y-%m-%d %H:%M} 起 24 小时的 {source[1]} 数据线性相关 "
        f"r={r:.6f}，残差 {residual:.2%} 标准差",
        score_of(1 - MIN_R, max(1 - r, 1e-9)) + 1.0)


def detect(series: PointSeries) -> list[Finding]:
    """Copies within one point (the fleet form also finds copies between points)."""
    return detect_fleet([series]).get(0, [])
