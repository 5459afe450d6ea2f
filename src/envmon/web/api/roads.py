"""`GET /api/v1/roads/…`: road particulates (`envmon.roads.api`) by the naming rule —
`roads/rank` and `roads/coverage` answer the bytes of `envmon roads rank|coverage` for the same
options — and, for the map page, `roads/segments.geojson` (the ranking's layer: the bytes of
`roads rank --geojson`) and `roads/segments/{segment_id}/passes` (a segment's drive passes).

**Map matching on request.** Like the CLI, a ranking first map-matches the days of the period
whose readings are not matched yet (`match` omitted), the whole period with ``match=true``,
and refuses them with ``match=false``. Here it runs in a worker thread (never on the loop the
receiver shares), one ranking at a time (`ONE_RANKING`: two would match the same days and
rewrite the same statistics; a request while one runs is a 409 "a ranking is running" at once,
never a worker thread and a query slot blocked waiting for the lock), and at most
`[web] roads_match_days` days are matched on a request (the demo fleet's month takes
seconds); beyond that, and with ``match=false``, the answer is 409 naming `envmon roads
match`. A store without a road network is a 409 too.

`--settings FILE`, `--out`, `--map` and `--geojson` name local files: not API parameters (the
road settings are the server's `[roads]` configuration)."""

from __future__ import annotations

import threading

from fastapi import APIRouter, Path, Query

from envmon.web.api.usecase import Conflict, use_case_endpoint

router = APIRouter(prefix="/api/v1/roads", tags=["roads"])

RANK_FORMATS = ("json", "csv", "table", "xlsx", "html", "pdf")
ONE_RANKING = threading.Lock()

MONTH = Query(None, description="YYYY-MM (Beijing time).")
START = Query(None, alias="from", description="ISO start (inclusive).")
END = Query(None, alias="to", description="ISO end (exclusive).")


def road_settings(context):
    """The server's [roads] settings (`roads.settings`)."""
    from envmon.roads.settings import settings_from_dict

    return settings_from_dict(getattr(context.config, "roads", None) or {}, "[roads]")


def rank_options(context, *, detail: bool, eligibility: dict | None = None,
                 match: bool | None = None, **options):
    """The `rank` use case's options as `envmon roads rank` builds them, with the server's
    [roads] settings and `[web] roads_match_days` (the API and the 道路颗粒物 page)."""
    from envmon.roads import api

    settings = road_settings(context)
    return api.RankOptions(
        **options,
        eligibility=api.RankOptions.eligibility_from(settings.eligibility,
                                                     **(eligibility or {})),
        match_first=bool(match), match_unmatched=match is not False,
        matching=api.MatchOptions.of(settings), detail=detail,
        max_match_days=context.web_settings().roads_match_days)


def rank_alone(store, period, options):
    """`roads.api.rank`, one at a time: a second is refused (409) while one runs."""
    from envmon.roads import api

    if not ONE_RANKING.acquire(blocking=False):
        raise Conflict("a ranking is running (it map-matches and writes the statistics); "
                       "try again when it is done")
    try:
        return api.rank(store, period, options)
    finally:
        ONE_RANKING.release()


def _conflicts(run):
    """The use case, with "the store lacks what this needs" as a 409 (what to run first);
    an unknown segment stays a 404."""
    from envmon.roads.api import RoadsDataError

    def guarded(context):
        try:
            return run(context)
        except RoadsDataError as error:
            if " with id " in str(error):
                raise
            raise Conflict(str(error)) from None

    return guarded


def _ranking(month, start, end, top, pollutant, normalise, min_days, min_passes, min_taxis,
             match, names, *, detail):
    """The `rank` use case for these options, as `envmon roads rank` builds it."""
    from envmon.period import Period
    from envmon.roads import api

    api.RankOptions(top=top, pollutant=pollutant, normalise=normalise, names=names)
    period = Period.from_options(month, start, end)

    def run(context):
        options = rank_options(
            context, detail=detail, match=match, top=top, pollutant=pollutant,
            normalise=normalise, names=names,
            eligibility={"min_days": min_days, "min_passes": min_passes,
                         "min_taxis": min_taxis})
        return rank_alone(context.store, period, options)

    return _conflicts(run)


def _rank_query():
    return dict(
        month=MONTH, start=START, end=END,
        top=Query(20, ge=1, description="Length of each list."),
        pollutant=Query("pm10", description="pm10 or pm25."),
        normalise=Query("none", description="Background normalisation: none, "
                        "multiplicative, additive."),
        min_days=Query(None, ge=0, description="Eligibility: distinct days (default 8)."),
        min_passes=Query(None, ge=0, description="Eligibility: drive passes (default 15)."),
        min_taxis=Query(None, ge=0, description="Eligibility: different taxis (default 2)."),
        match=Query(None, description="true: match the whole period first; false: refuse "
                    "(409) days not matched yet; default: match those days first."),
        names=Query("junction", description="junction (路名+A路口至B路口) or hotspot."),
    )


_Q = _rank_query()


@use_case_endpoint(router, "/rank", formats=RANK_FORMATS,
                   summary="The month's dirty and clean segment lists (envmon roads rank)")
def rank(month: str | None = _Q["month"], start: str | None = _Q["start"],
         end: str | None = _Q["end"], top: int = _Q["top"], pollutant: str = _Q["pollutant"],
         normalise: str = _Q["normalise"], min_days: int | None = _Q["min_days"],
         min_passes: int | None = _Q["min_passes"], min_taxis: int | None = _Q["min_taxis"],
         match: bool | None = _Q["match"], names: str = _Q["names"]):
    """The most polluted and the cleanest eligible segments (median of drive-pass means),
    district counts, segments counted as 数据不足; xlsx/html/pdf: the 通报."""
    return _ranking(month, start, end, top, pollutant, normalise, min_days, min_passes,
                    min_taxis, match, names, detail=False)


@use_case_endpoint(router, "/segments.geojson", formats=("geojson",), default_format="geojson",
                   summary="The ranking's map layer: segments as GeoJSON LineStrings (WGS 84)")
def segments_geojson(month: str | None = _Q["month"], start: str | None = _Q["start"],
                     end: str | None = _Q["end"], top: int = _Q["top"],
                     pollutant: str = _Q["pollutant"], normalise: str = _Q["normalise"],
                     min_days: int | None = _Q["min_days"],
                     min_passes: int | None = _Q["min_passes"],
                     min_taxis: int | None = _Q["min_taxis"],
                     match: bool | None = _Q["match"], names: str = _Q["names"]):
    """A FeatureCollection of every segment of the network: LineString in WGS 84 (the
    network is stored in WGS 84 and built in its UTM zone), properties segment_id, name
    (路名 A路口至B路口), road, district, length_m, value (the median the ranking uses),
    n_passes, n_days, n_taxis, status (排名 / 数据不足 / 无数据), dirty_rank, clean_rank
    (the lists of `roads/rank` for the same options); the bytes of `roads rank --geojson`."""
    return _ranking(month, start, end, top, pollutant, normalise, min_days, min_passes,
                    min_taxis, match, names, detail=True)


@use_case_endpoint(router, "/coverage", formats=("json", "csv", "table"),
                   summary="Monitoring coverage of the network (envmon roads coverage)")
def coverage(month: str | None = MONTH, start: str | None = START, end: str | None = END):
    """Segments and km with passes per day, eligible over the period; match coverage per
    taxi per day."""
    from envmon.period import Period
    from envmon.roads import api

    period = Period.from_options(month, start, end)
    return _conflicts(lambda context: api.coverage(context.store, period,
                                                   api.CoverageOptions()))


@use_case_endpoint(router, "/segments/{segment_id}/passes", formats=("json", "csv", "table"),
                   items="passes", summary="A segment's drive passes")
def segment_passes(segment_id: str = Path(..., description="Segment id (as in the ranking)."),
                   month: str | None = MONTH, start: str | None = START,
                   end: str | None = END):
    """Each taxi's pass over the segment: device_id, start, end, n_readings, covered_m,
    pm25, pm10, counted (whether it enters the median)."""
    from envmon.period import Period
    from envmon.roads import api

    options = api.PassesOptions(segment_id)
    period = Period.from_options(month, start, end)
    return _conflicts(lambda context: api.segment_passes(context.store, period, options))
