"""The marks that change the assessment and the back-fill log, under `/api/v1/assess`:
`GET backfill-log`, `GET exemption/list`, `GET correction/list` (as the CLI's `--format json`:
JSON lines) and `POST exemption/add|revoke`, `POST correction/add|revoke` with a JSON body of
the CLI's option names (`from`, `to`, `by`, `reason` …), answering the JSON the CLI prints.

Writes go through the receiver's writer thread (`WebContext.run_in_writer`: the assessment
jobs and the receiver use the same store). Until users exist (issue 13) the author is the
body's ``by`` with the client's address, e.g. ``值班员 (web 10.0.0.7)`` (`api.actor`, as for
alarms), kept in the marks' created_by/revoked_by (the audit trail the lists show)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from envmon.errors import EnvmonError, OptionError
from envmon.web.api.actor import actor
from envmon.web.api.usecase import error_response, use_case_endpoint, user_error_response
from envmon.web.api.writes import after_write
from envmon.web.audited import audit_write

router = APIRouter(prefix="/api/v1", tags=["assess"])

LIST_FORMATS = ("json", "csv", "table", "xlsx", "html")


@use_case_endpoint(router, "/assess/backfill-log", formats=LIST_FORMATS, items="rows",
                   summary="Back-fill requests and how each ended (envmon assess backfill-log)")
def assess_backfill_log(mn: str | None = Query(None, description="Only this point.")):
    """The back-fill (补遗) requests sent to units, by id (JSON lines, as the CLI)."""
    from envmon.assess.api import BackfillLogOptions, backfill_log

    return lambda context: backfill_log(context.store, BackfillLogOptions(mn))


@use_case_endpoint(router, "/assess/exemption/list", formats=LIST_FORMATS, items="rows",
                   summary="Every exemption, revoked ones included (envmon assess exemption "
                   "list)")
def assess_exemption_list():
    """Exemptions with who entered them and when, and who revoked them, when and why."""
    from envmon.assess.api import MarkKind, MarkListOptions, list_marks

    return lambda context: list_marks(context.store, MarkListOptions(MarkKind.EXEMPTION))


@use_case_endpoint(router, "/assess/correction/list", formats=LIST_FORMATS, items="rows",
                   summary="Every correction, revoked ones included (envmon assess correction "
                   "list)")
def assess_correction_list():
    """Corrections (修约) with who entered them and when, and who revoked them, when, why."""
    from envmon.assess.api import MarkKind, MarkListOptions, list_marks

    return lambda context: list_marks(context.store, MarkListOptions(MarkKind.CORRECTION))


# ----------------------------------------------------------------------------- the bodies
_TEXT = 2000  # a reason or proof reference; bounded like the alarms' notes


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class ExemptionAdd(_Body):
    """`envmon assess exemption add`: --kind, --from, --to, --by, --reason, --unit | --mn,
    --proof."""

    kind: str = Field(description="停产, 停运 or 停排.", max_length=20)
    start: str = Field(alias="from", description="ISO time on the hour, inclusive.",
                       max_length=64)
    end: str = Field(alias="to", description="ISO time on the hour, exclusive.",
                     max_length=64)
    by: str = Field(description="Who enters the mark.", max_length=200)
    reason: str = Field(description="Why.", max_length=_TEXT)
    unit: str | None = Field(None, description="A unit (统一社会信用代码): all its points.",
                             max_length=64)
    mn: str | None = Field(None, description="One monitoring point.", max_length=64)
    proof: str | None = Field(None, description="Reference of the proof document.",
                              max_length=_TEXT)


class CorrectionAdd(_Body):
    """`envmon assess correction add`: --mn, --action, --from, --to, --by, --reason,
    --factor, --value, --proof."""

    mn: str = Field(description="Monitoring point.", max_length=64)
    action: str = Field(description="invalidate or repair.", max_length=20)
    start: str = Field(alias="from", description="ISO time on the hour, inclusive.",
                       max_length=64)
    end: str = Field(alias="to", description="ISO time on the hour, exclusive.",
                     max_length=64)
    by: str = Field(description="Who enters the correction.", max_length=200)
    reason: str = Field(description="Why.", max_length=_TEXT)
    factor: str | None = Field(None, description="One factor (default: all).", max_length=20)
    value: float | None = Field(None, description="Repaired hourly value.",
                                allow_inf_nan=False)
    proof: str | None = Field(None, description="Reference of the proof document.",
                              max_length=_TEXT)


class Revoke(_Body):
    """`envmon assess exemption|correction revoke MARK_ID --by --reason`."""

    mark_id: int = Field(ge=1, le=2**62, description="The mark's id.")
    by: str = Field(description="Who revokes.", max_length=200)
    reason: str = Field(description="Why.", max_length=_TEXT)


# ---------------------------------------------------------------------------- the writes
def _answer(result: Any) -> Response:
    """The JSON the CLI prints with --format json (a note too, where the CLI gives one)."""
    from envmon.render.registry import render_bytes

    body, _ = render_bytes(result, "json", None)  # json is a stream format: no folder
    return Response(body, media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def _mark_error(error: EnvmonError) -> Response:
    if isinstance(error, OptionError) and error.option == "ID":
        reason = error.reason
        if reason.startswith("no ") and " with id " in reason:
            return error_response(404, "mark_id", reason)
        return error_response(409, "mark_id", reason)  # e.g. already revoked
    return user_error_response(error)


async def _refused(request: Request, action: str, body: BaseModel,
                   error: EnvmonError) -> Response:
    """A body refused before the use case ran (a bad period, no ``by``): audited too."""
    detail = body.model_dump(mode="json", by_alias=True)
    target = str(detail.get("mark_id") or detail.get("mn") or detail.get("unit") or "")
    await audit_write(request, action, target or None, detail, f"refused: {error}")
    return user_error_response(error)


async def _write(request: Request, action: str, body: BaseModel, fn, *args) -> Response:
    context = request.app.state.context
    detail = body.model_dump(mode="json", by_alias=True)
    target = str(detail.get("mark_id") or detail.get("mn") or detail.get("unit") or "")
    try:
        result = await context.run_in_writer(fn, context.store, *args)
    except EnvmonError as error:
        await audit_write(request, action, target or None, detail, f"refused: {error}")
        return _mark_error(error)
    new_id = getattr(result, "id", None) or getattr(result, "mark_id", None)
    if new_id is not None and "mark_id" not in detail:
        detail["id"] = new_id
    await audit_write(request, action, target or None, detail)
    after_write(request)  # the shared results, the alarm engine's exemptions
    if context.point_states is not None:  # an exemption may stop or restart points now
        context.point_states.reconcile_soon()
    return _answer(result)


@router.post("/assess/exemption/add", summary="Register an exemption period "
             "(envmon assess exemption add)", response_class=Response)
async def assess_exemption_add(request: Request, body: ExemptionAdd = Body()) -> Response:
    """Its hours leave the should-count; answers ``{"kind", "id", "note"}``."""
    from envmon.assess.api import ExemptionOptions, add_exemption
    from envmon.period import Period

    try:
        period = Period.parse(body.start, body.end, allow_future=True)
        options = ExemptionOptions(body.kind, actor(request, body.by), body.reason,
                                   unit=body.unit, mn=body.mn, proof=body.proof)
    except EnvmonError as error:
        return await _refused(request, "exemption.add", body, error)
    return await _write(request, "exemption.add", body, add_exemption, period, options)


@router.post("/assess/correction/add", summary="Register a manual correction "
             "(envmon assess correction add)", response_class=Response)
async def assess_correction_add(request: Request, body: CorrectionAdd = Body()) -> Response:
    """The stored records are never changed; answers ``{"kind", "id", "note"}``."""
    from envmon.assess.api import CorrectionOptions, add_correction
    from envmon.period import Period

    try:
        period = Period.parse(body.start, body.end, allow_future=True)
        options = CorrectionOptions(body.mn, body.action, actor(request, body.by),
                                    body.reason, factor=body.factor, value=body.value,
                                    proof=body.proof)
    except EnvmonError as error:
        return await _refused(request, "correction.add", body, error)
    return await _write(request, "correction.add", body, add_correction, period, options)


async def _revoke(request: Request, table: str, body: Revoke) -> Response:
    from envmon.assess.api import RevokeOptions, revoke_mark

    action = "exemption.revoke" if table == "exemptions" else "correction.revoke"
    try:
        options = RevokeOptions(table, body.mark_id, actor(request, body.by), body.reason)
    except EnvmonError as error:
        return await _refused(request, action, body, error)
    return await _write(request, action, body, revoke_mark, options)


@router.post("/assess/exemption/revoke", summary="Revoke an exemption "
             "(envmon assess exemption revoke)", response_class=Response,
             responses={404: {"description": "No exemption with that id"},
                        409: {"description": "Already revoked"}})
async def assess_exemption_revoke(request: Request, body: Revoke = Body()) -> Response:
    """The row stays, stamped with who, when and why; answers ``{"kind", "id", "revoked"}``."""
    return await _revoke(request, "exemptions", body)


@router.post("/assess/correction/revoke", summary="Revoke a correction "
             "(envmon assess correction revoke)", response_class=Response,
             responses={404: {"description": "No correction with that id"},
                        409: {"description": "Already revoked"}})
async def assess_correction_revoke(request: Request, body: Revoke = Body()) -> Response:
    """The row stays, stamped with who, when and why; answers ``{"kind", "id", "revoked"}``."""
    return await _revoke(request, "corrections", body)
