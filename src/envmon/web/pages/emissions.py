"""排放量与环保税 `/emissions?month=`: the month's emissions and environmental protection tax
by unit (`envmon.emissions.api.monthly_tax`: per outlet and pollutant kg, equivalents, rate,
reduction, tax), the tax bulletin's download through the API."""

from __future__ import annotations

from fastapi import APIRouter, Request

from envmon.emissions.api import TaxOptions, monthly_tax
from envmon.errors import EnvmonError, OptionError
from envmon.period import Period
from envmon.web.compute import compute
from envmon.web.pages.render import Pages


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/emissions")
    async def emissions(request: Request, month: str = ""):
        now = pages.context.now()
        month = month or now.strftime("%Y-%m")
        try:
            period = Period.month(month, option="month", now=now)
        except OptionError as err:
            return pages.render(request, "not_found.html", "/emissions", status_code=400,
                                what=f"{err.option.lstrip('-')}: {err.reason}")
        try:
            report = await compute(request, lambda: monthly_tax(
                pages.store, period, TaxOptions(), as_of=now).as_json())
        except EnvmonError as err:  # e.g. a province without rates: say why, not a 500
            return pages.render(request, "emissions.html", "/emissions", month=month,
                                units=[], provisional=False, total=0, notice=str(err))
        units = sorted(report["units"], key=lambda u: -(u.get("tax_yuan") or 0))
        return pages.render(request, "emissions.html", "/emissions", month=month,
                            units=units, provisional=report["provisional"],
                            total=round(sum(u.get("tax_yuan") or 0 for u in units), 2))
