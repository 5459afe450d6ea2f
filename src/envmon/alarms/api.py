"""Use cases of the alarms: list them, acknowledge one, close one.

Where a new use case goes: here, as `(store, options) -> Result` (or `(store, period, options)`
when it is about a time range), calling `envmon.alarms.store` for the persistence and the
lifecycle rules. Options are frozen dataclasses validated in `__post_init__` (typed with the
`AlarmStatus`/`AlarmRule` enums, raising `envmon.errors.OptionError` with the CLI's option
name); results are dataclasses with `as_json()` (the JSON contract of `envmon alarms …`) and
`as_table()` for the terminal. The rules themselves stay in `rules.py`, the live wiring in
`engine.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from envmon.alarms.config import RULE_NAMES_ZH, RULES
from envmon.alarms.store import STATUSES, AlarmError
from envmon.choices import optional_choice
from envmon.errors import OptionError

AlarmStatus = StrEnum("AlarmStatus", {s.upper(): s for s in STATUSES})
"""The lifecycle states (`alarms.store.STATUSES`): open → acknowledged → closed."""
AlarmRule = StrEnum("AlarmRule", {r.upper(): r for r in RULES})
"""The alarm rules (`alarms.config.RULES`)."""

TABLE_COLUMNS = (("id", "ID"), ("mn", "MN"), ("unit_id", "单位"), ("factor", "因子"),
                 ("rule", "规则"), ("status", "状态"), ("opened_at", "报警时间"),
                 ("closed_at", "关闭时间"), ("value", "值"), ("limit", "限值"),
                 ("detail", "说明"))


@dataclass(frozen=True)
class AlarmListOptions:
    status: AlarmStatus | None = None
    mn: str | None = None
    rule: AlarmRule | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", optional_choice(AlarmStatus, self.status, "--status"))
        object.__setattr__(self, "rule", optional_choice(AlarmRule, self.rule, "--rule"))


@dataclass(frozen=True)
class AlarmList:
    """Alarms, oldest first."""

    alarms: tuple  # of envmon.alarms.store.Alarm

    def as_json(self) -> list[dict[str, Any]]:
        """id, mn, unit_id, factor, rule, status, opened_at, closed_at, value, limit, detail."""
        return [a.as_json() for a in self.alarms]

    def as_table(self):
        """The terminal/CSV/XLSX table: rule in Chinese, factor "-" for point-wide alarms."""
        from envmon.render import Column, Table

        rows = [(a.id, a.mn, a.unit_id or "", a.factor or "-", RULE_NAMES_ZH.get(a.rule, a.rule),
                 a.status, a.opened_at, a.closed_at, a.value, a.limit, a.detail or "")
                for a in self.alarms]
        return Table("报警", [Column(k, label) for k, label in TABLE_COLUMNS], rows)

    default_stem = "alarms"


def list_alarms(store, options: AlarmListOptions | None = None) -> AlarmList:
    from envmon.alarms import store as alarm_store

    options = options or AlarmListOptions()
    status = options.status.value if options.status else None
    rule = options.rule.value if options.rule else None
    alarms = tuple(alarm_store.list_alarms(store, status=status, mn=options.mn, rule=rule))
    if options.mn and not alarms and not store.query(  # none, or a mistyped MN?
            "SELECT 1 FROM alarms WHERE mn = ? LIMIT 1", [options.mn]):
        from envmon.registry.api import require_known_mn

        require_known_mn(store, options.mn)
    return AlarmList(alarms)


@dataclass(frozen=True)
class AlarmActionOptions:
    alarm_id: int
    by: str
    note: str | None = None

    def __post_init__(self) -> None:
        if not str(self.by).strip():
            raise OptionError("--by", "say who acts on the alarm")


@dataclass(frozen=True)
class AlarmChanged:
    """One alarm after a transition (the `alarms ack|close` JSON object, on one line)."""

    alarm: Any  # envmon.alarms.store.Alarm
    json_layout = "compact"

    def as_json(self) -> dict[str, Any]:
        return self.alarm.as_json()


def _transition(store, action: str, options: AlarmActionOptions) -> AlarmChanged:
    from envmon.alarms import store as alarm_store

    fn = alarm_store.acknowledge if action == "ack" else alarm_store.close
    return AlarmChanged(fn(store, options.alarm_id, options.by, options.note))


def acknowledge_alarm(store, options: AlarmActionOptions) -> AlarmChanged:
    """open → acknowledged (who, note; written to the audit events); `AlarmError` for an
    unknown alarm or a transition its state does not allow."""
    return _transition(store, "ack", options)


def close_alarm(store, options: AlarmActionOptions) -> AlarmChanged:
    """open or acknowledged → closed, by a person."""
    return _transition(store, "close", options)


__all__ = ["AlarmActionOptions", "AlarmChanged", "AlarmError", "AlarmList", "AlarmListOptions",
           "AlarmRule", "AlarmStatus", "acknowledge_alarm", "close_alarm", "list_alarms"]
