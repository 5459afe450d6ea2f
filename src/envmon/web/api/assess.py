"""`GET /api/v1/assess`: one level of the transmission assessment
(`envmon.assess.api.assess_period`), the same JSON as `envmon assess --format json`."""

from __future__ import annotations

from fastapi import APIRouter, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1", tags=["assess"])


@use_case_endpoint(router, "/assess", formats=("json", "csv", "table", "xlsx", "html", "pdf"),
                   summary="Transmission assessment at one level (envmon assess)",
                   shared=True)
def assess(level: str = Query("city", description="point, unit, county, city or province."),
           month: str | None = Query(None, description="YYYY-MM (Beijing time)."),
           start: str | None = Query(None, alias="from",
                                     description="ISO time on the hour, inclusive."),
           end: str | None = Query(None, alias="to",
                                   description="ISO time on the hour, exclusive."),
           instant_hours: float | None = Query(None, description="即时: received by DataTime "
                                               "+ H hours (default 2)."),
           complete_days: float | None = Query(None, description="补全: received by "
                                               "DataTime + D days (default 10)."),
           valid_flags: str | None = Query(None, description="Comma-separated flags counted "
                                           "valid (default N)."),
           aggregate: str | None = Query(None, description="sum or mean_of_units."),
           networked_rule: str | None = Query(None, description="all_points or any_point."),
           pass_mark: float | None = Query(None, description="Percent (default 90)."),
           networked_by: str | None = Query(None, description="data_time or received_at."),
           pass_compare: str | None = Query(None, description="full or rounded."),
           rank_by: str | None = Query(None, description="complete or instant."),
           marks_without_proof: bool = Query(False, description="Count exemptions and "
                                             "repairs without a proof."),
           mark_deadline_day: int | None = Query(None, description="Exemptions entered by "
                                                 "this day of the next month count (default "
                                                 "10; 0: no deadline)."),
           as_of: str | None = Query(None, description="Assess as known at this time "
                                     "(default now; not in the future)."),
           region: str | None = Query(None, description="Only this region's units (GB/T "
                                      "2260 code or prefix: 14, 1401, 140105), ranked among "
                                      "themselves: the drill-down city → county → unit."),
           unit: str | None = Query(None, description="Only this unit and its points "
                                    "(levels point and unit)."),
           parent: str | None = Query(None, description="The drill-down: the rows of the "
                                      "level under this row of the level above (a city's "
                                      "counties, a county's units, a unit's points).")):
    """One level's rows, best first, ranked (`envmon assess`); rates in percent."""
    from envmon.assess.api import AssessOptions, AssessSettings, assess_period, checked_as_of
    from envmon.period import Period, parse_time

    # checked first, as `envmon assess` does
    AssessOptions(level, region=region, unit=unit, parent=parent)
    when = checked_as_of(parse_time(as_of, "--as-of") if as_of else None)
    period = Period.from_options(month, start, end, on_the_hour=True)

    def run(context):
        settings = AssessSettings(
            context.config.assess, instant_hours=instant_hours, complete_days=complete_days,
            valid_flags=valid_flags, aggregate=aggregate, networked_rule=networked_rule,
            pass_mark=pass_mark, rank_by=rank_by, networked_by=networked_by,
            pass_compare=pass_compare,
            marks_require_proof=False if marks_without_proof else None,
            mark_deadline_day=mark_deadline_day)
        return assess_period(context.store, period, AssessOptions(level, settings, when,
                                                                  region, unit, parent))

    return run
