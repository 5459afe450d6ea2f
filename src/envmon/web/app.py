"""`create_app(context)`: the FastAPI app of the web platform.

It includes the API routers (`envmon.web.api.ROUTERS`), the pages when the pages package is
installed (`envmon.web.pages.install`), and the app-wide rules:

* errors: FastAPI's validation errors are 400 ``{"error": {"field", "reason"}}`` naming the
  query parameter (as the use cases' `OptionError`s are); anything unexpected is a 500 with
  no traceback in the body (logged with it);
* who may reach it and write through it: `web.guard.RequestGuard` (Host, and for writes a
  loopback client unless remote writes are allowed or users exist, same origin, JSON
  bodies), then `web.gate.AccessGate` (who asks: ``request.state.principal``, 401 without a
  credential once users exist, CSRF of page sessions, 403 for a role that may not);
* isolation: every route's rule (`access.policy.SCOPE`) applied by `web.isolation`
  (an app-wide dependency): 403 for a role or scope it does not admit, 404 for an id outside
  the principal's scope, results narrowed to it;
* bounds: a request body larger than `[web] max_body_bytes` is refused (413) before it is read;
  heavy work (endpoints and pages alike) runs `query_slots` at a time (`web.compute`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from envmon.access.users import users_exist
from envmon.web.api import ROUTERS
from envmon.web.api.cache import DEFAULT_MAX_BYTES, SharedResults
from envmon.web.api.usecase import error_response
from envmon.web.audited import audit_invalid
from envmon.web.context import WebContext
from envmon.web.guard import RequestGuard
from envmon.web.isolation import enforce_scope
from envmon.web.settings import WebSettings

try:  # the pages (templates, static files) are their own package; the API runs without it
    from envmon.web import pages
except ImportError:
    pages = None

log = logging.getLogger("envmon.web")

__all__ = ["create_app"]

class BodyLimit:
    """ASGI middleware: 413 for a body larger than `limit` (declared or streamed)."""

    def __init__(self, app: Any, limit: int, larger: tuple = ()) -> None:
        self.app, self.default, self.larger = app, limit, tuple(larger)

    def _limit(self, scope) -> int:
        """`limit`, or the larger one of an upload route ((pattern, limit) in `larger`)."""
        return next((limit for pattern, limit in self.larger
                     if pattern.match(scope.get("path", ""))), self.default)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self._limit(scope)
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                return await self._refuse(scope, receive, send, limit)
        seen = 0
        refused = False  # the 413 is sent: what the app sends after it goes nowhere
        started = False  # the app began its answer: too late for a 413

        async def limited_receive():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # a streamed (chunked) body: refuse it here, and the
                    refused = True     # app sees a client gone (FastAPI would say 400)
                    if not started:
                        await self._refuse(scope, receive, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # the app failed on the "disconnect" it was given: the 413 is the answer

    async def _refuse(self, scope, receive, send, limit: int) -> None:
        response = error_response(413, None, f"the request body is larger than "
                                  f"{limit} bytes")
        await response(scope, receive, send)


def _field(error: dict) -> str | None:
    """The query/body field a validation error is about (its last string location part)."""
    loc = [part for part in error.get("loc", ()) if isinstance(part, str)]
    loc = [part for part in loc if part not in ("query", "path", "body", "header")]
    return loc[-1] if loc else None


# Paths answered in the API's JSON error shape; every other path is a page (an HTML error).
_MACHINE_PREFIXES = ("/api/", "/openapi.json", "/static/")


def _is_page(request: Request) -> bool:
    return (getattr(request.app.state, "pages", None) is not None
            and not request.url.path.startswith(_MACHINE_PREFIXES))


def _error_page(request: Request, status: int, what: str):
    """A page's error as a page of the site (its nav, its language), not JSON."""
    heading = "error.not_found" if status == 404 else "error.bad_request"
    return request.app.state.pages.render(request, "not_found.html", "", status_code=status,
                                          what=what, heading=heading)


def _add_access_gate(app: FastAPI, context: WebContext, settings: WebSettings) -> None:
    """Who asks, and whether they may (`web.gate`), inside the guard's Host and origin
    checks."""
    from envmon.access.audit import cli_address
    from envmon.access.settings import AccessSettings
    from envmon.web.gate import AccessGate

    local_only = settings.local_only_without_users
    if local_only is None:
        local_only = context.platform is not None and not settings.allow_remote_writes
    access = getattr(context.config, "access", None) or AccessSettings()
    app.state.access_settings = access
    app.add_middleware(AccessGate, context=context, settings=access,
                       local_only_without_users=local_only,
                       operator_user=cli_address().split(":", 1)[1])


def create_app(context: WebContext, settings: WebSettings | None = None) -> FastAPI:
    """The web app over `context` (see the module docstring), bounded by `settings` (None:
    `context.web_settings()`, the configuration's [web] with the context's overrides)."""
    if context.config is None:
        from envmon.config import ConfigError, load_config

        try:
            context.config = load_config(None)
        except ConfigError:
            from envmon.config import Config

            context.config = Config()
    app = FastAPI(title="envmon", version="1", openapi_url="/openapi.json",
                  docs_url="/api/docs", redoc_url=None,
                  dependencies=[Depends(enforce_scope)],  # isolation: every route's scope
                  description="The REST API of the envmon platform: one endpoint per use case; "
                  "`?format=` gives what the CLI prints with `--format`.")
    settings = settings or context.web_settings()
    app.state.context = context
    app.state.web_settings = context.web = settings
    app.state.shared_results = SharedResults(settings.result_cache_s,
                                             max_bytes=DEFAULT_MAX_BYTES)
    app.state.query_slots = asyncio.Semaphore(settings.query_slots)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        first = error.errors()[0] if error.errors() else {}
        field, reason = _field(first), str(first.get("msg", "invalid value"))
        await audit_invalid(request, field, reason)  # a refused write is a row too
        if _is_page(request):
            return _error_page(request, 400, f"{field}: {reason}" if field else reason)
        return error_response(400, field, reason)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        if _is_page(request):
            return _error_page(request, error.status_code, request.url.path
                               if error.status_code == 404 else str(error.detail))
        return error_response(error.status_code, getattr(error, "field", None),
                              str(error.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        from envmon.ingest.writer import store_unreachable

        if store_unreachable(error):  # a database outage: say so, and that it is passing
            log.warning("%s %s: the store is unreachable: %s", request.method,
                        request.url.path, str(error).splitlines()[0] if str(error) else error)
            reason = "the store is unreachable now; retry in a moment"
            if _is_page(request):
                return _error_page(request, 503, reason)
            return error_response(503, None, reason)
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(500, None, "internal error (logged on the server)")

    for name in ROUTERS:
        module = importlib.import_module(f"envmon.web.api.{name}")
        app.include_router(module.router)
    if pages:
        pages.install(app, context)
    from envmon.ops.endpoints import install as install_ops

    install_ops(app)  # /metrics, /healthz, /readyz (public, no data)
    from envmon.web.api.data_marks import PROOF_UPLOAD_PATH, upload_limit
    from envmon.web.api.emergency import IMPORT_BODY_BYTES, IMPORT_PATH
    from envmon.web.api.portal import ANSWER_PATH, answer_limit

    _add_access_gate(app, context, settings)
    app.add_middleware(RequestGuard, bound_host=context.settings.get("web_host"),
                       allowed_hosts=tuple(settings.allowed_hosts),
                       allow_remote_writes=settings.allow_remote_writes,
                       multipart_paths=(PROOF_UPLOAD_PATH, ANSWER_PATH),
                       users_exist=lambda: users_exist(context.store))
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes,
                       larger=((PROOF_UPLOAD_PATH, upload_limit(context.config)),
                               (ANSWER_PATH, answer_limit(context.config)),
                               (IMPORT_PATH, IMPORT_BODY_BYTES)))
    return app
