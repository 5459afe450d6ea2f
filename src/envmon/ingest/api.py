"""Use cases of the ingest domain (the CLI's `envmon replay`; the web app calls the same).

`guard_report(store, options) -> GuardReport`: the receiver's lockouts and the MNs' usual
addresses (`envmon receiver lockouts`), lifting a lockout when asked.

`raw_packets(store, period, options) -> RawPackets`: the raw packet log of one point with the
verdicts, passwords masked (the web's `GET /api/v1/data/raw`).

`replay(source, period, options) -> ReplayResult`: the raw packet log of a period, re-judged
into another store or re-sent to a receiver over TCP. The door parses its options into a
`Period` (`replay_period`: `--from`/`--to`, each optional) and a `ReplayOptions`, calls, and
renders the result. Running the receiver itself is not a use case: `envmon.app.Platform`.

A new ingest query or action goes here as `(store, period, options) -> result dataclass`,
its options validated in the options dataclass (`OptionError` names the option).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from envmon.errors import OptionError
from envmon.ingest.addresses import check_port
from envmon.ingest.loop import run_loop
from envmon.ingest.replay import ReplayResult, replay_into, replay_tcp
from envmon.period import Period
from envmon.store import Store, StoreError, open_store
from envmon.timeutil import BEIJING_FIXED

__all__ = ["LOG_END", "LOG_START", "GuardReport", "LockoutOptions", "RawPackets",
           "LiveConnections", "RawPacketsOptions", "ReplayOptions", "ReplayResult",
           "guard_report", "live_connections",
           "mask_password", "raw_packets", "replay", "replay_period"]

# The side of a replay period that was not given reaches past anything a raw log holds.
LOG_START = datetime(1970, 1, 1, tzinfo=BEIJING_FIXED)
LOG_END = datetime(9999, 1, 1, tzinfo=BEIJING_FIXED)


@dataclass(frozen=True)
class ReplayOptions:
    """Where the packets go: re-decoded `into` another store, or re-sent to `host`:`port`."""

    into: Path | None = None
    host: str | None = None
    port: int = 6000

    def __post_init__(self) -> None:
        if (self.into is None) == (self.host is None):
            raise OptionError("--into", "give exactly one of --into PATH or --host HOST")
        check_port(self.port, "--port")


def replay_period(start: str | datetime | None, end: str | datetime | None) -> Period:
    """`--from` (inclusive) and `--to` (exclusive), each optional: an open side reaches the
    first or last packet of the log. ISO times, Beijing time without an offset; the future
    is allowed (a replay of "from now on" simply finds nothing yet)."""
    return Period.parse(start or LOG_START, end or LOG_END, allow_future=True)


def replay(source: Store, period: Period, options: ReplayOptions) -> ReplayResult:
    """Replay the raw packets received in `period` from `source`.

    Into a store: each frame re-judged by the receiver's session and accept path against the
    target's registry, with its original received time (counts accepted/rejected/
    discarded). Over TCP: the accepted packets re-sent one at a time, each waiting for its
    9014 (counts sent/answered/unanswered). Runs its own event loop for TCP: an async door
    calls `ingest.replay.replay_tcp` instead.
    """
    start, end = period.start, period.end
    if options.into is not None:
        try:
            target = open_store(options.into)
        except StoreError as error:
            raise OptionError("--into", str(error)) from None
        with target:
            counts = replay_into(source, target, start, end)
    else:
        assert options.host is not None
        try:
            counts = run_loop(replay_tcp(source.iter_raw_packets(start, end), options.host,
                                         options.port))
        except OSError as error:  # refused, unknown host, reset while sending
            raise OptionError("--host/--port", f"cannot replay to {options.host}:"
                              f"{options.port}: {error.strerror or error}") from None
    return ReplayResult(dict(counts))


@dataclass(frozen=True)
class LockoutOptions:
    """`envmon receiver lockouts`: which MN's usual addresses to list, what to lift."""

    mn: str | None = None
    unlock: str | None = None  # an address
    unlock_mn: str | None = None  # an MN locked for new addresses
    by: str = "cli"

    def __post_init__(self) -> None:
        if self.unlock is not None:
            import ipaddress

            try:
                ipaddress.ip_address(self.unlock)
            except ValueError:
                raise OptionError("--unlock", f"{self.unlock!r} is not an IP address") from None
        if not str(self.by).strip():
            raise OptionError("--by", "say who lifts the lockout")

    @property
    def lifts(self) -> bool:
        return self.unlock is not None or self.unlock_mn is not None


@dataclass(frozen=True)
class GuardReport:
    """Lockouts in force, the usual addresses of the MNs, and the lockouts just lifted."""

    lockouts: tuple
    usual_addresses: tuple
    lifted: tuple = ()

    default_stem = "lockouts"

    @staticmethod
    def _lock(lock) -> dict:
        return {"address": lock.address, "mn": lock.mn or None, "locked_at": lock.locked_at,
                "until": lock.until, "failures": lock.failures}

    def as_json(self) -> dict:
        """lockouts and lifted: address ("*" = every new address of the MN), mn, locked_at,
        until, failures; usual_addresses: mn, address, first_seen, last_seen."""
        return {
            "lockouts": [self._lock(lock) for lock in self.lockouts],
            "usual_addresses": [{"mn": mn, "address": address, "first_seen": first,
                                 "last_seen": last}
                                for mn, address, first, last in self.usual_addresses],
            "lifted": [self._lock(lock) for lock in self.lifted],
        }

    def as_table(self):
        """One row per lockout (in force or just lifted) and per usual address."""
        from envmon.render import Column, Table

        rows = [("锁定", lock.address, lock.mn or "-", lock.locked_at, lock.until,
                 lock.failures) for lock in self.lockouts]
        rows += [("已解除", lock.address, lock.mn or "-", lock.locked_at, lock.until,
                  lock.failures) for lock in self.lifted]
        rows += [("常用地址", address, mn, first, last, None)
                 for mn, address, first, last in self.usual_addresses]
        return Table("接收锁定", [Column("kind", "类型", whole=True),
                                  Column("address", "地址", whole=True),
                                  Column("mn", "MN", whole=True), Column("since", "自"),
                                  Column("until", "至"), Column("failures", "密码错误次数")],
                     rows)


def guard_report(store: Store, options: LockoutOptions | None = None) -> GuardReport:
    """Lift what `options` asks (a running receiver picks it up on its registry refresh),
    then list the lockouts in force and the usual addresses."""
    from envmon.ingest import guard_store

    options = options or LockoutOptions()
    lifted: list = []
    if options.unlock is not None:
        lifted += guard_store.lift_lockouts(store, address=options.unlock, by=options.by)
    if options.unlock_mn is not None:
        lifted += guard_store.lift_lockouts(store, mn=options.unlock_mn, by=options.by)
    return GuardReport(tuple(guard_store.active_lockouts(store)),
                       tuple(guard_store.usual_addresses(store, options.mn)), tuple(lifted))


# --------------------------------------------------------------------------- raw packet log
MAX_RAW_PACKETS = 50_000
"""The most raw packets one answer lists: a month of minute packets of one point is 44 640;
a wider period is asked for in pieces (the error names --from)."""
_PASSWORD = re.compile(r"(PW=)[^;&]*")


def mask_password(text: str) -> str:
    """The raw text with the PW=… value hidden: the log keeps it, a reader never sees it."""
    return _PASSWORD.sub(r"\1******", text)


@dataclass(frozen=True)
class RawPacketsOptions:
    mn: str
    verdict: str | None = None
    """accepted, rejected or discarded; None: all."""
    newest_first: bool = False
    """The newest packet first (the 点位 page's latest packets); else in order received."""

    def __post_init__(self) -> None:
        from envmon.store.models import VERDICTS

        if not str(self.mn).strip():
            raise OptionError("--mn", "give the MN of a monitoring point")
        if self.verdict is not None and self.verdict not in VERDICTS:
            raise OptionError("--verdict", f"{self.verdict!r} is not a verdict; choose one "
                              f"of {', '.join(VERDICTS)}")


RAW_COLUMNS = (("id", "编号"), ("received_at", "接收时间"), ("peer", "来源地址"),
               ("verdict", "判定"), ("reason", "原因"), ("mn", "MN"), ("cn", "命令编码"),
               ("qn", "请求编号"), ("raw", "报文"))


@dataclass(frozen=True)
class RawPackets:
    """The packets received from one point in a period, in order, with their verdicts and
    reasons; the raw text with its password masked."""

    mn: str
    period: Period
    packets: tuple[dict[str, Any], ...]
    total: int | None = None
    """Packets in the period when `packets` is one page of them (`offset`/`limit`)."""

    json_layout = "array_lines"

    def as_json(self) -> list[dict[str, Any]]:
        return [dict(p) for p in self.packets]

    def as_table(self):
        from envmon.render import Column, Table

        return Table(f"{self.mn} {self.period.describe()} 原始报文",
                     [Column(k, label) for k, label in RAW_COLUMNS],
                     [tuple(p[k] for k, _ in RAW_COLUMNS) for p in self.packets])

    @property
    def default_stem(self) -> str:
        return f"raw-{self.mn}"


def raw_packets(store: Store, period: Period, options: RawPacketsOptions, *, offset: int = 0,
                limit: int | None = None) -> RawPackets:
    """The raw packet log of one point received in `period` (received_at), verdicts and all.
    `offset`/`limit`: one page of them, read as such (the API's paging, the 点位 page's
    latest), with the `total`; without them at most `MAX_RAW_PACKETS` (more: ask for a
    shorter period)."""
    from envmon.registry.api import require_known_mn

    where, params = ["mn = ?", "received_at >= ?", "received_at < ?"], [
        options.mn, period.start, period.end]
    if options.verdict is not None:
        where.append("verdict = ?")
        params.append(options.verdict)
    order = "id DESC" if options.newest_first else "id"
    paged = limit is not None or offset
    page = (f"LIMIT {int(limit if limit is not None else MAX_RAW_PACKETS)} "
            f"OFFSET {int(offset)}" if paged else f"LIMIT {MAX_RAW_PACKETS + 1}")
    rows = store.query(
        "SELECT id, received_at, peer, verdict, reason, mn, cn, qn, raw FROM raw_packets "
        f"WHERE {' AND '.join(where)} ORDER BY {order} {page}", params)
    total = None
    if paged:
        [(total,)] = store.query(
            f"SELECT COUNT(*) FROM raw_packets WHERE {' AND '.join(where)}", params)
    elif len(rows) > MAX_RAW_PACKETS:
        raise OptionError("--from", f"more than {MAX_RAW_PACKETS} packets in "
                          f"{period.describe()}; ask for a shorter period")
    if not rows and not store.query("SELECT 1 FROM raw_packets WHERE mn = ? LIMIT 1",
                                    [options.mn]):
        require_known_mn(store, options.mn)
    packets = tuple({
        "id": id_, "received_at": received_at.astimezone(BEIJING_FIXED).isoformat(),
        "peer": peer, "verdict": verdict, "reason": reason, "mn": mn, "cn": cn, "qn": qn,
        "raw": mask_password(bytes(raw).decode("utf-8", errors="replace").rstrip("\r\n")),
    } for id_, received_at, peer, verdict, reason, mn, cn, qn, raw in rows)
    return RawPackets(options.mn, period, packets, total)


# ------------------------------------------------------------------------ live connections
@dataclass(frozen=True)
class LiveConnections:
    """The MNs the running receiver holds a connection for: address, since when the
    connection is open, packets accepted on it (the connection's, shared by its MNs)."""

    connections: tuple[dict[str, Any], ...]

    default_stem = "connections"

    def as_json(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self.connections]

    def as_table(self):
        from envmon.render import Column, Table

        columns = (("mn", "MN"), ("address", "地址"), ("since", "连接时间"),
                   ("packets", "报文数"), ("trusted", "常用地址"))
        return Table("在线连接", [Column(k, label) for k, label in columns],
                     [tuple(c[k] for k, _ in columns) for c in self.connections])


def live_connections(receiver: Any) -> LiveConnections:
    """What `receiver` (an `envmon.ingest.server.Receiver`) holds now, by MN. Call it on the
    receiver's event loop (it reads the live connection set)."""
    online = getattr(receiver, "online", None)
    if online is None:  # a pool of receiver processes: each holds its own connections
        raise LookupError("the receiver runs in worker processes (--workers); their live "
                          "connections are not visible here")
    rows = []
    for mn, protocol in sorted(online.items()):
        transport = protocol.transport
        if transport is None or transport.is_closing():
            continue
        since = protocol.connected_at
        rows.append({"mn": mn, "address": protocol.peer,
                     "since": since.astimezone(BEIJING_FIXED).isoformat() if since else None,
                     "packets": protocol.packets,
                     "trusted": protocol.trusted_for.get(mn, True)})
    return LiveConnections(tuple(rows))
