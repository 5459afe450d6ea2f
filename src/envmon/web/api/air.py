"""`GET /api/v1/air/…`: ambient air quality (`envmon.air.api`), one endpoint per use case by
the naming rule: `air aqi`, `air summary`, `air rank` answer the bytes of the CLI for the same
options; `air/stations` lists the stations and `air/daily` gives a city's daily AQI (the
calendar of the pages: the summary's daily rows, published daily values winning as
`[air] published_daily_wins` says).

`--exclude FILE` (扣沙 / 例外事件 days) names a local file, so it is not an API parameter;
the `[air]` settings are the server's configuration."""

from __future__ import annotations

from fastapi import APIRouter, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1/air", tags=["air"])

LIST_FORMATS = ("json", "text", "csv", "table", "xlsx", "html")
STANDARD_HELP = ("Standard set: auto (by date: 2012 before 2026-03-01, else 2026 where "
                 "confirmed), 2012 or 2026.")
METHOD_HELP = "Composite index: mee (published ranking method) or hj663 (HJ 663 Annex C)."


def _air_settings(context):
    return getattr(context.config, "air", None)


@use_case_endpoint(router, "/stations", formats=("json", "csv", "table", "xlsx", "html"),
                   items="rows", summary="Air-quality stations (registry of air stations import)")
def stations(city: str | None = Query(None, description="Only this city's stations.")):
    """The registered stations: code, name, city, type (null: untyped, out of city values),
    active_from, active_to."""
    from envmon.air import api

    options = api.StationsOptions(city)
    return lambda context: api.list_stations(context.store, options)


@use_case_endpoint(router, "/aqi", formats=LIST_FORMATS, items="rows",
                   summary="Hourly AQI of one station (envmon air aqi)")
def aqi(station: str = Query(..., description="Station code."),
        start: str = Query(..., alias="from", description="ISO time (Beijing time if no "
                           "offset)."),
        end: str = Query(..., alias="to", description="ISO time, inclusive (hours are "
                         "labelled by their end)."),
        o3_8h: bool = Query(False, description="Include the rolling O3 8-h IAQI."),
        standard: str = Query("auto", description=STANDARD_HELP)):
    """Real-time (hourly) AQI of one station (HJ 633): time, station, aqi, level, primary."""
    from envmon.air import api
    from envmon.period import Period

    options = api.AqiOptions(station, standard, o3_8h)
    period = Period.parse(start, end)
    return lambda context: api.station_aqi(context.store, period, options)


@use_case_endpoint(router, "/summary", formats=LIST_FORMATS,
                   summary="City summary over a period (envmon air summary)")
def summary(city: str = Query(..., description="City name as registered (e.g. 太原市)."),
            start: str = Query(..., alias="from", description="First day, YYYY-MM-DD."),
            end: str = Query(..., alias="to", description="Last day, YYYY-MM-DD (inclusive)."),
            method: str = Query("mee", description=METHOD_HELP),
            standard: str = Query("auto", description=STANDARD_HELP),
            yoy_rounded: bool = Query(False, description="Year-on-year change from the "
                                      "rounded (published) figures."),
            no_validity: bool = Query(False, description="Do not apply the period count "
                                      "rules (≥ 27 days per month, ≥ 324 per year).")):
    """Good days, composite index, concentrations, daily AQI and year-on-year change."""
    from envmon.air import api
    from envmon.period import Period

    period = Period.days_between(start, end)

    def run(context):
        options = api.SummaryOptions(city, method, standard, yoy_rounded, not no_validity,
                                     None, _air_settings(context))
        return api.city_summary(context.store, period, options)

    api.SummaryOptions(city, method, standard)  # the options are checked before the thread
    return run


@use_case_endpoint(router, "/rank", formats=LIST_FORMATS,
                   summary="Cities ranked by composite index (envmon air rank)")
def rank(start: str = Query(..., alias="from", description="First day, YYYY-MM-DD."),
         end: str = Query(..., alias="to", description="Last day, YYYY-MM-DD (inclusive)."),
         method: str = Query("mee", description=METHOD_HELP),
         standard: str = Query("auto", description=STANDARD_HELP),
         no_validity: bool = Query(False, description="Do not apply the period count rules.")):
    """Every city by composite index and by its year-on-year change."""
    from envmon.air import api
    from envmon.period import Period

    period = Period.days_between(start, end)
    api.RankOptions(method, standard)

    def run(context):
        options = api.RankOptions(method, standard, not no_validity, None,
                                  _air_settings(context))
        return api.city_ranking(context.store, period, options)

    return run


@use_case_endpoint(router, "/daily", formats=("json", "csv", "table", "xlsx", "html"),
                   items="rows", summary="A city's daily AQI (the calendar)")
def daily(city: str = Query(..., description="City name as registered (e.g. 太原市)."),
          start: str = Query(..., alias="from", description="First day, YYYY-MM-DD."),
          end: str = Query(..., alias="to", description="Last day, YYYY-MM-DD (inclusive)."),
          standard: str = Query("auto", description=STANDARD_HELP)):
    """One row per day: date, aqi, level, primary, concentrations (the `daily` rows of
    `air summary` for the same city and days)."""
    from envmon.air import api
    from envmon.period import Period

    period = Period.days_between(start, end)
    api.DailyOptions(city, standard)

    def run(context):
        options = api.DailyOptions(city, standard, _air_settings(context))
        return api.city_daily(context.store, period, options)

    return run
