"""The HJ 212 receiver: asyncio TCP, one `hj212.Session` per connection.

The server is thin on purpose: bytes go into the session, events come out, packets are
judged by the one accept path (`ingest.accept`) against the registry cache and handed to the
group-commit writer; the replies the session builds (9014, 9013 + 1012) leave only after the
commit that holds the packet has returned.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from envmon.hj212 import codec
from envmon.hj212.codes import DATA_UPLOAD_CNS
from envmon.hj212.events import Discarded, PacketReceived
from envmon.hj212.session import Session
from envmon.ingest.accept import (
    Accepted,
    DataTimeWindow,
    Rejected,
    accept,
    crc_modes_for,
)
from envmon.ingest.records import records_from_packet
from envmon.ingest.writer import GroupCommitWriter
from envmon.store import PointAuth, RawPacketRow, Store
from envmon.timeutil import now_beijing

log = logging.getLogger("envmon.ingest")

MAX_DISCARD_LOGGED = 65_536  # bytes of garbage kept per raw-log row


@dataclass
class ReceiverLimits:
    """Bounds that keep one bad peer from hurting the others."""

    idle_timeout_s: float = 600.0
    max_segment: int = 9999  # HJ 212 LLLL can express 0…9999 (hj212.md §1)
    max_buffer_bytes: int = 64 * 1024  # unframed bytes held per connection
    max_inflight: int = 256  # packets per connection waiting for their commit
    max_garbage_bytes: int = 1 << 20  # discarded bytes before the connection is closed
    max_connections: int = 20_000
    commit_interval_s: float = 0.005
    max_batch: int = 20_000
    directory_refresh_s: float = 60.0
    stats_interval_s: float = 60.0
    # DataTime accepted only within this window around receipt (ingest.accept). `envmon serve`
    # sets it from [ingest] (default 40 days before / 10 minutes after); None here, so that a
    # receiver built in code with its wall clock still takes data of fixed dates (tests, sims).
    data_time_window: DataTimeWindow | None = None


@dataclass
class ReceiverStats:
    connections: int = 0
    connections_total: int = 0
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)
    discarded_bytes: int = 0
    answers: int = 0
    closed_idle: int = 0
    closed_abuse: int = 0

    def as_dict(self) -> dict:
        return {
            "connections": self.connections,
            "connections_total": self.connections_total,
            "accepted": self.accepted,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(self.rejected),
            "discarded_bytes": self.discarded_bytes,
            "answers": self.answers,
            "closed_idle": self.closed_idle,
            "closed_abuse": self.closed_abuse,
        }


def _run_hooks(hooks: list, *args) -> None:
    """Extension hooks must never break receiving or answering."""
    for hook in hooks:
        try:
            hook(*args)
        except Exception:
            log.exception("hook %r failed", hook)


class Hj212Protocol(asyncio.Protocol):
    def __init__(self, receiver: Receiver):
        self.receiver = receiver
        self.session = Session(
            crc_modes_for=receiver.crc_modes_for, max_segment=receiver.limits.max_segment
        )
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.last_activity = time.monotonic()
        self.inflight = 0
        self.paused = False  # too many packets waiting for their commit
        self.write_blocked = False  # the unit does not read its answers (pause_writing)
        self.reading_paused = False
        self.eof = False  # the unit half-closed: answer what it sent, then close
        self.garbage = 0
        self.rejections_logged = 0
        self.mn: str | None = None  # the point this connection speaks for, once accepted

    # -- asyncio callbacks -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peername = transport.get_extra_info("peername")
        self.peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        if not self.receiver.register(self):
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._handle(self.session.close())
        self.receiver.unregister(self)
        self.transport = None

    def pause_writing(self) -> None:
        """The answers pile up unread in the transport's buffer: stop reading this unit
        until it reads them (its sends then block in TCP), so its buffer stays bounded."""
        self.write_blocked = True
        self._reading()

    def resume_writing(self) -> None:
        self.write_blocked = False
        self._reading()

    def _reading(self) -> None:
        """Read while neither the commits nor the unit's own reading hold us back."""
        transport = self.transport
        hold = self.paused or self.write_blocked
        if transport is None or transport.is_closing() or hold == self.reading_paused:
            return
        self.reading_paused = hold
        if hold:
            transport.pause_reading()
        else:
            transport.resume_reading()

    def eof_received(self) -> bool:
        """The unit has finished sending (a half-close): keep the connection open for the
        answers still owed (they leave after their commit), then close it. Closing at once
        would store its packets unanswered, and a unit re-sends what was not answered."""
        self.eof = True
        return self.inflight > 0

    def data_received(self, data: bytes) -> None:
        self.last_activity = time.monotonic()
        self._handle(self.session.receive(data))
        if self.session.pending > self.receiver.limits.max_buffer_bytes:
            self._abuse(f"more than {self.receiver.limits.max_buffer_bytes} bytes unframed")

    # -- events ------------------------------------------------------------------------
    def _handle(self, events: list) -> None:
        for event in events:
            if type(event) is PacketReceived:
                self._packet(event.packet)
            elif type(event) is Discarded:
                self._discarded(event)
            else:  # request answers (9011/9012), split-packet completion
                _run_hooks(self.receiver.on_session_event, self, event)

    def send(self, frame: bytes) -> bool:
        """Send a platform packet (e.g. a 补遗 request) to this unit; False if closed."""
        if self.transport is None or self.transport.is_closing():
            return False
        self.transport.write(frame)
        return True

    def _packet(self, packet: codec.Packet) -> None:
        receiver = self.receiver
        received_at = receiver.clock()
        verdict = receiver.accept(packet, received_at)
        if type(verdict) is Rejected:
            receiver.stats.rejected[verdict.field] += 1
            self._log_rejection(verdict.message, packet)
            receiver.writer.submit(RawPacketRow(
                received_at, self.peer, "rejected", verdict.message, packet.mn, packet.cn,
                packet.qn, packet.raw,
            ))
            return
        records = (records_from_packet(packet, received_at, verdict.point.ranges)
                   if packet.cn in DATA_UPLOAD_CNS else None)
        raw = RawPacketRow(
            received_at, self.peer, "accepted", None, packet.mn, packet.cn, packet.qn,
            packet.raw,
        )
        receiver.stats.accepted += 1
        if self.mn != packet.mn:
            self.mn = packet.mn
            receiver.point_online(packet.mn, self)
        answer = self.session.reply(packet, received_at)
        self.inflight += 1
        if self.inflight >= receiver.limits.max_inflight and not self.paused:
            self.paused = True
            self._reading()
        receiver.writer.submit(raw, records, lambda: self._committed(answer, packet, records))

    def _committed(self, answer: bytes | None, packet: codec.Packet, records) -> None:
        """Runs after the commit that holds the packet: now it may be answered."""
        self.inflight -= 1
        if self.receiver.after_commit:
            _run_hooks(self.receiver.after_commit, packet, records)
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if answer is not None:
            transport.write(answer)
            self.receiver.stats.answers += 1
        if self.eof:
            if self.inflight == 0:
                transport.close()  # after the answers written above have been flushed
            return
        if self.paused and self.inflight <= self.receiver.limits.max_inflight // 2:
            self.paused = False
            self._reading()

    def _discarded(self, event: Discarded) -> None:
        stats = self.receiver.stats
        stats.discarded_bytes += len(event.data)
        self.garbage += len(event.data)
        self.receiver.writer.submit(
            RawPacketRow(
                received_at=self.receiver.clock(),
                peer=self.peer,
                verdict="discarded",
                reason=event.reason,
                mn=None,
                cn=None,
                qn=None,
                raw=event.data[:MAX_DISCARD_LOGGED],
            )
        )
        if self.garbage > self.receiver.limits.max_garbage_bytes:
            self._abuse(f"more than {self.receiver.limits.max_garbage_bytes} bytes of garbage")

    def _log_rejection(self, reason: str, packet: codec.Packet) -> None:
        # Every rejection is in the raw log; the text log is throttled per connection.
        self.rejections_logged += 1
        n = self.rejections_logged
        if n <= 10 or n % 1000 == 0:
            log.warning(
                "rejected packet from %s (MN=%s CN=%s): %s%s",
                self.peer, packet.mn, packet.cn, reason,
                f" [{n} from this connection]" if n > 10 else "",
            )

    def _abuse(self, why: str) -> None:
        log.warning("closing %s: %s", self.peer, why)
        self.receiver.stats.closed_abuse += 1
        if self.transport is not None:
            self.transport.close()


class Receiver:
    """Owns the listening socket, the registry cache, the writer and the connections."""

    def __init__(
        self, store: Store | None, host: str = "0.0.0.0", port: int = 6000,
        limits: ReceiverLimits | None = None, *, writer=None, reuse_port: bool = False,
        clock: Callable[[], datetime] = now_beijing,
    ):
        """`store` None with a `writer`: a worker process whose writer forwards to the
        process that owns the store, and whose registry cache that process pushes.
        `clock` stamps received_at (a simulated clock in tests of timing rules)."""
        self.store = store
        self.clock = clock
        self.host = host
        self.requested_port = port
        self.reuse_port = reuse_port
        self.limits = limits or ReceiverLimits()
        self.stats = ReceiverStats()
        self.writer = writer or GroupCommitWriter(
            store, interval_s=self.limits.commit_interval_s, max_batch=self.limits.max_batch
        )
        self.points: dict[str, PointAuth] = {}
        self.connections: set[Hj212Protocol] = set()
        self.online: dict[str, Hj212Protocol] = {}  # MN -> its latest live connection
        # Extension points for other domains (back-fill, alarms); each runs on the loop.
        self.on_point_online: list[Callable[[str, Hj212Protocol], None]] = []
        self.on_session_event: list[Callable[[Hj212Protocol, object], None]] = []
        self.after_commit: list[Callable[[codec.Packet, list | None], None]] = []
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task] = []
        self._stopped = asyncio.Event()

    # -- registry ----------------------------------------------------------------------
    def crc_modes_for(self, mn: str | None) -> tuple[str, ...]:
        return crc_modes_for(self.points, mn)

    def accept(self, packet: codec.Packet,
               received_at: datetime | None = None) -> Accepted | Rejected:
        """The one accept path (`ingest.accept`) against this receiver's registry cache; with
        `received_at`, DataTime is judged against `limits.data_time_window` too."""
        return accept(packet, self.points, received_at=received_at,
                      window=self.limits.data_time_window)

    async def refresh_points(self) -> None:
        if self.store is not None:
            self.points = await self.writer.run_in_writer(self.store.load_point_auth)

    # -- connections -------------------------------------------------------------------
    def register(self, protocol: Hj212Protocol) -> bool:
        if len(self.connections) >= self.limits.max_connections:
            log.warning("refusing %s: %d connections open", protocol.peer, len(self.connections))
            return False
        self.connections.add(protocol)
        self.stats.connections = len(self.connections)
        self.stats.connections_total += 1
        return True

    def unregister(self, protocol: Hj212Protocol) -> None:
        self.connections.discard(protocol)
        self.stats.connections = len(self.connections)
        if protocol.mn is not None and self.online.get(protocol.mn) is protocol:
            del self.online[protocol.mn]

    def point_online(self, mn: str, protocol: Hj212Protocol) -> None:
        """First accepted packet of an MN on a connection: the point is (re)connected."""
        self.online[mn] = protocol
        _run_hooks(self.on_point_online, mn, protocol)

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            return self.requested_port
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        await self.prepare()
        await self.listen()

    async def prepare(self) -> None:
        """Writer and registry cache up, not yet listening: attach and start whatever must
        see every packet (alarms) between `prepare()` and `listen()`."""
        # Each packet allocates a few dicts and tuples and none of them form cycles; the
        # default GC thresholds would run a collection every few packets under load.
        gc.freeze()
        gc.set_threshold(50_000, 50, 100)
        self.writer.start()
        if self.store is not None:
            await self.writer.run_in_writer(self.store.tune_for_ingest)
        await self.refresh_points()

    async def listen(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Hj212Protocol(self), self.host, self.requested_port,
            backlog=4096, reuse_address=True, reuse_port=self.reuse_port or None,
        )
        self._tasks = [
            loop.create_task(self._sweep_idle(), name="idle-sweeper"),
            loop.create_task(self._refresh_loop(), name="registry-refresh"),
            loop.create_task(self._stats_loop(), name="stats"),
        ]
        log.info(
            "HJ 212 receiver listening on %s:%d (%d registered points)",
            self.host, self.port, len(self.points),
        )

    async def stop(self) -> None:
        """Stop accepting, commit everything received, answer it, then close the writer.

        Also after `prepare()` alone (`listen()` failed): the writer it started is closed.
        A second call does nothing.
        """
        if self._stopped.is_set():
            return
        self._stopped.set()
        try:
            if self._server is not None:
                self._server.close()
            for protocol in list(self.connections):
                if protocol.transport is not None and not protocol.transport.is_closing():
                    protocol.transport.pause_reading()
            await self.writer.drain()
            for protocol in list(self.connections):
                if protocol.transport is not None:
                    protocol.transport.close()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            await self.writer.close()
            self._server = None
        log.info("receiver stopped: %s", self.stats.as_dict())

    async def _sweep_idle(self) -> None:
        timeout = self.limits.idle_timeout_s
        while True:
            await asyncio.sleep(min(timeout / 4, 5.0))
            cutoff = time.monotonic() - timeout
            for protocol in list(self.connections):
                if protocol.last_activity < cutoff and protocol.inflight == 0:
                    self.stats.closed_idle += 1
                    if protocol.transport is not None:
                        protocol.transport.close()

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.limits.directory_refresh_s)
            try:
                await self.refresh_points()
            except Exception:
                log.exception("registry refresh failed; keeping the previous one")

    async def _stats_loop(self) -> None:
        while True:
            await asyncio.sleep(self.limits.stats_interval_s)
            log.info("receiver: %s", self.stats.as_dict())




def stop_signal() -> asyncio.Event:
    """An event set on SIGINT or SIGTERM. Install it before listening, so that a signal
    arriving during start-up drains too instead of killing the process."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop

