"""Registry endpoints: `GET /api/v1/registry/export` (what `envmon registry export` writes,
passwords left out), `GET /api/v1/registry/history` (`envmon registry history`) and
`GET /api/v1/registry/points` (`envmon registry points`: the points the pages draw)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1", tags=["registry"])


@use_case_endpoint(router, "/registry/export", formats=("json", "csv", "xlsx"), items="rows",
                   summary="The registry in the import columns (envmon registry export)")
def registry_export():
    """The registry in the columns `envmon registry import` reads, as the export file (csv,
    xlsx) or JSON objects. The points' passwords are left out (empty pw cells): the API has
    no users yet to allow them, and the importer refuses such a row rather than clearing a
    password."""
    from envmon.registry.api import RegistryTableOptions, registry_table

    return lambda context: registry_table(context.store, RegistryTableOptions(False))


@use_case_endpoint(router, "/registry/history", formats=("json", "csv", "table"),
                   items="entries", summary="Versioned registry changes (envmon registry "
                   "history)")
def registry_history(mn: str | None = Query(None, description="Only this point's changes.")):
    """Limits, o2_ref, standards, passwords (masked) and factors changed, old → new, with the
    day each takes effect and whether it is in force or scheduled."""
    from envmon.registry.api import HistoryOptions, registry_history

    return lambda context: registry_history(context.store, HistoryOptions(mn))


@use_case_endpoint(router, "/registry/points", formats=("json", "csv", "table", "xlsx", "html"),
                   items="points", summary="Monitoring points with unit, region, factors, "
                   "limits, location (envmon registry points)")
def registry_points(region: str | None = Query(None, description="GB/T 2260 code or prefix "
                                               "(14, 1401, 140105): only its points."),
                    unit: str | None = Query(None, description="Only this unit's points "
                                             "(统一社会信用代码).")):
    """The points in force by MN: unit, outlet, region, factors with limits, o2_ref, standard,
    upload interval and location; no passwords."""
    from envmon.registry.api import PointsOptions, registry_points

    options = PointsOptions(region, unit)
    return lambda context: registry_points(context.store, options)
