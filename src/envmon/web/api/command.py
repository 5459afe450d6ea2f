"""Remote commands (反控, issue 13 item 7): `POST /api/v1/command` sends one to a unit over its
live connection, `GET /api/v1/command/list?mn=…` the history, `GET /api/v1/command/{id}` one
command as it stands (state, the unit's QnRtn/ExeRtn and their meaning, the answer's data).

`envmon command MN ACTION` and the point page's panel call these. A write, so the
`RequestGuard` keeps it to loopback clients unless ``--web-allow-remote-writes``; who asked is
the body's ``by`` with the client's address (`api.actor`), kept with the command. State
changes reach the pages as ``command`` events (`web.events`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from envmon.errors import EnvmonError
from envmon.web.api.actor import actor
from envmon.web.api.usecase import error_response, use_case_endpoint, user_error_response
from envmon.web.audited import audited

router = APIRouter(prefix="/api/v1", tags=["command"])

MAX_PARAMETERS = 16


class CommandBody(BaseModel):
    """The command: an MN and a named action (get-time, set-interval …) or a bare CN with
    the CP text (``cn`` + ``parameters.cp``: the action ``raw``)."""

    model_config = ConfigDict(extra="forbid")

    mn: str = Field(max_length=64, description="The unit's MN.")
    action: str | None = Field(None, max_length=40, description="get-time, set-time, "
                               "get-interval, set-interval, start-realtime, stop-realtime, "
                               "zero-calibration, span-calibration, sample-now, site-info, "
                               "retrieve, raw …")
    cn: str | None = Field(None, max_length=8, description="The CN (retrieve: 2031/2041/"
                           "2051/2061; alone: a raw command).")
    parameters: dict[str, str | int | None] = Field(
        default_factory=dict, description="The action's parameters (time, minutes, "
        "seconds, factor, from, to, cp, …).")
    by: str | None = Field(None, max_length=200, description="Who sends it.")


@router.post("/command", summary="Send a remote command to a unit (envmon command MN ACTION)",
             status_code=201,
             responses={400: {"description": 'A bad field: {"error": {"field", "reason"}}'},
                        429: {"description": "The MN's or the overall queue is full"},
                        503: {"description": "No receiver holds the units' connections here"}})
@audited("command.send", target=lambda a: a["body"].mn,
         detail=lambda a: {"action": a["body"].action, "cn": a["body"].cn},
         answer=("id", "qn", "state"))
async def send(request: Request, body: CommandBody = Body(...)) -> Any:
    """Queue the command for the unit; answers the command row (state ``queued``, or
    ``refused`` at once for a unit that is offline). Follow it with ``GET
    /api/v1/command/{id}`` or the ``command`` events."""
    from envmon.control.api import CommandsUnavailable, QueueFull, send_command

    if len(body.parameters) > MAX_PARAMETERS:
        return error_response(400, "parameters", f"at most {MAX_PARAMETERS}")
    params = {k: (None if v is None else str(v)) for k, v in body.parameters.items()}
    action = body.action or ("raw" if body.cn else None)
    if action is None:
        return error_response(400, "action", "give an action (e.g. get-time) or a cn")
    if body.cn is not None:
        params["cn"] = body.cn
    context = request.app.state.context
    who = actor(request, body.by, required=False)
    address = request.client.host if request.client else "?"
    try:
        row = await send_command(context.platform, body.mn, action, params, who,
                                 f"web {address}")
    except CommandsUnavailable as error:
        return error_response(503, None, str(error))
    except QueueFull as error:
        return error_response(429, "mn", str(error))
    except EnvmonError as error:
        return user_error_response(error)
    return JSONResponse(row.as_json(), status_code=201, headers={"Cache-Control": "no-store"})


@use_case_endpoint(router, "/command/list", formats=("json", "csv", "table"),
                   items="commands", summary="Remote commands, newest first (envmon command "
                   "list)")
def command_list(mn: str | None = Query(None, max_length=64, description="Only this MN.")):
    """The latest 1 000 commands sent (of one MN), newest first, with their states and
    answers (``limit``/``offset`` page them)."""
    from envmon.control.api import MAX_LIST
    from envmon.control.api import command_list as list_use_case

    return lambda context: list_use_case(context.store, mn, MAX_LIST)


@router.get("/command/{command_id}", summary="One remote command as it stands",
            responses={404: {"description": "No such command"}})
async def command_get(request: Request, command_id: int) -> Any:
    """The command's row: state, QnRtn/ExeRtn and their meaning, the answer's data."""
    import asyncio

    from envmon.control.api import command_get as get_use_case

    try:
        row = await asyncio.to_thread(get_use_case, request.app.state.context.store,
                                      command_id)
    except LookupError as error:
        return error_response(404, "command_id", str(error))
    return JSONResponse(row.as_json(), headers={"Cache-Control": "no-store"})
