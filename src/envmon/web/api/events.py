"""`GET /api/v1/events`: the event hub (`envmon.web.events`) as server-sent events.

Each event is ``id: N`` / ``event: kind`` / ``data: {json}`` and a blank line; a comment line
(``: keep-alive``) every `HEARTBEAT_S` when nothing happens, so proxies and browsers keep the
stream open and a gone client is noticed. ``?kinds=alarm,point_state`` keeps only those
kinds. When the hub has no room (`EventHub.max_subscribers`, or `max_per_owner` streams of
this client's address) the answer is a 503 with the reason and ``Retry-After`` (the pages'
script reconnects with back-off); when the server stops the hub is closed and every stream
ends at once, so `envmon serve` stops promptly. A user with a region or a unit gets only
the events of its scope's units and points (`event_filter`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from envmon.access.isolation import Allowed
from envmon.render import jsonout
from envmon.web.api.usecase import error_response
from envmon.web.events import EVENT_KINDS, Event, HubClosed, HubFull, Subscription

router = APIRouter(prefix="/api/v1", tags=["events"])

# 15 s: under the 30-60 s idle timeouts of common proxies, and cheap (one line a stream).
HEARTBEAT_S = 15.0
# A refused stream's client waits this long before it tries again (live.js backs off from it).
RETRY_AFTER_S = 5


def sse_frame(event: Event) -> bytes:
    """The event's SSE bytes, encoded once however many streams send it."""
    frame = _frames.get(event.id)
    if frame is None or frame[0] is not event:
        data = jsonout.dumps(event.data, "compact").rstrip("\n")
        frame = (event, f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n".encode())
        _frames[event.id] = frame
        while len(_frames) > FRAME_CACHE:
            del _frames[next(iter(_frames))]
    return frame[1]


# Recent events' frames by id (insertion order = oldest first): a stream a little behind
# the others still finds them; the event is kept beside its id so another hub's event with
# the same id is never answered with this one's bytes.
FRAME_CACHE = 1024
_frames: dict[int, tuple[Event, bytes]] = {}


def event_filter(allowed: Allowed | None) -> Callable[[Event], bool] | None:
    """Which events a subscriber of scope `allowed` sees (`web.isolation`): those of its
    units and points, and ``reset``; an event naming no unit or point is not sent to it."""
    if allowed is None:
        return None

    def allows(event: Event) -> bool:
        if event.kind == "reset":
            return True
        unit_id, mn = _event_ids(event.data)
        if unit_id is None and mn is None:
            return False
        return allowed.allows_row(unit_id, mn)

    return allows


def _event_ids(data: dict) -> tuple[object, object]:
    """(unit_id, mn) an event names: at its top, or in its ``result``/``case`` object (a
    supervision event)."""
    for part in (data, data.get("result"), data.get("case")):
        if isinstance(part, dict) and (part.get("unit_id") or part.get("mn")):
            return part.get("unit_id"), part.get("mn")
    return None, None


async def _stream(subscription: Subscription, heartbeat_s: float) -> AsyncIterator[bytes]:
    with subscription:
        yield b": connected\n\n"
        while True:
            try:
                event = await asyncio.wait_for(subscription.get(), heartbeat_s)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            except HubClosed:
                return
            yield sse_frame(event)


@router.get("/events", summary="Live events (server-sent events)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}},
                       503: {"description": "Too many live streams are open"}})
async def events(request: Request,
                 kinds: str | None = Query(None, description="Comma-separated kinds to keep: "
                                           + ", ".join(k for k in EVENT_KINDS
                                                       if k != "reset"))) -> Response:
    """packet, point_state and alarm events as they happen (reset: reload your figures)."""
    wanted = None
    if kinds is not None:
        names = {k.strip() for k in kinds.split(",") if k.strip()}
        unknown = sorted(names - set(EVENT_KINDS))
        if unknown or not names:
            return error_response(400, "kinds", f"unknown kind {', '.join(unknown)}; choose "
                                  f"from {', '.join(EVENT_KINDS)}" if unknown
                                  else "give at least one kind")
        wanted = frozenset(names | {"reset"})
    context = request.app.state.context
    try:
        subscription = context.events.subscribe(
            wanted, owner=request.client.host if request.client else None,
            allows=event_filter(getattr(request.state, "allowed", None)))
    except HubFull as error:
        response = error_response(503, None, f"too many live streams: {error}")
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
    except HubClosed as error:
        return error_response(503, None, str(error))
    heartbeat_s = float(context.settings.get("heartbeat_s", HEARTBEAT_S))
    return StreamingResponse(_stream(subscription, heartbeat_s),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
