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

from dataclasses import dataclass, field
from datetime import datetime
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
                 ("detail", "说明"), ("data_from", "数据起"), ("data_to", "数据止"),
                 ("unit_name", "单位名称"))  # added last: the columns before it are a contract


@dataclass(frozen=True)
class AlarmListOptions:
    status: AlarmStatus | None = None
    mn: str | None = None
    rule: AlarmRule | None = None
    opened_since: datetime | None = None  # only alarms opened at or after this time

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", optional_choice(AlarmStatus, self.status, "--status"))
        object.__setattr__(self, "rule", optional_choice(AlarmRule, self.rule, "--rule"))


STATUS_ZH = {"open": "未确认", "acknowledged": "已确认", "closed": "已关闭"}
"""The lifecycle states (`alarms.store.STATUSES`) as a table shows them."""
assert set(STATUS_ZH) == set(STATUSES)

# The terminal table: what a reader scans first comes first; on a terminal too narrow for all
# of them the last columns are left out (the CSV/XLSX have every one). ID, MN, status, rule and
# factor are never cut or wrapped.
TERMINAL_COLUMNS = (("id", "ID"), ("mn", "MN"), ("status", "状态"), ("rule", "规则"),
                    ("factor", "因子"), ("unit_name", "单位"), ("data_from", "数据起"),
                    ("data_to", "数据止"), ("opened_at", "报警时间"),
                    ("detail", "说明"), ("value", "值"), ("limit", "限值"),
                    ("closed_at", "关闭时间"), ("unit_id", "单位代码"))
WHOLE_COLUMNS = frozenset({"id", "mn", "status", "rule", "factor"})


@dataclass(frozen=True)
class AlarmList:
    """Alarms, oldest first."""

    alarms: tuple  # of envmon.alarms.store.Alarm
    unit_names: dict = field(default_factory=dict)
    """unit_id → the unit's name, for the tables."""

    def _values(self, alarm) -> dict[str, Any]:
        return {"id": alarm.id, "mn": alarm.mn, "unit_id": alarm.unit_id or "",
                "unit_name": self.unit_names.get(alarm.unit_id) or alarm.unit_id or "",
                "factor": alarm.factor or "-", "rule": RULE_NAMES_ZH.get(alarm.rule, alarm.rule),
                "status": STATUS_ZH.get(alarm.status, alarm.status),
                "opened_at": alarm.opened_at, "closed_at": alarm.closed_at,
                "value": alarm.value, "limit": alarm.limit, "detail": alarm.detail or "",
                "data_from": alarm.data_from, "data_to": alarm.data_to}

    def _rows(self, columns: tuple[tuple[str, str], ...]) -> list[tuple]:
        rows = []
        for alarm in self.alarms:
            values = self._values(alarm)  # once per alarm, not once per cell
            rows.append(tuple(values[k] for k, _ in columns))
        return rows

    def terminal_table(self):
        """The `--format table` layout: MN first and whole, the unit's name, id columns last."""
        from envmon.render import Column, Table

        return Table("报警", [Column(k, label, whole=k in WHOLE_COLUMNS)
                             for k, label in TERMINAL_COLUMNS],
                     self._rows(TERMINAL_COLUMNS))

    def as_json(self) -> list[dict[str, Any]]:
        """id, mn, unit_id, factor, rule, status, opened_at, closed_at, value, limit, detail,
        data_from, data_to (the evidence's data-time span; issue 11)."""
        return [a.as_json() for a in self.alarms]

    def as_table(self):
        """The terminal/CSV/XLSX table: rule in Chinese, factor "-" for point-wide alarms."""
        from envmon.render import Column, Table

        return Table("报警", [Column(k, label) for k, label in TABLE_COLUMNS],
                     self._rows(TABLE_COLUMNS))

    default_stem = "alarms"


def list_alarms(store, options: AlarmListOptions | None = None) -> AlarmList:
    from envmon.alarms import store as alarm_store

    options = options or AlarmListOptions()
    status = options.status.value if options.status else None
    rule = options.rule.value if options.rule else None
    alarms = tuple(alarm_store.list_alarms(store, status=status, mn=options.mn, rule=rule,
                                           opened_since=options.opened_since))
    names = store.unit_names([a.unit_id for a in alarms if a.unit_id])
    if options.mn and not alarms and not store.query(  # none, or a mistyped MN?
            "SELECT 1 FROM alarms WHERE mn = ? LIMIT 1", [options.mn]):
        from envmon.registry.api import require_known_mn

        require_known_mn(store, options.mn)
    return AlarmList(alarms, names)


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


def _alarm_terminal_table(result: AlarmList, stream) -> None:
    """`terminal_table()` by the shared writer: the whole columns never cut; on a narrow
    terminal the trailing columns that do not fit are left out (a note says so)."""
    from envmon.render.terminal import write_table

    write_table(result.terminal_table(), stream)


def _register_renderers() -> None:
    from envmon.render import renderer

    renderer(AlarmList, "table")(_alarm_terminal_table)


_register_renderers()
