"""The enterprise portal (环保码) under `/api/v1/portal/…` (`envmon.portal`):

- ``GET summary`` (企业首页: points, latest data, open alarms, D-1 and month rates, notices,
  grade), ``GET rates?day=`` and ``GET lowering?day=`` (the day's 即时/补全 rates from the
  assessment, and the hours that lower them; ``day`` = YYYY-MM-DD, default yesterday),
  ``GET code`` (the unit's public code and card address);
- ``POST alarm-answer``: ``multipart/form-data`` with ``alarm_id``, ``note`` and up to
  ``[portal] max_answer_files`` files in ``attachment`` (checked as the marks' proofs) — a
  route the guard lets through as multipart (`ANSWER_PATH`), its body bounded by
  `answer_limit`; ``GET alarm-answers?alarm_id=`` and ``GET alarm-answers/{id}/files/{id}``;
- ``POST notice-answer`` (``case_id``, ``note``: `supervision.api.answer` for a notice of the
  unit) and ``POST mark`` (``mn``, ``type``, ``from``, ``to``, ``note``: `marks.api.file_mark`
  for a point of the unit).

Every endpoint takes ``unit`` (a bureau user opening a unit's portal; an enterprise may omit
it) and answers 404 for a unit the caller may not see (`portal.view.unit_in_view`: an
enterprise its own unit only, a bureau role its scope); writes need a role of
`portal.view.PORTAL_WRITERS` (403 otherwise) and go to the audit log.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from envmon.errors import EnvmonError, OptionError
from envmon.web.api.usecase import error_response, user_error_response
from envmon.web.api.writes import after_write
from envmon.web.audited import audit_write, client_address
from envmon.web.compute import run_blocking

router = APIRouter(prefix="/api/v1", tags=["portal"])

ANSWER_PATH = re.compile(r"^/api/v1/portal/alarm-answer$")
"""The portal's one multipart route (`web.guard.RequestGuard`, `web.app.BodyLimit`)."""
MULTIPART_OVERHEAD = 64 * 1024
UNIT = Query(None, max_length=64, description="The unit (a bureau user; an enterprise may "
             "omit it: its own).")
DAY_QUERY = Query(None, max_length=10, description="YYYY-MM-DD (default: yesterday, D-1).")


async def _refused(request: Request, action: str, target: str | None, response: Response):
    """An early refusal of a portal write, into the audit log like its other outcomes."""
    from envmon.web.audited import response_result

    await audit_write(request, action, target, None, response_result(response))
    return response


def _unit_not_found(unit: str | None):
    """The 404 of a unit that is not there or not in the caller's view: one text for both
    (`access.isolation.not_found_text`), so nobody can probe which units exist."""
    from envmon.access.isolation import not_found_text

    return error_response(404, "unit", not_found_text("unit", unit or ""))


def answer_limit(config: Any) -> int:
    """The body limit of `ANSWER_PATH`: the attachments of one answer ([marks]
    max_mark_bytes, as a mark's proofs) and the form around them."""
    from envmon.marks.settings import marks_settings_of

    return marks_settings_of(config).max_mark_bytes + MULTIPART_OVERHEAD


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, ensure_ascii=False, default=str), status_code=status,
                    media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def _config(request: Request):
    return request.app.state.context.config


def _grade_labels(request: Request) -> tuple[str, ...]:
    grade = getattr(_config(request), "grade", None)
    return tuple(grade.labels) if grade is not None else ("A", "B", "C", "D")


async def _unit(request: Request, unit: str | None) -> str | None:
    from envmon.portal.view import unit_in_view

    principal = getattr(request.state, "principal", None)
    return await run_blocking(request, unit_in_view, request.app.state.context.store,
                              principal, unit)


def _may_write(request: Request) -> bool:
    from envmon.portal.view import PORTAL_WRITERS

    principal = getattr(request.state, "principal", None)
    return principal is not None and principal.role in PORTAL_WRITERS


def _day(day: str | None, now: datetime) -> datetime:
    from envmon.portal.rates import DAY, day_start

    if not day:
        return day_start(now) - DAY
    try:
        parsed = datetime.strptime(day, "%Y-%m-%d")
    except ValueError:
        raise OptionError("day", f"{day!r} is not a date YYYY-MM-DD") from None
    start = day_start(parsed.replace(tzinfo=now.tzinfo))
    if start > day_start(now):
        raise OptionError("day", f"{day} is in the future")
    return start


@router.get("/portal/summary", summary="企业首页: the unit's points, alarms, rates, notices, "
            "grade", response_class=Response)
async def portal_summary(request: Request, unit: str | None = UNIT) -> Response:
    from envmon.portal.api import summary

    unit_id = await _unit(request, unit)
    if unit_id is None:
        return _unit_not_found(unit)
    context = request.app.state.context
    result = await run_blocking(request, lambda: summary(
        context.store, unit_id, now=context.now(), assess_config=_config(request).assess,
        grade_labels=_grade_labels(request)))
    return _json(result)


async def _unit_day(request: Request, unit: str | None, day: str | None, work, shape
                    ) -> Response:
    """A day's view of a unit (rates, lowering hours): the unit and day checked as every day
    view checks them, then `work(store, unit_id, start, end, now, assess_config)` off the loop,
    answered as `shape(unit_id, start, result)`."""
    from envmon.portal.rates import DAY

    unit_id = await _unit(request, unit)
    if unit_id is None:
        return _unit_not_found(unit)
    context = request.app.state.context
    now = context.now()
    try:
        start = _day(day, now)
    except EnvmonError as error:
        return user_error_response(error)
    result = await run_blocking(request, lambda: work(
        context.store, unit_id, start, start + DAY, now, _config(request).assess))
    return _json(shape(unit_id, start, result))


@router.get("/portal/rates", summary="A day's 即时/补全 effective rates of the unit and its "
            "points (the assessment's)", response_class=Response)
async def portal_rates(request: Request, day: str | None = DAY_QUERY,
                       unit: str | None = UNIT) -> Response:
    from envmon.portal.rates import unit_rates

    return await _unit_day(request, unit, day, unit_rates,
                           lambda _unit_id, _start, result: result.as_json())


@router.get("/portal/lowering", summary="The hours that lower a day's rates, with the reason "
            "and a link to file a mark", response_class=Response)
async def portal_lowering(request: Request, day: str | None = DAY_QUERY,
                          unit: str | None = UNIT) -> Response:
    from envmon.portal.rates import lowering

    return await _unit_day(request, unit, day, lowering, lambda unit_id, start, rows: {
        "unit_id": unit_id, "day": start.date().isoformat(), "hours": rows})


@router.get("/portal/code", summary="The unit's public code (环保码) and card address",
            response_class=Response)
async def portal_code(request: Request, unit: str | None = UNIT) -> Response:
    from envmon.portal.codes import code_for
    from envmon.portal.qr import card_url

    unit_id = await _unit(request, unit)
    if unit_id is None:
        return _unit_not_found(unit)
    context = request.app.state.context
    code = await context.run_in_writer(code_for, context.store, unit_id)
    return _json({**code.as_json(), "card_url": card_url(public_base(request), code.code)})


def public_base(request: Request) -> str:
    """`[portal] public_base_url`, else the address this app was reached on."""
    from envmon.portal.settings import portal_settings_of

    return portal_settings_of(_config(request)).public_base_url or str(request.base_url)


# ----------------------------------------------------------------------- alarm answers
@router.get("/portal/alarm-answers", summary="The unit's answers to an alarm",
            response_class=Response)
async def portal_alarm_answers(request: Request, alarm_id: int = Query(ge=1, le=2**62),
                               unit: str | None = UNIT) -> Response:
    from envmon.portal.answers import list_answers

    unit_id = await _unit(request, unit)
    if unit_id is None:
        return _unit_not_found(unit)
    store = request.app.state.context.store
    try:
        answers = await run_blocking(request, list_answers, store, alarm_id, unit_id)
    except EnvmonError as error:
        return error_response(404, "alarm_id", getattr(error, "reason", str(error)))
    return _json(answers)


@router.get("/portal/alarm-answers/{answer_id}/files/{file_id}",
            summary="An attachment of an alarm answer", response_class=Response)
async def portal_answer_file(request: Request, answer_id: int, file_id: int,
                             unit: str | None = UNIT) -> Response:
    from envmon.marks.proofs import content_disposition
    from envmon.portal.answers import answer_file

    unit_id = await _unit(request, unit)
    if unit_id is None or not (1 <= answer_id <= 2**62 and 1 <= file_id <= 2**62):
        return (_unit_not_found(unit) if unit_id is None else
                error_response(404, "file_id", f"no attachment with id {file_id}"))
    store = request.app.state.context.store
    try:
        name, media, content = await run_blocking(request, answer_file, store, unit_id,
                                                  answer_id, file_id)
    except EnvmonError:
        return error_response(404, "file_id", f"no attachment with id {file_id}")
    return Response(content, media_type=media, headers={
        "Content-Disposition": content_disposition(name), "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


async def _form_fields(request: Request, max_files: int):
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data":
        raise OptionError("Content-Type", "an answer is sent as multipart/form-data with "
                          "alarm_id, note and the files in 'attachment'")
    try:
        return await request.form(max_files=max_files, max_fields=8)
    except Exception as error:  # too many files, a malformed body: the client's, said plainly
        raise OptionError("attachment", f"the form cannot be read ({error}); at most "
                          f"{max_files} files") from None


@router.post("/portal/alarm-answer", summary="Answer an alarm with a note and attachments "
             "(PDF, JPEG, PNG)", response_class=Response, status_code=201)
async def portal_alarm_answer(request: Request, unit: str | None = UNIT) -> Response:
    from starlette.datastructures import UploadFile

    from envmon.marks.settings import marks_settings_of
    from envmon.portal.answers import AlarmNotFound, answer_alarm
    from envmon.portal.settings import portal_settings_of
    from envmon.web.api.actor import actor

    unit_id = await _unit(request, unit)
    if unit_id is None:
        return await _refused(request, "alarm.answer", unit, _unit_not_found(unit))
    if not _may_write(request):
        return await _refused(request, "alarm.answer", unit,
                              error_response(403, None, "this role may not answer alarms"))
    config = _config(request)
    marks, portal = marks_settings_of(config), portal_settings_of(config)
    try:
        form = await _form_fields(request, portal.max_answer_files)
    except OptionError as error:
        status = 415 if error.option == "Content-Type" else 400
        return error_response(status, error.option, error.reason)
    try:
        raw_id, note = form.get("alarm_id"), form.get("note")
        if not isinstance(raw_id, str) or not raw_id.isdigit() or not 1 <= int(raw_id) <= 2**62:
            return error_response(400, "alarm_id", "the alarm's id, a positive integer")
        if not isinstance(note, str):
            return error_response(400, "note", "say what was done about the alarm")
        files = []
        for upload in form.getlist("attachment"):
            if not isinstance(upload, UploadFile):
                return error_response(400, "attachment", "send files in 'attachment'")
            files.append((upload.filename, await upload.read(marks.max_proof_bytes + 1)))
        by = actor(request, form.get("by") if isinstance(form.get("by"), str) else None,
                   required=False)
        detail = {"alarm_id": int(raw_id), "unit": unit_id, "files": len(files)}
        context = request.app.state.context
        try:
            answer = await context.run_in_writer(lambda store: answer_alarm(
                store, marks, portal, alarm_id=int(raw_id), unit_id=unit_id, note=note,
                files=files, by=by, origin=f"web {client_address(request)}",
                now=context.now()), context.store)
        except AlarmNotFound as error:
            await audit_write(request, "alarm.answer", raw_id, detail, f"refused: {error}")
            return error_response(404, "alarm_id", error.reason)
        except EnvmonError as error:
            await audit_write(request, "alarm.answer", raw_id, detail, f"refused: {error}")
            return user_error_response(error)
        await audit_write(request, "alarm.answer", raw_id, {**detail, "id": answer["id"]})
        after_write(request)
        return _json(answer, 201)
    finally:
        await form.close()


# --------------------------------------------------------------- notices and marks
class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class NoticeAnswer(_Body):
    case_id: int = Field(ge=1, le=2**62, description="The notice (supervision case).")
    note: str = Field(max_length=2000, description="The unit's answer.")


class PortalMark(_Body):
    mn: str = Field(max_length=64, description="A point of the unit.")
    type: str = Field(max_length=80, description="Type key or name, TYPE/SUB for a subtype.")
    start: str = Field(alias="from", max_length=64, description="ISO time on the hour.")
    end: str = Field(alias="to", max_length=64, description="ISO time on the hour, exclusive.")
    factor: str | None = Field(None, max_length=20)
    note: str | None = Field(None, max_length=2000)


@router.post("/portal/notice-answer", summary="Answer a supervision notice of the unit",
             response_class=Response)
async def portal_notice_answer(request: Request, body: NoticeAnswer = Body(),
                               unit: str | None = UNIT) -> Response:
    from envmon.supervision import api
    from envmon.supervision.store import get_case
    from envmon.web.api.actor import actor

    unit_id = await _unit(request, unit)
    if unit_id is None:
        return await _refused(request, "supervision.answer", str(body.case_id),
                              _unit_not_found(unit))
    if not _may_write(request):
        return await _refused(request, "supervision.answer", str(body.case_id),
                              error_response(403, None, "this role may not answer notices"))
    context = request.app.state.context
    who = api.Actor(actor(request, None, required=False), f"web {client_address(request)}")
    detail = {"case_id": body.case_id, "unit": unit_id}

    def run(store):
        try:
            case = get_case(store, body.case_id)
        except EnvmonError:
            case = None
        if case is None or case.unit_id != unit_id:
            raise OptionError("case_id", f"no notice {body.case_id} of this unit")
        return api.answer(store, body.case_id, actor=who, note=body.note, now=context.now())

    try:
        changed = await context.run_in_writer(run, context.store)
    except OptionError as error:
        await audit_write(request, "supervision.answer", str(body.case_id), detail,
                          f"refused: {error}")
        status = 404 if error.option == "case_id" else 400
        return error_response(status, query_field(error.option), error.reason)
    except EnvmonError as error:
        await audit_write(request, "supervision.answer", str(body.case_id), detail,
                          f"refused: {error}")
        return error_response(409, "case_id", str(error))
    await audit_write(request, "supervision.answer", str(body.case_id), detail)
    after_write(request)
    return _json(changed.as_json())


def query_field(option: str) -> str:
    return {"--note": "note"}.get(option, option.removeprefix("--"))


@router.post("/portal/mark", summary="File a data mark for a point of the unit (submitted "
             "for review)", response_class=Response, status_code=201)
async def portal_mark(request: Request, body: PortalMark = Body(),
                      unit: str | None = UNIT) -> Response:
    from envmon.marks.api import FileOptions, file_mark
    from envmon.marks.settings import marks_settings_of
    from envmon.period import Period
    from envmon.web.api.actor import actor

    unit_id = await _unit(request, unit)
    if unit_id is None:
        return await _refused(request, "mark.file", body.mn, _unit_not_found(unit))
    if not _may_write(request):
        return await _refused(request, "mark.file", body.mn,
                              error_response(403, None, "this role may not file marks"))
    context = request.app.state.context
    try:
        period = Period.parse(body.start, body.end, allow_future=True)
        options = FileOptions(body.mn, body.type, actor(request, None, required=False),
                              f"web {client_address(request)}", unit=unit_id,
                              factor=body.factor, note=body.note)
    except EnvmonError as error:
        return user_error_response(error)
    detail = body.model_dump(mode="json", by_alias=True)
    try:
        mark = await context.run_in_writer(file_mark, context.store,
                                           marks_settings_of(_config(request)), period,
                                           options)
    except EnvmonError as error:
        await audit_write(request, "mark.file", body.mn, detail, f"refused: {error}")
        return user_error_response(error)
    result = mark.as_json() if hasattr(mark, "as_json") else mark
    await audit_write(request, "mark.file", body.mn, {**detail, "id": result.get("id")})
    after_write(request)
    return _json(result, 201)
