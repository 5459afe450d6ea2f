"""Emergency control under `/api/v1/emergency`, mirroring `envmon emergency …`:
GET `alerts` (`alert list`), `list/show`, `check?alert=ID` (with the served configuration's
`[emergency]` settings and `[assess]` exemption rules); POST `alert/add`, `alert/cancel`,
`alert/import`, `list/import` with JSON bodies of the CLI's option names (the imports: the
rows the CLI read from its file, `{"source", "rows": [{"line", "cells"}]}`, bounded by
`IMPORT_PATH`'s body limit and `files.MAX_ROWS`). Writes run on the writer thread, go into
the audit log (`web.audited.audit_write`) and then `api.writes.after_write`; who may write is
`access.policy` (any POST)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from envmon.errors import EnvmonError
from envmon.web.api.actor import actor
from envmon.web.api.usecase import error_response, use_case_endpoint, user_error_response
from envmon.web.api.writes import after_write
from envmon.web.audited import audit_write

router = APIRouter(prefix="/api/v1/emergency", tags=["emergency"])

IMPORT_PATH = re.compile(r"^/api/v1/emergency/(alert|list)/import$")
IMPORT_BODY_BYTES = 8 * 1024 * 1024
"""The body limit of an import: `files.MAX_ROWS` rows of six cells at ~100 bytes of JSON
each is ~6 MB; the default body limit (64 KiB) holds a few hundred rows only."""


def emergency_config(context):
    """The served configuration's [emergency] settings (`emergency.settings`)."""
    from envmon.emergency.settings import emergency_settings
    from envmon.errors import OptionError

    try:
        return emergency_settings(getattr(context.config, "emergency", None) or {})
    except ValueError as error:
        raise OptionError("--config", str(error)) from None


@use_case_endpoint(router, "/alerts", formats=("json", "csv", "table"),
                   summary="The heavy-pollution alerts (envmon emergency alert list)")
def alerts():
    """id, level (yellow/orange/red), from, to, region, created_by, created_at."""
    from envmon.emergency.api import list_alerts

    return lambda context: list_alerts(context.store)


@use_case_endpoint(router, "/check", formats=("json", "table", "xlsx", "html"),
                   shared=True,
                   summary="Emergency-control compliance of an alert (envmon emergency check)")
def check(alert: str = Query("", description="Alert id (GET /api/v1/emergency/alerts).")):
    """Per listed unit and alert day: 落实 / 未落实 / 数据不足 with the evidence (baseline of
    the same hours of the 30 days before, achieved reduction, its uncertainty), hour by hour;
    the region's achieved SO2, NOx and PM reduction against the plan's target; the worst
    units first."""
    from envmon.emergency.api import CheckOptions, check_alert
    from envmon.emissions.accounting import AccountingConfig

    options = CheckOptions(alert)

    def run(context):
        return check_alert(context.store, options, config=emergency_config(context),
                           accounting=AccountingConfig(exemption_rules=context.config.assess),
                           as_of=context.now())

    return run


@use_case_endpoint(router, "/list/show", formats=("json", "csv", "table"),
                   summary="The emission-reduction list (envmon emergency list show)")
def list_show(level: str | None = Query(None, description="Only yellow, orange or red.")):
    """unit, level, grade, measure, required reduction, pollutants; and the imports."""
    from envmon.emergency.api import show_list

    return lambda context: show_list(context.store, level)


# ----------------------------------------------------------------------------- the writes
_Cell = Annotated[str, StringConstraints(max_length=1000)] | None
_Key = Annotated[str, StringConstraints(max_length=40)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class AlertAdd(_Body):
    """`envmon emergency alert add`: --level, --from, --to, --region, --by."""

    level: str = Field(max_length=20, description="yellow, orange or red (黄色/橙色/红色).")
    start: str = Field(alias="from", max_length=64, description="ISO, on the hour.")
    end: str = Field(alias="to", max_length=64, description="ISO, on the hour, exclusive.")
    region: str = Field(max_length=12, description="GB/T 2260 code of the registry.")
    by: str | None = Field(None, max_length=200, description="Who enters it.")
    format: str = Field("json", max_length=8, description="json or text (the id).")


class AlertCancel(_Body):
    """`envmon emergency alert cancel ID --reason --by`."""

    alert_id: int = Field(ge=1, le=2**62, description="The alert's id.")
    reason: str | None = Field(None, max_length=2000, description="Why.")
    by: str | None = Field(None, max_length=200, description="Who cancels it.")
    format: str = Field("json", max_length=8, description="json or text.")


class Row(_Body):
    line: int = Field(ge=1, le=10**7, description="The file's line (the header is 1).")
    cells: dict[_Key, _Cell] = Field(max_length=40, description="Column → text.")


class ImportBody(_Body):
    """`envmon emergency alert|list import FILE`: the file's rows, read by the CLI."""

    source: str = Field(max_length=1000, description="The file as the user named it.")
    rows: list[Row] = Field(max_length=10_000, description="The data rows.")
    format: str = Field("json", max_length=8, description="json or table.")


def _answer(result: Any, fmt: str, exit_code: int = 0) -> Response:
    """The bytes the CLI prints with --format `fmt`; ``X-Envmon-Exit`` its exit code."""
    from envmon.render.registry import render_bytes

    body, _ = render_bytes(result, fmt, None)  # stream formats only: no folder
    headers = {"Cache-Control": "no-store"}
    if exit_code:
        headers["X-Envmon-Exit"] = str(exit_code)
    media = "application/json" if fmt == "json" else "text/plain"
    return Response(body, media_type=f"{media}; charset=utf-8", headers=headers)


async def _write(request: Request, action: str, body: BaseModel, target: str | None,
                 formats: tuple[str, ...], fn, *args) -> Response:
    fmt = getattr(body, "format", "json")
    if fmt not in formats:
        return error_response(400, "format", f"{fmt!r} is not one of {', '.join(formats)}")
    context = request.app.state.context
    detail = body.model_dump(mode="json", by_alias=True, exclude={"rows", "format"})
    if isinstance(body, ImportBody):
        detail["rows"] = len(body.rows)
    try:
        result = await context.run_in_writer(fn, context.store, *args)
    except EnvmonError as error:
        await audit_write(request, action, target, detail, f"refused: {error}")
        return user_error_response(error)
    detail.update(_outcome(result))
    await audit_write(request, action, target or _target(result), detail)
    after_write(request)
    return _answer(result, fmt, 1 if getattr(result, "problems", None) else 0)


def _target(result: Any) -> str | None:
    alert = getattr(result, "alert", None)
    return None if alert is None else str(alert.id)


def _outcome(result: Any) -> dict:
    if hasattr(result, "rows_imported"):
        return {"imported": result.rows_imported, "rejected": len(result.problems),
                "ids": list(result.ids), "existing": list(result.existing)}
    return {"existing": True} if getattr(result, "existing", False) else {}


@router.post("/alert/add", summary="Add an alert (envmon emergency alert add)",
             response_class=Response)
async def alert_add(request: Request, body: AlertAdd = Body()) -> Response:
    """Answers the alert (``existing``: the same alert was there already)."""
    from envmon.emergency.api import AlertOptions, add_alert

    try:
        options = AlertOptions(body.level, body.start, body.end, body.region,
                               actor(request, body.by, required=False))
    except EnvmonError as error:
        return user_error_response(error)
    return await _write(request, "emergency.alert.add", body, None, ("json", "text"),
                        add_alert, options)


@router.post("/alert/cancel", summary="Cancel an alert (envmon emergency alert cancel)",
             response_class=Response)
async def alert_cancel(request: Request, body: AlertCancel = Body()) -> Response:
    """Kept and stamped cancelled; answers the alert."""
    from envmon.emergency.api import CancelOptions, cancel_alert

    try:
        options = CancelOptions(body.alert_id, body.reason,
                                actor(request, body.by, required=False))
    except EnvmonError as error:
        return user_error_response(error)
    return await _write(request, "emergency.alert.cancel", body, str(body.alert_id),
                        ("json", "text"), cancel_alert, options)


def _table(body: ImportBody):
    from envmon.emergency.files import TableRows

    return TableRows(body.source, [(r.line, dict(r.cells)) for r in body.rows])


@router.post("/alert/import", summary="Import alerts (envmon emergency alert import)",
             response_class=Response)
async def alert_import(request: Request, body: ImportBody = Body()) -> Response:
    """New ids, the ids of alerts already there, the rejected rows (X-Envmon-Exit: 1)."""
    from envmon.emergency.api import import_alert_rows

    return await _write(request, "emergency.alert.import", body, body.source,
                        ("json", "table"), import_alert_rows, _table(body))


@router.post("/list/import", summary="Import the emission-reduction list "
             "(envmon emergency list import)", response_class=Response)
async def list_import(request: Request, body: ImportBody = Body()) -> Response:
    """Each good row replaces its (unit, level); the rejected rows (X-Envmon-Exit: 1)."""
    from envmon.emergency.api import import_list_rows

    return await _write(request, "emergency.list.import", body, body.source,
                        ("json", "table"), import_list_rows, _table(body))
