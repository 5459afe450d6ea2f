"""``/metrics``, ``/healthz`` and ``/readyz``: on the web app, and on a listener of their own.

With the web app on (``envmon serve``), `install(app)` adds the three routes to it (public
in `access.policy`: no credential, no data). ``envmon serve --no-web`` has no web app, so
`OpsListener` (a platform `Service`) serves them on ``--metrics-port`` (``[ingest]
metrics_port``): off unless given, because a receiver often listens on every address for
its units and a port nobody asked for should not open beside it; ``--metrics-host``
(``[ingest] metrics_host``) is 127.0.0.1 by default for the same reason (a Prometheus on
another machine needs the address it scrapes, said explicitly). The listener answers these
three GET routes only, bounded like the roads intake (`roads.intake_server`: header
deadline, a few connections at once), but idle connections cannot starve the probes
(`OpsH11Protocol`): headers must come within 2 s, and a new connection beyond the cap
closes the connection idle longest instead of being answered 503.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from envmon.access.policy import OPS_PATHS  # public there: no credential, no data
from envmon.ops import health, metrics

__all__ = ["OPS_PATHS", "OpsListener", "install", "ops_app"]

MAX_CONNECTIONS = 64  # a scraper and a few probes, with room: idle ones are closed first
HEADER_TIMEOUT_S = 2.0  # a probe sends its request at once; a slow one must not hold a slot


def _handlers(where: Any):
    """The three endpoints over `where(request) -> (store, platform)`."""

    async def healthz(request: Request) -> Response:
        return JSONResponse(health.liveness())

    async def readyz(request: Request) -> Response:
        store, platform, timeout_s = where(request)
        ready, body = await health.readiness(store, platform, timeout_s)
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics_text(request: Request) -> Response:
        _, platform, _ = where(request)
        return Response(metrics.render(platform), media_type=metrics.CONTENT_TYPE_LATEST)

    return {"/metrics": metrics_text, "/healthz": healthz, "/readyz": readyz}


def _web_where(request: Request):
    context = request.app.state.context
    settings = getattr(getattr(context, "config", None), "ingest", None)
    return (context.store, context.platform,
            getattr(settings, "ready_timeout_s", health.DEFAULT_READY_TIMEOUT_S))


def install(app: Any) -> None:
    """Add the three routes to the web app (FastAPI), outside its OpenAPI schema."""
    for path, handler in _handlers(_web_where).items():
        app.add_api_route(path, handler, methods=["GET"], include_in_schema=False)


def ops_app(platform: Any, ready_timeout_s: float = health.DEFAULT_READY_TIMEOUT_S
            ) -> Starlette:
    """The listener's app: the three routes over `platform` (and its store)."""
    def where(request: Request):
        return platform.store, platform, ready_timeout_s

    return Starlette(routes=[Route(path, handler, methods=["GET"])
                             for path, handler in _handlers(where).items()])


def _ops_protocol() -> type:
    """The h11 protocol of the listener: a short header deadline, and at the cap a new
    connection closes the one idle longest (no request in progress) rather than being
    refused, so idle or slow connections cannot make liveness probes fail."""
    from envmon.roads.intake_server import GuardedH11Protocol

    class OpsH11Protocol(GuardedH11Protocol):
        header_timeout_s = HEADER_TIMEOUT_S
        idle_since = 0.0

        def _arm_header_deadline(self) -> None:
            super()._arm_header_deadline()
            self.idle_since = time.monotonic()

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            # uvicorn answers 503 when its connections reach the cap: make room first
            if len(self.connections) >= MAX_CONNECTIONS:
                idle = [c for c in self.connections if c is not self
                        and c._header_deadline is not None and not c.transport.is_closing()]
                if idle:
                    min(idle, key=lambda c: c.idle_since).transport.close()

    return OpsH11Protocol


class OpsListener:
    """The three routes on their own port (`envmon serve --no-web --metrics-port N`)."""

    name = "metrics"

    def __init__(self, host: str = "127.0.0.1", port: int = 9212,
                 ready_timeout_s: float = health.DEFAULT_READY_TIMEOUT_S) -> None:
        self.host, self.requested_port, self.ready_timeout_s = host, port, ready_timeout_s
        self._server: Any = None
        self._bound_port: int | None = None

    @property
    def port(self) -> int:
        return self._bound_port if self._bound_port is not None else self.requested_port

    @property
    def note(self) -> str | None:
        if self._server is None:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"metrics and health on http://{host}:{self.port}/metrics, /healthz, /readyz"

    async def start(self, platform: Any) -> None:
        import uvicorn

        from envmon.roads.intake_server import EmbeddedServer

        config = uvicorn.Config(
            ops_app(platform, self.ready_timeout_s), http=_ops_protocol(),
            lifespan="off", log_config=None, access_log=False,
            limit_concurrency=MAX_CONNECTIONS, backlog=64, timeout_keep_alive=5,
            timeout_graceful_shutdown=2, server_header=False, proxy_headers=False, ws="none")
        server = self._server = EmbeddedServer.bind(config, self.host, self.requested_port, 64)
        self._bound_port = server.bound_port
        await server.run("metrics")

    async def stop(self) -> None:
        if self._server is None:
            return
        try:
            await self._server.shut_down()
        finally:
            self._server = None
