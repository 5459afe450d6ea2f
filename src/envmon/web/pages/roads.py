"""道路颗粒物 `/roads?month=&pollutant=`: the month's segments on a map coloured by value, the
最脏/最洁净 20 lists and their counts per 区县; `/roads/segments/{id}?month=`: one segment's
drive passes with a chart of the values by day (`envmon.roads.api`: rank, segment_passes).

The ranking is the one `GET /api/v1/roads/rank` answers for the same month (the server's
`[roads]` eligibility, map matching on request within `[web] roads_match_days`, one ranking at
a time). Its map layer (the bytes of `roads/segments.geojson`) is inlined in the page: one
ranking gives both the lists and the layer, where fetching the layer would rank twice. A month
that cannot be ranked (no network, no readings, matching beyond the bound) is the page with
the use case's reason in one line, never an error.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import median

from fastapi import APIRouter, Request

from envmon.errors import EnvmonError, OptionError
from envmon.period import Period
from envmon.roads import api
from envmon.web.api.roads import rank_alone, rank_options
from envmon.web.compute import compute
from envmon.web.pages.overview import PROVINCE_CODE
from envmon.web.pages.render import Pages

CLASSES = 5  # quintiles of the ranked values: a ranking is relative, as the bulletin's map
COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")  # RdYlGn reversed, as there


def class_breaks(values: list[float], classes: int = CLASSES) -> list[float]:
    """The `classes - 1` inner breaks (quantiles, one decimal) of the ranked values."""
    ranked = sorted(values)
    if not ranked:
        return []
    breaks = []
    for k in range(1, classes):
        position = k * (len(ranked) - 1) / classes
        low = int(position)
        high = min(low + 1, len(ranked) - 1)
        breaks.append(round(ranked[low] + (ranked[high] - ranked[low]) * (position - low), 1))
    return breaks


def legend(breaks: list[float]) -> list[dict]:
    """The legend's classes: colour and bounds (None: open-ended); none without values."""
    if not breaks:
        return []
    bounds = [None, *breaks, None]
    return [{"colour": colour, "low": bounds[k], "high": bounds[k + 1]}
            for k, colour in enumerate(COLOURS[:len(breaks) + 1])]


def district_counts(ranking: dict) -> list[dict]:
    """Per 区县: dirty and clean segments listed, most dirty first (the bulletin's tally)."""
    counts: dict[str, dict] = defaultdict(lambda: {"dirty": 0, "clean": 0})
    for side in ("dirty", "clean"):
        for district, n in ranking["district_counts"][side].items():
            counts[district][side] = n
    return sorted(({"district": d, **c} for d, c in counts.items()),
                  key=lambda r: (-r["dirty"], r["clean"], r["district"]))


def _rank(pages: Pages, period: Period, pollutant: str) -> tuple[dict, dict]:
    """The ranking `roads/rank` answers for this month (same settings, bound, one at a
    time) as JSON, and its map layer."""
    context = pages.context
    result = rank_alone(pages.store, period,
                        rank_options(context, detail=True, pollutant=pollutant))
    return result.as_json(), result.geojson()


def add_routes(router: APIRouter, pages: Pages) -> None:
    def bad(request: Request, err: OptionError):
        return pages.render(request, "not_found.html", "/roads", status_code=400,
                            what=f"{err.option.lstrip('-')}: {err.reason}")

    @router.get("/roads")
    async def roads(request: Request, month: str = "", pollutant: str = "pm10"):
        now = pages.context.now()
        month = month or api.default_month(pages.store, now)
        try:
            period = Period.month(month, option="month", now=now)
            api.RankOptions(pollutant=pollutant)
        except OptionError as err:
            return bad(request, err)
        empty = {"month": month, "pollutant": pollutant, "dirty": [], "clean": [],
                 "districts": [], "layer": None, "breaks": [], "colours": COLOURS, "legend": []}
        try:
            ranking, layer = await compute(request, _rank, pages, period, pollutant)
        except EnvmonError as err:  # no network, matching beyond the bound, one running
            return pages.render(request, "roads.html", "/roads", reason=str(err), **empty)
        ranked = [f["properties"]["value"] for f in layer["features"]
                  if f["properties"]["status"] == "排名"]
        breaks = class_breaks(ranked)
        return pages.render(request, "roads.html", "/roads", month=month, pollutant=pollutant,
                            dirty=ranking["dirty"], clean=ranking["clean"],
                            districts=district_counts(ranking), layer=layer,
                            breaks=breaks, colours=COLOURS, legend=legend(breaks),
                            province=PROVINCE_CODE,
                            reason=ranking["note"], provisional=ranking["provisional"],
                            insufficient=ranking["insufficient"])

    @router.get("/roads/segments/{segment_id}")
    async def segment(request: Request, segment_id: str, month: str = ""):
        now = pages.context.now()
        month = month or now.strftime("%Y-%m")
        try:
            period = Period.month(month, option="month", now=now)
            options = api.PassesOptions(segment_id)
        except OptionError as err:
            return bad(request, err)
        try:
            passes = await compute(request, api.segment_passes, pages.store, period, options)
        except api.RoadsDataError as err:
            if " with id " in str(err):  # an unknown segment: a 404, as the API answers
                return pages.render(request, "not_found.html", "/roads", status_code=404,
                                    what=str(err))
            return pages.render(request, "roads_segment.html", "/roads", month=month,
                                segment_id=segment_id, name="", district="", passes=[],
                                daily=[], reason=str(err))
        return pages.render(request, "roads_segment.html", "/roads", month=month,
                            segment_id=segment_id, name=passes.name, district=passes.district,
                            passes=passes.passes, daily=daily_means(passes.passes),
                            reason=None)


def daily_means(passes: list[dict]) -> list[dict]:
    """Per Beijing day: the counted passes and the median of their PM2.5 / PM10 means (the
    chart's points; the median, as the segment's monthly value)."""
    days: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"pm25": [], "pm10": []})
    for p in passes:
        if not p["counted"]:
            continue
        day = days[p["start"][:10]]
        for key in ("pm25", "pm10"):
            if p[key] is not None:
                day[key].append(p[key])
    return [{"date": d, "passes": max(len(v["pm25"]), len(v["pm10"])),
             **{k: round(median(xs), 1) if xs else None for k, xs in v.items()}}
            for d, v in sorted(days.items())]
