"""Rounding: GB/T 8170 "四舍六入五成双" for statistics, ceil for IAQI (HJ 633).

GB/T 8170-2008 §3.3 (as HJ 663-2013 §6.3 applies it): round half to even when the 5 is the last
significant digit; when digits follow the 5, round up. The rule is about the *decimal* value as
written, so it works on the shortest decimal string of the float (`repr`), not on the binary
value: 2.675 (stored as 2.67499999…) rounds to 2.68, and 0.125 to 0.12.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

_SNAP = 1e-9


def round_gbt8170(value: float | None, decimals: int = 0) -> float | None:
    """`value` rounded per GB/T 8170 to `decimals` places; None/NaN stay None.

    Decimal arithmetic on `repr(value)`, quantised ROUND_HALF_EVEN (standards note §3.4).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    quantum = Decimal(1).scaleb(-decimals)
    result = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_EVEN)
    return int(result) if decimals <= 0 else float(result)


def round_gbt8170_array(values: np.ndarray, decimals: int = 0) -> np.ndarray:
    """Vectorised `round_gbt8170` (NaN stays NaN), same results as the decimal form.

    A value is an exact decimal half (…5 as last significant digit at `decimals`+1) iff it
    equals the correctly rounded float of (floor(x·10^d) + 0.5)/10^d — IEEE division of two
    exact numbers is correctly rounded, as `float("….5")` is. Those go to the even neighbour;
    every other value goes to the nearest neighbour.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim == 0:
        return round_gbt8170_array(x.reshape(1), decimals).reshape(())
    scale = 10.0**decimals
    y = np.abs(x)  # in-place from here on: few passes, few allocations (large arrays)
    if decimals:
        y *= scale
    f = np.floor(y)
    y -= f  # the fraction; exact for the magnitudes of concentrations
    result = f
    result += y >= 0.5  # nearest; NaN stays NaN
    # exact decimal halves: test only the values whose fraction is near .5
    near = np.nonzero((y > 0.5 - 1e-6) & (y < 0.5 + 1e-6))
    if near[0].size:
        a = np.abs(x[near])
        fh = np.floor(a * scale)
        half = a == (fh + 0.5) / scale
        result[near] = np.where(half, fh + fh % 2, np.where(a * scale - fh >= 0.5, fh + 1, fh))
    if decimals:
        result /= scale
    return np.copysign(result, x, out=result)


def ceil_iaqi(value: np.ndarray | float) -> np.ndarray | float:
    """IAQI rounded up to an integer (HJ 633 as CNEMC publishes it, standards note §1.2),
    after snapping float noise of 1e-9 so that an exact breakpoint stays exact (75 → 100)."""
    return np.ceil(np.asarray(value, dtype=float) - _SNAP)
