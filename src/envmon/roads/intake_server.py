"""Serving the roads intake (`roads.intake_http`) with uvicorn on the caller's event loop.

`IntakeServer` binds its socket itself (so a taken port is an OSError in `start()`, not
uvicorn's `sys.exit`), runs `uvicorn.Server.serve` as a task of the running loop, and installs
no signal handlers: the process that runs the loop owns SIGINT/SIGTERM (`envmon serve`,
`envmon roads serve`) and calls `stop()`.

It guards against what the app cannot see: a connection whose request headers do not complete
within `header_timeout_s` of connecting (or of the previous answer) is closed (slowloris: the
half-sent requests cost a socket for that long, never a thread), and a request h11 cannot
parse (`Content-Length: abc`) is answered 400 with h11's reason in the intake's JSON shape.
Concurrency is bounded by `max_connections` (503 beyond), the listen backlog is
`IntakeLimits.backlog`.

`intake_access(host, tokens)` decides whether an intake may run without tokens: only on a
loopback address (said in the log), never on an address others can reach.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import Iterator
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from envmon.render import jsonout
from envmon.roads.intake_http import Intake, make_app

log = logging.getLogger("envmon.roads.intake")

__all__ = ["EmbeddedServer", "IntakeRefused", "IntakeServer", "is_loopback"]


class IntakeRefused(OSError):
    """The intake will not start as asked (no token on a reachable address)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_access(host: str, intake: Intake) -> None:
    """Open mode only on loopback: without a token, a reachable intake is refused."""
    if len(intake.tokens):
        intake.open_without_tokens = False
        return
    if not is_loopback(host):
        raise IntakeRefused(f"no roads intake token exists, so the intake would accept "
                            f"anyone's readings on {host}: make one with `envmon roads tokens "
                            "add` (while the store is not served), or listen on 127.0.0.1")
    intake.open_without_tokens = True
    log.warning("roads intake on %s without tokens: open to this machine only "
                "(`envmon roads tokens add` to require a token)", host)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for request headers and JSON 400 answers."""

    header_timeout_s = 10.0
    intake: Intake | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._last_cycle: Any = None
        self._protocol_error = ""
        next_event = self.conn.next_event

        def recording_next_event() -> Any:  # keeps h11's reason for the 400 answer
            try:
                return next_event()
            except h11.RemoteProtocolError as error:
                self._protocol_error = str(error)
                raise

        self.conn.next_event = recording_next_event  # type: ignore[method-assign]

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout_s,
                                                     self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.intake is not None:
            peer = f"{self.client[0]}" if self.client else ""
            self.intake.note_refusal("header_timeout", "request headers not complete "
                                     f"within {self.header_timeout_s:g} s", peer)
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and self.cycle is not self._last_cycle:
            self._last_cycle = self.cycle  # a new request's headers are complete
            self._disarm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_deadline()  # the next request on this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def bad_request_body(self, reason: str, field: str | None) -> dict:
        """The JSON of the 400 answer to a request h11 cannot parse (the intake's shape; the
        web app's protocol gives the API's)."""
        if self.intake is not None:
            self.intake.note_refusal("bad_http", reason)
        return {"error": f"invalid HTTP request: {reason}", "field": field}

    def send_400_response(self, msg: str) -> None:
        reason = self._protocol_error or "malformed request"
        field = "Content-Length" if "content-length" in reason.lower() else None
        body = jsonout.dumps(self.bad_request_body(reason, field), "compact").encode()
        headers = [(b"content-type", b"application/json; charset=utf-8"),
                   (b"connection", b"close")]
        try:
            for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                          h11.Data(data=body), h11.EndOfMessage()):
                self.transport.write(self.conn.send(event))
        except h11.LocalProtocolError:  # h11 will not answer in this state: just close
            pass
        self.transport.close()


class EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the loop's owner stops it.

    `EmbeddedServer.bind(config, host, port, backlog)` binds the socket itself (a taken
    port is an OSError there, not uvicorn's `sys.exit`); `run(name)` serves it as a task of
    the running loop and returns once uvicorn listens; `shut_down()` stops accepting, lets
    requests in progress finish and closes the socket. The roads intake and the web app
    are both served this way."""

    sock: socket.socket | None = None
    task: asyncio.Task | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    @property
    def bound_port(self) -> int:
        assert self.sock is not None
        return self.sock.getsockname()[1]

    @classmethod
    def bind(cls, config: uvicorn.Config, host: str, port: int, backlog: int
             ) -> EmbeddedServer:
        """A server for `config` on its own socket, bound now: a taken port is an OSError
        here, before anything else is started."""
        # uvicorn's own log lines (one per bad request) are left to errors: the apps count
        # and log refusals themselves, throttled
        for logger_name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logger = logging.getLogger(logger_name)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.ERROR)
        sock = socket.create_server((host, port), backlog=backlog)
        sock.setblocking(False)
        server = cls(config)
        server.sock = sock
        return server

    async def run(self, name: str) -> None:
        """Serve the bound socket as a task of the running loop; returns once listening."""
        assert self.sock is not None
        self.task = asyncio.get_running_loop().create_task(
            self.serve(sockets=[self.sock]), name=name)
        while not self.started:  # listening once uvicorn has made its server
            if self.task.done():
                self.task.result()  # raises what stopped it
                raise OSError(f"{name} stopped while starting")
            await asyncio.sleep(0.005)

    async def shut_down(self) -> None:
        self.should_exit = True
        try:
            if self.task is not None:
                await self.task
        finally:
            if self.sock is not None:
                self.sock.close()


class IntakeServer:
    """The intake app served on `host:port` as a task of the running event loop."""

    def __init__(self, intake: Intake, host: str = "127.0.0.1", port: int = 8712) -> None:
        self.intake, self.host, self.requested_port = intake, host, port
        self._server: EmbeddedServer | None = None
        self._bound_port: int | None = None

    @property
    def port(self) -> int:
        """The port listened on (kept after `stop()`; the requested one before `start()`)."""
        return self._bound_port if self._bound_port is not None else self.requested_port

    @property
    def running(self) -> bool:
        task = self._server.task if self._server is not None else None
        return task is not None and not task.done()

    async def start(self) -> None:
        """Listen (OSError if the port is taken, IntakeRefused without a token on a reachable
        address) and serve until `stop()`."""
        limits = self.intake.limits
        check_access(self.host, self.intake)
        protocol = type("IntakeH11Protocol", (GuardedH11Protocol,),
                        {"header_timeout_s": limits.header_timeout_s, "intake": self.intake})
        config = uvicorn.Config(
            make_app(self.intake), http=protocol, lifespan="off", log_config=None,
            access_log=False, limit_concurrency=limits.max_connections,
            backlog=limits.backlog, timeout_keep_alive=limits.keep_alive_s,  # type: ignore
            timeout_graceful_shutdown=int(limits.body_timeout_s) + 5,
            server_header=False, proxy_headers=False, ws="none")
        server = self._server = EmbeddedServer.bind(config, self.host, self.requested_port,
                                                    limits.backlog)
        self._bound_port = server.bound_port
        await server.run("roads intake")

    async def stop(self) -> None:
        """Stop accepting, let requests in progress finish, wait for imports, close."""
        if self._server is None:
            return
        try:
            await self._server.shut_down()
        finally:
            await asyncio.to_thread(self.intake.close)
            self._server = None
