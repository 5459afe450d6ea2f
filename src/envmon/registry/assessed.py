"""Assessed-from/to dates of monitoring points (考核开始日期 / 考核结束日期), issue 11 item 7.

A point registered in the middle of a month is assessed from its start date only, and a point
taken off the list after its end date: hours outside [assessed_from, assessed_to] leave the
should-count like exempt hours (`envmon.assess.sql`). Dates are Beijing days, both included;
an empty date is unbounded.

Guards against: a re-import rewriting the past. Every change is appended to
`point_assessed_periods` with when and from which file (never updated or deleted); the dates in
force are the latest row of the point. A registry file without the columns changes nothing;
a present but empty cell clears that bound. A new rule about the dates goes here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from envmon.timeutil import now_beijing

DATE_COLUMNS = ("assessed_from", "assessed_to")

# The dates in force per point: the latest row (portable SQL, used by the assessment too).
CURRENT_SQL = """
SELECT mn, assessed_from, assessed_to FROM (
    SELECT mn, assessed_from, assessed_to,
           ROW_NUMBER() OVER (PARTITION BY mn ORDER BY recorded_at DESC, id DESC) AS rn
    FROM point_assessed_periods
) latest
WHERE rn = 1
"""

Dates = tuple[date | None, date | None]


def parse_date(value: Any) -> date | None:
    """An ISO date (a spreadsheet date cell too); None for an empty cell; ValueError else."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text.replace("/", "-")[:10] if len(text) > 10 else text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def current_dates(store) -> dict[str, Dates]:
    """MN → (assessed_from, assessed_to) in force (points without a row are unbounded)."""
    return {mn: (_as_date(lo), _as_date(hi)) for mn, lo, hi in store.query(CURRENT_SQL)}


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    return value.date()


def record_dates(store, dates: Mapping[str, Dates], *, source: str | None = None,
                 at: datetime | None = None) -> int:
    """Append the dates of the points whose dates changed; returns how many changed."""
    current = current_dates(store)
    changed = [(mn, lo, hi) for mn, (lo, hi) in dates.items()
               if current.get(mn, (None, None)) != (lo, hi)]
    when = at or now_beijing()
    # No id sequence: the table's ids only order the changes, and the registry has one writer.
    last = store.query("SELECT COALESCE(MAX(id), 0) FROM point_assessed_periods")[0][0]
    for new_id, (mn, lo, hi) in enumerate(changed, start=int(last) + 1):
        store.execute(
            "INSERT INTO point_assessed_periods (id, mn, assessed_from, assessed_to, "
            "recorded_at, source) VALUES (?, ?, ?, ?, ?, ?)",
            [new_id, mn, lo, hi, when, source])
    return len(changed)
