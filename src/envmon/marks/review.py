"""A mark's life: filed (submitted, with proofs) → approved | rejected (with a reason), or
withdrawn by its filer before review. Nothing is deleted or written over: each step stamps
who, when and from where.

Approval writes the row that carries the mark's effect (`envmon.marks.types.EFFECTS`: an
`exemptions` row for ``exempt``, a `corrections` row for ``invalid``) in the same
transaction; the figures read only those tables, so only approved marks change them. The
carrier row keeps the mark's filing time as its created_at: the assessment's deadline rules
(envmon.assess.exemption_rules) judge when the unit reported, not how fast the bureau
reviewed.

The old commands (`envmon assess exemption|correction add|revoke`) keep writing their tables
and mirror each row here as an approved mark (`mirror_old`, `stamp_revocation`)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Any

from envmon.errors import OptionError
from envmon.marks.proofs import check_size, clean_filename, media_type_of
from envmon.marks.settings import MarksSettings
from envmon.marks.types import EXEMPTION_KIND_OF_SUBTYPE, LEGACY_EXEMPTION_SUBTYPES, resolve
from envmon.period import next_month
from envmon.timeutil import now_beijing

STATUSES = ("submitted", "approved", "rejected", "withdrawn")
NOTE_MAX = 2000


class MarkNotFound(OptionError):
    """No mark (or proof) with that id."""


class MarkStateError(OptionError):
    """The step is not possible in the mark's status (approve twice, withdraw after review)."""


MARK_COLUMNS = ("id", "unit_id", "mn", "factor", "type", "subtype", "effect", "start_time",
                "end_time", "note", "status", "filed_by", "filed_at", "filed_from", "deadline",
                "late", "reviewed_by", "reviewed_at", "reviewed_from", "review_reason",
                "withdrawn_at", "value", "proof_ref", "source_table", "source_id",
                "revoked_by", "revoked_at", "revoke_reason")


# Ids are max + 1 (see `tables`): the writer thread is the one writer of a served store, and
# this lock keeps two writes of one process (a store served without a platform) apart.
_INSERTING = threading.Lock()


def _insert(store, table: str, columns: str, values: list) -> int:
    """Insert a row with the next id of `table`; returns the id."""
    marks = ", ".join("?" * (len(values) + 1))
    with _INSERTING:
        new_id = int(store.query(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")[0][0])
        store.execute(f"INSERT INTO {table} (id, {columns}) VALUES ({marks})",
                      [new_id, *values])
    return new_id


def filing_deadline(end: datetime, settings: MarksSettings) -> datetime:
    """The end of `deadline_day` of the month after the mark's last hour."""
    return next_month(end - timedelta(microseconds=1)) + timedelta(days=settings.deadline_day)


def _point_unit(store, mn: str) -> str:
    rows = store.query("SELECT unit_id FROM points WHERE mn = ?", [mn])
    if not rows:
        raise OptionError("--mn", f"unknown MN {mn!r}")
    return rows[0][0]


def file_mark(store, settings: MarksSettings, *, mn: str, type_name: str, start: datetime,
              end: datetime, by: str, filed_from: str, unit_id: str | None = None,
              subtype: str | None = None, factor: str | None = None, note: str | None = None,
              at: datetime | None = None) -> int:
    """A new mark, submitted for review; returns its id."""
    mark_type, sub = resolve(settings.all_types(), type_name, subtype)
    if not mark_type.fileable:
        raise OptionError("--type", f"{mark_type.key} ({mark_type.name}) is entered by the "
                          "bureau with envmon assess correction add")
    for option, value in (("--from", start), ("--to", end)):
        if value.tzinfo is None:
            raise OptionError(option, "must be timezone-aware (Beijing time)")
    if end <= start:
        raise OptionError("--to", f"the period is empty: {start.isoformat()} .. "
                          f"{end.isoformat()}")
    if not by or not by.strip():
        raise OptionError("--by", "say who files the mark")
    if note is not None and len(note) > NOTE_MAX:
        raise OptionError("--note", f"at most {NOTE_MAX} characters")
    owner = _point_unit(store, mn)
    if unit_id is not None and unit_id != owner:
        raise OptionError("--mn", f"point {mn} belongs to unit {owner}, not {unit_id}")
    if factor is not None and not store.query(
            "SELECT 1 FROM point_factors WHERE mn = ? AND factor = ?", [mn, factor]):
        raise OptionError("--factor", f"{factor!r} is not an assessed factor of {mn}")
    at = at or now_beijing()
    deadline = filing_deadline(end, settings)
    return _insert(
        store, "marks", "unit_id, mn, factor, type, subtype, effect, start_time, end_time, "
        "note, status, filed_by, filed_at, filed_from, deadline, late",
        [owner, mn, factor, mark_type.key, sub.key if sub else None,
         mark_type.effect_of(sub).key, start, end, note, "submitted", by.strip(), at,
         filed_from, deadline, at >= deadline])


def get_mark(store, mark_id: int) -> dict[str, Any]:
    rows = store.query(f"SELECT {', '.join(MARK_COLUMNS)} FROM marks WHERE id = ?", [mark_id])
    if not rows:
        raise MarkNotFound("ID", f"no mark with id {mark_id}")
    return dict(zip(MARK_COLUMNS, rows[0], strict=True))


def _submitted(store, mark_id: int, step: str) -> dict[str, Any]:
    mark = get_mark(store, mark_id)
    if mark["status"] != "submitted":
        raise MarkStateError("ID", f"mark {mark_id} is {mark['status']}: only a submitted "
                             f"mark can be {step}")
    return mark


# ------------------------------------------------------------------------------- proofs
def add_proof(store, settings: MarksSettings, mark_id: int, *, filename: str | None,
              content: bytes, by: str, uploaded_from: str,
              at: datetime | None = None) -> dict[str, Any]:
    """Store a proof file with a submitted mark; refused (naming `proof`) when it is not a
    PDF, JPEG or PNG by its content, or over the [marks] bounds."""
    _submitted(store, mark_id, "given proofs")
    media, ext = media_type_of(content)
    used, count = store.query("SELECT COALESCE(SUM(size), 0), COUNT(*) FROM mark_proofs "
                              "WHERE mark_id = ?", [mark_id])[0]
    check_size(len(content), int(used), int(count), settings)
    name = clean_filename(filename, ext)
    new_id = _insert(
        store, "mark_proofs", "mark_id, filename, media_type, size, sha256, content, "
        "uploaded_by, uploaded_at, uploaded_from",
        [mark_id, name, media, len(content), sha256(content).hexdigest(), content, by,
         at or now_beijing(), uploaded_from])
    return {"mark_id": mark_id, "proof_id": new_id, "filename": name, "media_type": media,
            "size": len(content)}


PROOF_COLUMNS = ("id", "mark_id", "filename", "media_type", "size", "sha256", "uploaded_by",
                 "uploaded_at")


def list_proofs(store, mark_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not mark_ids:
        return {}
    marks = ", ".join("?" * len(mark_ids))
    rows = store.query(f"SELECT {', '.join(PROOF_COLUMNS)} FROM mark_proofs "
                       f"WHERE mark_id IN ({marks}) ORDER BY id", list(mark_ids))
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        proof = dict(zip(PROOF_COLUMNS, row, strict=True))
        out.setdefault(proof["mark_id"], []).append(proof)
    return out


def get_proof(store, mark_id: int, proof_id: int) -> tuple[str, str, bytes]:
    """(filename, media type, content) of one proof of a mark."""
    rows = store.query("SELECT filename, media_type, content FROM mark_proofs "
                       "WHERE id = ? AND mark_id = ?", [proof_id, mark_id])
    if not rows:
        raise MarkNotFound("ID", f"mark {mark_id} has no proof {proof_id}")
    name, media, content = rows[0]
    return name, media, bytes(content)


# ------------------------------------------------------------------------------- review
def _write_carrier(store, mark: dict[str, Any], by: str) -> tuple[str | None, int | None]:
    """The exemptions/corrections row that carries an approved mark's effect."""
    effect = mark["effect"]
    if effect not in ("exempt", "invalid"):
        return None, None
    has_proof = store.query("SELECT COUNT(*) FROM mark_proofs WHERE mark_id = ?",
                            [mark["id"]])[0][0]
    proof = f"数据标记 #{mark['id']} 证明材料 {has_proof} 份" if has_proof else None
    reason = f"数据标记 #{mark['id']}（{mark['type']}/{mark['subtype'] or '-'}）" + (
        f"：{mark['note']}" if mark["note"] else "")
    author = f"{mark['filed_by']}; 审核 {by}"
    if effect == "exempt":
        new_id = store.query("SELECT nextval('exemptions_id_seq')")[0][0]
        store.execute(
            "INSERT INTO exemptions (id, unit_id, mn, kind, start_time, end_time, reason, "
            "proof, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [new_id, mark["unit_id"], mark["mn"],
             EXEMPTION_KIND_OF_SUBTYPE.get(mark["subtype"], "停产"), mark["start_time"],
             mark["end_time"], reason, proof, author, mark["filed_at"]])
        return "exemptions", int(new_id)
    new_id = store.query("SELECT nextval('corrections_id_seq')")[0][0]
    store.execute(
        "INSERT INTO corrections (id, mn, factor, start_time, end_time, action, value, "
        "reason, proof, created_by, created_at) VALUES (?, ?, ?, ?, ?, 'invalidate', NULL, "
        "?, ?, ?, ?)",
        [new_id, mark["mn"], mark["factor"], mark["start_time"], mark["end_time"], reason,
         proof, author, mark["filed_at"]])
    return "corrections", int(new_id)


def approve(store, mark_id: int, *, by: str, reviewed_from: str, accept_late: bool = False,
            reason: str | None = None, at: datetime | None = None) -> dict[str, Any]:
    """Approve a submitted mark; a late one only with `accept_late` (an explicit review)."""
    if not by or not by.strip():
        raise OptionError("--by", "say who reviews the mark")
    with store.transaction():
        mark = _submitted(store, mark_id, "approved")
        if mark["late"] and not accept_late:
            raise MarkStateError("--accept-late", f"mark {mark_id} was filed after its "
                                 f"deadline {mark['deadline']}: approve it explicitly "
                                 "(--accept-late) or reject it")
        table, row_id = _write_carrier(store, mark, by.strip())
        store.execute(
            "UPDATE marks SET status = 'approved', reviewed_by = ?, reviewed_at = ?, "
            "reviewed_from = ?, review_reason = ?, source_table = ?, source_id = ? "
            "WHERE id = ?",
            [by.strip(), at or now_beijing(), reviewed_from, reason, table, row_id, mark_id])
    return get_mark(store, mark_id)


def reject(store, mark_id: int, *, by: str, reason: str, reviewed_from: str,
           at: datetime | None = None) -> dict[str, Any]:
    """Reject a submitted mark, saying why; it changes nothing."""
    if not by or not by.strip():
        raise OptionError("--by", "say who reviews the mark")
    if not reason or not reason.strip():
        raise OptionError("--reason", "say why the mark is rejected")
    if len(reason) > NOTE_MAX:
        raise OptionError("--reason", f"at most {NOTE_MAX} characters")
    _submitted(store, mark_id, "rejected")
    store.execute(
        "UPDATE marks SET status = 'rejected', reviewed_by = ?, reviewed_at = ?, "
        "reviewed_from = ?, review_reason = ? WHERE id = ?",
        [by.strip(), at or now_beijing(), reviewed_from, reason.strip(), mark_id])
    return get_mark(store, mark_id)


def _person(author: str) -> str:
    """The person of an author stamp: ``值班员 (web 10.0.0.7)`` → ``值班员``."""
    return author.split(" (", 1)[0].strip()


def withdraw(store, mark_id: int, *, by: str, at: datetime | None = None) -> dict[str, Any]:
    """The filer takes back a mark that has not been reviewed."""
    mark = _submitted(store, mark_id, "withdrawn")
    if _person(by) != _person(mark["filed_by"]):
        raise MarkStateError("--by", f"only its filer ({_person(mark['filed_by'])}) can "
                             f"withdraw mark {mark_id}")
    store.execute("UPDATE marks SET status = 'withdrawn', withdrawn_at = ? WHERE id = ?",
                  [at or now_beijing(), mark_id])
    return get_mark(store, mark_id)


# ------------------------------------------------------------------- the old commands' rows
def mirror_old(store, table: str, row_id: int) -> None:
    """Mirror a row just written by `envmon assess exemption|correction add` as an approved
    mark that points at it (the row carries the effect: nothing counts twice)."""
    if table == "exemptions":
        unit_id, mn, kind, start, end, reason, proof, by, at = store.query(
            "SELECT unit_id, mn, kind, start_time, end_time, reason, proof, created_by, "
            "created_at FROM exemptions WHERE id = ?", [row_id])[0]
        values = [unit_id, mn, None, "production", LEGACY_EXEMPTION_SUBTYPES[kind], "exempt",
                  None]
    else:
        mn, factor, action, value, start, end, reason, proof, by, at = store.query(
            "SELECT mn, factor, action, value, start_time, end_time, reason, proof, "
            "created_by, created_at FROM corrections WHERE id = ?", [row_id])[0]
        values = [_point_unit(store, mn), mn, factor, "correction", action,
                  "repair" if action == "repair" else "invalid", value]
    _insert(store, "marks", "unit_id, mn, factor, type, subtype, effect, value, start_time, "
            "end_time, note, status, filed_by, filed_at, filed_from, late, reviewed_by, "
            "reviewed_at, proof_ref, source_table, source_id",
            [*values, start, end, reason, "approved", by, at, "envmon assess", False, by, at,
             proof, table, row_id])


def stamp_revocation(store, table: str, row_id: int, *, by: str, at: datetime,
                     reason: str) -> None:
    """The revocation of an exemption/correction row, on the mark it carries."""
    store.execute("UPDATE marks SET revoked_by = ?, revoked_at = ?, revoke_reason = ? "
                  "WHERE source_table = ? AND source_id = ?", [by, at, reason, table, row_id])


# ------------------------------------------------------------------------------- lists
def list_marks(store, *, status: str | None = None, start: datetime | None = None,
               end: datetime | None = None, unit_id: str | None = None,
               mn: str | None = None) -> list[dict[str, Any]]:
    """Marks by id, filtered: status, overlapping [start, end), unit, point."""
    where, params = [], []
    if status is not None:
        where.append("status = ?")
        params.append(status)
    if start is not None and end is not None:
        where.append("start_time < ? AND end_time > ?")
        params += [end, start]
    if unit_id is not None:
        where.append("unit_id = ?")
        params.append(unit_id)
    if mn is not None:
        where.append("mn = ?")
        params.append(mn)
    sql = f"SELECT {', '.join(MARK_COLUMNS)} FROM marks"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = store.query(sql + " ORDER BY id", params)
    return [dict(zip(MARK_COLUMNS, row, strict=True)) for row in rows]
