"""HTTP JSON intake of taxi PM readings (issue 4 §2): the routes, as a FastAPI router.

    POST /roads/readings      Authorization: Bearer <token>
    [{"device_id": "晋A-T001", "time": "2026-10-02T08:00:01", "lat": 37.85, "lon": 112.55,
      "pm25": 41, "pm10": 88, "rh": 0.55, "speed": 23}, …]
    or {"crs": "gcj02", "readings": [...]}
    GET /roads/health

Answers 200 with the counts (`ReadingsImported.as_json`: per rejection reason, `duplicates`
for readings stored already, `problems` naming the first wrong fields); every refusal is a
JSON `{"error": …, "field": …}` with a 4xx/5xx that says why.

What it guards against, in the order a request meets it:

* **anonymous writes**: 401 without a token in force (`roads.tokens`); a loopback intake with
  no token at all is open (the demo, a single machine), said once in the log;
* **big and slow bodies**: a declared Content-Length over `max_body_bytes` is 413 at once; the
  body is streamed and counted as it arrives, so a lying or missing Content-Length is cut at
  the same cap (413); the whole body must arrive within `body_timeout_s` (408); the bodies held
  at once by all requests share `body_budget_bytes` (503 beyond: memory stays bounded however
  many clients post together). Headers that never complete are cut by the server
  (`roads.intake_server`);
* **hostile JSON**: nesting deeper than `max_json_depth` is 400 before it is parsed; a body
  that is not UTF-8 JSON of the accepted shape is 400 naming the part (`PayloadError.field`);
  a reading with a wrong field is rejected and counted, the field named (`roads.sensors`);
* **a blocked event loop**: parsing and importing run on the intake's own threads
  (`import_slots`, one by default: imports of the road tables run one at a time, see
  `envmon.app` "Who writes where"), never on the loop it shares with the HJ 212 receiver.

Refusals are counted per reason (`Intake.refused`) and logged at most once per reason every
`LOG_EVERY_S`. A new check goes in `Intake.post_readings` in that order (cheap and
unauthenticated-safe first); a new limit is a field of `IntakeLimits` (config `[roads.intake]`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.requests import ClientDisconnect

from envmon.render import jsonout
from envmon.roads.api import IntakeOptions, PayloadError, intake_readings
from envmon.roads.intake_limits import IntakeLimits
from envmon.roads.tokens import TokenBook

log = logging.getLogger("envmon.roads.intake")

__all__ = ["Intake", "IntakeLimits", "intake_router", "make_app"]

LOG_EVERY_S = 10.0  # one log line per refusal reason at most this often: a flood can't fill logs


class Refused(Exception):
    """A request answered with `status` and `{"error": message, "field": field}`."""

    def __init__(self, status: int, reason: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.field = status, reason, message, field
        self.headers = headers or {}


class BodyBudget:
    """Bytes of request bodies held at once, across requests (event-loop only, no lock)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.held, self.peak = limit, 0, 0

    def take(self, n: int) -> None:
        if self.held + n > self.limit:
            raise Refused(503, "busy", "too many uploads at once; try again shortly",
                          headers={"Retry-After": "5"})
        self.held += n
        self.peak = max(self.peak, self.held)

    def give_back(self, n: int) -> None:
        self.held -= n


_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def json_depth(body: bytes) -> int:
    """The deepest nesting of brackets outside JSON strings (vectorised: a few ms per MB)."""
    bare = _STRINGS.sub(b'""', body)
    if not bare:
        return 0
    steps = _OPEN[np.frombuffer(bare, dtype=np.uint8)]
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def decode_body(body: bytes, max_depth: int) -> Any:
    """The JSON value of `body`, or PayloadError naming what is wrong with it."""
    if json_depth(body) > max_depth:
        raise PayloadError(f"JSON nested deeper than {max_depth} levels (a body of readings "
                           "needs 3)", "body")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise PayloadError(f"body is not UTF-8 text: {error.reason} at byte {error.start}",
                           "body") from None
    except json.JSONDecodeError as error:
        raise PayloadError(f"invalid JSON: {error}", "body") from None
    except RecursionError:
        raise PayloadError("JSON nested too deeply", "body") from None


class Intake:
    """The intake's state: the store, tokens, limits, body budget, import threads, counts."""

    def __init__(self, store, tokens: TokenBook | None = None,
                 limits: IntakeLimits | None = None, default_crs: str = "wgs84",
                 open_without_tokens: bool = False) -> None:
        self.store = store
        self.tokens = tokens if tokens is not None else TokenBook()
        self.limits = limits or IntakeLimits()
        self.options = IntakeOptions(default_crs)
        self.open_without_tokens = open_without_tokens  # loopback, no token made yet
        self.budget = BodyBudget(self.limits.body_budget_bytes)
        self.refused: Counter = Counter()
        self.uploading: Counter = Counter()  # client address -> posts in progress
        self.imports = 0
        self._logged: dict[str, float] = {}
        self._executor: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------------ lifecycle
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.limits.import_slots,
                                                thread_name_prefix="roads-intake")
        return self._executor

    def close(self) -> None:
        """Wait for imports in progress and stop the import threads."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    # ------------------------------------------------------------------ requests
    def note_refusal(self, reason: str, message: str, peer: str = "") -> None:
        self.refused[reason] += 1
        now = time.monotonic()
        if now - self._logged.get(reason, -LOG_EVERY_S) >= LOG_EVERY_S:
            self._logged[reason] = now
            log.warning("roads intake refused %s (%s; %d so far)%s", reason, message,
                        self.refused[reason], f" from {peer}" if peer else "")

    def authorise(self, request: Request) -> IntakeOptions:
        """The request's options (its token's device binding), or 401."""
        if self.open_without_tokens and not len(self.tokens):
            return self.options
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        token = self.tokens.check(presented.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise Refused(401, "unauthorised", "a valid intake token is required "
                          "(Authorization: Bearer <token>; `envmon roads tokens add`)",
                          "Authorization", {"WWW-Authenticate": 'Bearer realm="roads"'})
        return IntakeOptions(self.options.default_crs, token.device_prefix)

    async def read_body(self, request: Request) -> bytearray:
        """The body, streamed and counted against the cap and the shared budget (the caller
        gives `len(body)` back to the budget when done with it)."""
        cap = self.limits.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and int(declared) > cap:  # h11 has checked it is digits
            raise Refused(413, "too_large", f"body of {declared} bytes is over the "
                          f"{cap}-byte limit; split the readings into several posts",
                          "Content-Length")
        body = bytearray()
        try:
            async with asyncio.timeout(self.limits.body_timeout_s):
                async for chunk in request.stream():
                    if len(body) + len(chunk) > cap:
                        raise Refused(413, "too_large", f"body over the {cap}-byte limit; "
                                      "split the readings into several posts", "body")
                    self.budget.take(len(chunk))
                    body += chunk
        except TimeoutError:
            self.budget.give_back(len(body))
            raise Refused(408, "body_timeout", "body not received within "
                          f"{self.limits.body_timeout_s:g} s", "body") from None
        except BaseException:
            self.budget.give_back(len(body))
            raise
        if not body:
            raise Refused(400, "empty", "empty body: expected JSON readings", "body")
        return body

    def _import(self, body: bytes | bytearray, options: IntakeOptions) -> dict[str, Any]:
        payload = decode_body(body, self.limits.max_json_depth)
        del body  # the parsed readings are all that is needed from here
        return intake_readings(self.store, payload, options).as_json()

    async def post_readings(self, request: Request) -> Response:
        peer = request.client.host if request.client else ""
        body = b""
        self.uploading[peer] += 1
        try:
            if self.uploading[peer] > self.limits.uploads_per_address:
                raise Refused(429, "busy_address", f"{self.uploading[peer] - 1} posts from "
                              f"{peer or 'this address'} are still in progress (at most "
                              f"{self.limits.uploads_per_address}); try again shortly",
                              "client", {"Retry-After": "5"})
            options = self.authorise(request)
            body = await self.read_body(request)
            loop = asyncio.get_running_loop()
            counts = await loop.run_in_executor(self.executor(), self._import, body, options)
        except Refused as refusal:
            self.note_refusal(refusal.reason, refusal.message, peer)
            # the connection closes after a refusal: an unread body must not be read as the
            # next request, and a refused client gets no kept-alive socket
            return answer(refusal.status, {"error": refusal.message, "field": refusal.field},
                          {**refusal.headers, "Connection": "close"})
        except PayloadError as error:
            self.note_refusal("bad_body", str(error), peer)
            return answer(400, {"error": str(error), "field": error.field},
                          {"Connection": "close"})
        except ClientDisconnect:  # gone mid-body: nothing stored, nobody to answer
            self.note_refusal("disconnected", "client left before sending its body", peer)
            return answer(400, {"error": "client disconnected", "field": "body"})
        finally:
            self.budget.give_back(len(body))
            self.uploading[peer] -= 1
            if not self.uploading[peer]:
                del self.uploading[peer]
        self.imports += 1
        return answer(200, counts)


def answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None
           ) -> Response:
    return Response(jsonout.dumps(body, "compact"), status, headers,
                    media_type="application/json; charset=utf-8")


def intake_router(intake: Intake) -> APIRouter:
    """The intake's routes, to mount on the platform's web app or serve alone (`make_app`)."""
    router = APIRouter()

    @router.post("/roads/readings")
    @router.post("/roads/readings/", include_in_schema=False)
    async def post_readings(request: Request) -> Response:
        return await intake.post_readings(request)

    @router.get("/roads/health")
    @router.get("/roads/health/", include_in_schema=False)
    async def health() -> Response:
        return answer(200, {"ok": True})

    return router


def make_app(intake: Intake) -> FastAPI:
    app = FastAPI(title="envmon roads intake", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.include_router(intake_router(intake))

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        return answer(404, {"error": "not found"})

    @app.exception_handler(405)
    async def wrong_method(request: Request, exc: Exception) -> Response:
        return answer(405, {"error": f"{request.method} not allowed here"})

    return app
