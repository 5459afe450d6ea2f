"""总览 `/`: the map of every point by state, today's counts, the open alarms, the cities' rates.

`/overview/data` gives the same figures as JSON: the page's script draws the map from it and
reloads it when the live stream says it lost events (`reset`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from envmon.alarms.api import (
    AlarmListOptions,
    PointStatesOptions,
    list_alarms,
    point_states,
)
from envmon.assess.api import AssessOptions, assess_period
from envmon.period import Period, beijing_midnight
from envmon.web.pages.render import Pages

OFFLINE_AFTER_S = 1800.0  # the alarm engine's default silence before a point is offline
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
    store = pages.store
    offline_after = float(pages.context.settings.get("offline_after_s", OFFLINE_AFTER_S))
    states = point_states(store, PointStatesOptions(now, offline_after))
    month = Period.month(now.strftime("%Y-%m"), now=now)
    province = assess_period(store, month, AssessOptions(level="province", as_of=now)).as_json()
    cities = assess_period(store, month, AssessOptions(level="city", as_of=now)).as_json()
    today = list_alarms(store, AlarmListOptions(opened_since=beijing_midnight(now)))
    counts = states.counts()
    whole = province["rows"][0] if province["rows"] else {}
    return {
        "as_of": now.isoformat(),
        "points": [p.as_json() for p in states.points],
        "states": counts,
        "counts": {
            "points": len(states.points),
            "must_network": whole.get("must_network", 0),
            "networked": whole.get("networked", 0),
            "online": len(states.points) - counts["offline"],
            "alarms_today": len(today.alarms),
            "instant_rate": (whole.get("instant") or {}).get("effective_rate"),
        },
        "open_alarms": open_alarms(store),
        "cities": cities["rows"],
        "tile_url": pages.context.settings.get("tile_url"),
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
