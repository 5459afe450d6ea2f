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


def _blocks(fleet: list[PointSeries]) -> tuple[np.ndarray, list[tuple[int, str, int]]]:
    """Every complete, non-flat 24-hour block starting on a whole or half day (`BLOCK_STEP`)
    of each series, as rows of one matrix, with (point index, factor, first hour) per row."""
    rows, where = [], []
    for p, series in enumerate(fleet):
        firsts = np.arange(0, series.n_hours - 23, BLOCK_STEP)
        if not len(firsts):
            continue
        index = firsts[:, None] + np.arange(24)[None, :]
        for factor in [*series.pollutants, O2, FLOW, TEMPERATURE]:
            if factor not in series.values:
                continue
            # every received value, whatever its flag: a pasted day is pasted whole
            blocks = series.values[factor][index]
            ordered = np.sort(blocks, axis=1)
            distinct = 1 + (np.diff(ordered, axis=1) != 0).sum(axis=1)
            keep = np.isfinite(blocks).all(axis=1) & (distinct >= MIN_DISTINCT)
            rows.append(blocks[keep])
            where += [(p, factor, int(first)) for first in firsts[keep]]
    return (np.concatenate(rows) if rows else np.zeros((0, 24))), where


def _keys(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two hash keys of each row: the signs of its lag-1 differences (23 bits) and, above
    them, of its lag-2 differences (22 bits)."""
    lag1 = (np.diff(blocks, axis=1) > 0).astype(np.int64) @ (1 << np.arange(23, dtype=np.int64))
    lag2 = ((blocks[:, 2:] > blocks[:, :-2]).astype(np.int64)
            @ (1 << np.arange(22, dtype=np.int64)))
    return lag1, lag2 + (1 << 23)


def _candidate_pairs(keys: np.ndarray) -> np.ndarray:
    """(i, j), i < j, of the rows sharing a key."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    twos = starts[sizes == 2]  # most shared keys are shared by two rows: at once
    pairs = [np.stack([order[twos], order[twos + 1]], axis=1)]
    for first, size in zip(starts[sizes > 2], sizes[sizes > 2], strict=True):
        members = order[first:first + size]
        i, j = np.triu_indices(size, 1)
        pairs.append(np.stack([members[i], members[j]], axis=1))
    return np.concatenate(pairs)


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
    blocks, where = _blocks(fleet)
    out: dict[int, list[Finding]] = defaultdict(list)
    if not len(blocks):
        return out
    pairs = np.unique(np.concatenate([_candidate_pairs(k) for k in _keys(blocks)]), axis=0)
    if not len(pairs):
        return out
    z = blocks - blocks.mean(axis=1, keepdims=True)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    r = np.einsum("ij,ij->i", z[pairs[:, 0]], z[pairs[:, 1]])  # Pearson r of each pair
    for i, j in pairs[r >= MIN_R]:
        a, b = (*where[i], i), (*where[j], j)
        if (a[0], a[1]) == (b[0], b[1]) and abs(a[2] - b[2]) < 24:
            continue  # the same block, or two overlapping blocks of one series
        # the copy is the later block (only past data can be pasted); the same hours of two
        # points: both carry the finding
        source, copy = (a, b) if (a[2], a[0]) <= (b[2], b[0]) else (b, a)
        related = _related(blocks[source[3]], blocks[copy[3]])
        if related is None:
            continue
        r_pair, residual = related
        if source[2] == copy[2]:
            out[source[0]].append(_finding(fleet, copy, source, r_pair, residual))
        out[copy[0]].append(_finding(fleet, source, copy, r_pair, residual))
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
