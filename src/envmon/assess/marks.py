"""Exemption periods (停产/停运/停排) and manual corrections (修约): entered with who, when,
why and proof; revoked by stamping who/when/why; never deleted and never written over the
records (transmission.md §1 "correction window", §2 "Storage"). Each row is mirrored as an
approved data mark (`envmon.marks`), which the row carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from envmon.choices import choice
from envmon.errors import OptionError
from envmon.marks.review import mirror_old, stamp_revocation
from envmon.timeutil import now_beijing

EXEMPTION_KIND_ALIASES = {"production": "停产", "shutdown": "停产", "facility": "停运",
                          "stopped": "停运", "discharge": "停排", "no_discharge": "停排"}


class ExemptionKind(StrEnum):
    """What stopped; the English aliases of `--kind` (`EXEMPTION_KIND_ALIASES`) read too."""

    PRODUCTION = "停产"
    FACILITY = "停运"
    DISCHARGE = "停排"

    @classmethod
    def _missing_(cls, value: object) -> ExemptionKind | None:
        alias = EXEMPTION_KIND_ALIASES.get(value) if isinstance(value, str) else None
        return cls(alias) if alias is not None else None


EXEMPTION_KINDS = tuple(k.value for k in ExemptionKind)
CORRECTION_ACTIONS = ("invalidate", "repair")
CorrectionAction = StrEnum("CorrectionAction", {v.upper(): v for v in CORRECTION_ACTIONS})


class MarkError(OptionError):
    """A mark that cannot be entered (unknown unit or point, empty period, no author …),
    naming the command-line option at fault."""


@dataclass(frozen=True)
class Mark:
    id: int
    table: str
    fields: dict[str, Any]


# The checks of a mark, in one place: the options of `envmon.assess.api` call them when they
# are built, and the functions below call them again for direct callers.
def check_author(by: str, reason: str) -> None:
    """Who enters (or revokes) the mark and why: both required."""
    if not by.strip():
        raise MarkError("--by", "say who enters the mark")
    if not reason.strip():
        raise MarkError("--reason", "say why")


def check_unit_or_point(unit_id: str | None, mn: str | None) -> None:
    """An exemption covers a whole unit or one point: one of them must be named."""
    if unit_id is None and mn is None:
        raise MarkError("--unit", "name a unit (--unit) or a point (--mn)")


def exemption_kind(kind: str | ExemptionKind) -> ExemptionKind:
    """`--kind` (停产/停运/停排 or an English alias) as an `ExemptionKind`."""
    return choice(ExemptionKind, kind, "--kind")


def correction_action(action: str | CorrectionAction) -> CorrectionAction:
    """`--action` (invalidate/repair) as a `CorrectionAction`."""
    return choice(CorrectionAction, action, "--action")


def _check_period(start: datetime, end: datetime) -> None:
    for option, value in (("--from", start), ("--to", end)):
        if value.tzinfo is None:
            raise MarkError(option, "must be timezone-aware (Beijing time)")
    if end <= start:
        raise MarkError("--to", f"the period is empty: {start.isoformat()} .. {end.isoformat()}")


def add_exemption(
    store, *, kind: str, start: datetime, end: datetime, by: str, reason: str,
    unit_id: str | None = None, mn: str | None = None, proof: str | None = None,
    at: datetime | None = None,
) -> int:
    """Register an exemption period for a whole unit or one point; returns its id.

    Hours whose start lies in [start, end) leave the should-count of the covered points."""
    kind = exemption_kind(kind).value
    _check_period(start, end)
    check_author(by, reason)
    check_unit_or_point(unit_id, mn)
    if mn is not None:
        rows = store.query("SELECT unit_id FROM points WHERE mn = ?", [mn])
        if not rows:
            raise MarkError("--mn", f"unknown MN {mn!r}")
        if unit_id is not None and unit_id != rows[0][0]:
            raise MarkError("--mn", f"point {mn} belongs to unit {rows[0][0]}, not {unit_id}")
        unit_id = rows[0][0]
    elif not store.unit_exists(unit_id):
        raise MarkError("--unit", f"unknown unit {unit_id!r}")
    with store.transaction():
        new_id = store.query("SELECT nextval('exemptions_id_seq')")[0][0]
        store.execute(
            "INSERT INTO exemptions (id, unit_id, mn, kind, start_time, end_time, reason, "
            "proof, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [new_id, unit_id, mn, kind, start, end, reason, proof, by, at or now_beijing()],
        )
        mirror_old(store, "exemptions", int(new_id))  # the data marks' list shows it too
    return int(new_id)


def add_correction(
    store, *, mn: str, action: str, start: datetime, end: datetime, by: str, reason: str,
    factor: str | None = None, value: float | None = None, proof: str | None = None,
    at: datetime | None = None,
) -> int:
    """Register a manual correction (修约) of the hours of one point (one factor or all);
    `invalidate` marks them invalid, `repair` supplies them (with proof) for 补全."""
    action = correction_action(action).value
    _check_period(start, end)
    check_author(by, reason)
    if not store.query("SELECT 1 FROM points WHERE mn = ?", [mn]):
        raise MarkError("--mn", f"unknown MN {mn!r}")
    if factor is not None and not store.query(
        "SELECT 1 FROM point_factors WHERE mn = ? AND factor = ?", [mn, factor]
    ):
        raise MarkError("--factor", f"{factor!r} is not an assessed factor of {mn}")
    with store.transaction():
        new_id = store.query("SELECT nextval('corrections_id_seq')")[0][0]
        store.execute(
            "INSERT INTO corrections (id, mn, factor, start_time, end_time, action, value, "
            "reason, proof, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [new_id, mn, factor, start, end, action, value, reason, proof, by,
             at or now_beijing()],
        )
        mirror_old(store, "corrections", int(new_id))  # the data marks' list shows it too
    return int(new_id)


def revoke(store, table: str, mark_id: int, *, by: str, reason: str,
           at: datetime | None = None) -> None:
    """Revoke an exemption or correction: stamps who/when/why; the row stays."""
    if table not in ("exemptions", "corrections"):
        raise MarkError("kind", f"unknown mark table {table!r}")
    if not by.strip() or not reason.strip():
        raise MarkError("--by" if not by.strip() else "--reason",
                        "--by and --reason are required to revoke")
    rows = store.query(f"SELECT revoked_at FROM {table} WHERE id = ?", [mark_id])
    if not rows:
        raise MarkError("ID", f"no {table[:-1]} with id {mark_id}")
    if rows[0][0] is not None:
        raise MarkError("ID", f"{table[:-1]} {mark_id} was already revoked at {rows[0][0]}")
    at = at or now_beijing()
    with store.transaction():
        store.execute(
            f"UPDATE {table} SET revoked_by = ?, revoked_at = ?, revoke_reason = ? WHERE id = ?",
            [by, at, reason, mark_id],
        )
        stamp_revocation(store, table, mark_id, by=by, at=at, reason=reason)


EXEMPTION_COLUMNS = ("id", "unit_id", "mn", "kind", "start_time", "end_time", "reason", "proof",
                     "created_by", "created_at", "revoked_by", "revoked_at", "revoke_reason")
CORRECTION_COLUMNS = ("id", "mn", "factor", "start_time", "end_time", "action", "value",
                      "reason", "proof", "created_by", "created_at", "revoked_by", "revoked_at",
                      "revoke_reason")


def list_marks(store, table: str, point: str | None = None) -> list[dict[str, Any]]:
    """Every mark of `table`; with `point` (an MN) those that cover it: its own and, for
    exemptions, its unit's (no MN)."""
    columns = {"exemptions": EXEMPTION_COLUMNS, "corrections": CORRECTION_COLUMNS}[table]
    where, params = "", []
    if point is not None and table == "exemptions":
        where = ("WHERE mn = ? OR ((mn IS NULL OR mn = '') AND unit_id IN "
                 "(SELECT unit_id FROM points WHERE mn = ?))")
        params = [point, point]
    elif point is not None:
        where, params = "WHERE mn = ?", [point]
    rows = store.query(f"SELECT {', '.join(columns)} FROM {table} {where} ORDER BY id", params)
    return [dict(zip(columns, row, strict=True)) for row in rows]
