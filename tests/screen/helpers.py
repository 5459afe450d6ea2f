"""Series built to fire a detector or not: one gas point over whole days, honest AR(1)
noise around a level, from a seed the benchmark never uses."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from envmon.screen.series import FLOW, O2, TEMPERATURE, PointSeries
from envmon.timeutil import BEIJING_FIXED

START = datetime(2026, 10, 1, tzinfo=BEIJING_FIXED)
SO2 = "a21026"
LIMIT = 35.0


def ar1(rng, n: int, rho: float = 0.8, sigma: float = 0.15) -> np.ndarray:
    out = np.empty(n)
    out[0] = rng.normal(0, sigma)
    for k in range(1, n):
        out[k] = rho * out[k - 1] + rng.normal(0, sigma * np.sqrt(1 - rho * rho))
    return out


def point(days: int = 30, *, seed: int = 20261, level: float = 0.4, mn: str = "TEST0001",
          o2_ref: float = 6.0) -> PointSeries:
    """An honest point: SO2 (折算 at `level` × limit), O2 ≈ 8.5 %, flow, temperature."""
    rng = np.random.default_rng(seed)
    n = days * 24
    o2 = np.round(8.5 + ar1(rng, n, 0.8, 0.25), 2)
    corrected = np.round(LIMIT * level * np.exp(ar1(rng, n)), 3)
    values = {SO2: np.round(corrected * (21 - o2) / (21 - o2_ref), 3), O2: o2,
              FLOW: np.round(120 * (1 + ar1(rng, n, 0.7, 0.03)), 2),
              TEMPERATURE: np.round(70 + rng.normal(0, 1.5, n), 1)}
    flags = {f: np.full(n, "N", dtype="<U1") for f in values}
    return PointSeries(mn, "91140000TEST00001", "测试单位", "gas", START, n, {SO2: LIMIT},
                       values, flags, {SO2: corrected}, o2_ref)


def set_corrected(p: PointSeries, first: int, last: int, corrected) -> None:
    """Report `corrected` (折算) over hours [first, last) as normal data."""
    p.corrected[SO2][first:last] = corrected
    o2 = p.values[O2][first:last]
    p.values[SO2][first:last] = np.asarray(corrected) * (21 - o2) / (21 - p.o2_ref)
    p.flags[SO2][first:last] = "N"
