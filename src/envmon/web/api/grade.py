"""Classification: `GET /api/v1/grade/list?month=` (the month's grades with reasons; the
latest month graded without one), `GET /api/v1/grade/unit/{unit_id}` (a unit's history) and
`POST /api/v1/grade/run` (``{"month"}``, default the month before this one: grade it again
and keep it, as `envmon grade --month`; audited as ``grade.regrade``)."""

from __future__ import annotations

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from envmon.errors import EnvmonError
from envmon.web.api.usecase import use_case_endpoint, user_error_response
from envmon.web.api.writes import after_write
from envmon.web.audited import audited

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


class GradeRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: str | None = Field(None, max_length=7, description="YYYY-MM (default: the month "
                              "before this one).")


def last_month(now) -> str:
    from datetime import timedelta

    from envmon.period import month_start

    return (month_start(now) - timedelta(days=1)).strftime("%Y-%m")


@router.post("/grade/run", summary="Grade the units for a month again and keep the grades "
             "(envmon grade --month)", response_class=Response)
@audited("grade.regrade", target=lambda a: a["body"].month)
async def grade_run(request: Request, body: GradeRun = Body()) -> Response:
    """The month's figures are read beside the writer (a month's assessment must not hold up
    the receiver), the grades written on it; answers the month's grades."""
    import json

    from envmon.grading.api import figures_of, month_of, save_grades
    from envmon.web.api.usecase import run_blocking

    context = request.app.state.context
    config, now = context.config, context.now()
    supervision = getattr(config, "supervision", None)
    deadline = supervision.mark_deadline_hours if supervision else 24.0
    try:
        label = month_of(body.month or last_month(now), now)[0]
        figures = await run_blocking(request, lambda: figures_of(
            context.store, label, now=now, assess_config=getattr(config, "assess", None),
            mark_deadline_hours=deadline))
        grades = await context.run_in_writer(lambda: save_grades(
            context.store, label, figures, getattr(config, "grade", None), now=now))
    except EnvmonError as error:
        return user_error_response(error)
    after_write(request)
    return Response(json.dumps(grades.as_json(), ensure_ascii=False),
                    media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})
