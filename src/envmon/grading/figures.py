"""A month's figures per unit, for the grade: rates (assessment), alarms, exceedance hours,
mark behaviour (`supervision.marks_source`), overdue and escalated notices."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def month_figures(store, start: datetime, end: datetime, *, as_of: datetime,
                  assess_config=None, mark_deadline_hours: float = 24.0
                  ) -> dict[str, dict[str, Any]]:
    """unit_id → {rate, alarms, exceedance_hours, bad_marks, overdue_notices, escalated}
    for the month [start, end) as known at `as_of`. `rate` is the lower of the unit's 即时
    and 补全 effective rates in percent (None without hours to assess)."""
    from envmon.assess.compute import assess
    from envmon.supervision.marks_source import mark_behaviour

    units = [r[0] for r in store.query("SELECT unit_id FROM units ORDER BY unit_id")]
    out: dict[str, dict[str, Any]] = {u: {"rate": None, "alarms": 0, "exceedance_hours": 0,
                                          "bad_marks": 0, "overdue_notices": 0,
                                          "escalated": 0} for u in units}
    if as_of > start:  # a month in progress: its elapsed hours only (`assess`)
        assessment = assess(store, start, end, assess_config, as_of=as_of)
        for row in assessment.units:
            rates = [row.exact_rate(v) for v in ("instant", "complete")]
            rates = [float(r) for r in rates if r is not None]
            if row.code in out and rates:
                out[row.code]["rate"] = round(min(rates), 4)
    for unit_id, n in store.query(
            "SELECT unit_id, COUNT(*) FROM alarms WHERE opened_at >= ? AND opened_at < ? "
            "AND unit_id IS NOT NULL GROUP BY unit_id", [start, end]):
        if unit_id in out:
            out[unit_id]["alarms"] = int(n)
    # Exceedance hours: the hours the evidence of exceedance alarms spans within the month
    # (data_from … data_to, both hours counted).
    for unit_id, first, last in store.query(
            "SELECT unit_id, data_from, data_to FROM alarms WHERE rule = 'exceedance' "
            "AND data_from IS NOT NULL AND data_from < ? AND COALESCE(data_to, data_from) >= ?"
            " AND unit_id IS NOT NULL", [end, start]):
        if unit_id in out:
            first, last = max(first, start), min(last or first, end)
            out[unit_id]["exceedance_hours"] += int((last - first).total_seconds() // 3600) + 1
    for unit_id, counts in mark_behaviour(store, start, end, mark_deadline_hours).items():
        if unit_id in out:
            out[unit_id]["bad_marks"] = counts["late"] + counts["rejected"]
    for unit_id, actor, n in store.query(
            "SELECT c.unit_id, e.actor, COUNT(*) FROM supervision_events e JOIN "
            "supervision_cases c ON c.id = e.case_id WHERE e.action = 'escalate' AND "
            "e.event_at >= ? AND e.event_at < ? GROUP BY c.unit_id, e.actor", [start, end]):
        if unit_id in out:
            out[unit_id]["escalated"] += int(n)
            if actor == "platform":  # the sweep: a notice let pass its deadline
                out[unit_id]["overdue_notices"] += int(n)
    return out
