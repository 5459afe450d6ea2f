"""传输有效率 `/assess`: the month's table by level, 即时 and 补全 side by side, with drill-down
city → county → unit → point, and the bulletin's download (the API's `GET /api/v1/assess`
rendered as PDF or XLSX)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from envmon.assess.api import AssessOptions, assess_period
from envmon.errors import OptionError
from envmon.overview.states import point_states
from envmon.period import Period
from envmon.web.pages.render import Pages

CHILD = {"province": "city", "city": "county", "county": "unit", "unit": "point"}


def _parent_filter(level: str, parent: str, registry) -> set[str] | None:
    """The codes at `level` that belong to `parent` (None: every row of the level)."""
    if not parent:
        return None
    if level == "county":
        return {p.county_code for p in registry if p.city_code == parent}
    if level == "unit":
        return {p.unit_id for p in registry if p.county_code == parent}
    if level == "point":
        return {p.mn for p in registry if p.unit_id == parent}
    return None


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/assess")
    def assess(request: Request, month: str = "", level: str = "city", parent: str = ""):
        now = pages.context.now()
        month = month or now.strftime("%Y-%m")
        try:
            period = Period.month(month, option="month", now=now)
            options = AssessOptions(level=level, as_of=now)
        except OptionError as err:
            return pages.render(request, "not_found.html", "/assess", status_code=400,
                                what=f"{err.option.lstrip('-')}: {err.reason}")
        result = assess_period(pages.store, period, options).as_json()
        registry = point_states(pages.store, now, **pages.context.state_inputs())
        keep = _parent_filter(options.level.value, parent, registry)
        rows = [r for r in result["rows"] if keep is None or r["code"] in keep]
        return pages.render(request, "assess.html", "/assess", month=month,
                            level=options.level.value, parent=parent, rows=rows,
                            child=CHILD.get(options.level.value), result=result,
                            levels=("province", "city", "county", "unit", "point"))
