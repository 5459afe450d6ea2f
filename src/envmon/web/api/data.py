"""`GET /api/v1/data`: the records of one point (`envmon.records.api.point_records`), the
same JSON objects as `envmon data --format json`."""

from __future__ import annotations

from fastapi import APIRouter, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1", tags=["data"])


@use_case_endpoint(router, "/data", formats=("json", "csv", "table", "xlsx", "html"),
                   items="records", paged=True, summary="Records of one point (envmon data)")
def data(mn: str = Query("", description="MN of the monitoring point."),
         cn: str = Query("2061", description="Command code: 2011, 2051, 2061 (hour), 2031 …"),
         start: str | None = Query(None, alias="from", description="ISO time, Beijing time "
                                   "if no offset (default: `to` minus 1 day)."),
         end: str | None = Query(None, alias="to", description="ISO time, exclusive "
                                 "(default: now)."),
         marks: bool = Query(False, description="csv, table, xlsx, html: add the columns "
                             "resent and st (json always has them).")):
    """The records of one point, one per factor per data time (`envmon data`)."""
    from envmon.records.api import RecordsOptions, point_records, records_period

    period = records_period(start, end)
    options = RecordsOptions(mn, cn, marks)
    return lambda context, offset, limit: point_records(context.store, period, options,
                                                        offset=offset, limit=limit)
