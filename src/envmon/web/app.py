"""`create_app(context)`: the FastAPI app of the web platform.

It includes the API routers (`envmon.web.api.ROUTERS`), the pages when the pages package is
installed (`envmon.web.pages.install`), and the app-wide rules:

* errors: FastAPI's validation errors are 400 ``{"error": {"field", "reason"}}`` naming the
  query parameter (as the use cases' `OptionError`s are); anything unexpected is a 500 with
  no traceback in the body (logged with it);
* bounds: a request body larger than `[web] max_body_bytes` is refused (413) before it is read;
  heavy work (endpoints and pages alike) runs `query_slots` at a time (`web.compute`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from envmon.web.api import ROUTERS
from envmon.web.api.cache import SharedResults
from envmon.web.api.usecase import error_response
from envmon.web.context import WebContext
from envmon.web.settings import WebSettings

try:  # the pages (templates, static files) are their own package; the API runs without it
    from envmon.web import pages
except ImportError:
    pages = None

log = logging.getLogger("envmon.web")

__all__ = ["create_app"]

class BodyLimit:
    """ASGI middleware: 413 for a body larger than `limit` (declared or streamed)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                return await self._refuse(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope, receive, send) -> None:
        response = error_response(413, None, f"the request body is larger than "
                                  f"{self.limit} bytes")
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


class WritesRefreshResults:
    """ASGI middleware: any request that may write (not GET/HEAD) empties the shared results
    (`api.cache`), so whoever changed something sees the change at once."""

    def __init__(self, app: Any, results: SharedResults) -> None:
        self.app, self.results = app, results

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope.get("method") not in ("GET", "HEAD"):
            self.results.clear()
        await self.app(scope, receive, send)


def _field(error: dict) -> str | None:
    """The query/body field a validation error is about (its last string location part)."""
    loc = [part for part in error.get("loc", ()) if isinstance(part, str)]
    loc = [part for part in loc if part not in ("query", "path", "body", "header")]
    return loc[-1] if loc else None


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
                  description="The REST API of the envmon platform: one endpoint per use case; "
                  "`?format=` gives what the CLI prints with `--format`.")
    settings = settings or context.web_settings()
    app.state.context = context
    app.state.web_settings = context.web = settings
    app.state.shared_results = results = SharedResults(settings.result_cache_s)
    app.state.query_slots = asyncio.Semaphore(settings.query_slots)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        first = error.errors()[0] if error.errors() else {}
        return error_response(400, _field(first), str(first.get("msg", "invalid value")))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        return error_response(error.status_code, None, str(error.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(500, None, "internal error (logged on the server)")

    for name in ROUTERS:
        module = importlib.import_module(f"envmon.web.api.{name}")
        app.include_router(module.router)
    if pages:
        pages.install(app, context)
    app.add_middleware(WritesRefreshResults, results=results)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app
