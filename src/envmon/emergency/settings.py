"""`[emergency]` of the configuration file: the emergency-control check's settings.

    [emergency]
    baseline_days = 30            # the calendar days before an alert its baseline is drawn from
    min_baseline_days = 7         # fewer valid same-hour days than this: 数据不足
    min_coverage_pct = 75         # fewer usable alert hours of a day than this %: 数据不足
    confidence_z = 1.645          # 未落实 only when the shortfall exceeds z × the uncertainty
    [emergency.targets]           # the plan's city-wide reduction targets per level, %
    yellow = 10
    orange = 20
    red = 30

Every key is a field of `EmergencyConfig`, documented there with the reason for its default.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

LEVELS = ("yellow", "orange", "red")
LEVEL_ZH = {"yellow": "黄色", "orange": "橙色", "red": "红色"}

DEFAULT_TARGETS: tuple[tuple[str, float], ...] = (("yellow", 10.0), ("orange", 20.0),
                                                  ("red", 30.0))
"""The city's reduction of SO2, NOx, PM (and VOCs) during an alert, % of its emissions: at
least 10 / 20 / 30 % for yellow / orange / red. The national requirement (生态环境部
《关于加强重污染天气应对夯实应急减排措施的指导意见》, 环办大气函〔2019〕648号, as quoted in
the city plans, e.g. 天津市重污染天气应急预案: "黄色、橙色和红色预警期间的减排量分别达到全社会
排放总量的10%、20%和30%以上"; /work/shared/standards/platform.md §4). The number of the
circular was not checked against its text; a city whose plan differs sets `[emergency.targets]`."""


@dataclass(frozen=True)
class EmergencyConfig:
    baseline_days: int = 30
    """The baseline of an alert hour is the same clock hour of the `baseline_days` calendar
    days before the alert's first day (days touched by any alert left out): a month is the
    span the guidance's list takes its reference emissions over (a recent, normal production
    month), short enough that the unit's production has not changed much."""
    min_baseline_days: int = 7
    """An hour needs at least this many valid same-hour baseline values, and a day this many
    baseline days: a week, so one odd day cannot make the baseline."""
    min_coverage_pct: float = 75.0
    """A unit-day is judged only when at least this share of its alert hours has a valid
    (or stopped) value: 75 %, the share HJ 75-2017 asks of valid hours before a period's
    figures count without substitution (emissions.md §4: α ≥ 75 %)."""
    confidence_z: float = 1.645
    """未落实 only when the achieved reduction falls short of the required by more than
    z × its standard uncertainty (one-sided 95 %): a verdict a bureau acts on must not be the
    baseline's noise."""
    targets: tuple[tuple[str, float], ...] = DEFAULT_TARGETS
    """(level, %) the city's achieved SO2, NOx and PM reductions are held against."""
    pollutants: tuple[str, ...] = field(default=("a21026", "a21002", "a34013"))
    """The region's pollutants: SO2, NOx, PM (颗粒物) — the gas factors CEMS measure of the
    four the plans name (VOCs are not among a CEMS's usual factors)."""

    def __post_init__(self) -> None:
        if self.baseline_days < 1:
            raise ValueError(f"baseline_days must be 1 or more, not {self.baseline_days}")
        if not 1 <= self.min_baseline_days <= self.baseline_days:
            raise ValueError(f"min_baseline_days must be 1 to baseline_days "
                             f"({self.baseline_days}), not {self.min_baseline_days}")
        if not 0 < self.min_coverage_pct <= 100:
            raise ValueError(f"min_coverage_pct must be more than 0 and at most 100, not "
                             f"{self.min_coverage_pct}")
        if not (math.isfinite(self.confidence_z) and self.confidence_z >= 0):
            raise ValueError(f"confidence_z must be 0 or more, not {self.confidence_z}")
        for level, pct in self.targets:
            if level not in LEVELS:
                raise ValueError(f"targets: unknown level {level!r} (known: "
                                 f"{', '.join(LEVELS)})")
            if not 0 <= pct <= 100:
                raise ValueError(f"targets {level}: {pct} is not a percentage 0–100")

    def target(self, level: str) -> float | None:
        return dict(self.targets).get(level)


def emergency_settings(table: dict, source: str = "[emergency]") -> EmergencyConfig:
    """`EmergencyConfig` from the `[emergency]` table; a bad key or value is a ValueError
    naming `[emergency] key`."""
    from envmon.config import _coerce

    known = {f.name for f in dataclasses.fields(EmergencyConfig)} - {"pollutants"}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ValueError(f"{source}: unknown key{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(unknown)} (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for key in ("baseline_days", "min_baseline_days"):
        if key in table:
            values[key] = _coerce(f"{source} {key}", table[key], int)
    for key in ("min_coverage_pct", "confidence_z"):
        if key in table:
            values[key] = _coerce(f"{source} {key}", table[key], float)
    if "targets" in table:
        targets = table["targets"]
        if not isinstance(targets, dict):
            raise ValueError(f"{source} targets: expected a table of level = %, got "
                             f"{targets!r}")
        merged = dict(DEFAULT_TARGETS)
        for level, pct in targets.items():
            merged[level] = _coerce(f"{source} targets {level}", pct, float)
        values["targets"] = tuple(merged.items())
    try:
        return EmergencyConfig(**values)
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None
