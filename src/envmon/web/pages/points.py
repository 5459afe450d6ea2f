"""点位 `/points` (every point with its state) and `/points/{mn}`: one point's series per factor
against its limit (折算 where it applies), its flags, raw packets with verdicts, back-fill
requests and exemption marks."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from fastapi import APIRouter, Request

from envmon.assess.api import BackfillLogOptions, MarkListOptions, backfill_log, list_marks
from envmon.errors import OptionError
from envmon.hj212.codes import FACTORS
from envmon.overview.states import point_states
from envmon.period import Period
from envmon.records.api import (
    RawPacketsOptions,
    RecordsOptions,
    point_series,
    raw_packets,
)
from envmon.web.pages.render import Pages

DEFAULT_DAYS = 3  # a glance: the last three days of hourly data
MAX_DAYS = 31


def factor_names(factors, lang: str) -> dict[str, str]:
    """HJ 212-2017 code → the factor's name (and unit) in the page's language."""
    names = {}
    for code in factors:
        factor = FACTORS.get(code)
        if factor is not None:
            name = factor.en if lang == "en" else factor.zh
            names[code] = f"{name} {factor.unit}".strip()
    return names


def add_routes(router: APIRouter, pages: Pages) -> None:
    def states():
        return point_states(pages.store, pages.context.now(), **pages.context.state_inputs())

    @router.get("/points")
    def point_list(request: Request):
        return pages.render(request, "points.html", "/points",
                            points=[p.as_json() for p in states()])

    @router.get("/points/{mn}")
    def point(request: Request, mn: str, days: int = DEFAULT_DAYS):
        store = pages.store
        found = [p for p in states() if p.mn == mn]
        if not found:
            return pages.render(request, "not_found.html", "/points", status_code=404,
                                what=f"MN {mn}")
        if not 1 <= days <= MAX_DAYS:
            return pages.render(request, "not_found.html", "/points", status_code=400,
                                what=f"days: must be from 1 to {MAX_DAYS}, not {days}")
        now = pages.context.now()
        end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        period = Period.parse(end - timedelta(days=days), end)
        try:
            series = point_series(store, period, RecordsOptions(mn=mn))
        except OptionError as err:
            return pages.render(request, "not_found.html", "/points", status_code=404,
                                what=f"{err.option}: {err.reason}")
        flags = Counter(r["flag"] or "N" for rows in series.series.values() for r in rows)
        exemptions = [r for r in list_marks(store, MarkListOptions("exemptions")).as_json()
                      if r.get("mn") == mn or (r.get("mn") in (None, "")
                                               and r.get("unit_id") == found[0].unit_id)]
        return pages.render(
            request, "point.html", "/points", point=found[0].as_json(), days=days,
            series=series.as_json(), flags=sorted(flags.items()),
            names=factor_names(series.series, pages.translator(request).lang),
            converted=found[0].kind == "gas",
            raw=raw_packets(store, RawPacketsOptions(mn=mn, limit=50)).as_json(),
            backfill=backfill_log(store, BackfillLogOptions(mn=mn)).as_json()[-50:],
            exemptions=exemptions)
