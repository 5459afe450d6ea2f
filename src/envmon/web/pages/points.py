"""点位 `/points` (every point with its state) and `/points/{mn}`: one point's series per factor
against its limit (折算 where it applies), its flags, raw packets with verdicts, back-fill
requests and exemption marks, and the remote-command panel (反控: send one, watch its state
live, the point's command history)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from envmon.assess.api import BackfillLogOptions, MarkListOptions, backfill_log, list_marks
from envmon.control.actions import ACTIONS
from envmon.control.storage import list_commands
from envmon.errors import OptionError
from envmon.hj212.codes import FACTORS
from envmon.ingest.api import RawPacketsOptions, raw_packets
from envmon.overview.states import point_states
from envmon.period import Period
from envmon.records.api import RecordsOptions, point_series
from envmon.web.compute import compute
from envmon.web.pages.render import Pages

DEFAULT_DAYS = 3  # a glance: the last three days of hourly data
MAX_DAYS = 31
RAW_ROWS = 50  # the latest raw packets and back-fill requests shown


def factor_names(factors, lang: str) -> dict[str, str]:
    """HJ 212-2017 code → the factor's name (and unit) in the page's language."""
    names = {}
    for code in factors:
        factor = FACTORS.get(code)
        if factor is not None:
            name = factor.en if lang == "en" else factor.zh
            names[code] = f"{name} {factor.unit}".strip()
    return names


def _point_page(store, mn: str, now: datetime, period: Period, live: dict
                ) -> dict[str, Any] | None:
    """What `/points/{mn}` shows (None: no such point): its state alone (not every point's),
    its series, flags, latest raw packets, back-fill requests and the exemptions covering
    it, each read as such from the store."""
    found = point_states(store, now, mn=mn, **live)
    if not found:
        return None
    point = found[0]
    series = point_series(store, period, RecordsOptions(mn=mn))
    flags = Counter(r["flag"] or "N" for rows in series.series.values() for r in rows)
    raw = raw_packets(store, period, RawPacketsOptions(mn, newest_first=True), limit=RAW_ROWS)
    return {"point": point.as_json(), "series": series, "flags": sorted(flags.items()),
            "converted": point.kind == "gas", "raw": raw.as_json(),
            "backfill": backfill_log(store, BackfillLogOptions(mn=mn)).as_json()[-RAW_ROWS:],
            "exemptions": list_marks(store, MarkListOptions("exemptions", point=mn)).as_json(),
            "commands": list_commands(store, mn, RAW_ROWS).as_json(),
            "actions": [{"name": a.name, "title": a.title, "params": list(a.params)}
                        for a in ACTIONS.values()]}


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/points")
    async def point_list(request: Request):
        live = pages.context.state_inputs()  # on the loop (`web.compute`)
        found = await compute(request, lambda: point_states(pages.store, pages.context.now(),
                                                            **live))
        return pages.render(request, "points.html", "/points",
                            points=[p.as_json() for p in found])

    @router.get("/points/{mn}")
    async def point(request: Request, mn: str, days: int = DEFAULT_DAYS):
        if not 1 <= days <= MAX_DAYS:
            return pages.render(request, "not_found.html", "/points", status_code=400,
                                what=f"days: must be from 1 to {MAX_DAYS}, not {days}")
        now = pages.context.now()
        end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        period = Period.parse(end - timedelta(days=days), end)
        live = pages.context.state_inputs()
        try:
            shown = await compute(request, _point_page, pages.store, mn, now, period, live)
        except OptionError as err:
            return pages.render(request, "not_found.html", "/points", status_code=404,
                                what=f"{err.option}: {err.reason}")
        if shown is None:
            return pages.render(request, "not_found.html", "/points", status_code=404,
                                what=f"MN {mn}")
        series = shown.pop("series")
        return pages.render(
            request, "point.html", "/points", days=days, series=series.as_json(),
            names=factor_names(series.series, pages.translator(request).lang), **shown)
