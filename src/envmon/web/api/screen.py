"""Falsification screening: `GET /api/v1/screen?month=YYYY-MM` (or `from`/`to`, `unit`),
the use case of `envmon screen` (`envmon.screen.api.screen`). Heavy (every hour of every gas
point of the period) and shared (`shared=True`: one computation for identical requests), as
the assessment is."""

from __future__ import annotations

from fastapi import APIRouter, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1", tags=["screen"])


@use_case_endpoint(router, "/screen", formats=("json", "csv", "table", "xlsx", "html"),
                   shared=True, summary="Falsification screening (envmon screen)")
def screen(month: str | None = Query(None, description="YYYY-MM (Beijing time)."),
           start: str | None = Query(None, alias="from",
                                     description="ISO time on the hour, inclusive."),
           end: str | None = Query(None, alias="to",
                                   description="ISO time on the hour, exclusive."),
           unit: str | None = Query(None, description="Only this unit (统一社会信用代码).")):
    """Ranked gas points with the evidence of each signature found (flat, copied, dilution,
    clipping, periodic, flag_gaming, inconsistent): evidence, never a verdict."""
    from envmon.period import Period
    from envmon.screen.api import ScreenOptions
    from envmon.screen.api import screen as screen_use_case

    period = Period.from_options(month, start, end, on_the_hour=True)
    options = ScreenOptions(unit)
    return lambda context: screen_use_case(context.store, period, options)
