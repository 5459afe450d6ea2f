"""The receiver: `GET /api/v1/receiver/lockouts` (`envmon receiver lockouts`, reading) and
`GET /api/v1/receiver/connections` (the running platform's connected MNs; 503 without one)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from envmon.web.api.usecase import error_response, use_case_endpoint

router = APIRouter(prefix="/api/v1", tags=["receiver"])


@use_case_endpoint(router, "/receiver/lockouts", formats=("json", "csv", "table"),
                   summary="Lockouts and usual addresses (envmon receiver lockouts)")
def receiver_lockouts(mn: str | None = Query(None, description="Only this MN's usual "
                                             "addresses.")):
    """Lockouts in force after repeated wrong passwords and the usual addresses of the MNs
    (lifting one is `envmon receiver lockouts --unlock`, not offered here yet)."""
    from envmon.ingest.api import LockoutOptions, guard_report

    options = LockoutOptions(mn=mn)
    return lambda context: guard_report(context.store, options)


@router.get("/receiver/connections", summary="MNs connected to the running receiver",
            response_class=Response,
            responses={503: {"description": "No running receiver here (the reason named)"}})
async def receiver_connections(request: Request) -> Response:
    """The MNs the running receiver holds a connection for: address, since when, packets
    accepted on the connection, whether the address is a usual one. 503 when this app serves
    a store without a receiver, or the receiver runs in worker processes."""
    from envmon.ingest.api import live_connections
    from envmon.render import jsonout

    platform = request.app.state.context.platform
    if platform is None:
        return error_response(503, None, "no receiver runs in this process: the app serves "
                              "a store alone (start it with envmon serve)")
    try:
        result = live_connections(platform.receiver)
    except LookupError as error:
        return error_response(503, None, str(error))
    return Response(jsonout.dumps(result.as_json(), "compact").encode(),
                    media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})
