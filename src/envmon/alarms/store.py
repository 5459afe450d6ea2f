"""Alarm persistence on the envmon store (schema version 4): synchronous functions that run on
the thread owning the store connection (the receiver's writer thread, or a CLI process).

Every transition writes an `alarm_events` row (audit: who, when, note). The lifecycle is
open → acknowledged → closed; closing is final. `closed_by` is 'auto' when the engine saw the
condition clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from envmon.errors import EnvmonError
from envmon.store import Store
from envmon.timeutil import now_beijing

STATUSES = ("open", "acknowledged", "closed")
LIST_FIELDS = ("id", "mn", "unit_id", "factor", "rule", "status", "opened_at", "closed_at",
               "value", "limit", "detail", "data_from", "data_to")
"""The `alarms list` JSON fields (issue 11 added data_from, data_to: the evidence's data-time
span beside the platform times)."""
_COLUMNS = ("id", "mn", "unit_id", "factor", "rule", "status", "opened_at", "closed_at",
            "value", "limit_value", "detail", "data_time", "acknowledged_at", "acknowledged_by",
            "ack_note", "closed_by", "close_note", "data_from", "data_to")


class AlarmError(EnvmonError):
    """An alarm does not exist or the transition is not allowed (the message says which):
    a user's error, shown as one line by the doors (exit code 2)."""


@dataclass(frozen=True)
class Alarm:
    id: int
    mn: str
    unit_id: str | None
    factor: str
    rule: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    value: float | None
    limit: float | None
    detail: str | None
    data_time: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    ack_note: str | None = None
    closed_by: str | None = None
    close_note: str | None = None
    data_from: datetime | None = None
    """Data time of the first period of the evidence (platform times: opened_at, closed_at)."""
    data_to: datetime | None = None
    """Data time of the last period of the evidence; it moves on while the condition lasts."""

    def as_json(self) -> dict[str, Any]:
        """The `envmon alarms list --format json` object."""
        out = {name: getattr(self, name) for name in LIST_FIELDS}
        for name in ("opened_at", "closed_at", "data_from", "data_to"):
            if out[name] is not None:
                out[name] = out[name].isoformat()
        return out


def _event(store: Store, alarm_id: int, at: datetime, action: str, actor: str,
           note: str | None) -> None:
    store.execute(
        "INSERT INTO alarm_events (id, alarm_id, event_at, action, actor, note) "
        "VALUES (nextval('alarm_events_id_seq'), ?, ?, ?, ?, ?)",
        [alarm_id, at, action, actor, note],
    )


def open_alarm(store: Store, *, mn: str, unit_id: str | None, factor: str, rule: str,
               data_time: datetime | None, value: float | None, limit: float | None,
               detail: str, at: datetime | None = None) -> Alarm:
    """Insert a new open alarm (the caller guarantees none is open for the same key)."""
    at = at or now_beijing()
    alarm_id = store.query("SELECT nextval('alarms_id_seq')")[0][0]
    store.execute(
        "INSERT INTO alarms (id, mn, unit_id, factor, rule, status, opened_at, data_time, value,"
        " limit_value, detail, data_from, data_to) VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?,"
        " ?, ?)",
        [alarm_id, mn, unit_id, factor, rule, at, data_time, value, limit, detail, data_time,
         data_time],
    )
    _event(store, alarm_id, at, "open", "engine", detail)
    return Alarm(alarm_id, mn, unit_id, factor, rule, "open", at, None, value, limit, detail,
                 data_time, data_from=data_time, data_to=data_time)


def auto_close(store: Store, *, mn: str, factor: str, rule: str, note: str,
               at: datetime | None = None) -> int | None:
    """Close the not-closed alarm of (mn, factor, rule), if any, as cleared; its id."""
    rows = store.query(
        "SELECT id FROM alarms WHERE mn = ? AND factor = ? AND rule = ? AND status <> 'closed'",
        [mn, factor, rule],
    )
    if not rows:
        return None
    at = at or now_beijing()
    for (alarm_id,) in rows:
        store.execute(
            "UPDATE alarms SET status = 'closed', closed_at = ?, closed_by = 'auto', "
            "close_note = ? WHERE id = ?", [at, note, alarm_id])
        _event(store, alarm_id, at, "close", "engine", note)
    return rows[0][0]


def get_alarm(store: Store, alarm_id: int) -> Alarm:
    rows = store.query(f"SELECT {', '.join(_COLUMNS)} FROM alarms WHERE id = ?", [alarm_id])
    if not rows:
        raise AlarmError(f"no alarm with id {alarm_id}")
    return Alarm(*rows[0][:11], *rows[0][11:])


def acknowledge(store: Store, alarm_id: int, by: str, note: str | None = None,
                at: datetime | None = None) -> Alarm:
    """open → acknowledged (who, note)."""
    alarm = get_alarm(store, alarm_id)
    if alarm.status != "open":
        raise AlarmError(f"alarm {alarm_id} is {alarm.status}; only an open alarm can be "
                         "acknowledged")
    at = at or now_beijing()
    with store.transaction():
        store.execute("UPDATE alarms SET status = 'acknowledged', acknowledged_at = ?, "
                      "acknowledged_by = ?, ack_note = ? WHERE id = ?", [at, by, note, alarm_id])
        _event(store, alarm_id, at, "acknowledge", by, note)
    return get_alarm(store, alarm_id)


def close(store: Store, alarm_id: int, by: str, note: str | None = None,
          at: datetime | None = None) -> Alarm:
    """open or acknowledged → closed, by a person."""
    alarm = get_alarm(store, alarm_id)
    if alarm.status == "closed":
        raise AlarmError(f"alarm {alarm_id} is already closed")
    at = at or now_beijing()
    with store.transaction():
        store.execute("UPDATE alarms SET status = 'closed', closed_at = ?, closed_by = ?, "
                      "close_note = ? WHERE id = ?", [at, by, note, alarm_id])
        _event(store, alarm_id, at, "close", by, note)
    return get_alarm(store, alarm_id)


def list_alarms(store: Store, *, status: str | None = None, mn: str | None = None,
                rule: str | None = None, limit: int | None = None,
                opened_since: datetime | None = None, region: str | None = None,
                data_from: datetime | None = None, data_to: datetime | None = None,
                newest_first: bool = False) -> list[Alarm]:
    """Alarms by id (`newest_first`: the newest first, so `limit` keeps the newest);
    `region` is a GB/T 2260 prefix ("1401") of the units' county codes;
    `data_from`/`data_to` keep alarms whose evidence span (else their opening) overlaps."""
    where, params = [], []
    for column, value in (("status", status), ("mn", mn), ("rule", rule)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if opened_since is not None:
        where.append("opened_at >= ?")
        params.append(opened_since)
    if region is not None:
        where.append("unit_id IN (SELECT unit_id FROM units WHERE county_code LIKE ?)")
        params.append(region + "%")
    if data_from is not None:
        where.append("COALESCE(data_to, opened_at) >= ?")
        params.append(data_from)
    if data_to is not None:
        where.append("COALESCE(data_from, opened_at) < ?")
        params.append(data_to)
    sql = f"SELECT {', '.join(_COLUMNS)} FROM alarms"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [Alarm(*row[:11], *row[11:]) for row in store.query(sql, params)]


def latest_for_keys(store: Store, keys) -> list[Alarm]:
    """The newest alarm of each (mn, factor, rule) key, in id order (what the engine just
    opened, extended or closed)."""
    keys = list(keys)
    if not keys:
        return []
    where = " OR ".join(["(mn = ? AND factor = ? AND rule = ?)"] * len(keys))
    rows = store.query(
        f"SELECT {', '.join(_COLUMNS)} FROM alarms WHERE id IN (SELECT MAX(id) FROM alarms "
        f"WHERE {where} GROUP BY mn, factor, rule) ORDER BY id",
        [part for key in keys for part in key])
    return [Alarm(*row[:11], *row[11:]) for row in rows]


def not_closed_keys(store: Store) -> set[tuple[str, str, str]]:
    return {tuple(r) for r in store.query(
        "SELECT mn, factor, rule FROM alarms WHERE status <> 'closed'")}


def not_closed_spans(store: Store) -> dict[tuple[str, str, str], list]:
    """(mn, factor, rule) → [data_from, data_to] of the not-closed alarms with a data span."""
    return {(mn, factor, rule): [first, last] for mn, factor, rule, first, last in store.query(
        "SELECT mn, factor, rule, data_from, data_to FROM alarms WHERE status <> 'closed' "
        "AND data_from IS NOT NULL AND data_to IS NOT NULL")}


def events(store: Store, alarm_id: int) -> list[tuple]:
    return store.query("SELECT event_at, action, actor, note FROM alarm_events "
                       "WHERE alarm_id = ? ORDER BY id", [alarm_id])


def log_notification(store: Store, alarm_id: int, channel: str, target: str | None,
                     attempt: int, at: datetime, ok: bool, http_status: int | None,
                     error: str | None) -> None:
    store.execute(
        "INSERT INTO notifications (id, alarm_id, channel, target, attempt, sent_at, ok, "
        "http_status, error) VALUES (nextval('notifications_id_seq'), ?, ?, ?, ?, ?, ?, ?, ?)",
        [alarm_id, channel, target, attempt, at, ok, http_status, error],
    )


def point_cadences(store: Store) -> dict[str, float]:
    """MN → the expected seconds between its packets, as learned (offline rule)."""
    return {mn: seconds for mn, seconds in store.query(
        "SELECT mn, cadence_s FROM alarm_point_state WHERE cadence_s IS NOT NULL")}


def save_cadences(store: Store, cadences: dict[str, float]) -> None:
    for mn, seconds in cadences.items():
        store.execute(
            "INSERT INTO alarm_point_state (mn, cadence_s) VALUES (?, ?) "
            "ON CONFLICT (mn) DO UPDATE SET cadence_s = EXCLUDED.cadence_s", [mn, seconds])


def last_received(store: Store) -> dict[str, datetime]:
    """MN → time of the latest accepted packet (raw log), for the offline rule at start."""
    return dict(store.query(
        "SELECT mn, MAX(received_at) FROM raw_packets WHERE verdict = 'accepted' "
        "AND mn IS NOT NULL GROUP BY mn"))


# ------------------------------------------------------------------ batched (engine)
def open_many(store: Store, items: list[dict], at: datetime) -> list[Alarm]:
    """Insert many open alarms at once (keys unique within `items`, none open): one append
    of the alarms and one of their events, so that an alarm storm costs a few statements."""
    import pyarrow as pa

    if not items:
        return []
    ts = pa.timestamp("us", tz="UTC")
    n = len(items)
    details = pa.array([i["detail"] for i in items], pa.string())
    alarms = pa.table({
        "mn": [i["mn"] for i in items], "unit_id": pa.array([i["unit_id"] for i in items],
                                                             pa.string()),
        "factor": [i["factor"] for i in items], "rule": [i["rule"] for i in items],
        "status": pa.array(["open"] * n, pa.string()),
        "opened_at": pa.array([at] * n, ts),
        "data_time": pa.array([i["data_time"] for i in items], ts),
        "value": pa.array([i["value"] for i in items], pa.float64()),
        "limit_value": pa.array([i["limit"] for i in items], pa.float64()),
        "detail": details,
        "data_from": pa.array([i.get("data_from") or i["data_time"] for i in items], ts),
        "data_to": pa.array([i["data_time"] for i in items], ts),
    })
    ids = store.append("alarms", alarms)
    store.append("alarm_events", pa.table({
        "alarm_id": ids, "event_at": pa.array([at] * n, ts),
        "action": pa.array(["open"] * n, pa.string()),
        "actor": pa.array(["engine"] * n, pa.string()), "note": details,
    }))
    ids = ids.to_pylist()
    return [Alarm(alarm_id, i["mn"], i["unit_id"], i["factor"], i["rule"], "open", at, None,
                  i["value"], i["limit"], i["detail"], i["data_time"],
                  data_from=i.get("data_from") or i["data_time"], data_to=i["data_time"])
            for alarm_id, i in zip(ids, items, strict=True)]


def already_raised(store: Store, items: list[dict]) -> set[int]:
    """Indexes of `items` (mn, factor, rule, data_from, data_time) whose evidence overlaps the
    data span of an alarm of the same point, factor and rule, whatever its status: re-sent
    periods (a lost 9014, a 补遗, a second run of the same data) are the same evidence, not a
    new alarm. Items without a data time are never de-duplicated here."""
    import pyarrow as pa

    dated = [(k, i) for k, i in enumerate(items) if i["data_time"] is not None]
    if not dated:
        return set()
    ts = pa.timestamp("us", tz="UTC")
    table = pa.table({
        "k": pa.array([k for k, _ in dated], pa.int64()),
        "mn": [i["mn"] for _, i in dated], "factor": [i["factor"] for _, i in dated],
        "rule": [i["rule"] for _, i in dated],
        "first": pa.array([i.get("data_from") or i["data_time"] for _, i in dated], ts),
        "last": pa.array([i["data_time"] for _, i in dated], ts)})
    with store.staged("_envmon_evidence", table):
        rows = store.query(
            "SELECT DISTINCT e.k FROM _envmon_evidence e JOIN alarms a ON a.mn = e.mn "
            "AND a.factor = e.factor AND a.rule = e.rule WHERE a.data_from IS NOT NULL "
            "AND a.data_from <= e.last AND COALESCE(a.data_to, a.data_from) >= e.first")
    return {r[0] for r in rows}


def extend_many(store: Store, items: list[dict]) -> int:
    """Widen the data span of the not-closed alarms of many keys and set their detail text to
    the current one (the condition goes on); how many alarms changed."""
    import pyarrow as pa

    if not items:
        return 0
    ts = pa.timestamp("us", tz="UTC")
    table = pa.table({"mn": [i["mn"] for i in items], "factor": [i["factor"] for i in items],
                      "rule": [i["rule"] for i in items],
                      "first": pa.array([i["data_from"] for i in items], ts),
                      "last": pa.array([i["data_to"] for i in items], ts),
                      "detail": pa.array([i["detail"] for i in items], pa.string())})
    with store.staged("_envmon_extend", table):
        n = store.query(
            "SELECT COUNT(*) FROM alarms a JOIN _envmon_extend e ON a.mn = e.mn "
            "AND a.factor = e.factor AND a.rule = e.rule WHERE a.status <> 'closed'")[0][0]
        store.execute(
            "UPDATE alarms SET data_from = LEAST(COALESCE(alarms.data_from, e.first), e.first), "
            "data_to = GREATEST(COALESCE(alarms.data_to, e.last), e.last), detail = e.detail "
            "FROM _envmon_extend e WHERE alarms.mn = e.mn AND alarms.factor = e.factor "
            "AND alarms.rule = e.rule AND alarms.status <> 'closed'")
    return n


def auto_close_many(store: Store, items: list[dict], at: datetime) -> int:
    """Close the not-closed alarms of many (mn, factor, rule) keys as cleared; how many."""
    import pyarrow as pa

    if not items:
        return 0
    table = pa.table({"mn": [i["mn"] for i in items], "factor": [i["factor"] for i in items],
                      "rule": [i["rule"] for i in items],
                      "note": pa.array([i["note"] for i in items], pa.string())})
    with store.staged("_envmon_clear", table):
        rows = store.query(
            "SELECT a.id, c.note FROM alarms a JOIN _envmon_clear c ON a.mn = c.mn "
            "AND a.factor = c.factor AND a.rule = c.rule WHERE a.status <> 'closed'")
    if not rows:
        return 0
    closing = pa.table({"id": pa.array([r[0] for r in rows], pa.int64()),
                        "note": pa.array([r[1] for r in rows], pa.string())})
    with store.staged("_envmon_closing", closing):
        store.execute(
            "UPDATE alarms SET status = 'closed', closed_at = ?, closed_by = 'auto', "
            "close_note = c.note FROM _envmon_closing c WHERE alarms.id = c.id", [at])
        store.execute(
            "INSERT INTO alarm_events (id, alarm_id, event_at, action, actor, note) "
            "SELECT nextval('alarm_events_id_seq'), id, ?, 'close', 'engine', note "
            "FROM _envmon_closing", [at])
    return len(rows)
