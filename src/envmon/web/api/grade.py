"""Classification: `GET /api/v1/grade/list?month=` (the month's grades with reasons; the
latest month graded without one) and `GET /api/v1/grade/unit/{unit_id}` (a unit's history)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1", tags=["grade"])


@use_case_endpoint(router, "/grade/list", formats=("json", "csv", "table", "xlsx"),
                   summary="Units' grades of a month (envmon grade)")
def grade_list(month: str | None = Query(None, description="YYYY-MM.")):
    """Every unit with its grade and reasons (rule, figure, threshold, grade)."""
    from envmon.grading.api import list_grades

    return lambda context: list_grades(context.store, month, now=context.now())


@use_case_endpoint(router, "/grade/unit/{unit_id}", formats=("json", "csv", "table"),
                   summary="A unit's grades month by month")
def grade_history(unit_id: str = Path(max_length=64)):
    from envmon.grading.api import unit_history

    return lambda context: unit_history(context.store, unit_id)
