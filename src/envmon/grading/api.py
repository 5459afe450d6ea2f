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

__all__ = ["GradeList", "figures_of", "grade_month", "list_grades", "month_of",
           "save_grades", "unit_history"]


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


def month_of(month: str, now: datetime | None = None) -> tuple[str, datetime, datetime]:
    """(YYYY-MM, start, end) of `month`; `OptionError` "--month" if it is not one."""
    period = _month(month, now or now_beijing())
    return period.start.strftime("%Y-%m"), period.start, period.end


def figures_of(store, month: str, *, now: datetime | None = None, assess_config=None,
               mark_deadline_hours: float = 24.0) -> dict[str, dict[str, Any]]:
    """Every unit's figures of `month` (reads only: the platform runs it beside the writer)."""
    from envmon.grading.figures import month_figures

    _, start, end = month_of(month, now)
    return month_figures(store, start, end, as_of=now or now_beijing(),
                         assess_config=assess_config,
                         mark_deadline_hours=mark_deadline_hours)


def save_grades(store, month: str, figures: dict[str, dict[str, Any]],
                settings: GradeSettings | None = None, *,
                now: datetime | None = None) -> GradeList:
    """Grade the units from their figures and keep the grades of `month` (a month graded
    again is replaced; the other months stay: the history)."""
    settings = settings or GradeSettings()
    now = now or now_beijing()
    label = month_of(month, now)[0]
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


def grade_month(store, month: str, settings: GradeSettings | None = None, *,
                now: datetime | None = None, assess_config=None,
                mark_deadline_hours: float = 24.0) -> GradeList:
    """Grade every unit for `month` (YYYY-MM) and keep the grades (`figures_of`, then
    `save_grades`)."""
    now = now or now_beijing()
    figures = figures_of(store, month, now=now, assess_config=assess_config,
                         mark_deadline_hours=mark_deadline_hours)
    return save_grades(store, month, figures, settings, now=now)


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
