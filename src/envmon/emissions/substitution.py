"""Substitution (修约/替代) of emission amounts for invalid or missing hours, HJ 75-2017
(emissions.md §4). A separate layer over the raw data: every hour keeps its measured value,
the substituted value and the rule id.

Only emission AMOUNTS of SO2, NOx and particulate are substituted (never concentrations).
Stopped hours (`F`) contribute 0 and are not substituted (§5).

Rules (emissions.md §4):
- capture rate α = (H_total − H_stopped − H_invalid) / (H_total − H_stopped) × 100 over the
  calendar quarter;
- 失控 periods (drift/check failed), as in the public C# `GetAutoRoundingData`: α ≥ 90 % and
  N ≤ 24 consecutive invalid hours → max of the 180 valid hours before; α ≥ 90 %, N > 24 →
  max of 720; 75 % ≤ α < 90 % → max of 2160; α < 75 % → no substitution (the month is not
  usable for tax: emission factors or material balance, 财税〔2018〕117号);
- maintenance, fault and other invalid hours: UNVERIFIED which rule HJ 75 Table 8 gives
  (max of the preceding window like 失控, or the mean of the valid hour before and the valid
  hour after). It is a configuration parameter, `other_rule`: "max_preceding" (default, as
  public code does; conservative for tax) or "mean_bracketing".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

SUBSTITUTED_FACTORS = ("a21026", "a21002", "a34013")  # SO2, NOx, particulate


@dataclass(frozen=True)
class SubstitutionConfig:
    factors: tuple[str, ...] = SUBSTITUTED_FACTORS
    other_rule: str = "max_preceding"  # max_preceding | mean_bracketing (unverified, §4)
    short_gap_hours: int = 24
    windows: tuple[int, int, int] = (180, 720, 2160)
    alpha_full_pct: float = 90.0
    alpha_min_pct: float = 75.0


@dataclass(frozen=True, slots=True)
class HourInput:
    hour: datetime
    kg: float | None  # measured emission of a valid hour; None otherwise
    status: str  # valid | invalid | missing | stopped | out_of_control (失控)


@dataclass(frozen=True, slots=True)
class HourResult:
    hour: datetime
    measured_kg: float | None
    kg: float  # what counts in the totals
    status: str
    rule: str | None  # None for measured/stopped hours; else the rule id


def capture_rate_pct(total_hours: int, stopped_hours: int, invalid_hours: int) -> float:
    """Quarterly valid-data capture rate α in % (emissions.md §4, formula of the public C#
    code base). 100 when every hour was stopped (nothing to capture)."""
    denominator = total_hours - stopped_hours
    if denominator <= 0:
        return 100.0
    return (denominator - invalid_hours) / denominator * 100.0


def _gaps(hours: Sequence[HourInput]) -> list[tuple[int, int]]:
    """[start, end) index runs of consecutive hours needing substitution."""
    runs, start = [], None
    for i, h in enumerate(hours):
        needs = h.status in ("invalid", "missing", "out_of_control")
        if needs and start is None:
            start = i
        elif not needs and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(hours)))
    return runs


def substitute(hours: Sequence[HourInput], alpha_pct: float | Callable[[datetime], float],
               config: SubstitutionConfig | None = None) -> list[HourResult]:
    """Substituted hourly emissions for a chronological, gap-free run of hours of one point
    and factor (include enough history before the period: up to 2160 hours).

    Rule ids: `max{N}` (max of the N valid hours before the gap), `mean_bracketing`,
    `none_alpha_lt_75` (α < 75 %: not substituted, kg 0, the month is not usable for tax),
    `none_no_history` (no valid hour to draw from). `alpha_pct` is the capture rate, or a
    function of the gap's first hour giving it (α of that hour's quarter).
    """
    config = config or SubstitutionConfig()
    results = [
        HourResult(h.hour, h.kg, h.kg if h.status == "valid" and h.kg is not None else 0.0,
                   h.status, None)
        for h in hours
    ]
    short, long_, quarter = config.windows
    for start, end in _gaps(hours):
        n = end - start
        alpha = alpha_pct(hours[start].hour) if callable(alpha_pct) else alpha_pct
        if alpha < config.alpha_min_pct:
            rule, value = "none_alpha_lt_75", 0.0
        else:
            kind = hours[start].status
            if kind != "out_of_control" and config.other_rule == "mean_bracketing":
                before = next((hours[i].kg for i in range(start - 1, -1, -1)
                               if hours[i].status == "valid"), None)
                after = next((hours[i].kg for i in range(end, len(hours))
                              if hours[i].status == "valid"), None)
                known = [v for v in (before, after) if v is not None]
                rule = "mean_bracketing"
                value = sum(known) / len(known) if known else None
            else:
                if alpha >= config.alpha_full_pct:
                    window = short if n <= config.short_gap_hours else long_
                else:
                    window = quarter
                rule = f"max{window}"
                previous = [h.kg for h in hours[:start] if h.status == "valid" and
                            h.kg is not None][-window:]
                value = max(previous) if previous else None
            if value is None:
                rule, value = "none_no_history", 0.0
        for i in range(start, end):
            h = hours[i]
            results[i] = HourResult(h.hour, None, value, h.status, rule)
    return results
