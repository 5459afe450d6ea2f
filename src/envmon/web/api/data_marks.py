"""Data marks with review (数据标记) under `/api/v1/marks`, as `envmon marks …`:

- ``GET marks/list`` (``status``, ``month``, ``unit``, ``mn``; JSON lines as the CLI) and
  ``GET marks/types``;
- ``POST marks/file`` (JSON: ``mn``, ``type``, ``from``, ``to``, ``by``, ``unit``, ``factor``,
  ``note``), ``POST marks/approve`` (``mark_id``, ``by``, ``accept_late``, ``note``),
  ``POST marks/reject`` (``mark_id``, ``by``, ``reason``), ``POST marks/withdraw``
  (``mark_id``, ``by``): each answers the mark's JSON (`envmon.marks.api`);
- ``POST marks/{mark_id}/proofs``: one proof file, ``multipart/form-data`` with the file in
  ``proof`` and ``by`` — the only non-JSON write the guard lets through
  (`PROOF_UPLOAD_PATH`), its body bounded by ``[marks] max_proof_bytes`` (`upload_limit`);
- ``GET marks/{mark_id}/proofs/{proof_id}``: the file, as an attachment.

Unknown mark or proof: 404 naming ``mark_id``; a step the mark's status does not allow (approve
twice, withdraw after review, a late mark without ``accept_late``): 409 naming the field.
Writes run in the store's writer thread, and the author is the body's ``by`` with the client's
address (`api.actor`) until users exist."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from envmon.errors import EnvmonError, OptionError
from envmon.web.api.actor import actor
from envmon.web.api.usecase import error_response, use_case_endpoint, user_error_response
from envmon.web.api.writes import after_write
from envmon.web.audited import audited

router = APIRouter(prefix="/api/v1", tags=["marks"])

LIST_FORMATS = ("json", "csv", "table", "xlsx", "html")
PROOF_UPLOAD_PATH = re.compile(r"^/api/v1/marks/[0-9]{1,18}/proofs$")
"""The one route that takes multipart/form-data (`web.guard.RequestGuard`)."""
MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the ``by`` field


def settings_of(context: Any):
    from envmon.marks.settings import marks_settings_of

    return marks_settings_of(context.config)


def upload_limit(config: Any) -> int:
    """The body limit of `PROOF_UPLOAD_PATH`: one proof file and its form around it."""
    from envmon.marks.settings import marks_settings_of

    return marks_settings_of(config).max_proof_bytes + MULTIPART_OVERHEAD


@use_case_endpoint(router, "/marks/list", formats=LIST_FORMATS, items="marks",
                   summary="Data marks with their review and proofs (envmon marks list)")
def marks_list(status: str | None = Query(None, description="submitted, approved, rejected or "
                                          "withdrawn."),
               month: str | None = Query(None, description="Overlapping this month "
                                         "(YYYY-MM)."),
               unit: str | None = Query(None, description="Only this unit."),
               mn: str | None = Query(None, description="Only this point.")):
    """Marks by id (JSON lines, as the CLI)."""
    from envmon.marks.api import ListOptions, list_marks

    options = ListOptions(status, month, unit, mn)
    return lambda context: list_marks(context.store, settings_of(context), options)


@use_case_endpoint(router, "/marks/types", formats=("json", "csv", "table"),
                   summary="Mark types and what an approved mark does (envmon marks types)")
def marks_types():
    """Each type/subtype with its effect on the assessment, alarms and emissions."""
    from envmon.marks.api import mark_types

    return lambda context: mark_types(settings_of(context))


# ----------------------------------------------------------------------------- the bodies
_TEXT = 2000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class FileBody(_Body):
    mn: str = Field(description="Monitoring point.", max_length=64)
    type: str = Field(description="Type key or name, TYPE/SUB for its subtype.",
                      max_length=80)
    start: str = Field(alias="from", description="ISO time on the hour, inclusive.",
                       max_length=64)
    end: str = Field(alias="to", description="ISO time on the hour, exclusive.",
                     max_length=64)
    by: str = Field(description="Who files the mark.", max_length=200)
    unit: str | None = Field(None, description="The point's unit (checked).", max_length=64)
    factor: str | None = Field(None, description="One factor (default: all).",
                               max_length=20)
    note: str | None = Field(None, description="What happened.", max_length=_TEXT)


class ApproveBody(_Body):
    mark_id: int = Field(ge=1, le=2**62)
    by: str = Field(max_length=200)
    accept_late: bool = Field(False, description="Approve a mark filed after its deadline.")
    note: str | None = Field(None, max_length=_TEXT)


class RejectBody(_Body):
    mark_id: int = Field(ge=1, le=2**62)
    by: str = Field(max_length=200)
    reason: str = Field(max_length=_TEXT)


class WithdrawBody(_Body):
    mark_id: int = Field(ge=1, le=2**62)
    by: str = Field(max_length=200)


# ---------------------------------------------------------------------------- the writes
def _json(value: Any, status: int = 200) -> Response:
    import json

    return Response(json.dumps(value, ensure_ascii=False), status_code=status,
                    media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


_FIELD = {"ID": "mark_id", "--accept-late": "accept_late", "--by": "by", "--proof": "proof"}


def _mark_error(error: EnvmonError) -> Response:
    from envmon.marks.review import MarkNotFound, MarkStateError

    if isinstance(error, MarkNotFound):
        return error_response(404, "mark_id", error.reason)
    if isinstance(error, MarkStateError):
        return error_response(409, _FIELD.get(error.option, error.option), error.reason)
    if isinstance(error, OptionError) and error.option in _FIELD:
        return error_response(400, _FIELD[error.option], error.reason)
    return user_error_response(error)


async def _write(request: Request, fn, *args, status: int = 200) -> Response:
    context = request.app.state.context
    try:
        result = await context.run_in_writer(fn, context.store, *args)
    except EnvmonError as error:
        return _mark_error(error)
    after_write(request)  # an approved exemption changes figures and the alarm engine's
    if context.point_states is not None:
        context.point_states.reconcile_soon()
    return _json(result.as_json() if hasattr(result, "as_json") else result, status)


def _address(request: Request) -> str:
    return f"web {request.client.host if request.client else '?'}"


@router.post("/marks/file", summary="File a data mark for review (envmon marks file)",
             response_class=Response, status_code=201)
@audited("mark.file", target=lambda a: a["body"].mn,
         detail=lambda a: {"type": a["body"].type, "from": a["body"].start, "to": a["body"].end},
         answer=("id", "status", "late"))
async def marks_file(request: Request, body: FileBody = Body()) -> Response:
    """Submitted; it changes nothing until approved. Answers the mark (201)."""
    from envmon.marks.api import FileOptions, file_mark
    from envmon.period import Period

    settings = settings_of(request.app.state.context)
    try:
        period = Period.parse(body.start, body.end, allow_future=True)
        options = FileOptions(body.mn, body.type, actor(request, body.by), _address(request),
                              unit=body.unit, factor=body.factor, note=body.note)
    except EnvmonError as error:
        return _mark_error(error)
    return await _write(request, file_mark, settings, period, options, status=201)


@router.post("/marks/approve", summary="Approve a mark (envmon marks approve)",
             response_class=Response)
@audited("mark.approve", target=lambda a: a["body"].mark_id,
         detail=lambda a: {"accept_late": a["body"].accept_late})
async def marks_approve(request: Request, body: ApproveBody = Body()) -> Response:
    from envmon.marks.api import approve

    try:
        by = actor(request, body.by)
    except EnvmonError as error:
        return _mark_error(error)
    return await _write(request, approve, settings_of(request.app.state.context),
                        body.mark_id, by, _address(request), body.accept_late, body.note)


@router.post("/marks/reject", summary="Reject a mark with a reason (envmon marks reject)",
             response_class=Response)
@audited("mark.reject", target=lambda a: a["body"].mark_id,
         detail=lambda a: {"reason": a["body"].reason})
async def marks_reject(request: Request, body: RejectBody = Body()) -> Response:
    from envmon.marks.api import reject

    try:
        by = actor(request, body.by)
    except EnvmonError as error:
        return _mark_error(error)
    return await _write(request, reject, settings_of(request.app.state.context),
                        body.mark_id, by, body.reason, _address(request))


@router.post("/marks/withdraw", summary="Withdraw a mark before review (envmon marks "
             "withdraw)", response_class=Response)
@audited("mark.withdraw", target=lambda a: a["body"].mark_id)
async def marks_withdraw(request: Request, body: WithdrawBody = Body()) -> Response:
    from envmon.marks.api import withdraw

    try:
        by = actor(request, body.by)
    except EnvmonError as error:
        return _mark_error(error)
    return await _write(request, withdraw, settings_of(request.app.state.context),
                        body.mark_id, by)


@router.post("/marks/{mark_id}/proofs", summary="Upload one proof file (PDF, JPEG, PNG) of a "
             "submitted mark", response_class=Response, status_code=201)
@audited("mark.proof", target=lambda a: a["mark_id"], answer=("proofs",))
async def marks_proof_upload(request: Request, mark_id: int) -> Response:
    """``multipart/form-data``: the file in ``proof``, the uploader in ``by``."""
    from starlette.datastructures import UploadFile

    from envmon.marks.api import add_proof

    settings = settings_of(request.app.state.context)
    if not 1 <= mark_id <= 2**62:
        return error_response(404, "mark_id", f"no mark with id {mark_id}")
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data":
        return error_response(415, "Content-Type", "a proof is sent as multipart/form-data "
                              "with the file in 'proof'")
    try:
        form = await request.form(max_files=1, max_fields=4)
    except Exception as error:  # a malformed multipart body: the client's fault, said plainly
        return error_response(400, "proof", f"the multipart body cannot be read: {error}")
    try:
        upload, by = form.get("proof"), form.get("by")
        if not isinstance(upload, UploadFile):
            return error_response(400, "proof", "send the file in the form field 'proof'")
        if not isinstance(by, str) or len(by) > 200:
            return error_response(400, "by", "say who uploads the file (at most 200 "
                                  "characters)")
        content = await upload.read(settings.max_proof_bytes + 1)
        try:
            who = actor(request, by)
        except EnvmonError as error:
            return _mark_error(error)
        return await _write(request, add_proof, settings, mark_id, upload.filename, content,
                            who, _address(request), status=201)
    finally:
        await form.close()


@router.get("/marks/{mark_id}/proofs/{proof_id}", summary="Download a proof file",
            response_class=Response)
async def marks_proof_download(request: Request, mark_id: int, proof_id: int) -> Response:
    """The file as uploaded, with its checked media type, as an attachment."""
    from envmon.marks.api import get_proof
    from envmon.marks.proofs import content_disposition

    context = request.app.state.context
    if not (1 <= mark_id <= 2**62 and 1 <= proof_id <= 2**62):
        return error_response(404, "mark_id", "no such proof")
    try:
        name, media, content = await context.run_in_writer(get_proof, context.store,
                                                           mark_id, proof_id)
    except EnvmonError as error:
        return _mark_error(error)
    return Response(content, media_type=media, headers={
        "Content-Disposition": content_disposition(name), "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})
