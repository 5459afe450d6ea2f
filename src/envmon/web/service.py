"""`WebApp`: the platform service (`envmon.app.Service`) that serves the web app
(`app.create_app`) with uvicorn on the platform's event loop.

As the roads intake (`roads.intake_server`), it binds its socket itself (a taken port is an
OSError in `start()`, not uvicorn's `sys.exit`), installs no signal handlers (the process that
runs the loop owns SIGINT/SIGTERM), closes a connection whose request headers do not complete
within `WebSettings.header_timeout_s` (slowloris), answers 503 beyond `max_connections`, and
refuses bodies over `max_body_bytes`. Live streams are bounded by the hub
(`max_streams`, each with `stream_queue` events). On `stop()` the hub is closed first, so
every live stream ends and uvicorn's graceful shutdown does not wait for them.

Until users exist (issue 13) the app serves a loopback address by default (`--web-host
127.0.0.1`); the start-up note says so.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from typing import Any

import uvicorn

from envmon.errors import OptionError
from envmon.roads.intake_server import GuardedH11Protocol, _EmbeddedServer, is_loopback
from envmon.web.context import WebContext
from envmon.web.events import EventHub

log = logging.getLogger("envmon.web")

__all__ = ["WebApp", "WebSettings"]


@dataclass(frozen=True)
class WebSettings:
    """Bounds of the web server ([web] of the configuration), with why each default."""

    max_connections: int = 200
    """Open HTTP connections at once (503 beyond): a monitoring centre's screens and a few
    dozen officers' browsers, each with a live stream and a couple of requests."""
    max_streams: int = 100
    """Live event streams at once (`EventHub.max_subscribers`; 503 beyond): half the
    connections, so streams cannot take every connection."""
    stream_queue: int = 1000
    """Events waiting for one slow stream before its oldest are dropped (a reset is sent)."""
    max_body_bytes: int = 64 * 1024
    """Request bodies (JSON notes) larger than this are refused (413)."""
    header_timeout_s: float = 10.0
    """Request headers must complete within this (as the roads intake's)."""
    keep_alive_s: int = 5
    """Idle keep-alive connections are closed after this (uvicorn's default)."""
    backlog: int = 128
    query_slots: int = 4
    """Queries (use cases) run at once in worker threads; the rest wait their turn."""
    point_states_reconcile_s: float = 60.0
    """The live point states are recomputed from the store this often (`web.publish`:
    exemptions starting or ending, flag F change on a scale of hours; connections and alarms
    change them at once)."""

    def __post_init__(self) -> None:
        for name in ("max_connections", "max_streams", "stream_queue", "max_body_bytes",
                     "backlog", "query_slots"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(f"[web] {name}", f"must be a whole number of 1 or more, "
                                                   f"not {value!r}")
        if not self.point_states_reconcile_s > 0:
            raise OptionError("[web] point_states_reconcile_s", "must be more than 0 seconds")
        if not self.header_timeout_s > 0:
            raise OptionError("[web] header_timeout_s", "must be more than 0 seconds")


class WebApp:
    """The web app served on `host:port` as a task of the platform's loop."""

    name = "web app"

    def __init__(self, host: str = "127.0.0.1", port: int = 8000,
                 settings: WebSettings | None = None, config: Any = None) -> None:
        self.host, self.requested_port = host, port
        self.settings = settings or WebSettings()
        self.config = config  # envmon.config.Config, None = the default file
        self.context: WebContext | None = None
        self.states: Any = None  # web.publish.PointStates once started
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task | None = None
        self._socket: socket.socket | None = None
        self._bound_port: int | None = None

    @property
    def port(self) -> int:
        return self._bound_port if self._bound_port is not None else self.requested_port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def note(self) -> str | None:
        if self._server is None:
            return None
        where = ("this machine only, until users exist" if is_loopback(self.host)
                 else "reachable by others: no users exist yet, anyone can use it")
        return f"web app on {self.url} ({where})"

    async def start(self, platform: Any) -> None:
        from envmon.web.app import create_app
        from envmon.web.publish import attach_publishers

        settings = self.settings
        hub = EventHub(max_subscribers=settings.max_streams,
                       queue_limit=settings.stream_queue)
        self.context = WebContext(store=platform.store, platform=platform, events=hub,
                                  config=self.config,
                                  settings={"max_body_bytes": settings.max_body_bytes,
                                            "query_slots": settings.query_slots})
        app = create_app(self.context)
        protocol = type("WebH11Protocol", (GuardedH11Protocol,),
                        {"header_timeout_s": settings.header_timeout_s})
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.ERROR)
        config = uvicorn.Config(
            app, http=protocol, lifespan="off", log_config=None, access_log=False,
            limit_concurrency=settings.max_connections, backlog=settings.backlog,
            timeout_keep_alive=settings.keep_alive_s, timeout_graceful_shutdown=5,
            server_header=False, proxy_headers=False, ws="none")
        self._socket = socket.create_server((self.host, self.requested_port),
                                            backlog=settings.backlog)
        self._socket.setblocking(False)
        self._bound_port = self._socket.getsockname()[1]
        self.states = self.context.point_states = attach_publishers(platform, hub)
        self.states.start(platform.store, settings.point_states_reconcile_s)
        server = self._server = _EmbeddedServer(config)
        self._task = asyncio.get_running_loop().create_task(
            server.serve(sockets=[self._socket]), name="web-app")
        while not server.started:
            if self._task.done():
                self._task.result()
                raise OSError("the web app stopped while starting")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self._server is None:
            return
        if self.states is not None:
            await self.states.stop()
        if self.context is not None:
            self.context.events.close()  # live streams end now
        self._server.should_exit = True
        try:
            if self._task is not None:
                await self._task
        finally:
            if self._socket is not None:
                self._socket.close()
            self._server = self._task = self._socket = None
