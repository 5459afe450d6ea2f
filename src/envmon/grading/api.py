"""Use cases of classification: `grade_month` (compute and keep a month's grades: `envmon
grade --month`, the platform at a month change), `list_grades` (`/api/v1/grade/list`) and
`unit_history` (a unit's grades month by month)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from envmon.errors import OptionError
from envmon.grading.rules import grade
from envmon.grading.settings import GradeSettings
from envmon.timeutil import now_beijing

__all__ = ["GradeList", "grade_month", "list_grades", "unit_history"]


@dataclass(frozen=True)
class GradeList:
    month: str | None
    rows: tuple  # of dicts: month, unit_id, unit_name, grade, reasons, figures, computed_at
    default_stem = "grades"

    def as_json(self) -> dict[str, Any]:
        return {"month": self.month, "grades": list(self.rows)}

    def as_table(self):
        from envmon.render import Column, Table

        columns = (("month", "月份"), ("unit_id", "单位代码"), ("unit_name", "单位"),
                   ("grade", "等级"), ("reasons", "原因"))
        rows = [(r["month"], r["unit_id"], r["unit_name"], r["grade"],
                 "；".join(f"{x['name']} {x['figure']} {x['compare']} {x['threshold']} → "
                          f"{x['grade']}" for x in r["reasons"]) or "-") for r in self.rows]
        return Table(f"分级分类 {self.month or ''}".strip(),
                     [Column(k, label) for k, label in columns], rows)


def _month(month: str, now: datetime):
    from envmon.period import Period

    return Period.month(month, now=now)


def grade_month(store, month: str, settings: GradeSettings | None = None, *,
                now: datetime | None = None, assess_config=None,
                mark_deadline_hours: float = 24.0) -> GradeList:
    """Grade every unit for `month` (YYYY-MM) and keep the grades (a month graded again is
    replaced; the other months stay)."""
    from envmon.grading.figures import month_figures

    settings = settings or GradeSettings()
    now = now or now_beijing()
    period = _month(month, now)
    figures = month_figures(store, period.start, period.end, as_of=now,
                            assess_config=assess_config,
                            mark_deadline_hours=mark_deadline_hours)
    label = period.start.strftime("%Y-%m")
    with store.transaction():
        store.execute("DELETE FROM unit_grades WHERE month = ?", [label])
        for unit_id, values in figures.items():
            result, reasons = grade(values, settings)
            store.execute(
                "INSERT INTO unit_grades (month, unit_id, grade, reasons, figures, computed_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [label, unit_id, result, json.dumps(reasons, ensure_ascii=False),
                 json.dumps(values, ensure_ascii=False), now])
    return list_grades(store, label, now=now)


def _rows(store, where: str, params: list) -> tuple:
    rows = store.query(
        "SELECT month, unit_id, grade, reasons, figures, computed_at FROM unit_grades "
        f"WHERE {where} ORDER BY month, unit_id", params)
    names = store.unit_names([r[1] for r in rows])
    return tuple({"month": m, "unit_id": u, "unit_name": names.get(u) or u, "grade": g,
                  "reasons": json.loads(reasons), "figures": json.loads(figures),
                  "computed_at": at.isoformat()}
                 for m, u, g, reasons, figures, at in rows)


def list_grades(store, month: str | None = None, *, now: datetime | None = None) -> GradeList:
    """The grades of `month` (None: the latest month graded)."""
    now = now or now_beijing()
    if month:
        label = _month(month, now).start.strftime("%Y-%m")
    else:
        latest = store.query("SELECT MAX(month) FROM unit_grades")[0][0]
        if latest is None:
            return GradeList(None, ())
        label = latest
    return GradeList(label, _rows(store, "month = ?", [label]))


def unit_history(store, unit_id: str) -> GradeList:
    if not store.unit_exists(unit_id):
        raise OptionError("--unit", f"unknown unit {unit_id!r}")
    return GradeList(None, _rows(store, "unit_id = ?", [unit_id]))
