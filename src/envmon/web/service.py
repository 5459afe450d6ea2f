"""`WebApp`: the platform service (`envmon.app.Service`) that serves the web app
(`app.create_app`) with uvicorn on the platform's event loop.

As the roads intake (`roads.intake_server`), it binds its socket itself (a taken port is an
OSError in `start()`, not uvicorn's `sys.exit`), installs no signal handlers (the process that
runs the loop owns SIGINT/SIGTERM), closes a connection whose request headers do not complete
within `WebSettings.header_timeout_s` (slowloris), refuses (503) a connection beyond
`max_connections`, and refuses bodies over `max_body_bytes`; a request h11 cannot parse and
a connection beyond the cap get the API's error shape. Live streams are bounded by the hub
(`max_streams`, each with `stream_queue` events). On `stop()` the hub is closed first, so
every live stream ends and uvicorn's graceful shutdown does not wait for them.

Until users exist (issue 13) the app serves a loopback address by default (`--web-host
127.0.0.1`); the start-up note says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import uvicorn

from envmon.render import jsonout
from envmon.roads.intake_server import EmbeddedServer, GuardedH11Protocol, is_loopback
from envmon.web.context import WebContext
from envmon.web.events import EventHub
from envmon.web.settings import WebSettings

log = logging.getLogger("envmon.web")

__all__ = ["WebApp", "WebH11Protocol", "WebSettings"]  # WebSettings: from web.settings


class WebH11Protocol(GuardedH11Protocol):
    """The roads intake's guarded h11 protocol, answering a request h11 cannot parse with the
    API's error shape ``{"error": {"field", "reason"}}`` (the intake keeps its own), and
    refusing a connection beyond `max_connections` when it is made (503 in that shape, then
    closed): uvicorn's own `limit_concurrency` answers 503 to every request while the cap is
    reached, an established client's too; refusing the newcomer keeps that one served."""

    max_connections: int | None = None
    max_connections_per_address: int | None = None
    _refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        reason = self._over_cap(transport)
        if reason is not None:
            self._refused = True
            body = jsonout.dumps({"error": {"field": None, "reason": reason}},
                                 "compact").encode()
            transport.write(b"HTTP/1.1 503 Service Unavailable\r\n"
                            b"content-type: application/json; charset=utf-8\r\n"
                            b"retry-after: 1\r\nconnection: close\r\n"
                            b"content-length: %d\r\n\r\n%s" % (len(body), body))
            transport.close()
            return
        super().connection_made(transport)

    def _over_cap(self, transport: asyncio.Transport) -> str | None:
        """Why this new connection is refused, or None. One address may hold at most
        `max_connections_per_address`, so one client (a slowloris from one machine) cannot
        take every slot from the others."""
        connections = self.server_state.connections
        if self.max_connections is not None and len(connections) >= self.max_connections:
            return f"too many connections ({self.max_connections} open); try again shortly"
        if self.max_connections_per_address is None:
            return None
        peer = transport.get_extra_info("peername")
        address = peer[0] if isinstance(peer, tuple) and peer else None
        if address is None:
            return None
        held = sum(1 for c in connections if (getattr(c, "client", None) or (None,))[0]
                   == address)
        if held >= self.max_connections_per_address:
            return (f"too many connections from {address} ({held} open); close some and "
                    "try again")
        return None

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._refused:
            super().connection_lost(exc)

    def bad_request_body(self, reason: str, field: str | None) -> dict:
        return {"error": {"field": field, "reason": f"invalid HTTP request: {reason}"}}


# --web-host values that listen on every address → the loopback address to print and open
WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


class WebApp:
    """The web app served on `host:port` as a task of the platform's loop."""

    name = "web app"

    def __init__(self, host: str = "127.0.0.1", port: int = 8000,
                 settings: WebSettings | None = None, config: Any = None, *,
                 announce: bool = True) -> None:
        self.host, self.requested_port = host, port
        # The discovery file and operator token, for the CLI on a store this process holds
        # (DuckDB); `envmon web` on PostgreSQL holds nothing and has no receiver to offer.
        self.announce = announce
        self.settings = settings or WebSettings()
        self.config = config  # envmon.config.Config, None = the default file
        self.context: WebContext | None = None
        self.states: Any = None  # web.publish.PointStates once started
        self._server: EmbeddedServer | None = None
        self._bound_port: int | None = None
        self._announced: str | None = None  # the store whose discovery file we wrote
        self._operator: tuple[str, str] | None = None  # (store, token) of our token file
        self.publish_clock: Callable[[], float] = time.monotonic  # packet events' interval

    @property
    def port(self) -> int:
        return self._bound_port if self._bound_port is not None else self.requested_port

    @property
    def url(self) -> str:
        """The address to open on this machine: a wildcard host (listening on all addresses)
        is reached through loopback, since http://0.0.0.0/ is no address to open."""
        host = WILDCARD_HOSTS.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/"

    @property
    def note(self) -> str | None:
        if self._server is None:
            return None
        where = ("this machine only, until users exist" if is_loopback(self.host)
                 else "reachable by others: no users exist yet, anyone can read it")
        if self.host in WILDCARD_HOSTS:
            where = f"listening on all addresses of this machine ({self.host}): " + where
        writes = ("changes from any machine: --web-allow-remote-writes"
                  if self.settings.allow_remote_writes else "changes from this machine only")
        return f"web app on {self.url} ({where}; {writes})"

    async def start(self, platform: Any) -> None:
        from envmon.web.app import create_app
        from envmon.web.publish import attach_publishers

        settings = self.settings
        hub = EventHub(max_subscribers=settings.max_streams,
                       queue_limit=settings.stream_queue,
                       max_per_owner=settings.max_streams_per_address)
        self.context = WebContext(store=platform.store, platform=platform, events=hub,
                                  config=self.config,
                                  settings={"web_host": self.host,  # the pages' banner says:
                                            "allow_remote_writes": settings.allow_remote_writes})
        app = create_app(self.context, settings)
        protocol = type("WebH11Protocol", (WebH11Protocol,),
                        {"header_timeout_s": settings.header_timeout_s,
                         "max_connections": settings.max_connections,
                         "max_connections_per_address": settings.max_connections_per_address})
        config = uvicorn.Config(
            app, http=protocol, lifespan="off", log_config=None, access_log=False,
            # the cap is the protocol's (above); uvicorn's stays as a bound on tasks only
            limit_concurrency=settings.max_connections + 1, backlog=settings.backlog,
            timeout_keep_alive=settings.keep_alive_s, timeout_graceful_shutdown=5,
            server_header=False, proxy_headers=False, ws="none")
        server = self._server = EmbeddedServer.bind(config, self.host, self.requested_port,
                                                    settings.backlog)
        self._bound_port = server.bound_port
        self.states = self.context.point_states = attach_publishers(
            platform, hub, self.context.config, self.publish_clock)
        await self.states.load_async(platform.store)  # read in a thread, off the loop
        self.states.start(platform.store, settings.point_states_reconcile_s)
        await server.run("web app")
        if self.announce:
            self._issue_operator_token(platform.store)
            self._announce(platform.store)

    def _issue_operator_token(self, store: Any) -> None:
        """A new local operator token for the CLI on this machine (`access.operator`): in
        the gate's memory and in ``<store>.operator.token`` (0600), replaced each start."""
        from envmon.access.operator import write_token

        try:
            token, path = write_token(store.target)
        except OSError as error:  # a read-only folder: the CLI then needs a user's token
            log.warning("cannot write the operator token next to the store: %s", error)
            return
        self.context.operator_token = token
        self._operator = (store.target, token) if path is not None else None

    def _announce(self, store: Any) -> None:
        """Write the discovery file, so CLI commands on the locked store ask this app."""
        from envmon.web import discovery

        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        try:
            if discovery.write(store.target, f"http://{host}:{self.port}") is not None:
                self._announced = store.target
        except OSError as error:  # a read-only folder: the CLI then says to use --url
            log.warning("cannot write the discovery file next to the store: %s", error)

    async def stop(self) -> None:
        if self._server is None:
            return
        if self._operator is not None:
            from envmon.access.operator import remove_token

            remove_token(*self._operator)
            self._operator = None
        if self._announced is not None:
            from envmon.web import discovery

            discovery.remove(self._announced)
            self._announced = None
        if self.states is not None:
            await self.states.stop()
        if self.context is not None:
            self.context.events.close()  # live streams end now
        try:
            await self._server.shut_down()
        finally:
            self._server = None
