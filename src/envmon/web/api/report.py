"""`GET /api/v1/report/…`: the bulletins (通报), one GET per format by the naming rule:
`report/transmission?month=&format=xlsx|html|pdf|json` and `report/air?month=&format=…` answer
the file `envmon report … --format F` writes (the same bytes), with its download name
(``Content-Disposition``). A PDF is 503 naming the reason when WeasyPrint cannot load on the
server (the HTML prints to PDF from a browser).

`--out` and `--exclude FILE` name local files: not API parameters; `--formats` (several at
once) is one GET per format."""

from __future__ import annotations

from fastapi import APIRouter, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1/report", tags=["report"])

STANDARD_HELP = ("Standard set: auto (by date: 2012 before 2026-03-01, else 2026 where "
                 "confirmed), 2012 or 2026.")


@use_case_endpoint(router, "/transmission", formats=("xlsx", "html", "pdf", "json"),
                   default_format="xlsx",
                   summary="Monthly 通报 of transmission rates (envmon report transmission)")
def transmission(month: str = Query(..., description="YYYY-MM (Beijing time)."),
                 instant_hours: float | None = Query(None, description="即时: received by "
                                                     "DataTime + H hours (default 2)."),
                 complete_days: float | None = Query(None, description="补全: received by "
                                                     "DataTime + D days (default 10)."),
                 pass_mark: float | None = Query(None, description="Percent (default 90)."),
                 networked_by: str | None = Query(None, description="data_time or "
                                                  "received_at."),
                 pass_compare: str | None = Query(None, description="full or rounded."),
                 as_of: str | None = Query(None, description="As known at this time, not in "
                                           "the future (default now).")):
    """联网率 and 即时/补全有效传输率 of the month by city, as XLSX, HTML or PDF (json: the
    assessment behind it)."""
    from envmon.assess.api import (
        AssessSettings,
        TransmissionReportOptions,
        checked_as_of,
        transmission_report,
    )
    from envmon.period import Period, parse_time

    when = checked_as_of(parse_time(as_of, "--as-of") if as_of else None)
    period = Period.month(month)

    def run(context):
        options = TransmissionReportOptions(AssessSettings(
            context.config.assess, instant_hours=instant_hours, complete_days=complete_days,
            pass_mark=pass_mark, networked_by=networked_by, pass_compare=pass_compare), when)
        return transmission_report(context.store, period, options)

    AssessSettings(pass_mark=pass_mark, networked_by=networked_by, pass_compare=pass_compare)
    return run


@use_case_endpoint(router, "/air", formats=("xlsx", "html", "pdf"), default_format="xlsx",
                   summary="Monthly air-quality bulletin (envmon report air)")
def air(month: str = Query(..., description="Month, YYYY-MM."),
        city: str | None = Query(None, description="City of the bulletin (default: the only "
                                 "city of the station registry, else the first by station "
                                 "code). The ranking covers every city."),
        standard: str = Query("auto", description=STANDARD_HELP)):
    """环境空气质量月报: summary sentence, pollutants with year-on-year change, AQI calendar,
    daily table, city ranking."""
    from envmon.air import api
    from envmon.period import Period

    period = Period.month(month)
    api.BulletinOptions(city, standard)

    def run(context):
        options = api.BulletinOptions(city, standard, None, getattr(context.config, "air",
                                                                   None))
        return api.monthly_bulletin(context.store, period, options)

    return run
