"""Reading and writing the `commands` table (`envmon.control.tables`).

`CommandRow` is the one shape of a command everywhere: the store's row, the API's JSON, the
CLI's table and the live `command` event. Writes run on the platform's writer thread (the
dispatcher calls them through `run_in_writer`); reads from any thread.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime

__all__ = ["FINAL_STATES", "CommandList", "CommandRow", "audit_result", "get_command",
           "insert_command",
           "list_commands", "update_command"]

FINAL_STATES = frozenset({"done", "failed", "timed_out", "refused"})

_COLUMNS = ("id", "mn", "cn", "action", "parameters", "qn", "requested_by", "requested_at",
            "requested_from", "state", "qn_rtn", "exe_rtn", "reason", "answer", "sent_at",
            "finished_at")


@dataclass(frozen=True)
class CommandRow:
    id: int
    mn: str
    cn: str
    action: str
    parameters: str
    qn: str
    requested_by: str
    requested_at: datetime
    requested_from: str
    state: str
    qn_rtn: str | None = None
    exe_rtn: str | None = None
    reason: str | None = None
    answer: dict | None = None
    sent_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    def with_(self, **changes) -> CommandRow:
        return replace(self, **changes)

    def as_json(self) -> dict:
        data = asdict(self)
        for name in ("requested_at", "sent_at", "finished_at"):
            if data[name] is not None:
                data[name] = data[name].isoformat()
        return data

    def as_table(self):
        return CommandList((self,)).as_table()


@dataclass(frozen=True)
class CommandList:
    commands: tuple[CommandRow, ...]

    def as_json(self) -> list[dict]:
        return [c.as_json() for c in self.commands]

    def as_table(self):
        from envmon.render import Column, Table

        columns = [Column("id", "编号"), Column("mn", "MN"), Column("action", "命令"),
                   Column("cn", "CN"), Column("state", "状态"), Column("reason", "说明"),
                   Column("answer", "应答数据"), Column("requested_by", "发起人"),
                   Column("requested_at", "发起时间")]
        rows = [(c.id, c.mn, c.action, c.cn, c.state, c.reason or "",
                 json.dumps(c.answer, ensure_ascii=False) if c.answer else "",
                 c.requested_by, c.requested_at.isoformat()) for c in self.commands]
        return Table("远程命令（反控）", columns, rows)


def _row(values: tuple) -> CommandRow:
    data = dict(zip(_COLUMNS, values, strict=True))
    data["answer"] = json.loads(data["answer"]) if data["answer"] else None
    return CommandRow(**data)


def insert_command(store, row: CommandRow) -> CommandRow:
    """Store a new command (the next id: only the writer thread inserts, one at a time);
    the row with its id."""
    with store.transaction():
        new_id = store.query("SELECT COALESCE(MAX(id), 0) + 1 FROM commands")[0][0]
        row = row.with_(id=int(new_id))
        store.execute(f"INSERT INTO commands ({', '.join(_COLUMNS)}) VALUES "
                      f"({', '.join('?' * len(_COLUMNS))})", _values(row))
    return row


def update_command(store, row: CommandRow) -> None:
    columns = _COLUMNS[9:]
    with store.transaction():
        store.execute(f"UPDATE commands SET {', '.join(f'{c} = ?' for c in columns)} "
                      "WHERE id = ?", [*_values(row)[9:], row.id])


def _values(row: CommandRow) -> list:
    values = [getattr(row, c) for c in _COLUMNS]
    values[_COLUMNS.index("answer")] = (json.dumps(row.answer, ensure_ascii=False)
                                        if row.answer is not None else None)
    return values


def audit_result(store, row: CommandRow) -> int:
    """The end of a command (done, failed, timed_out, refused) as its own audit row
    (``command.result``): who asked it and from where, the unit's QnRtn/ExeRtn and the
    reason; the row of the send is the endpoint's or the command's (``command.send``)."""
    from envmon.access import audit
    from envmon.access.users import find_user

    person = row.requested_by.split(" (", 1)[0].strip()
    user = find_user(store, person)
    role = user[1] if user is not None else None
    source = row.requested_from
    address = source[4:] if source.startswith("web ") else source
    return audit.record(store, person, "command.result", row.mn, {
        "command_id": row.id, "action": row.action, "cn": row.cn, "qn": row.qn,
        "state": row.state, "qn_rtn": row.qn_rtn, "exe_rtn": row.exe_rtn,
        "reason": row.reason}, address, row.state, role=role)


def get_command(store, command_id: int) -> CommandRow | None:
    rows = store.query(f"SELECT {', '.join(_COLUMNS)} FROM commands WHERE id = ?",
                       [command_id])
    return _row(rows[0]) if rows else None


def list_commands(store, mn: str | None = None, limit: int = 100) -> CommandList:
    """The newest `limit` commands (of `mn`), newest first."""
    where, params = ("WHERE mn = ?", [mn]) if mn else ("", [])
    rows = store.query(f"SELECT {', '.join(_COLUMNS)} FROM commands {where} "
                       "ORDER BY id DESC LIMIT ?", [*params, limit])
    return CommandList(tuple(_row(r) for r in rows))
