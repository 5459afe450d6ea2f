"""`GradeSettings`: the `[grade]` section, the rule that grades units (分级分类监管).

Each rule has three thresholds, for the grades after the best (B, C, D by default): a unit
whose figure reaches a threshold is at least that grade; its grade is the worst any rule
gives, A when none fires. A threshold of 0 leaves that step out. The defaults are a platform
convention (no national figures for 分级): tune them in the configuration file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GradeSettings:
    labels: tuple[str, ...] = ("A", "B", "C", "D")
    """The grades, best first (e.g. ["绿", "蓝", "黄", "红"])."""
    rate_below_pct: tuple[float, ...] = (95.0, 90.0, 80.0)
    """The unit's month 补全 or 即时 effective rate below these: B, C, D (90 % is the pass
    mark; below it a unit fails the month's assessment)."""
    alarms_at_least: tuple[float, ...] = (5, 20, 50)
    """Alarms opened in the month (any rule)."""
    exceedance_hours_at_least: tuple[float, ...] = (1, 12, 48)
    """Hours of exceedance alarms' evidence in the month (one hour of exceedance is already
    a finding: 超标 is what supervision exists for)."""
    bad_marks_at_least: tuple[float, ...] = (1, 3, 6)
    """Marks filed late (after [supervision] mark_deadline_hours) or rejected (revoked)."""
    overdue_notices_at_least: tuple[float, ...] = (1, 2, 3)
    """Notices of the month escalated because their deadline passed unanswered."""
    escalated_at_least: tuple[float, ...] = (0, 1, 2)
    """Cases escalated (立案) in the month, by hand or overdue: at least C."""

    def __post_init__(self) -> None:
        from envmon.errors import OptionError

        if len(self.labels) != 4 or len(set(self.labels)) != 4:
            raise OptionError("[grade] labels", "give four different grades, best first")
        for name in RULE_FIELDS.values():
            values = getattr(self, name)
            if len(values) != 3:
                raise OptionError(f"[grade] {name}", "give three thresholds (2nd, 3rd, 4th "
                                  "grade)")


RULE_FIELDS = {"rate": "rate_below_pct", "alarms": "alarms_at_least",
               "exceedance_hours": "exceedance_hours_at_least",
               "bad_marks": "bad_marks_at_least",
               "overdue_notices": "overdue_notices_at_least",
               "escalated": "escalated_at_least"}
"""Rule → its thresholds' setting."""
