"""`SupervisionSettings`: the `[supervision]` section of the configuration, each default with
its reason. Every figure here is a platform convention, not a national number."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SupervisionSettings:
    near_pass_margin: float = 2.0
    """Percentage points above the pass mark ([assess] pass_mark) within which a point's
    month-to-date 即时 or 补全 effective rate warns (below the mark warns too): 2 points leave
    a unit room to act before a 90 % month becomes a failed one."""
    repeat_alarms: int = 3
    """A repeated alarm: this many alarms of one rule on one point …"""
    repeat_days: float = 7.0
    """… opened within this many days (a week: a recurring fault, not a single event)."""
    mark_rules: tuple[str, ...] = ("offline",)
    """Alarm rules whose period needs a filed mark (exemption) from the unit."""
    mark_deadline_hours: float = 24.0
    """A period of `mark_rules` ended this long ago with no mark filed warns: a day, well
    inside [assess] mark_within_days (10 d) after which the hours are lost for good."""
    notice_days: float = 3.0
    """A notice's deadline when none is given (three working days to answer)."""
    sweep_every_s: float = 300.0
    """How often the running platform escalates overdue notices and, at a month change,
    grades the month just ended (5 min: deadlines are days)."""
    warnings_every_s: float = 3600.0
    """How often the running platform runs the warning rules (hourly: the rates change by
    the hour, and a month's assessment is not free)."""
    webhook_urls: tuple[str, ...] = ()
    """Where notices and escalations are POSTed as JSON (the unit's portal, a messaging
    gateway); empty: none (the portal lists them: `envmon.supervision.api.unit_notices`)."""
    webhook_retries: int = 4
    """Retries of a failed delivery, with back-off (as the alarms' webhook)."""
    webhook_timeout_s: float = 5.0
    """One delivery attempt's bound."""
    webhook_backoff_s: float = 1.0
    """The first retry's delay; each next one doubles."""

    def __post_init__(self) -> None:
        from envmon.errors import OptionError

        for name in ("near_pass_margin", "repeat_days", "mark_deadline_hours", "notice_days",
                     "sweep_every_s", "warnings_every_s", "webhook_timeout_s"):
            if not getattr(self, name) > 0:
                raise OptionError(f"[supervision] {name}", "must be more than 0")
        if self.repeat_alarms < 2:
            raise OptionError("[supervision] repeat_alarms", "must be at least 2")
        if self.webhook_retries < 0 or self.webhook_backoff_s < 0:
            raise OptionError("[supervision] webhook_retries", "must be 0 or more")
