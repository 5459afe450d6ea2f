"""Supervision persistence: cases and their append-only events (who, when, from where,
note). Synchronous functions on the thread that owns the store connection (a CLI process,
the platform's writer thread). The lifecycle rules are `states.TRANSITIONS`; this module only
refuses what they refuse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from envmon.errors import EnvmonError
from envmon.supervision.states import OPEN_STATES, STAGES, next_state

_COLUMNS = ("id", "unit_id", "mn", "source", "source_key", "alarm_id", "reason", "evidence",
            "state", "deadline", "requested_action", "answer_note", "penalty_note",
            "created_at", "created_by", "updated_at")


class CaseError(EnvmonError):
    """No such case, or a transition its state does not allow (the message says which)."""


@dataclass(frozen=True)
class Case:
    id: int
    unit_id: str
    mn: str | None
    source: str
    source_key: str | None
    alarm_id: int | None
    reason: str
    evidence: str | None
    state: str
    deadline: datetime | None
    requested_action: str | None
    answer_note: str | None
    penalty_note: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime

    @property
    def stage(self) -> str:
        return STAGES[self.state]

    def overdue(self, now: datetime) -> bool:
        """A notice whose deadline has passed unanswered."""
        return self.state == "notified" and self.deadline is not None and self.deadline < now

    def as_json(self, now: datetime | None = None) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in _COLUMNS}
        out["evidence"] = json.loads(self.evidence) if self.evidence else None
        out["stage"] = self.stage
        for name in ("deadline", "created_at", "updated_at"):
            if out[name] is not None:
                out[name] = out[name].isoformat()
        if now is not None:
            out["overdue"] = self.overdue(now)
        return out


def _case(row) -> Case:
    return Case(*row)


def get_case(store, case_id: int) -> Case:
    rows = store.query(f"SELECT {', '.join(_COLUMNS)} FROM supervision_cases WHERE id = ?",
                       [case_id])
    if not rows:
        raise CaseError(f"no supervision case with id {case_id}")
    return _case(rows[0])


def _event(store, case_id: int, at: datetime, action: str, from_state: str | None,
           to_state: str, actor: str, origin: str, note: str | None) -> None:
    store.execute(
        "INSERT INTO supervision_events (id, case_id, event_at, action, from_state, to_state, "
        "actor, origin, note) VALUES (nextval('supervision_events_id_seq'), ?, ?, ?, ?, ?, ?, "
        "?, ?)", [case_id, at, action, from_state, to_state, actor, origin, note])


def has_key(store, source_key: str) -> bool:
    """Whether a case of this finding exists (warnings are raised once per finding)."""
    return bool(store.query("SELECT 1 FROM supervision_cases WHERE source_key = ? LIMIT 1",
                            [source_key]))


def create_case(store, *, unit_id: str, mn: str | None, source: str, reason: str,
                evidence: dict | None, actor: str, origin: str, at: datetime,
                source_key: str | None = None, alarm_id: int | None = None) -> Case:
    """A new case in the `warning` state (事前预警), with its `open` event."""
    case_id = store.query("SELECT nextval('supervision_cases_id_seq')")[0][0]
    with store.transaction():
        store.execute(
            f"INSERT INTO supervision_cases ({', '.join(_COLUMNS)}) VALUES "
            f"({', '.join('?' * len(_COLUMNS))})",
            [case_id, unit_id, mn, source, source_key, alarm_id, reason,
             json.dumps(evidence, ensure_ascii=False, default=str) if evidence else None,
             "warning", None, None, None, None, at, actor, at])
        _event(store, case_id, at, "open", None, "warning", actor, origin, reason)
    return get_case(store, case_id)


def transition(store, case_id: int, action: str, *, actor: str, origin: str, at: datetime,
               note: str | None, changes: dict[str, Any] | None = None,
               event_action: str | None = None) -> Case:
    """Apply `action` to a case (`CaseError` when its state refuses it), set `changes`
    (columns) and write the event."""
    case = get_case(store, case_id)
    target = next_state(case.state, action)
    if target is None:
        from envmon.supervision.states import allowed_actions

        allowed = ", ".join(allowed_actions(case.state)) or "none"
        raise CaseError(f"case {case_id} is {case.state}; {action} is not allowed "
                        f"(allowed: {allowed})")
    columns = {"state": target, "updated_at": at, **(changes or {})}
    with store.transaction():
        store.execute(
            f"UPDATE supervision_cases SET {', '.join(f'{k} = ?' for k in columns)} "
            "WHERE id = ?", [*columns.values(), case_id])
        _event(store, case_id, at, event_action or action, case.state, target, actor, origin,
               note)
    return get_case(store, case_id)


def list_cases(store, *, state: str | None = None, unit_id: str | None = None,
               overdue_at: datetime | None = None, open_only: bool = False) -> list[Case]:
    where, params = [], []
    if state is not None:
        where.append("state = ?")
        params.append(state)
    if unit_id is not None:
        where.append("unit_id = ?")
        params.append(unit_id)
    if overdue_at is not None:
        where.append("state = 'notified' AND deadline < ?")
        params.append(overdue_at)
    if open_only:
        where.append(f"state IN ({', '.join('?' * len(OPEN_STATES))})")
        params.extend(OPEN_STATES)
    sql = f"SELECT {', '.join(_COLUMNS)} FROM supervision_cases"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_case(row) for row in store.query(sql + " ORDER BY id", params)]


def events(store, case_id: int) -> list[tuple]:
    """(at, action, from_state, to_state, actor, origin, note) in order."""
    return store.query(
        "SELECT event_at, action, from_state, to_state, actor, origin, note "
        "FROM supervision_events WHERE case_id = ? ORDER BY id", [case_id])


def log_delivery(store, case_id: int, event: str, target: str | None, attempt: int,
                 at: datetime, ok: bool, http_status: int | None, error: str | None) -> None:
    store.execute(
        "INSERT INTO supervision_deliveries (id, case_id, event, target, attempt, sent_at, ok,"
        " http_status, error) VALUES (nextval('supervision_deliveries_id_seq'), ?, ?, ?, ?, ?,"
        " ?, ?, ?)", [case_id, event, target, attempt, at, ok, http_status, error])


def deliveries(store, case_id: int) -> list[tuple]:
    return store.query("SELECT event, target, attempt, ok, http_status, error FROM "
                       "supervision_deliveries WHERE case_id = ? ORDER BY id", [case_id])
