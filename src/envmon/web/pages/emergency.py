"""应急管控 `/emergency?alert=&unit=`: the alerts; of the chosen one (default the latest that
has begun) the region's achieved SO2, NOx and PM reduction against the plan's target, each
listed unit's verdict (worst first) and, for the chosen unit (default the worst), its
hour-by-hour baseline and achieved emissions on a chart with each day's evidence
(`envmon.emergency.api`: list_alerts, check_alert — the figures `GET
/api/v1/emergency/check` answers)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from envmon.emergency import api
from envmon.emergency.files import POLLUTANT_ZH
from envmon.emergency.settings import LEVEL_ZH
from envmon.emissions.accounting import AccountingConfig
from envmon.errors import EnvmonError, OptionError
from envmon.web.api.emergency import emergency_config
from envmon.web.compute import compute
from envmon.web.pages.render import Pages


def _chart(unit: dict | None) -> dict:
    """The chosen unit's hours: baseline and achieved per listed pollutant (kg/h)."""
    if unit is None:
        return {"hours": [], "series": []}
    hours = [h for d in unit["days"] for h in d["hours"]]
    series = [{"code": code, "name": POLLUTANT_ZH.get(code, code),
               "baseline": [h["baseline"][code] for h in hours],
               "achieved": [h["achieved"][code] for h in hours]}
              for code in unit["pollutants"]]
    return {"hours": [h["hour"][5:16].replace("T", " ") for h in hours], "series": series}


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/emergency")
    async def emergency(request: Request, alert: str = "", unit: str = ""):
        context = pages.context
        now = context.now()
        alerts = (await compute(request, api.list_alerts, pages.store)).alerts
        begun = [a for a in alerts if a.start < now]
        values = {"alerts": alerts, "levels": LEVEL_ZH, "chosen": None, "result": None,
                  "unit": None, "chart": _chart(None), "reason": None,
                  "pollutant_names": POLLUTANT_ZH}
        if not alert and not begun:
            return pages.render(request, "emergency.html", "/emergency", **values)
        try:
            options = api.CheckOptions(alert or begun[-1].id)
        except OptionError as err:
            return pages.render(request, "not_found.html", "/emergency", status_code=400,
                                what=f"{err.option.lstrip('-')}: {err.reason}")
        settings = emergency_config(context)
        accounting = AccountingConfig(exemption_rules=context.config.assess)
        try:
            result = (await compute(request, lambda: api.check_alert(
                pages.store, options, config=settings, accounting=accounting,
                as_of=now))).as_json()
        except EnvmonError as err:  # an unknown alert, one not begun: say why, not a 500
            status = 404 if "no alert with id" in str(err) else 200
            return pages.render(request, "emergency.html", "/emergency", status_code=status,
                                **{**values, "reason": str(err)})
        units = result["units"]
        chosen_unit = next((u for u in units if u["unit_id"] == unit), None) or (
            units[0] if units else None)
        return pages.render(request, "emergency.html", "/emergency",
                            **{**values, "chosen": result["alert"], "result": result,
                               "unit": chosen_unit, "chart": _chart(chosen_unit)})
