"""Alerts and the emission-reduction list in the store: the only SQL of envmon.emergency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from envmon.timeutil import BEIJING_FIXED, now_beijing


@dataclass(frozen=True)
class Alert:
    id: int
    level: str
    start: datetime
    end: datetime
    region: str
    created_by: str | None
    created_at: datetime
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def same_as(self, level: str, start: datetime, end: datetime, region: str) -> bool:
        """The same alert: same level, period and region (an import read twice)."""
        return (self.level, self.start, self.end, self.region) == (level, start, end, region)

    def as_json(self) -> dict:
        return {"id": self.id, "level": self.level, "from": self.start.isoformat(),
                "to": self.end.isoformat(), "region": self.region,
                "created_by": self.created_by, "created_at": self.created_at.isoformat(),
                "cancelled_at": None if self.cancelled_at is None
                else self.cancelled_at.isoformat(),
                "cancelled_by": self.cancelled_by, "cancel_reason": self.cancel_reason}


@dataclass(frozen=True)
class ListEntry:
    unit_id: str
    level: str
    grade: str | None
    measure: str
    reduction_pct: float
    pollutants: tuple[str, ...]

    def as_json(self) -> dict:
        return {"unit_id": self.unit_id, "level": self.level, "grade": self.grade,
                "measure": self.measure, "reduction_pct": self.reduction_pct,
                "pollutants": list(self.pollutants)}


def _local(t: datetime) -> datetime:
    return t.astimezone(BEIJING_FIXED)


_INSERT_COLUMNS = "id, level, starts_at, ends_at, region, created_by, created_at"
_ALERT_COLUMNS = _INSERT_COLUMNS + ", cancelled_at, cancelled_by, cancel_reason"


def _alert(row: tuple) -> Alert:
    return Alert(int(row[0]), row[1], _local(row[2]), _local(row[3]), row[4], row[5],
                 _local(row[6]), None if row[7] is None else _local(row[7]), row[8], row[9])


def insert_alert(store, level: str, start: datetime, end: datetime, region: str,
                 created_by: str | None = None, at: datetime | None = None) -> int:
    new_id = int(store.query("SELECT nextval('emergency_alerts_id_seq')")[0][0])
    store.execute(f"INSERT INTO emergency_alerts ({_INSERT_COLUMNS}) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?)",
                  [new_id, level, start, end, region, created_by, at or now_beijing()])
    return new_id


def alerts(store, *, active_only: bool = False) -> list[Alert]:
    """Every alert, oldest first; `active_only`: without the cancelled ones."""
    where = " WHERE cancelled_at IS NULL" if active_only else ""
    return [_alert(r) for r in store.query(
        f"SELECT {_ALERT_COLUMNS} FROM emergency_alerts{where} ORDER BY starts_at, id")]


def cancel_alert(store, alert_id: int, by: str | None, reason: str | None,
                 at: datetime | None = None) -> None:
    store.execute("UPDATE emergency_alerts SET cancelled_at = ?, cancelled_by = ?, "
                  "cancel_reason = ? WHERE id = ? AND cancelled_at IS NULL",
                  [at or now_beijing(), by, reason, alert_id])


def region_known(store, code: str, prefix: str) -> bool:
    """A GB/T 2260 code of the registry: in its regions, or the prefix of a unit's county."""
    full = code.ljust(6, "0")
    if store.query("SELECT 1 FROM regions WHERE code = ?", [full]):
        return True
    return bool(store.query("SELECT 1 FROM units WHERE substr(county_code, 1, ?) = ? LIMIT 1",
                            [len(prefix), prefix]))


def region_name(store, code: str) -> str | None:
    rows = store.query("SELECT name FROM regions WHERE code = ?", [code.ljust(6, "0")])
    return rows[0][0] if rows and rows[0][0] else None


def alert(store, alert_id: int) -> Alert | None:
    rows = store.query(f"SELECT {_ALERT_COLUMNS} FROM emergency_alerts WHERE id = ?",
                       [alert_id])
    return _alert(rows[0]) if rows else None


def replace_entries(store, entries: list[ListEntry], at: datetime | None = None) -> None:
    """Each entry replaces the row of its (unit, level), in one transaction."""
    at = at or now_beijing()
    with store.transaction():
        for e in entries:
            store.execute("DELETE FROM emergency_list WHERE unit_id = ? AND level = ?",
                          [e.unit_id, e.level])
            store.execute(
                "INSERT INTO emergency_list (unit_id, level, grade, measure, reduction_pct, "
                "pollutants, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [e.unit_id, e.level, e.grade, e.measure, e.reduction_pct,
                 ",".join(e.pollutants), at])


def entries(store, level: str | None = None) -> list[ListEntry]:
    sql = ("SELECT unit_id, level, grade, measure, reduction_pct, pollutants "
           "FROM emergency_list")
    params: list = []
    if level is not None:
        sql += " WHERE level = ?"
        params.append(level)
    return [ListEntry(r[0], r[1], r[2], r[3], float(r[4]),
                      tuple(p for p in r[5].split(",") if p))
            for r in store.query(sql + " ORDER BY unit_id, level", params)]


def record_import(store, kind: str, source: str | None, read: int, imported: int,
                  rejected: int, at: datetime | None = None) -> int:
    new_id = int(store.query("SELECT nextval('emergency_list_imports_id_seq')")[0][0])
    store.execute(
        "INSERT INTO emergency_list_imports (id, kind, source, imported_at, rows_read, "
        "rows_imported, rows_rejected) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [new_id, kind, source, at or now_beijing(), read, imported, rejected])
    return new_id


def imports(store) -> list[dict]:
    return [{"id": int(r[0]), "kind": r[1], "source": r[2],
             "imported_at": _local(r[3]).isoformat(), "rows_read": r[4],
             "rows_imported": r[5], "rows_rejected": r[6]}
            for r in store.query("SELECT id, kind, source, imported_at, rows_read, "
                                 "rows_imported, rows_rejected FROM emergency_list_imports "
                                 "ORDER BY id")]
