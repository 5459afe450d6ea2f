"""`WebSettings`: the [web] table of the configuration (bounds of the web server), the one
place of their defaults, each with its reason. `web_settings(table)` builds them from a table
of overrides (a test's, `WebContext.settings`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from envmon.errors import OptionError

__all__ = ["WebSettings", "web_settings"]


@dataclass(frozen=True)
class WebSettings:
    """Bounds of the web server ([web] of the configuration), with why each default."""

    max_connections: int = 200
    """Open HTTP connections at once (503 beyond): a monitoring centre's screens and a few
    dozen officers' browsers, each with a live stream and a couple of requests."""
    max_connections_per_address: int = 32
    """Open HTTP connections of one client address at once (503 beyond): a browser opens at
    most six to a server, an office behind one address a few browsers; one machine sending
    headers slowly (slowloris) cannot take the others' slots."""
    max_streams: int = 100
    """Live event streams at once (`EventHub.max_subscribers`; 503 beyond): half the
    connections, so streams cannot take every connection."""
    max_streams_per_address: int = 20
    """Live streams of one client address at once (503 beyond): a screen or a browser holds
    one a page, an office behind one address a few dozen pages at most; one client looping
    over `/api/v1/events` cannot take all `max_streams`."""
    stream_queue: int = 1000
    """Events waiting for one slow stream before its oldest are dropped (a reset is sent)."""
    max_body_bytes: int = 64 * 1024
    """Request bodies (JSON notes) larger than this are refused (413)."""
    header_timeout_s: float = 10.0
    """Request headers must complete within this (as the roads intake's)."""
    keep_alive_s: int = 5
    """Idle keep-alive connections are closed after this (uvicorn's default): a browser
    reuses its connection between a page and its requests; an idle one holds a slot."""
    backlog: int = 128
    """Connections waiting to be accepted (the kernel's usual somaxconn before Linux 5.4):
    enough for a wall of screens reconnecting at once after a restart."""
    query_slots: int = 4
    """Queries (use cases) run at once in worker threads; the rest wait their turn."""
    result_cache_s: float = 5.0
    """Heavy results (the overview, the assessment) are computed once for every screen that
    asks within this many seconds (`api.cache.SharedResults`; 0 = never shared). A wall of
    screens then costs one computation, not one per screen; live pages get changes from
    the event stream at once, and any write through the API empties the cache."""
    roads_match_days: int = 31
    """`GET /api/v1/roads/rank` (and the map) map-match at most this many days whose readings
    are not matched yet, in a worker thread, as `envmon roads rank` does; more is a 409 naming
    `envmon roads match`. A month: the demo fleet's month matches in seconds, and a ranking
    is of a month."""
    max_period_days: int = 366
    """A query's period (`from`/`to`) spans at most this many days (400 naming `from`
    beyond): a year, leap year included, is the longest period a report covers (the annual
    air summary, a year of emissions); longer spans only load the two cores for minutes
    (four such requests take every query slot)."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names (besides the bound host, localhost and IP addresses) the app answers to,
    e.g. ``["envmon.bureau.lan"]`` behind a name (`web.guard`: any other Host is a 400, so a
    DNS-rebinding page reaches nothing)."""
    allow_remote_writes: bool = False
    """Accept changes (alarm acknowledge/close, marks) from other machines (`--web-allow-
    remote-writes`). Off: until users exist (issue 13) nothing says who a remote writer is,
    so only this machine may write."""
    local_only_without_users: bool | None = None
    """While no user exists (issue 13), refuse clients of other machines (401) and serve this
    machine openly (`web.gate`). None: on when `envmon serve` / `envmon demo` serve the app
    (a platform runs) unless `allow_remote_writes` opened it to the network on purpose; off
    for an app over a bare store (a viewer), which keeps the web issue's rule (remote reads
    open, remote writes only with `allow_remote_writes`)."""
    point_states_reconcile_s: float = 60.0
    """The live point states are recomputed from the store this often (`web.publish`:
    exemptions starting or ending, flag F change on a scale of hours; connections and alarms
    change them at once)."""

    def __post_init__(self) -> None:
        for name in ("max_connections", "max_connections_per_address", "max_streams",
                     "max_streams_per_address", "stream_queue", "max_body_bytes",
                     "keep_alive_s", "backlog", "query_slots", "roads_match_days",
                     "max_period_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(f"[web] {name}", f"must be a whole number of 1 or more, "
                                                   f"not {value!r}")
        if isinstance(self.allowed_hosts, str) or not all(
                isinstance(name, str) and name.strip() for name in self.allowed_hosts):
            raise OptionError("[web] allowed_hosts", "must be a list of host names, not "
                                                     f"{self.allowed_hosts!r}")
        if not isinstance(self.allow_remote_writes, bool):
            raise OptionError("[web] allow_remote_writes", "must be true or false")
        if self.local_only_without_users not in (None, True, False):
            raise OptionError("[web] local_only_without_users", "must be true or false")
        if not self.point_states_reconcile_s > 0:
            raise OptionError("[web] point_states_reconcile_s", "must be more than 0 seconds")
        if not self.header_timeout_s > 0:
            raise OptionError("[web] header_timeout_s", "must be more than 0 seconds")
        if isinstance(self.result_cache_s, bool) or not self.result_cache_s >= 0:
            raise OptionError("[web] result_cache_s", "must be 0 or more seconds, not "
                                                      f"{self.result_cache_s!r}")


def web_settings(base: WebSettings | None, overrides: dict[str, Any] | None = None
                 ) -> WebSettings:
    """`base` (None: the defaults) with the fields of `overrides` set (other keys, e.g.
    ``tile_url``, are the pages' and ignored here)."""
    base = base if isinstance(base, WebSettings) else WebSettings()
    names = {f.name for f in dataclasses.fields(WebSettings)}
    changes = {k: v for k, v in (overrides or {}).items() if k in names}
    return dataclasses.replace(base, **changes) if changes else base
