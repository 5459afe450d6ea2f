"""总览 `/`: the map of every point by state, today's counts, the open alarms, the cities' rates.

Every figure comes from the overview use case (`envmon.overview.api.overview`, the one of
`GET /api/v1/overview`: the point states by the rule of `envmon.overview.states`, today's 即时
rates); `/overview/data` gives the page's JSON, which the script reloads when the live
stream says it lost events (`reset`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from envmon.alarms.api import AlarmListOptions, list_alarms
from envmon.overview.api import OverviewOptions, overview
from envmon.web.pages.render import Pages

PROVINCE_CODE = "140000"  # the boundaries drawn (static/vendor/geo/<code>.geojson)


def open_alarms(store) -> list[dict[str, Any]]:
    """Open and acknowledged alarms, newest first, as `envmon alarms list` JSON objects
    with the unit's name."""
    rows = []
    for status in ("open", "acknowledged"):
        listed = list_alarms(store, AlarmListOptions(status=status))
        for alarm in listed.alarms:
            row = alarm.as_json()
            row["unit_name"] = listed.unit_names.get(alarm.unit_id) or alarm.unit_id or ""
            rows.append(row)
    return sorted(rows, key=lambda a: a["id"], reverse=True)


def overview_data(pages: Pages, now: datetime) -> dict[str, Any]:
    """The page's figures, all from the overview use case (`envmon.overview.api.overview`,
    the same as `GET /api/v1/overview`), in the shape the page's script reads."""
    context = pages.context
    result = overview(pages.store, OverviewOptions(), now=now,
                      assess_config=getattr(context.config, "assess", None),
                      **context.state_inputs()).as_json()
    counts, instant = result["counts"], result["instant"] or {}
    return {
        "as_of": result["at"],
        "points": result["points"],
        "states": counts["states"],
        "counts": {
            "points": counts["registered"],
            "must_network": counts["registered"],  # 联网: points that sent today, of all
            "networked": counts["networked"],
            "online": counts["online"],
            "alarms_today": counts["alarms_today"],
            "instant_rate": instant.get("effective_rate"),
            "complete_rate": (instant.get("complete") or {}).get("effective_rate"),
        },
        "open_alarms": open_alarms(pages.store),
        "cities": result["cities"],
        "tile_url": context.settings.get("tile_url"),
        "province": PROVINCE_CODE,
    }


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/")
    def overview(request: Request):
        data = overview_data(pages, pages.context.now())
        return pages.render(request, "overview.html", "/", data=data)

    @router.get("/overview/data")
    def overview_json():
        return JSONResponse(overview_data(pages, pages.context.now()))
