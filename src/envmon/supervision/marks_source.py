"""Where supervision and grading read the units' marks (标记) from: today the exemptions of
`envmon.assess.marks` (停产/停运/停排). The one place to point at the marks table with review
when it comes (issue 13 item 4): `marks_filed` and `mark_behaviour` keep their signatures.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def marks_filed(store, unit_id: str | None, mn: str | None, start: datetime,
                end: datetime, filed_by: datetime) -> list[int]:
    """Ids of the marks in force (not revoked) covering any of [start, end) for the point
    (or its whole unit), filed no later than `filed_by`."""
    return [r[0] for r in store.query(
        "SELECT id FROM exemptions WHERE revoked_at IS NULL AND start_time < ? "
        "AND end_time > ? AND created_at <= ? AND (mn = ? OR (mn IS NULL AND unit_id = ?))",
        [end, start, filed_by, mn, unit_id])]


def mark_behaviour(store, start: datetime, end: datetime,
                   late_after_hours: float) -> dict[str, dict[str, int]]:
    """unit_id → {"late": marks of periods starting in [start, end) filed more than
    `late_after_hours` after their period ended, "rejected": such marks revoked (today's
    revoke stands for a rejected review)}."""
    out: dict[str, dict[str, int]] = {}
    late = timedelta(hours=late_after_hours)
    for unit_id, period_end, created_at, revoked_at in store.query(
            "SELECT unit_id, end_time, created_at, revoked_at FROM exemptions "
            "WHERE start_time >= ? AND start_time < ?", [start, end]):
        counts = out.setdefault(unit_id, {"late": 0, "rejected": 0})
        if created_at > period_end + late:
            counts["late"] += 1
        if revoked_at is not None:
            counts["rejected"] += 1
    return out
