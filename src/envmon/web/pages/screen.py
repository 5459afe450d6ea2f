"""数据造假筛查 `/screen?month=`: the month's ranked points (`envmon.screen.api.screen`, the
use case of `GET /api/v1/screen`) and, with `mn=`, one point's findings with the plot of its
series (the report's `point_chart`, inline SVG); the report's download through the API."""

from __future__ import annotations

from fastapi import APIRouter, Request

from envmon.errors import EnvmonError, OptionError
from envmon.period import Period
from envmon.screen import PATTERN_ZH
from envmon.screen.api import screen
from envmon.web.compute import compute
from envmon.web.pages.render import Pages


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/screen")
    async def screen_page(request: Request, month: str = "", mn: str = ""):
        now = pages.context.now()
        month = month or now.strftime("%Y-%m")
        try:
            period = Period.month(month, option="month", now=now)
        except OptionError as err:
            return pages.render(request, "not_found.html", "/screen", status_code=400,
                                what=f"{err.option.lstrip('-')}: {err.reason}")
        try:  # one screening of the month for every page view asking it
            result = await compute(request, lambda: screen(pages.store, period),
                                   shared_key=("screen-page", month))
        except EnvmonError as err:
            return pages.render(request, "screen.html", "/screen", month=month, points=[],
                                screened=0, point=None, chart=None, notice=str(err))
        point = next((p for p in result.points if p.series.mn == mn), None) if mn else None
        if mn and point is None:
            return pages.render(request, "not_found.html", "/screen", status_code=404,
                                what=f"mn: {mn} has no finding in {month}")
        chart = None
        if point is not None:
            from envmon.screen.report import point_chart

            chart = (await compute(request, point_chart, point)).svg
        return pages.render(request, "screen.html", "/screen", month=month,
                            points=result.points, screened=result.screened, point=point,
                            chart=chart, names=PATTERN_ZH, notice=None)
