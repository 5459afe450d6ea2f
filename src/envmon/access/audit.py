"""The audit log: `record(...)` is the one way a row enters it; `list_audit` reads it (the
API, the CLI, the page); `verify` checks that no row was changed or removed since.

Append-only: this module has no update and no delete, and each row holds the SHA-256 of the
row before it (`prev_hash`) and of itself with that (`row_hash`), so a row changed, removed
or slipped in by hand breaks the chain at that row (`verify` names it).

Every write goes here: each write endpoint of the API (`web.audited`; a route walk of the tests
checks it), user changes (`access.users`), logins and tokens (`web.api.auth`), a command's end
(`control.storage.audit_result`), and each write command run on the store itself
(`record_cli`, `cli_audited`). ``address`` is the client's IP for the web, and
``cli:<OS user>`` for a command (`cli_address`).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from envmon.access.principal import Principal
from envmon.errors import OptionError
from envmon.timeutil import now_beijing

__all__ = ["AUDIT_COLUMNS", "AuditEntries", "AuditListOptions", "cli_address", "cli_audited",
           "AuditCheck", "check_chain", "list_audit", "record", "record_cli", "verify"]

GENESIS = "0" * 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_APPEND = threading.Lock()  # one chain: appends of this process one at a time

AUDIT_COLUMNS = ("id", "happened_at", "who", "role", "action", "target", "detail", "address",
                 "result")
COLUMN_LABELS_ZH = {"id": "序号", "happened_at": "时间", "who": "操作人", "role": "角色",
                    "action": "操作", "target": "对象", "detail": "详情", "address": "来源",
                    "result": "结果"}


def cli_address() -> str:
    """Where a command comes from: ``cli:<OS user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return f"cli:{user}"


def record_cli(store, action: str, target: str | None = None,
               detail: dict[str, Any] | None = None, result: str = "ok") -> int:
    """`record` for a command run on the store itself: the OS user as the local operator,
    from ``cli:<OS user>``."""
    from envmon.access.principal import operator

    address = cli_address()
    return record(store, operator(address.split(":", 1)[1]), action, target, detail, address,
                  result)


@contextlib.contextmanager
def cli_audited(store, action: str, target: Any = None, detail: dict[str, Any] | None = None):
    """Around a write command's use case on the store: one `record_cli` row when it ends,
    ``ok`` or ``refused: <reason>`` for an `EnvmonError` (re-raised: the command says it).
    Yields the detail, to which the block may add what the use case answered."""
    from envmon.errors import EnvmonError

    facts = dict(detail or {})
    name = None if target is None else str(target)
    try:
        yield facts
    except EnvmonError as error:
        with contextlib.suppress(Exception):  # the refusal is what the user must read
            record_cli(store, action, name, facts or None, f"refused: {error}")
        raise
    record_cli(store, action, name, facts or None)


def _row_hash(prev: str, happened_at: datetime, values: tuple) -> str:
    micros = (happened_at - _EPOCH) // timedelta(microseconds=1)
    text = json.dumps([prev, micros, *values], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(store, who: Principal | str, action: str, target: str | None = None,
           detail: dict[str, Any] | None = None, address: str | None = None,
           result: str = "ok", *, role: str | None = None,
           now: datetime | None = None) -> int:
    """Append one row (who — a principal or a name —, what, on what, from where, how it
    ended); returns its id."""
    if isinstance(who, Principal):
        who, role = who.username, role or who.role
    happened_at = now or now_beijing()
    detail_text = (json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
                   if detail is not None else None)
    values = (str(who), role, action, target, detail_text, address, result)
    with _APPEND, store.transaction():
        last = store.query("SELECT id, row_hash FROM audit_log ORDER BY id DESC LIMIT 1")
        row_id, prev = (last[0][0] + 1, last[0][1]) if last else (1, GENESIS)
        store.execute(
            "INSERT INTO audit_log (id, happened_at, who, role, action, target, detail, "
            "address, result, prev_hash, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row_id, happened_at, *values, prev, _row_hash(prev, happened_at, values)])
    return int(row_id)


def verify(store) -> int | None:
    """The id of the first row whose chain is broken (changed, removed before it, or added
    by hand), None when the whole log holds."""
    prev, expected = GENESIS, 1
    for row in store.query("SELECT id, happened_at, who, role, action, target, detail, "
                           "address, result, prev_hash, row_hash FROM audit_log ORDER BY id"):
        row_id, happened_at, *values = row[:9]
        if (row_id != expected or row[9] != prev
                or row[10] != _row_hash(prev, happened_at, tuple(values))):
            return int(row_id)
        prev, expected = row[10], expected + 1
    return None


@dataclass(frozen=True)
class AuditCheck:
    """`envmon audit verify` (and ``GET /api/v1/audit/verify``): the rows, and the first row
    whose chain is broken (None: the whole log holds)."""

    rows: int
    broken_at: int | None

    def as_json(self) -> dict[str, Any]:
        return {"intact": self.broken_at is None, "rows": self.rows,
                "broken_at": self.broken_at}


def check_chain(store) -> AuditCheck:
    return AuditCheck(int(store.query("SELECT count(*) FROM audit_log")[0][0]), verify(store))


@dataclass(frozen=True)
class AuditListOptions:
    """Filters of `envmon audit list` / `GET /api/v1/audit/list`."""

    start: datetime | None = None
    end: datetime | None = None
    user: str | None = None
    action: str | None = None  # exact, or a prefix ending in "." (alarm.)

    def __post_init__(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise OptionError("--to", "must be after --from")
        for name, value in (("--user", self.user), ("--action", self.action)):
            if value is not None and (not value.strip() or len(value) > 200):
                raise OptionError(name, "must be 1 to 200 characters")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class AuditEntries:
    """Audit rows, oldest first: JSON objects (``detail`` as its JSON object), a table."""

    entries: tuple[tuple, ...]
    default_stem: str = "audit-log"

    def as_json(self) -> list[dict[str, Any]]:
        out = []
        for row in self.entries:
            item = {k: _plain(v) for k, v in zip(AUDIT_COLUMNS, row, strict=True)}
            if item["detail"]:
                with contextlib.suppress(ValueError):  # written by `record`: JSON
                    item["detail"] = json.loads(item["detail"])
            out.append(item)
        return out

    def as_table(self):
        from envmon.render import Column, Table

        return Table("审计日志", [Column(c, COLUMN_LABELS_ZH[c]) for c in AUDIT_COLUMNS],
                     [tuple(_plain(v) for v in row) for row in self.entries])


def list_audit(store, options: AuditListOptions | None = None) -> AuditEntries:
    """Audit rows matching the filters, oldest first."""
    options = options or AuditListOptions()
    where, params = [], []
    if options.start is not None:
        where.append("happened_at >= ?")
        params.append(options.start)
    if options.end is not None:
        where.append("happened_at < ?")
        params.append(options.end)
    if options.user:
        where.append("who = ?")
        params.append(options.user.strip())
    if options.action:
        action = options.action.strip()
        if action.endswith("."):
            where.append("action LIKE ? ESCAPE '!'")  # portable prefix match
            params.append(action.replace("!", "!!").replace("%", "!%").replace("_", "!_")
                          + "%")
        else:
            where.append("action = ?")
            params.append(action)
    sql = f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return AuditEntries(tuple(store.query(sql + " ORDER BY id", params)))
