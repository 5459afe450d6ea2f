"""Records beyond `GET /api/v1/data`: the raw packets of a point with their verdicts
(`GET /api/v1/data/raw`, passwords masked) and the conflicting copies
(`GET /api/v1/data/conflicts`, as `envmon data --conflicts`)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1", tags=["data"])

_FROM = "ISO time, Beijing time if no offset (default: `to` minus 1 day)."
_TO = "ISO time, exclusive (default: now)."


@use_case_endpoint(router, "/data/raw", formats=("json", "csv", "table"), items="packets",
                   paged=True, summary="Raw packets of one point with their verdicts")
def data_raw(mn: str = Query("", description="MN of the monitoring point."),
             start: str | None = Query(None, alias="from", description="Received from: "
                                       + _FROM),
             end: str | None = Query(None, alias="to", description="Received before: " + _TO),
             verdict: str | None = Query(None, description="accepted, rejected or "
                                         "discarded (default: all).")):
    """The packets received from one point in a period, in order: receipt time, sender's
    address, verdict and reason, the raw text with PW=… masked."""
    from envmon.ingest.api import RawPacketsOptions, raw_packets
    from envmon.records.api import records_period

    period = records_period(start, end)
    options = RawPacketsOptions(mn, verdict)
    return lambda context, offset, limit: raw_packets(context.store, period, options,
                                                      offset=offset, limit=limit)


@use_case_endpoint(router, "/data/conflicts", formats=("json", "csv", "table", "xlsx", "html"),
                   items="conflicts", summary="Records with differing stored copies "
                   "(envmon data --conflicts)")
def data_conflicts(mn: str = Query("", description="MN of the monitoring point."),
                   cn: str = Query("2061", description="Command code: 2011, 2051, 2061, "
                                   "2031 …"),
                   start: str | None = Query(None, alias="from", description=_FROM),
                   end: str | None = Query(None, alias="to", description=_TO),
                   marks: bool = Query(False, description="Accepted as `envmon data "
                                       "--marks` gives it: each copy always says `resent`.")):
    """Both copies of every record with a stored copy of other values, their receipt times
    and addresses, which one the figures use and which arrived re-sent."""
    from envmon.records.api import RecordsOptions, point_conflicts, records_period

    period = records_period(start, end)
    options = RecordsOptions(mn, cn)
    return lambda context: point_conflicts(context.store, period, options)
