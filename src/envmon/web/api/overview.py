"""`GET /api/v1/overview`: today's counts, rates and point states (`envmon.overview.api`)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1", tags=["overview"])


@use_case_endpoint(router, "/overview", formats=("json", "csv", "xlsx", "html"),
                   summary="Today at a glance: counts, 即时有效传输率, point states",
                   shared=True, live=True)
def overview(region: str | None = Query(None, description="GB/T 2260 code prefix (14, 1401, "
                                        "140105).")):
    """Points registered/networked/online, alarms today, today's 即时 rates (province and
    cities) and every point's state (online, offline, alarm, stopped)."""
    from envmon.overview.api import OverviewOptions
    from envmon.overview.api import overview as overview_use_case

    options = OverviewOptions(region)

    def run(context, live):
        return overview_use_case(context.store, options, now=context.now(),
                                 assess_config=context.config.assess, **live)

    return run
