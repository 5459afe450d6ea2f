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
    region: str | None = None
    """GB/T 2260 code of a region (14, 140100, 140105): only its units' alarms."""
    data_from: datetime | None = None
    """Only alarms whose evidence reaches this data time or later (`--from`)."""
    data_to: datetime | None = None
    """Only alarms whose evidence starts before this data time (`--to`, exclusive)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", optional_choice(AlarmStatus, self.status, "--status"))
        object.__setattr__(self, "rule", optional_choice(AlarmRule, self.rule, "--rule"))
        if self.region is not None:
            from envmon.assess.api import region_prefix

            region_prefix(self.region)  # a malformed code is named now (OptionError)
        for name, option in (("data_from", "--from"), ("data_to", "--to")):
            value = getattr(self, name)
            if isinstance(value, str):
                from envmon.period import parse_time

                object.__setattr__(self, name, parse_time(value, option))
        if self.data_from and self.data_to and not self.data_from < self.data_to:
            raise OptionError("--to", "must be later than --from")


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
    region = None
    if options.region is not None:
        from envmon.assess.api import region_prefix

        region = region_prefix(options.region)
    alarms = tuple(alarm_store.list_alarms(store, status=status, mn=options.mn, rule=rule,
                                           opened_since=options.opened_since,
                                           region=region, data_from=options.data_from,
                                           data_to=options.data_to))
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
        if not str(self.by or "").strip():
            raise OptionError("--by", "say who acts on the alarm")

    def require_note(self) -> None:
        """Closing ends the record of an alarm: it says why (issue 12, "close with a note")."""
        if not str(self.note or "").strip():
            raise OptionError("--note", f"closing alarm {self.alarm_id} needs a note saying "
                              "why (what was found or done)")


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
    """open or acknowledged → closed, by a person, with a note (`OptionError` "--note"
    without one: the CLI, the API and the page all come through here)."""
    options.require_note()
    return _transition(store, "close", options)


# The evidence listed with one alarm: a day of minute data of one factor; an alarm that has
# lasted longer shows its latest evidence (the span is in data_from/data_to).
MAX_EVIDENCE = 1440


@dataclass(frozen=True)
class AlarmDetail:
    """One alarm (the list's object plus who acknowledged/closed it and why), its lifecycle
    events (the audit trail) and its evidence: the stored records of its point and factor
    with data times from data_from to data_to (the latest `MAX_EVIDENCE`)."""

    alarm: Any  # envmon.alarms.store.Alarm
    unit_name: str | None
    events: tuple[tuple, ...]
    evidence: tuple[dict[str, Any], ...]

    default_stem = "alarm"

    def as_json(self) -> dict[str, Any]:
        a = self.alarm

        def iso(value):
            return value.isoformat() if hasattr(value, "isoformat") else value

        return {**a.as_json(), "unit_name": self.unit_name,
                "acknowledged_at": iso(a.acknowledged_at), "acknowledged_by": a.acknowledged_by,
                "ack_note": a.ack_note, "closed_by": a.closed_by, "close_note": a.close_note,
                "events": [{"at": iso(at), "action": action, "actor": actor, "note": note}
                           for at, action, actor, note in self.events],
                "evidence": [dict(r) for r in self.evidence]}


@dataclass(frozen=True)
class AlarmOptions:
    alarm_id: int

    def __post_init__(self) -> None:
        if isinstance(self.alarm_id, bool) or not isinstance(self.alarm_id, int) \
                or self.alarm_id < 1:
            raise OptionError("ID", f"{self.alarm_id!r} is not an alarm id (1, 2, …)")


def alarm_detail(store, options: AlarmOptions) -> AlarmDetail:
    """One alarm with its events and evidence; `AlarmError` "no alarm with id N" if none."""
    from envmon.alarms import store as alarm_store
    from envmon.records.api import FIELDS, _plain

    alarm = alarm_store.get_alarm(store, options.alarm_id)
    evidence: list = []
    if alarm.data_from is not None and alarm.data_to is not None and alarm.factor:
        rows = store.query(
            f"SELECT {', '.join(FIELDS)} FROM records_first WHERE mn = ? AND factor = ? "
            "AND data_time >= ? AND data_time <= ? ORDER BY data_time DESC, cn "
            f"LIMIT {MAX_EVIDENCE}", [alarm.mn, alarm.factor, alarm.data_from, alarm.data_to])
        evidence = [_plain(dict(zip(FIELDS, row, strict=True))) for row in reversed(rows)]
    names = store.unit_names([alarm.unit_id]) if alarm.unit_id else {}
    return AlarmDetail(alarm, names.get(alarm.unit_id), tuple(alarm_store.events(
        store, alarm.id)), tuple(evidence))


__all__ = ["AlarmActionOptions", "AlarmChanged", "AlarmDetail", "AlarmError", "AlarmList",
           "AlarmListOptions", "AlarmOptions", "AlarmRule", "AlarmStatus", "acknowledge_alarm",
           "alarm_detail", "close_alarm", "list_alarms"]


def _alarm_terminal_table(result: AlarmList, stream) -> None:
    """`terminal_table()` by the shared writer: the whole columns never cut; on a narrow
    terminal the trailing columns that do not fit are left out (a note says so)."""
    from envmon.render.terminal import write_table

    write_table(result.terminal_table(), stream)


def _register_renderers() -> None:
    from envmon.render import renderer

    renderer(AlarmList, "table")(_alarm_terminal_table)


_register_renderers()
