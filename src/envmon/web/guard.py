"""`RequestGuard`: who may reach the app, and who may write through it (ASGI middleware).

Until users exist (issue 13) a write (acknowledge or close an alarm, add or revoke an
exemption or a correction) is trusted to whoever can send it; so the app makes sure that is a
person on this machine, or on the network only when the operator said so:

* **Host** (every request): the ``Host`` header must name this server: the bound host,
  ``localhost``, an IP address literal (a browser sends the name it was given, so a literal is
  never a DNS-rebinding name), the machine's own name, or a name of ``[web] allowed_hosts``.
  Otherwise 400 naming ``Host``: a page of another site whose name was made to resolve to
  this machine (DNS rebinding) reads and writes nothing.
* **Writes** (every method but GET and HEAD):
  - from a client that is not loopback: 403, unless the app was started with
    ``--web-allow-remote-writes`` (``[web] allow_remote_writes``) or users exist (then
    `web.gate` has authenticated the writer and checked its role);
  - ``Sec-Fetch-Site`` other than ``same-origin`` or ``none``, or an ``Origin`` that is not
    this server's own (scheme, host and port of the request): 403 (a cross-site form or
    script in the operator's browser);
  - a body type other than ``application/json``: 415 naming ``Content-Type`` (a form or
    ``text/plain`` is what a cross-site page can send without asking; JSON needs a CORS
    preflight, which this app never grants). The one exception is ``multipart/form-data`` on
    an upload route named in ``multipart_paths`` (a data mark's proof file), which the Origin
    and Sec-Fetch-Site checks above still guard and `web.app.BodyLimit` bounds.
  A client that is not a browser (the CLI's ``--url``) sends no Origin and JSON: allowed.
* **NUL** (every request): a NUL character (``%00``) in the path or a query parameter: 400
  naming the parameter. No field of envmon holds one, and PostgreSQL's text cannot (the query
  would fail on that engine instead of finding nothing).

Refusals are the API's error shape ``{"error": {"field", "reason"}}``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from envmon.web.api.usecase import error_response

__all__ = ["RequestGuard", "is_loopback_client", "own_host_names"]

SAFE_METHODS = frozenset({"GET", "HEAD"})
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


def is_loopback_client(host: str | None) -> bool:
    """Whether a peer address is this machine (IPv4-mapped IPv6 too)."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def own_host_names(bound_host: str | None, allowed: Iterable[str] = ()) -> frozenset[str]:
    """The Host names this server answers to (lower case, without port or brackets)."""
    names = set(LOCAL_NAMES) | {name.strip().lower().strip("[]") for name in allowed}
    bound = (bound_host or "").strip().lower().strip("[]")
    if bound not in WILDCARDS:
        names.add(bound)
    else:  # every address of the machine: its own names too
        for name in (socket.gethostname(), socket.getfqdn()):
            names.add(name.lower())
    names.discard("")
    return frozenset(names)


def _nul_field(scope: dict) -> str | None:
    """The query parameter (or "path") that holds a NUL character, None when none does."""
    if "\x00" in scope.get("path", ""):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" not in query and "\x00" not in query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return None


def _split_host(value: str) -> tuple[str, int | None]:
    """``"[::1]:8000"`` → ("::1", 8000); ``"Example.org"`` → ("example.org", None)."""
    try:
        parts = urlsplit("//" + value.strip())
        return (parts.hostname or "").lower(), parts.port
    except ValueError:  # a port that is not a number: not a host of ours
        return "", None


class RequestGuard:
    """The rules of the module docstring, in front of the whole app."""

    def __init__(self, app: Any, bound_host: str | None = None,
                 allowed_hosts: Iterable[str] = (), allow_remote_writes: bool = False,
                 multipart_paths: Iterable[Any] = (),
                 users_exist: Callable[[], bool] | None = None) -> None:
        self.app = app
        self.multipart_paths = tuple(multipart_paths)  # compiled patterns: upload routes
        self.users_exist = users_exist  # once users exist, `web.gate` says who writes
        self.names = own_host_names(bound_host, allowed_hosts)
        self.allow_remote_writes = allow_remote_writes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {name.decode("latin-1").lower(): value.decode("latin-1")
                   for name, value in scope.get("headers", ())}
        refusal = self.refusal(scope, headers)
        if refusal is not None:
            status, field, reason = refusal
            return await error_response(status, field, reason)(scope, receive, send)
        await self.app(scope, receive, send)

    def refusal(self, scope: dict, headers: dict[str, str]) -> tuple[int, str | None, str] | None:
        """(status, field, reason) of a refused request, None when it may pass."""
        host, port = _split_host(headers.get("host", ""))
        if not host or not (host in self.names or _is_ip_literal(host)):
            return (400, "Host", f"this server does not answer to the host name "
                    f"{headers.get('host', '')!r}; add it to [web] allowed_hosts if it is "
                    "this server's name")
        nul = _nul_field(scope)
        if nul is not None:
            return (400, nul, "contains a NUL character (%00), which no field accepts")
        if scope.get("method", "GET") in SAFE_METHODS:
            return None
        client = (scope.get("client") or (None,))[0]
        if (not self.allow_remote_writes and not is_loopback_client(client)
                and not (self.users_exist is not None and self.users_exist())):
            return (403, None, "changes are accepted from this machine only until users "
                    "exist; the server was not started with --web-allow-remote-writes")
        site = headers.get("sec-fetch-site")
        if site is not None and site.lower() not in ALLOWED_FETCH_SITES:
            return (403, "Sec-Fetch-Site", f"a change sent from another site ({site}) is "
                    "refused")
        origin = headers.get("origin")
        if origin is not None and not self._same_origin(origin, scope, host, port):
            return (403, "Origin", f"a change sent from {origin!r} is refused: only pages "
                    "of this server may send one")
        media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type == "multipart/form-data" and any(
                p.match(scope.get("path", "")) for p in self.multipart_paths):
            return None  # an upload route (e.g. a mark's proof), bounded by BodyLimit
        if media_type != "application/json":
            return (415, "Content-Type", "changes are JSON: send Content-Type: "
                    f"application/json, not {media_type or 'none'!r}")
        return None

    @staticmethod
    def _same_origin(origin: str, scope: dict, host: str, port: int | None) -> bool:
        scheme = scope.get("scheme", "http")
        default = 443 if scheme == "https" else 80
        try:
            parts = urlsplit(origin.strip())
            origin_port = parts.port
        except ValueError:
            return False
        return (parts.scheme.lower() == scheme and (parts.hostname or "").lower() == host
                and (origin_port or default) == (port or default))
