"""Rates, GB/T 8170 rounding and ranking: pure functions on counts.

GB/T 8170-2008 §3.2 (数值修约规则): round to the last kept digit; a dropped part above half
rounds up, below half rounds down, exactly half rounds to the even digit ("四舍六入五成双").
Rates are computed exactly from integer counts (transmission.md §6: "compute from counts,
round only for display") and rounded once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

T = TypeVar("T")

PLACES = 2


def round_gbt8170(value: Fraction, places: int = PLACES) -> Decimal:
    """`value` rounded to `places` decimals by GB/T 8170 (half to even), exactly."""
    scale = 10**places
    scaled = value * scale
    q, r = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * r
    if twice > scaled.denominator or (twice == scaled.denominator and q % 2 == 1):
        q += 1
    return Decimal(q).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def percent_fraction(numerator: int, denominator: int) -> Fraction | None:
    """numerator / denominator × 100 exactly; None when the denominator is 0 (shown "—")."""
    if denominator == 0:
        return None
    return Fraction(100 * numerator, denominator)


def percent(numerator: int, denominator: int, places: int = PLACES) -> Decimal | None:
    """A percentage rounded by GB/T 8170, or None when undefined (denominator 0)."""
    exact = percent_fraction(numerator, denominator)
    return None if exact is None else round_gbt8170(exact, places)


def mean_percent(values: Sequence[Fraction | None], places: int = PLACES) -> Decimal | None:
    """Mean of exact percentages (None ignored); None when none is defined."""
    defined = [v for v in values if v is not None]
    if not defined:
        return None
    return round_gbt8170(sum(defined, Fraction(0)) / len(defined), places)


def display(rate: Decimal | None) -> str:
    """'97.86%' or '—' (never 0 or 100 for an undefined rate)."""
    return "—" if rate is None else f"{rate}%"


def competition_ranks(items: Sequence[T], key: Callable[[T], Decimal | None]) -> list[int | None]:
    """Standard competition ranks ("1224"), best (highest) first; ties share a rank; items
    whose key is None get None. `items` must already be sorted best first."""
    ranks: list[int | None] = []
    previous: Decimal | None = None
    current = 0
    for position, item in enumerate(items, start=1):
        value = key(item)
        if value is None:
            ranks.append(None)
            continue
        if previous is None or value != previous:
            current = position
            previous = value
        ranks.append(current)
    return ranks
