"""The compliance arithmetic of emergency control: pure functions, no store.

A unit's hourly series of one quantity (kg/h of a pollutant, or m³/h of flue gas) is
`{hour: value}`, holding only the hours with a usable value: valid hours with their measured
value, stopped hours (flag F, or inside a registered 停产 mark) as 0 during an alert. Hours
without a usable value are absent.

**Baseline** (`baseline_hours`). An alert hour's baseline is the mean of the same clock hour
(Beijing time) on the baseline days — the `baseline_days` calendar days before the alert's
first day, leaving out any day an alert touches — over the days that have a *valid* value
then (stopped, invalid, missing and marked hours are no baseline: a unit's normal production
is what the list's reduction is a share of). An hour with fewer than `min_baseline_days`
such values has no baseline. Industrial units run round the clock, so every day counts alike
(no weekday/weekend split; the clock hour keeps shift patterns).

**A unit-day** (`day_check`). Usable hours: the day's alert hours with both a value and a
baseline. With U usable hours of the day's H alert hours, baseline B = Σ baseline_h and
achieved A = Σ value_h over the usable hours; the achieved reduction is 100 × (1 − A / B) %.
Its standard uncertainty comes from the spread of the baseline days: each baseline day d
with values in some usable hours has the ratio r_d = Σ x_{d,h} / Σ baseline_h over those
hours; with s the standard deviation of the r_d over n days, what the unit would have
emitted that day without the alert is uncertain by s × √(1 + 1/n) relative (a prediction
for one day: the day-to-day variation plus that of the baseline's mean), and the
reduction's standard uncertainty is u = 100 × (A / B) × s × √(1 + 1/n).

**Verdict** (per pollutant, then per day, then per alert):
- 数据不足 — U / H below `min_coverage_pct`, fewer than `min_baseline_days` baseline days,
  or a baseline of 0;
- 未落实 — achieved < required − z × u (the shortfall is beyond the baseline's noise);
- 落实 — otherwise.
A day is 未落实 when any listed pollutant is, else 数据不足 when any is, else 落实; its
achieved reduction is its lowest pollutant's. The alert is 未落实 when any day is, else
数据不足 when any day is, else 落实 (a unit is cleared only when every day is).

Example (tests/emergency/test_compliance.py): a baseline of exactly 100 kg/h every day and
hour (u = 0), 80 kg/h during the alert, 20 % required: achieved 20.0 % → 落实; at 80.5 kg/h
it is 19.5 % → 未落实.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import fmean, stdev

from envmon.emergency.settings import EmergencyConfig
from envmon.timeutil import BEIJING_FIXED

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

COMPLIED, NOT_COMPLIED, INSUFFICIENT = "落实", "未落实", "数据不足"
VERDICTS = (COMPLIED, NOT_COMPLIED, INSUFFICIENT)
VERDICT_EN = {COMPLIED: "complied", NOT_COMPLIED: "not complied",
              INSUFFICIENT: "insufficient data"}


def beijing_day(t: datetime) -> date:
    return t.astimezone(BEIJING_FIXED).date()


def day_start(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=BEIJING_FIXED)


def alert_days(start: datetime, end: datetime) -> list[tuple[date, list[datetime]]]:
    """The Beijing days of the alert [start, end) with each day's alert hours."""
    out: dict[date, list[datetime]] = {}
    hour = start
    while hour < end:
        out.setdefault(beijing_day(hour), []).append(hour)
        hour += HOUR
    return list(out.items())


def baseline_dates(start: datetime, config: EmergencyConfig,
                   excluded: Iterable[tuple[datetime, datetime]] = ()) -> list[date]:
    """The baseline days: the `config.baseline_days` days before the alert's first day,
    without the days any of the `excluded` periods (other alerts) touches."""
    first = beijing_day(start)
    touched: set[date] = set()
    for a, b in excluded:
        d = beijing_day(a)
        while day_start(d) < b:
            touched.add(d)
            d += DAY
    days = [first - DAY * k for k in range(config.baseline_days, 0, -1)]
    return [d for d in days if d not in touched]


def _same_hour(hour: datetime, d: date) -> datetime:
    local = hour.astimezone(BEIJING_FIXED)
    return day_start(d) + timedelta(hours=local.hour)


@dataclass(frozen=True)
class HourCheck:
    hour: datetime
    baseline: float | None  # mean of the same clock hour over the baseline days
    baseline_days: int  # how many baseline days had a valid value then
    achieved: float | None  # the alert hour's value (0 when stopped); None: no value


@dataclass(frozen=True)
class QuantityDay:
    """One quantity (a pollutant's kg/h, or flow) of one unit on one alert day."""

    quantity: str
    hours: list[HourCheck]
    usable_hours: int
    baseline_total: float | None
    achieved_total: float | None
    baseline_days: int
    achieved_pct: float | None
    uncertainty_pct: float | None
    required_pct: float | None = None
    verdict: str | None = None  # None for flow (evidence, not judged)
    reason: str = ""  # English (the JSON's `reason`, kept as it was)
    reason_zh: str = ""  # the same in Chinese: what tables, XLSX and HTML show (依据)

    def as_json(self) -> dict:
        return {"baseline": _r(self.baseline_total), "achieved": _r(self.achieved_total),
                "achieved_pct": _r(self.achieved_pct, 1),
                "uncertainty_pct": _r(self.uncertainty_pct, 1),
                "required_pct": self.required_pct, "verdict": self.verdict,
                "usable_hours": self.usable_hours, "alert_hours": len(self.hours),
                "baseline_days": self.baseline_days, "reason": self.reason,
                "reason_zh": self.reason_zh}


def _r(value: float | None, decimals: int = 3) -> float | None:
    return None if value is None else round(value, decimals)


def baseline_hours(series: Mapping[datetime, float], hours: list[datetime],
                   days: list[date], baseline_valid: Mapping[datetime, float]
                   ) -> list[tuple[datetime, list[tuple[date, float]]]]:
    """For each alert hour, the (baseline day, value) pairs of its clock hour that are valid."""
    out = []
    for hour in hours:
        values = []
        for d in days:
            value = baseline_valid.get(_same_hour(hour, d))
            if value is not None:
                values.append((d, value))
        out.append((hour, values))
    return out


def day_check(quantity: str, hours: list[datetime], alert_values: Mapping[datetime, float],
              baseline_valid: Mapping[datetime, float], days: list[date],
              config: EmergencyConfig, required_pct: float | None = None) -> QuantityDay:
    """One quantity of one unit over one day's alert `hours` (see the module docstring).

    `alert_values`: the usable values of the alert hours (stopped hours as 0);
    `baseline_valid`: the valid values of the baseline hours; `days`: the baseline days.
    `required_pct` None: evidence only (flow), no verdict."""
    checks: list[HourCheck] = []
    per_day: dict[date, list[float]] = {}  # baseline day → [Σ x, Σ baseline] over usable h
    baseline_total = achieved_total = 0.0
    usable = 0
    for hour, values in baseline_hours(alert_values, hours, days, baseline_valid):
        enough = len(values) >= config.min_baseline_days
        mean = fmean(v for _, v in values) if enough else None
        achieved = alert_values.get(hour)
        checks.append(HourCheck(hour, mean, len(values), achieved))
        if mean is None or achieved is None:
            continue
        usable += 1
        baseline_total += mean
        achieved_total += achieved
        for d, v in values:
            slot = per_day.setdefault(d, [0.0, 0.0])
            slot[0] += v
            slot[1] += mean
    judged = required_pct is not None
    coverage = 100.0 * usable / len(hours) if hours else 0.0
    n_days = len(per_day)
    reason = reason_zh = ""
    if coverage < config.min_coverage_pct:
        no_value = sum(c.achieved is None for c in checks)
        no_baseline = sum(c.baseline is None for c in checks)
        most = max((c.baseline_days for c in checks), default=0)
        reason = (f"{usable} of {len(hours)} alert hours usable ({coverage:.0f} % < "
                  f"{config.min_coverage_pct:g} %): {no_value} without a value, "
                  f"{no_baseline} without a baseline of {config.min_baseline_days} days "
                  f"(at most {most} baseline days)")
        reason_zh = (f"预警 {len(hours)} 小时中可用 {usable} 小时（{coverage:.0f}% < "
                     f"{config.min_coverage_pct:g}%）：{no_value} 小时无数据，{no_baseline} "
                     f"小时基准不足 {config.min_baseline_days} 日（最多 {most} 日）")
    elif n_days < config.min_baseline_days:
        reason = f"{n_days} baseline days (< {config.min_baseline_days})"
        reason_zh = f"基准日 {n_days} 日（少于 {config.min_baseline_days} 日）"
    elif baseline_total <= 0:
        reason = "baseline is 0"
        reason_zh = "基准排放为 0"
    if reason:
        return QuantityDay(quantity, checks, usable, baseline_total if usable else None,
                           achieved_total if usable else None, n_days, None, None,
                           required_pct, INSUFFICIENT if judged else None, reason,
                           reason_zh)
    ratio = achieved_total / baseline_total
    achieved_pct = 100.0 * (1.0 - ratio)
    ratios = [x / b for x, b in per_day.values() if b > 0]
    spread = stdev(ratios) if len(ratios) > 1 else 0.0
    uncertainty = 100.0 * ratio * spread * math.sqrt(1.0 + 1.0 / len(ratios))
    verdict = None
    if judged:
        shortfall = required_pct - achieved_pct
        margin = config.confidence_z * uncertainty
        verdict = NOT_COMPLIED if shortfall > margin + 1e-9 else COMPLIED
        reason = (f"achieved {achieved_pct:.1f} % vs required {required_pct:g} % "
                  f"(± {uncertainty:.1f} %, z = {config.confidence_z:g})")
        reason_zh = (f"实际减排 {achieved_pct:.1f}%，要求 {required_pct:g}%（不确定度 ± "
                     f"{uncertainty:.1f}%，z = {config.confidence_z:g}）")
    return QuantityDay(quantity, checks, usable, baseline_total, achieved_total, n_days,
                       achieved_pct, uncertainty, required_pct, verdict, reason, reason_zh)


def combine(verdicts: Iterable[str | None]) -> str:
    """未落实 when any is, else 数据不足 when any is (or none is given), else 落实."""
    given = [v for v in verdicts if v is not None]
    if not given or INSUFFICIENT in given and NOT_COMPLIED not in given:
        return INSUFFICIENT
    return NOT_COMPLIED if NOT_COMPLIED in given else COMPLIED


@dataclass
class Totals:
    """Σ baseline and Σ achieved over the usable hours of several unit-days."""

    baseline: float = 0.0
    achieved: float = 0.0
    unit_days: int = 0
    units: set = field(default_factory=set)

    def add(self, day: QuantityDay, unit_id: str) -> None:
        if day.achieved_pct is None:
            return
        self.baseline += day.baseline_total or 0.0
        self.achieved += day.achieved_total or 0.0
        self.unit_days += 1
        self.units.add(unit_id)

    @property
    def achieved_pct(self) -> float | None:
        if self.baseline <= 0:
            return None
        return 100.0 * (1.0 - self.achieved / self.baseline)
