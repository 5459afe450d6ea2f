"""空气质量 `/air?month=&city=`: the cities' ranking (composite index, year-on-year, good
days) and a city's AQI calendar with its composite index and good days against the same
month a year earlier (`envmon.air.api`: city_ranking, city_summary)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from envmon.air.api import RankOptions, SummaryOptions, city_ranking, city_summary
from envmon.errors import EnvmonError, OptionError
from envmon.period import Period
from envmon.web.compute import compute
from envmon.web.pages.render import Pages


def _figures(store, period: Period, city: str) -> tuple[str, dict, dict | None]:
    """The cities' ranking and the city's summary (the first ranked when none is asked)."""
    ranking = city_ranking(store, period, RankOptions()).as_json()
    city = city or (ranking["cities"][0]["city"] if ranking["cities"] else "")
    summary = city_summary(store, period, SummaryOptions(city)).as_json() if city else None
    return city, ranking, summary


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/air")
    async def air(request: Request, month: str = "", city: str = ""):
        now = pages.context.now()
        month = month or now.strftime("%Y-%m")
        try:
            period = Period.month(month, option="month", now=now)
            city, ranking, summary = await compute(request, _figures, pages.store, period,
                                                   city)
        except OptionError as err:
            return pages.render(request, "not_found.html", "/air", status_code=400,
                                what=f"{err.option.lstrip('-')}: {err.reason}")
        except EnvmonError as err:  # nothing to show yet (no stations): say why, not a 500
            return pages.render(request, "air.html", "/air", month=month, city="",
                                ranking={"cities": []}, summary=None, notice=str(err))
        return pages.render(request, "air.html", "/air", month=month, city=city,
                            ranking=ranking, summary=summary)
