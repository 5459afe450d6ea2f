"""Alarms: `GET /api/v1/alarms` (as `envmon alarms list --format json`) and
`POST /api/v1/alarms/{id}/acknowledge|close` with ``{"by", "note"}`` (as `envmon alarms
ack|close`). The transitions are written through the receiver's writer thread
(`WebContext.run_in_writer`: the alarm engine writes the same table) and published to the
live streams as an ``alarm`` event (and to the point states); who acted is kept as the marks
keep it (`api.actor`: ``by (web address)``), and the alarm engine refreshes at once
(`api.writes.after_write`). The answer is the alarm's object
after the transition (as `envmon alarms list --format json` gives it)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from envmon.alarms.store import AlarmError
from envmon.errors import EnvmonError
from envmon.web.api.actor import actor
from envmon.web.api.usecase import error_response, use_case_endpoint, user_error_response
from envmon.web.api.writes import after_write
from envmon.web.audited import audit_write

log = logging.getLogger("envmon.web")

router = APIRouter(prefix="/api/v1", tags=["alarms"])

@use_case_endpoint(router, "/alarms", formats=("json", "csv", "table", "xlsx", "html"),
                   items="alarms", summary="Alarms, oldest first (envmon alarms list)")
def alarms(status: str | None = Query(None, description="open, acknowledged or closed."),
           mn: str | None = Query(None, description="Only this monitoring point."),
           rule: str | None = Query(None, description="Only this rule."),
           region: str | None = Query(None, description="Only this region's units (GB/T "
                                      "2260: 14, 140100, 140105)."),
           start: str | None = Query(None, alias="from", description="Only alarms whose data "
                                     "reach this time or later (ISO, Beijing time)."),
           end: str | None = Query(None, alias="to", description="Only alarms whose data "
                                   "begin before this time (ISO, exclusive).")):
    """Alarms, oldest first: id, mn, unit_id, factor, rule, status, opened_at, closed_at,
    value, limit, detail, data_from, data_to (`envmon alarms list`)."""
    from envmon.alarms.api import AlarmListOptions, list_alarms

    options = AlarmListOptions(status=status, mn=mn, rule=rule, region=region,
                               data_from=start, data_to=end)
    return lambda context: list_alarms(context.store, options)


@use_case_endpoint(router, "/alarms/{alarm_id}", summary="One alarm with its events and "
                   "evidence")
def alarm(alarm_id: int = Path(ge=1, le=2**62, description="The alarm's id.")):
    """The alarm (the list's object, with who acknowledged or closed it and the notes), its
    lifecycle events (who, when, note) and its evidence: the records of its point and factor
    from data_from to data_to. 404 for an unknown id."""
    from envmon.alarms.api import AlarmOptions, alarm_detail

    options = AlarmOptions(alarm_id)
    return lambda context: alarm_detail(context.store, options)


class AlarmAction(BaseModel):
    """Who acts (required; until users exist, issue 13, it is what the request says) and why
    (required to close). A missing or blank one is a 400 naming `by` or `note`."""

    by: str = Field("", max_length=200)
    note: str | None = Field(None, max_length=2000)


async def _transition(request: Request, action: str, alarm_id: int,
                      body: AlarmAction) -> Response:
    from envmon.alarms.api import AlarmActionOptions, acknowledge_alarm, close_alarm
    from envmon.render import jsonout

    context = request.app.state.context
    use_case = acknowledge_alarm if action == "ack" else close_alarm
    what = "alarm.acknowledge" if action == "ack" else "alarm.close"
    detail = {"note": body.note, "by": body.by or None}
    try:
        options = AlarmActionOptions(alarm_id, actor(request, body.by, required=False),
                                     body.note)
        changed = await context.run_in_writer(use_case, context.store, options)
    except AlarmError as error:  # unknown (404) or a transition its state forbids (409)
        await audit_write(request, what, str(alarm_id), detail, f"refused: {error}")
        response = user_error_response(error)
        return response if response.status_code == 404 else error_response(409, None,
                                                                            str(error))
    except EnvmonError as error:
        await audit_write(request, what, str(alarm_id), detail, f"refused: {error}")
        return user_error_response(error)
    await audit_write(request, what, str(alarm_id), detail)
    after_write(request)
    payload = changed.as_json()
    from envmon.web.publish import alarm_event

    context.events.publish("alarm", alarm_event(context.store, changed.alarm))
    if context.point_states is not None:  # a closed alarm may change its point's state
        context.point_states.alarms_changed([changed.alarm])
    return Response(jsonout.dumps(payload, "compact").encode(),
                    media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


@router.post("/alarms/{alarm_id}/acknowledge", summary="open → acknowledged")
async def acknowledge(request: Request, alarm_id: int = Path(ge=1),
                      body: AlarmAction = Body()) -> Response:
    """open → acknowledged, with who and a note (`envmon alarms ack`)."""
    return await _transition(request, "ack", alarm_id, body)


@router.post("/alarms/{alarm_id}/close", summary="open or acknowledged → closed")
async def close(request: Request, alarm_id: int = Path(ge=1),
                body: AlarmAction = Body()) -> Response:
    """open or acknowledged → closed, with who and a note (`envmon alarms close`)."""
    return await _transition(request, "close", alarm_id, body)
