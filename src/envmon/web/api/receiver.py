"""The receiver: `GET /api/v1/receiver/lockouts` (`envmon receiver lockouts`, reading),
`POST /api/v1/receiver/lockouts` (`envmon receiver lockouts --unlock IP | --unlock-mn MN`:
lifted in the store on the writer thread and dropped by the running receiver's guard at once)
and `GET /api/v1/receiver/connections` (the running platform's connected MNs; 503 without
one)."""

from __future__ import annotations

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from envmon.errors import EnvmonError
from envmon.web.api.usecase import (
    CONTENT_TYPES,
    error_response,
    use_case_endpoint,
    user_error_response,
)
from envmon.web.audited import audited

router = APIRouter(prefix="/api/v1", tags=["receiver"])


@use_case_endpoint(router, "/receiver/lockouts", formats=("json", "csv", "table"),
                   summary="Lockouts and usual addresses (envmon receiver lockouts)")
def receiver_lockouts(mn: str | None = Query(None, description="Only this MN's usual "
                                             "addresses.")):
    """Lockouts in force after repeated wrong passwords and the usual addresses of the MNs
    (lifting one is `POST` on the same path, `envmon receiver lockouts --unlock`)."""
    from envmon.ingest.api import LockoutOptions, guard_report

    options = LockoutOptions(mn=mn)
    return lambda context: guard_report(context.store, options)


LOCKOUT_FORMATS = ("json", "csv", "table")


class Unlock(BaseModel):
    """What to lift (one of unlock, unlock_mn), who lifts, and the answer's format: the
    fields of `envmon receiver lockouts --unlock … --by … --format …`."""

    unlock: str | None = Field(None, max_length=64, description="Lift this address's lockout.")
    unlock_mn: str | None = Field(None, max_length=64,
                                  description="Lift this MN's lockout of new addresses.")
    by: str = Field("web", max_length=200, description="Who lifts (kept with the lockout).")
    mn: str | None = Field(None, max_length=64, description="Only this MN's usual addresses "
                           "in the answer.")
    format: str = Field("json", description="json, csv or table.")


@router.post("/receiver/lockouts", summary="Lift a lockout (envmon receiver lockouts --unlock)",
             response_class=Response,
             responses={400: {"description": 'A bad field: {"error": {"field", "reason"}}'}})
@audited("receiver.unlock", target=lambda a: a["body"].unlock or a["body"].unlock_mn)
async def lift_lockout(request: Request, body: Unlock = Body(...)) -> Response:
    """Lift the lockout of an address (`unlock`) or an MN's lockout of new addresses
    (`unlock_mn`); a running receiver drops it at once. Answers the lockouts still in force,
    the usual addresses and what was lifted, as `envmon receiver lockouts` prints them."""
    import tempfile
    from pathlib import Path

    from envmon.ingest.api import LockoutOptions, guard_report
    from envmon.render.registry import render_bytes

    if body.format not in LOCKOUT_FORMATS:
        return error_response(400, "format", f"{body.format!r} is not available here; "
                              f"choose one of {', '.join(LOCKOUT_FORMATS)}")
    context = request.app.state.context
    try:
        options = LockoutOptions(mn=body.mn, unlock=body.unlock, unlock_mn=body.unlock_mn,
                                 by=body.by)
        if not options.lifts:
            return error_response(400, "unlock", "say what to lift: unlock (an address) or "
                                  "unlock_mn (an MN)")
        result = await context.run_in_writer(guard_report, context.store, options)
    except EnvmonError as error:
        return user_error_response(error)
    receiver = getattr(context.platform, "receiver", None)
    if receiver is not None and result.lifted:  # at once, not at the next registry refresh
        receiver.lockouts_lifted([(lock.address, lock.mn, lock.locked_at)
                                  for lock in result.lifted])
    with tempfile.TemporaryDirectory(prefix="envmon-web-") as folder:
        payload, _ = render_bytes(result, body.format, Path(folder))
    return Response(payload, media_type=CONTENT_TYPES[body.format],
                    headers={"Cache-Control": "no-store"})


@router.get("/receiver/connections", summary="MNs connected to the running receiver",
            response_class=Response,
            responses={503: {"description": "No running receiver here (the reason named)"}})
async def receiver_connections(request: Request, format: str = Query(
        "json", description="Output format: json (the only one).")) -> Response:
    """The MNs the running receiver holds a connection for: address, since when, packets
    accepted on the connection, whether the address is a usual one. 503 when this app serves
    a store without a receiver, or the receiver runs in worker processes."""
    from envmon.ingest.api import live_connections
    from envmon.render import jsonout

    if format != "json":  # as every endpoint: a format it cannot give is named, not ignored
        return error_response(400, "format", f"{format!r} is not available here; choose "
                              "json")
    unknown = sorted(set(request.query_params) - {"format"})
    if unknown:
        return error_response(400, unknown[0], f"unknown parameter {unknown[0]!r} (known: "
                              "format)")
    platform = request.app.state.context.platform
    if platform is None or platform.receiver is None:  # none, or `envmon web`
        return error_response(503, None, "no receiver runs in this process: the app serves "
                              "a store alone (start it with envmon serve)")
    try:
        result = live_connections(platform.receiver)
    except LookupError as error:
        return error_response(503, None, str(error))
    return Response(jsonout.dumps(result.as_json(), "compact").encode(),
                    media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})
