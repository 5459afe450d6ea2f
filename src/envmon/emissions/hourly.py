"""Valid hourly averages from minute data (HJ 75-2017, emissions.md §1.1, §5).

An hour is valid when it has at least 45 valid minutes (more than 15 invalid minutes make it
invalid: "HJ 75-2017 的「>15min」", emissions.md §1.1, not checked against the text); its value
is the arithmetic mean of the valid minutes. Valid minutes carry a flag in `valid_flags`
(HJ 212-2017 Table 8: only N; some platforms also accept S). An hour whose minutes are
mostly `F` (stopped) is a stopped hour: it contributes 0 emission and is not substituted
(emissions.md §5).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from envmon.hj212.codes import MAX_PLAUSIBLE_MAGNITUDE

MIN_VALID_MINUTES = 45
VALID_FLAGS: tuple[str, ...] = ("N",)
STOPPED_FLAG = "F"
STOPPED_OVER_MINUTES = 30
"""An invalid hour is `stopped` when more than this many of its minutes are `F`: "mostly
stopped", half of the 60 minutes. A platform convention, not a figure of HJ 75-2017
(emissions.md §1.1, §5 give none): a setting (`AccountingConfig.stopped_over_minutes`)."""


@dataclass(frozen=True, slots=True)
class HourlyAverage:
    hour: datetime
    avg: float | None  # mean of the valid minutes; None when the hour is not valid
    valid_minutes: int
    minutes: int  # minutes received
    stopped_minutes: int
    status: str  # valid | invalid | stopped

    @property
    def valid(self) -> bool:
        return self.status == "valid"


def hour_of(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def hourly_from_minutes(
    minutes: Iterable[tuple[datetime, float | None, str | None]], *,
    min_valid: int = MIN_VALID_MINUTES, valid_flags: tuple[str, ...] = VALID_FLAGS,
    stopped_over: int = STOPPED_OVER_MINUTES,
) -> dict[datetime, HourlyAverage]:
    """(minute start, value, flag) → {hour start: HourlyAverage} (HJ 75-2017 ≥ 45 valid min).

    A minute is valid when its flag is in `valid_flags` and its value is a number ≥ 0
    (negative values are never valid, emissions.md §8) and below the implausible magnitude
    (`hj212.codes.MAX_PLAUSIBLE_MAGNITUDE`, issue 10). An hour with fewer than `min_valid`
    valid minutes is `stopped` when more than `stopped_over` of its minutes are `F` (default
    30: more than half of 60), else `invalid`.
    """
    if not 0 <= stopped_over <= 60:
        raise ValueError(f"stopped_over: {stopped_over} is not a number of minutes 0–60")
    acc: dict[datetime, list] = {}
    for start, value, flag in minutes:
        slot = acc.setdefault(hour_of(start), [0.0, 0, 0, 0])
        slot[2] += 1
        if flag == STOPPED_FLAG:
            slot[3] += 1
        elif flag in valid_flags and value is not None and 0 <= value < MAX_PLAUSIBLE_MAGNITUDE:
            slot[0] += value
            slot[1] += 1
    out: dict[datetime, HourlyAverage] = {}
    for hour, (total, n_valid, n, n_stopped) in sorted(acc.items()):
        if n_valid >= min_valid:
            out[hour] = HourlyAverage(hour, total / n_valid, n_valid, n, n_stopped, "valid")
        else:
            status = "stopped" if n_stopped > stopped_over else "invalid"
            out[hour] = HourlyAverage(hour, None, n_valid, n, n_stopped, status)
    return out
