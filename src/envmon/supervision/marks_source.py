"""Where supervision and grading read the units' marks (标记) from: the data marks with review
(`envmon.marks`, the ``marks`` table; the old exemptions are mirrored there as approved marks,
`marks.review.mirror_old`). `marks_filed` and `mark_behaviour` keep their signatures.

* a mark **filed** (it answers a missing-mark warning) is one submitted or approved, not
  revoked: a unit that filed in time is not warned while the bureau reviews it; a rejected or
  withdrawn mark is no mark;
* **mark behaviour** (the grade's ``bad_marks``): marks filed late (after the type's filing
  deadline, `marks.late`, or more than ``late_after_hours`` after their period ended) and
  marks rejected in review (or revoked through the old commands).

A bureau's manual correction (type ``correction``) is the bureau's, not the unit's: it neither
answers a warning nor counts against the unit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

FILED = ("submitted", "approved")
BUREAU_TYPES = ("correction",)


def marks_filed(store, unit_id: str | None, mn: str | None, start: datetime,
                end: datetime, filed_by: datetime) -> list[int]:
    """Ids of the marks filed (submitted or approved, not revoked) covering any of
    [start, end) for the point (or its whole unit), filed no later than `filed_by`."""
    return [r[0] for r in store.query(
        "SELECT id FROM marks WHERE status IN (?, ?) AND revoked_at IS NULL "
        "AND type NOT IN (?) AND start_time < ? AND end_time > ? AND filed_at <= ? "
        "AND (mn = ? OR (mn IS NULL AND unit_id = ?)) ORDER BY id",
        [*FILED, *BUREAU_TYPES, end, start, filed_by, mn, unit_id])]


def mark_behaviour(store, start: datetime, end: datetime,
                   late_after_hours: float) -> dict[str, dict[str, int]]:
    """unit_id → {"late": marks of periods starting in [start, end) filed late, "rejected":
    such marks rejected in review or revoked}; withdrawn marks count for nothing."""
    out: dict[str, dict[str, int]] = {}
    late = timedelta(hours=late_after_hours)
    for unit_id, period_end, filed_at, was_late, status, revoked_at in store.query(
            "SELECT unit_id, end_time, filed_at, late, status, revoked_at FROM marks "
            "WHERE start_time >= ? AND start_time < ? AND status <> 'withdrawn' "
            "AND type NOT IN (?)", [start, end, *BUREAU_TYPES]):
        counts = out.setdefault(unit_id, {"late": 0, "rejected": 0})
        if was_late or filed_at > period_end + late:
            counts["late"] += 1
        if status == "rejected" or revoked_at is not None:
            counts["rejected"] += 1
    return out
