"""传输有效率 `/assess`: the month's table by level, 即时 and 补全 side by side, with drill-down
city → county → unit → point (`parent=`, the assessment use case's own option, as
`GET /api/v1/assess?…&parent=`), and the bulletin's download (the API's `GET /api/v1/assess`
rendered as PDF or XLSX)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from envmon.assess.api import AssessOptions, assess_period
from envmon.errors import EnvmonError, OptionError
from envmon.period import Period
from envmon.web.compute import compute
from envmon.web.pages.render import Pages

CHILD = {"province": "city", "city": "county", "county": "unit", "unit": "point"}


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/assess")
    async def assess(request: Request, month: str = "", level: str = "city", parent: str = ""):
        now = pages.context.now()
        month = month or now.strftime("%Y-%m")
        try:
            period = Period.month(month, option="month", now=now)
            options = AssessOptions(level=level, as_of=now, parent=parent or None)
        except OptionError as err:
            return pages.render(request, "not_found.html", "/assess", status_code=400,
                                what=f"{err.option.lstrip('-')}: {err.reason}")
        status = 200
        try:
            result = await compute(request, lambda: assess_period(pages.store, period,
                                                                  options).as_json())
        except EnvmonError as err:  # e.g. a parent that is not in the assessment: say why
            result, status = {"rows": [], "provisional": False}, 400
            notice = str(err)
        else:
            notice = None
        return pages.render(request, "assess.html", "/assess", month=month, status_code=status,
                            notice=notice,
                            level=options.level.value, parent=parent, rows=result["rows"],
                            child=CHILD.get(options.level.value), result=result,
                            levels=("province", "city", "county", "unit", "point"))
