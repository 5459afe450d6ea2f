"""Supervision (督办) under `/api/v1/supervision/…`, mirroring `envmon supervise …`:
GET `list`, `warnings`, `{id}` (the timeline), `unit/{unit_id}/notices` (the unit's open
notices, for its portal); POST `open`, `{id}/notify|answer|verify|close|escalate`, `sweep`,
`warnings` with JSON bodies (through `web.guard.RequestGuard` like every write, on the writer
thread, then `api.writes.after_write`). Who acts is `api.actor` (``by (web address)``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from envmon.errors import EnvmonError
from envmon.web.api.actor import actor
from envmon.web.api.usecase import error_response, use_case_endpoint, user_error_response
from envmon.web.api.writes import after_write
from envmon.web.audited import audited

router = APIRouter(prefix="/api/v1", tags=["supervision"])


def _case(arguments: dict) -> int:
    return arguments["case_id"]


def _settings(context) -> Any:
    from envmon.supervision.settings import SupervisionSettings

    return getattr(context.config, "supervision", None) or SupervisionSettings()


@use_case_endpoint(router, "/supervision/list", formats=("json", "csv", "table", "xlsx"),
                   items="cases", summary="Supervision cases (envmon supervise list)")
def supervision_list(state: str | None = Query(None, description="A state or a stage "
                                               "(pre, during, after, done)."),
                     unit: str | None = Query(None, description="Only this unit."),
                     overdue: bool = Query(False, description="Only overdue notices.")):
    """Cases, oldest first."""
    from envmon.supervision.api import list_cases

    return lambda context: list_cases(context.store, state=state, unit_id=unit,
                                      overdue=overdue, now=context.now())


@use_case_endpoint(router, "/supervision/unit/{unit_id}/notices", items="cases",
                   summary="A unit's open notices (its portal)")
def unit_notices(unit_id: str = Path(max_length=64)):
    """The unit's notices not closed (事中调度 and after)."""
    from envmon.supervision.api import unit_notices as use_case

    return lambda context: use_case(context.store, unit_id, now=context.now())


@use_case_endpoint(router, "/supervision/{case_id}", formats=("json", "table"),
                   summary="One case with its timeline (envmon supervise show)")
def supervision_case(case_id: int = Path(ge=1, le=2**62)):
    """The case, its timeline (who, when, from where, note) and webhook deliveries."""
    from envmon.supervision.api import show

    return lambda context: show(context.store, case_id, now=context.now())


class Action(BaseModel):
    by: str = Field("", max_length=200)
    note: str | None = Field(None, max_length=2000)
    action: str | None = Field(None, max_length=2000)
    deadline: str | None = Field(None, max_length=64)
    result: str | None = Field(None, max_length=8)
    penalty_note: str | None = Field(None, max_length=2000)
    alarm: int | None = Field(None, ge=1, le=2**62)
    unit: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=2000)
    month: str | None = Field(None, max_length=7)


async def _write(request: Request, work) -> Response:
    from envmon.render import jsonout
    from envmon.supervision.api import Actor
    from envmon.supervision.store import CaseError

    context = request.app.state.context
    try:
        return_value = None

        def run(body_actor):
            return work(context.store, body_actor, context.now(), _settings(context))

        body_actor = request.state.supervision_actor
        return_value = await context.run_in_writer(run, Actor(body_actor, origin="web " + (
            request.client.host if request.client else "?")))
    except CaseError as error:
        response = user_error_response(error)
        return response if response.status_code == 404 else error_response(409, None,
                                                                            str(error))
    except EnvmonError as error:
        return user_error_response(error)
    after_write(request)
    payload = return_value.as_json()
    context.events.publish("supervision", {"kind": "supervision", "result": payload}
                           if isinstance(payload, list) else payload)
    return Response(jsonout.dumps(payload, "compact").encode(),
                    media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def _who(request: Request, body: Action) -> None:
    """Who acts: ``by (web address)``, or ``web address`` when the body names nobody (a
    blank ``by`` is nobody, never an error after the fact)."""
    request.state.supervision_actor = actor(request, (body.by or "").strip() or None,
                                            required=False)


@router.post("/supervision/open", summary="Open a case from an alarm or for a unit")
@audited("supervision.open", target=lambda a: a["body"].alarm or a["body"].unit,
         answer=("id", "state"))
async def open_case(request: Request, body: Action = Body()) -> Response:
    """``{"alarm": ID}`` or ``{"unit": U, "reason": …}`` (envmon supervise open)."""
    from envmon.supervision import api

    _who(request, body)
    return await _write(request, lambda s, a, now, _: api.open_case(
        s, actor=a, alarm_id=body.alarm, unit_id=body.unit, reason=body.reason, now=now))


@router.post("/supervision/{case_id}/notify", summary="事中调度: a notice with a deadline")
@audited("supervision.notify", target=_case)
async def notify(request: Request, case_id: int = Path(ge=1), body: Action = Body()
                 ) -> Response:
    """``{"action", "deadline"}``; delivered to the webhooks in the background."""
    from envmon.supervision import api

    _who(request, body)
    response = await _write(request, lambda s, a, now, settings: api.notify(
        s, case_id, actor=a, action=body.action or "", deadline=body.deadline,
        settings=settings, now=now, deliver=False))
    _deliver_later(request, case_id, "notify", response)
    return response


@router.post("/supervision/{case_id}/answer", summary="The unit's answer")
@audited("supervision.answer", target=_case)
async def answer(request: Request, case_id: int = Path(ge=1), body: Action = Body()
                 ) -> Response:
    from envmon.supervision import api

    _who(request, body)
    return await _write(request, lambda s, a, now, _: api.answer(
        s, case_id, actor=a, note=body.note or "", now=now))


@router.post("/supervision/{case_id}/verify", summary="The bureau's verification")
@audited("supervision.verify", target=_case, detail=lambda a: {"result": a["body"].result})
async def verify(request: Request, case_id: int = Path(ge=1), body: Action = Body()
                 ) -> Response:
    """``{"result": "pass"|"fail", "note"}``."""
    from envmon.supervision import api

    _who(request, body)
    return await _write(request, lambda s, a, now, _: api.verify(
        s, case_id, actor=a, result=body.result or "", note=body.note or "", now=now))


@router.post("/supervision/{case_id}/close", summary="Close a case")
@audited("supervision.close", target=_case)
async def close(request: Request, case_id: int = Path(ge=1), body: Action = Body()
                ) -> Response:
    from envmon.supervision import api

    _who(request, body)
    return await _write(request, lambda s, a, now, _: api.close(
        s, case_id, actor=a, note=body.note, now=now))


@router.post("/supervision/{case_id}/escalate", summary="立案 with penalty notes")
@audited("supervision.escalate", target=_case)
async def escalate(request: Request, case_id: int = Path(ge=1), body: Action = Body()
                   ) -> Response:
    from envmon.supervision import api

    _who(request, body)
    response = await _write(request, lambda s, a, now, settings: api.escalate(
        s, case_id, actor=a, penalty_note=body.penalty_note or "", settings=settings,
        now=now, deliver=False))
    _deliver_later(request, case_id, "escalate", response)
    return response


@router.post("/supervision/warnings", summary="Run the warning rules (事前预警)")
@audited("supervision.warnings", target=lambda a: a["body"].month)
async def warnings(request: Request, body: Action = Body()) -> Response:
    """``{"month": "YYYY-MM"}`` (optional); the month's warnings."""
    from envmon.supervision import api
    from envmon.web.api.usecase import run_blocking

    _who(request, body)
    context = request.app.state.context
    now = context.now()
    try:  # the rules read a month's data: in a worker thread, never on the writer's
        as_of, findings = await run_blocking(
            request, lambda: api.find_warnings(
                context.store, _settings(context), month=body.month, now=now,
                assess_config=getattr(context.config, "assess", None)))
    except EnvmonError as error:
        return user_error_response(error)
    return await _write(request, lambda s, a, now, settings: api.open_findings(
        s, findings, as_of, now=now))


@router.post("/supervision/sweep", summary="Escalate overdue notices")
@audited("supervision.sweep", target=None)
async def sweep(request: Request, body: Action = Body()) -> Response:
    """Every notice past its deadline unanswered → escalated (envmon supervise sweep); the
    escalated cases. Their webhooks are delivered in the background."""
    from envmon.supervision import api

    _who(request, body)
    response = await _write(request, lambda s, a, now, settings: api.sweep(
        s, settings, now=now, deliver=False))
    if response.status_code == 200:
        import json

        for case in json.loads(response.body):
            _deliver_later(request, case["id"], "escalate", response)
    return response


def _deliver_later(request: Request, case_id: int, event: str, response: Response) -> None:
    """Hand the webhook delivery to the platform's supervision job (never awaited here)."""
    if response.status_code != 200:
        return
    platform = request.app.state.context.platform
    service = next((s for s in getattr(platform, "services", ()) if getattr(
        s, "name", "") == "supervision"), None)
    if service is not None:
        service.deliver_soon(case_id, event)
