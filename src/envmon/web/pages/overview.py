"""总览 `/`: the map of every point by state, today's counts, the open alarms, the cities' rates.

Every figure comes from the overview use case (`envmon.overview.api.overview`), through the
very computation of `GET /api/v1/overview` (`api.overview.overview.answer`: its query slot and
its shared result, so a wall of screens and the API cost one computation), plus the newest
`OPEN_ALARMS_SHOWN` open and acknowledged alarms. The page's script reloads its figures from
`GET /api/v1/overview` (shared) and `GET /api/v1/alarms`; `/overview/data` gives the page's
figures as one JSON (the same computation) for whoever reads them whole (the tests).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from envmon.access.isolation import narrow
from envmon.alarms import store as alarm_store
from envmon.web.compute import compute
from envmon.web.pages.render import Pages

PROVINCE_CODE = "140000"  # the boundaries drawn (static/vendor/geo/<code>.geojson)
# The newest open alarms listed: a wall shows what is new; hundreds of rows are a list to
# page through on 报警, not a glance (the count says how many there are).
OPEN_ALARMS_SHOWN = 100


def open_alarms(store, limit: int | None = None) -> list[dict[str, Any]]:
    """The newest `limit` (default `OPEN_ALARMS_SHOWN`) open and acknowledged alarms, newest
    first, as `envmon alarms list` JSON objects with the unit's name."""
    limit = limit or OPEN_ALARMS_SHOWN
    alarms = [alarm for status in ("open", "acknowledged")
              for alarm in alarm_store.list_alarms(store, status=status, limit=limit,
                                                   newest_first=True)]
    alarms = sorted(alarms, key=lambda a: a.id, reverse=True)[:limit]
    names = store.unit_names([a.unit_id for a in alarms if a.unit_id])
    rows = []
    for alarm in alarms:
        row = alarm.as_json()
        row["unit_name"] = names.get(alarm.unit_id) or alarm.unit_id or ""
        rows.append(row)
    return rows


def page_figures(result: dict[str, Any]) -> dict[str, Any]:
    """The overview's JSON (`GET /api/v1/overview`) in the names the page shows (the
    script's `pageFigures` is the same mapping)."""
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
            "alarms_open": counts["alarms_open"],
            "instant_rate": instant.get("effective_rate"),
            "complete_rate": (instant.get("complete") or {}).get("effective_rate"),
        },
        "cities": result["cities"],
    }


async def overview_data(pages: Pages, request: Request) -> dict[str, Any]:
    """The page's figures: the shared `GET /api/v1/overview` result and the open alarms."""
    from envmon.web.api.overview import overview as overview_endpoint

    allowed = getattr(request.state, "allowed", None)  # web.isolation: a region's own figures
    region = allowed.scope.region if allowed is not None and allowed.scope.kind == "region" \
        else None
    body, *_ = await overview_endpoint.answer(request, {"region": region})
    data = page_figures(json.loads(body))
    data["open_alarms"] = await compute(request, open_alarms, pages.store)
    data = narrow(data, allowed)
    data["tile_url"] = pages.context.settings.get("tile_url")
    data["province"] = PROVINCE_CODE
    return data


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/")
    async def overview(request: Request):
        data = await overview_data(pages, request)
        return pages.render(request, "overview.html", "/", data=data)

    @router.get("/overview/data")
    async def overview_json(request: Request):
        return JSONResponse(await overview_data(pages, request))
