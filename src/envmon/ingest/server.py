"""The HJ 212 receiver: asyncio TCP, one `hj212.Session` per connection.

The server is thin on purpose: bytes go into the session, events come out, packets are
judged by the one accept path (`ingest.accept`) against the registry cache and handed to the
group-commit writer; the replies the session builds (9014, 9013 + 1012) leave only after the
commit that holds the packet has returned.

Whom to believe for an MN (wrong-password back-off and lockouts, allow-lists, one live
connection per MN) is the guard's (`ingest.guard`): the protocol asks it around the accept
path and holds the connection while it backs off.

Who may connect and how much each address may send is decided by `ingest.admission`
(connection caps, rate budgets, the quarantine of garbage and rejected packets); a
connection holds its decoded events in `backlog` while a bound (in-flight commits, unread
answers, a rate budget) says it may take no more, so every bound holds per packet.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from envmon.hj212 import codec
from envmon.hj212.events import Discarded, PacketReceived
from envmon.hj212.session import Session
from envmon.ingest.accept import (
    NOT_ENCRYPTED,
    Accepted,
    DataTimeWindow,
    Reason,
    Rejected,
    accept,
    crc_modes_for,
    unencrypted_note,
)
from envmon.ingest.admission import (
    FD_ERRNOS,
    AddressState,
    Admission,
    AdmissionSettings,
    AdmissionStats,
    reason_key,
)
from envmon.ingest.guard import Guard, GuardSettings
from envmon.ingest.keystore import KeyCache, KeyStoreError, pending_rotations, store_keys
from envmon.ingest.records import STORED_UPLOAD_CNS, records_from_packet
from envmon.ingest.rotation import KeyRotation
from envmon.ingest.writer import GroupCommitWriter
from envmon.store import PointAuth, RawPacketRow, Store
from envmon.timeutil import now_beijing

log = logging.getLogger("envmon.ingest")


@dataclass
class ReceiverLimits:
    """Bounds that keep one bad peer from hurting the others."""

    idle_timeout_s: float = 600.0
    max_segment: int = 9999  # HJ 212 LLLL can express 0…9999 (hj212.md §1)
    max_buffer_bytes: int = 64 * 1024  # unframed bytes held per connection
    max_inflight: int = 256  # packets per connection waiting for their commit
    max_garbage_bytes: int = 1 << 20  # discarded bytes before the connection is closed
    max_connections: int = 20_000  # lowered at start-up to what the open-file limit allows
    commit_interval_s: float = 0.005
    max_batch: int = 20_000
    # A full disk: each group is tried 3 times (back-off doubling from 0.1 s up to 1 s), and
    # after 10 dropped groups in a row (about half a minute of failing under load) the
    # receiver stops so that a supervisor restarts it.
    commit_attempts: int = 3
    max_failed_commits: int = 10
    directory_refresh_s: float = 60.0
    stats_interval_s: float = 60.0
    guard: GuardSettings = field(default_factory=GuardSettings)  # the [guard] section
    # DataTime accepted only within this window around receipt (ingest.accept). `envmon serve`
    # sets it from [ingest] (default 40 days before / 10 minutes after); None here, so that a
    # receiver built in code with its wall clock still takes data of fixed dates (tests, sims).
    data_time_window: DataTimeWindow | None = None
    admission: AdmissionSettings = field(default_factory=AdmissionSettings)
    # An HJ 212-2025 command §6.4.4 encrypts, in clear from an MN with a key: recorded in the
    # raw log (not_encrypted) and kept unless this is set ([ingest], ingest.accept says why).
    reject_unencrypted: bool = False


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
    admission: AdmissionStats = field(default_factory=AdmissionStats)
    # The guard's counts (wrong_password, lockouts, refused, takeovers): the receiver's
    # `Guard.counts` itself, so a worker's stats carry them to the parent (/metrics).
    guard: dict = field(default_factory=dict)

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
            **self.admission.as_dict(),
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
            crc_modes_for=receiver.crc_modes_for, max_segment=receiver.limits.max_segment,
            keys=receiver.keys,
        )
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.address = "?"  # the peer's host: admission limits and the guard are per address
        self.admitted: AddressState | None = None
        self.last_activity = time.monotonic()
        self.inflight = 0
        self.paused = False  # too many packets waiting for their commit
        self.write_blocked = False  # the unit does not read its answers (pause_writing)
        self.throttled: asyncio.TimerHandle | None = None  # over its address's rate budget
        self.reading_paused = False
        self.eof = False  # the unit half-closed: answer what it sent, then close
        self.garbage = 0
        self.rejections_logged = 0
        self.mn: str | None = None  # the point this connection last spoke for
        self.mns: set[str] = set()  # every MN it speaks for (the guard bounds how many)
        # MN -> whether this connection came from an address the MN used before (or from
        # its allow-list, or the MN's very first one): its copies are the unit's own.
        self.trusted_for: dict[str, bool] = {}
        # MN -> when this connection claimed it from an address not yet usual for it: the
        # address is learned once it has held the MN that long (GuardSettings.learn_after_s).
        self.claimed_at: dict[str, float] = {}
        # MN -> its live session at another receiver of the store, (peer, seconds silent) or
        # None, looked up for a claim (`Receiver.session_elsewhere`) and used by that claim.
        self.elsewhere: dict[str, tuple[str, float] | None] = {}
        self.looking_up = False  # a claim waits for that look-up: nothing more is judged
        self._rechecked: codec.Packet | None = None  # handled again after its look-up
        self.backing_off: asyncio.TimerHandle | None = None  # after a wrong password
        # Events decoded but not yet handled: held while the connection may not take more
        # (in-flight bound, unread answers, rate budget), so each bound holds per packet.
        self.backlog: deque = deque()
        self.connected_at: datetime | None = None  # for the live connections list (web)
        self.packets = 0  # accepted packets on this connection
        # MN -> the HJ 212 version (2005/2017/2025) of its last accepted packet here: the
        # platform's own commands to it (补遗, 1014) go in that version.
        self.versions: dict[str, int] = {}

    # -- asyncio callbacks -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peername = transport.get_extra_info("peername")
        self.peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        self.address = str(peername[0]) if peername else "?"
        self.connected_at = self.receiver.clock()
        if not self.receiver.register(self):
            transport.close()

    @property
    def ip(self) -> str:
        return self.address

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self.throttled, self.backing_off):
            if timer is not None:
                timer.cancel()
        self.throttled = self.backing_off = None
        self.backlog.clear()  # never answered, so the unit sends them again
        for event in self.session.close():
            self._dispatch(event)
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
        self._work()

    @property
    def held(self) -> bool:
        """The connection may not take another packet now."""
        return (self.paused or self.write_blocked or self.throttled is not None
                or self.backing_off is not None or self.looking_up or self.receiver.refusing
                or self.receiver.store_away)

    def _reading(self) -> None:
        """Read while neither the commits, the unit's own reading nor its rate budget
        hold us back."""
        transport = self.transport
        hold = self.held
        if (transport is None or transport.is_closing() or self.eof
                or hold == self.reading_paused):
            return
        self.reading_paused = hold
        if hold:
            transport.pause_reading()
        else:
            transport.resume_reading()

    def _throttle(self, wait_s: float) -> None:
        """Over the address's budget: hold this connection until tokens come back."""
        transport = self.transport
        if self.throttled is None and transport is not None and not transport.is_closing():
            self.throttled = asyncio.get_running_loop().call_later(wait_s, self._unthrottle)
            self._reading()

    def _unthrottle(self) -> None:
        self.throttled = None
        self._reading()
        self._work()

    def _back_off(self, delay: float) -> None:
        """A wrong password: judge nothing more from this connection for `delay` s, so
        guesses on one connection are judged one at a time."""
        if self.backing_off is None:
            self.backing_off = asyncio.get_running_loop().call_later(delay, self._backed_off)
            self._reading()

    def _backed_off(self) -> None:
        self.backing_off = None
        self._reading()
        self._work()

    def eof_received(self) -> bool:
        """The unit has finished sending (a half-close): keep the connection open for the
        answers still owed (they leave after their commit), then close it. Closing at once
        would store its packets unanswered, and a unit re-sends what was not answered."""
        self.eof = True
        return self.inflight > 0 or bool(self.backlog)

    def data_received(self, data: bytes) -> None:
        wait = 0.0
        if self.admitted is not None:
            admission = self.receiver.admission
            wait = admission.charge_bytes(self.admitted, len(data))
            if self.mn is None:  # not yet authenticated: a reconnect starts in the debt
                wait = max(wait, admission.unauthenticated_debt(self.admitted))  # it left
        self.backlog.extend(self.session.receive(data))
        if wait:
            self._throttle(wait)
        self._work()
        if self.session.pending > self.receiver.limits.max_buffer_bytes:
            self._abuse(f"more than {self.receiver.limits.max_buffer_bytes} bytes unframed")

    # -- events ------------------------------------------------------------------------
    def _work(self) -> None:
        """Handle held events while the connection may take them; close after a
        half-close once everything is answered."""
        backlog = self.backlog
        while backlog and not self.held:
            self._dispatch(backlog.popleft())
        if backlog:  # held (e.g. a connection made while the store is away): stop reading
            self._reading()
        if (self.eof and not backlog and self.inflight == 0 and self.transport is not None
                and not self.transport.is_closing()):
            self.transport.close()

    def _dispatch(self, event) -> None:
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
        again, self._rechecked = packet is self._rechecked, None
        wait = (receiver.admission.charge_packet(self.admitted)
                if self.admitted is not None and not again else 0.0)
        received_at = receiver.clock()
        point = receiver.points.get(packet.mn) if packet.mn else None
        verdict = (receiver.guard.check(self.address, packet.mn, point)
                   or receiver.accept(packet, received_at))
        if type(verdict) is Accepted and packet.mn not in self.mns:
            if receiver.must_look_elsewhere(self, packet.mn):
                self._look_elsewhere(packet)  # this packet is handled again once known
                return
            verdict = receiver.claim(self, packet.mn, point) or verdict
        if again:  # a look-up is for the claim it was made for, never a later one
            self.elsewhere.pop(packet.mn, None)
        if type(verdict) is Rejected:
            # An encrypted region that cannot be read is counted by its precise reason.
            receiver.stats.rejected[packet.key_error or (
                NOT_ENCRYPTED if verdict.reason is Reason.NOT_ENCRYPTED else verdict.field)] += 1
            self._log_rejection(verdict.message, packet)
            self._quarantine("rejected", verdict.field, verdict.message, packet.raw,
                             received_at, packet)
            if verdict.reason is Reason.WRONG_PASSWORD:
                self._wrong_password(packet.mn, point)
        else:
            self._accepted(packet, received_at, verdict.point)
        if wait:
            self._throttle(wait)

    def _look_elsewhere(self, packet: codec.Packet) -> None:
        """Hold the connection while the store says whether another receiver holds the MN
        (a claim, once per connection and MN); then judge the packet again. If the store
        does not answer the claim is not granted: the connection closes unanswered and
        the unit sends again."""
        self.looking_up = True
        self._rechecked = packet
        self.backlog.appendleft(PacketReceived(packet))
        self._reading()

        async def look() -> None:
            try:
                session, usual = await self.receiver.session_elsewhere(packet.mn)
                self.elsewhere[packet.mn] = session
                known = self.receiver.guard.usual.get(packet.mn, set())
                self.receiver.guard.load([(packet.mn, a) for a in usual if a not in known], [])
            except Exception as error:
                log.warning("MN %s: the other receivers' sessions could not be read (%s): "
                            "closing the connection from %s", packet.mn, error, self.peer)
                self.backlog.clear()
                if self.transport is not None and not self.transport.is_closing():
                    self.transport.close()
                return
            finally:
                self.looking_up = False
            self._reading()
            self._work()

        asyncio.get_running_loop().create_task(look())

    def _accepted(self, packet: codec.Packet, received_at: datetime,
                  point: PointAuth) -> None:
        receiver = self.receiver
        # Only an accepted packet counts as activity: a client trickling a byte a second
        # (or garbage, or rejected packets) is idle-closed like a silent one.
        self.last_activity = time.monotonic()
        if self.claimed_at and packet.mn in self.claimed_at:
            receiver.learn(self, packet.mn)
        records = (records_from_packet(packet, received_at, self.peer,
                                       receiver.trusted(self, packet), point.ranges)
                   if packet.cn in STORED_UPLOAD_CNS else None)
        if packet.mn:
            self.versions[packet.mn] = packet.protocol
        if receiver.on_accepted:  # e.g. a remote command's answer data (envmon.control)
            _run_hooks(receiver.on_accepted, self, packet)
        raw = RawPacketRow(
            received_at, self.peer, "accepted",
            _notes(version_deviation(packet, point), unencrypted_note(packet, receiver.keys)),
            packet.mn,
            packet.cn, packet.qn, packet.raw,
        )
        receiver.stats.accepted += 1
        self.packets += 1
        self.mn = packet.mn  # `claim` made it the MN's live connection (point_online)
        answer = self.session.reply(packet, received_at)
        self.inflight += 1
        if self.inflight >= receiver.limits.max_inflight and not self.paused:
            self.paused = True
            self._reading()
        receiver.writer.submit(
            raw, records, lambda ok: self._committed(ok, answer, packet, records))

    def _wrong_password(self, mn: str, point: PointAuth | None) -> None:
        delay, lockout = self.receiver.guard.wrong_password(self.address, mn, point)
        self.receiver.save_guard()
        if lockout is None:
            self._back_off(delay)
        elif self.transport is not None:
            self.receiver.stats.closed_abuse += 1
            self.backlog.clear()  # nothing more of it is judged
            self.transport.close()

    def _committed(self, ok: bool, answer: bytes | None, packet: codec.Packet,
                   records) -> None:
        """Runs after the commit that holds the packet: now it may be answered. When the
        commit failed (`ok` False) nothing is answered (the unit re-sends it) and only its
        in-flight slot is given back."""
        self.inflight -= 1
        if not ok:
            answer = None
        elif self.receiver.after_commit:
            _run_hooks(self.receiver.after_commit, packet, records)
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if answer is not None:
            transport.write(answer)
            self.receiver.stats.answers += 1
        if self.paused and self.inflight <= self.receiver.limits.max_inflight // 2:
            self.paused = False
            self._reading()
        self._work()  # held packets; after a half-close, close once all are answered

    def _discarded(self, event: Discarded) -> None:
        self.receiver.stats.discarded_bytes += len(event.data)
        self.garbage += len(event.data)
        self._quarantine("discarded", reason_key(event.reason), event.reason, event.data,
                         None, None)
        if self.garbage > self.receiver.limits.max_garbage_bytes:
            self._abuse(f"more than {self.receiver.limits.max_garbage_bytes} bytes of garbage")

    def _quarantine(self, verdict: str, key: str, reason: str, data: bytes,
                    received_at: datetime | None, packet: codec.Packet | None) -> None:
        """Rejected or discarded input: counted (by `key`, a bounded reason); a sample, cut
        short, to the raw log while the address has samples left this minute and the
        writer's lane has room."""
        receiver = self.receiver
        state = self.admitted
        if state is None:  # input from a connection that was refused
            return
        admission = receiver.admission
        sample, wait = admission.quarantine(state, self.address, verdict, key, len(data))
        if sample:
            row = RawPacketRow(
                received_at or receiver.clock(), self.peer, verdict, reason,
                packet.mn if packet else None, packet.cn if packet else None,
                packet.qn if packet else None, data[:admission.settings.sample_bytes],
            )
            if not receiver.writer.submit_quarantined(row):
                admission.stats.lane_dropped += 1
        if wait:
            self._throttle(wait)

    def _log_rejection(self, reason: str, packet: codec.Packet) -> None:
        # The text log is throttled per connection; the raw log keeps samples.
        self.rejections_logged += 1
        n = self.rejections_logged
        if n <= 10 or n % 1000 == 0:
            log.warning(
                "rejected packet from %s (MN=%s CN=%s): %s%s",
                self.peer, _cut(packet.mn, 40), _cut(packet.cn, 8), _cut(reason, 300),
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
        self.admission = Admission(self.limits.admission, self.limits.max_connections,
                                   self.stats.admission)
        self.writer = writer or GroupCommitWriter(
            store, interval_s=self.limits.commit_interval_s, max_batch=self.limits.max_batch,
            commit_attempts=self.limits.commit_attempts,
            max_failed_commits=self.limits.max_failed_commits,
        )
        self.points: dict[str, PointAuth] = {}
        # The SM4 keys of HJ 212-2025 units (envmon.ingest.keystore), refreshed with the
        # registry; the master key file is the store's (None: a worker, pushed by the owner).
        self.keys = KeyCache()
        self.connections: set[Hj212Protocol] = set()
        self.online: dict[str, Hj212Protocol] = {}  # MN -> its live connection (guard.claim)
        # Several receivers on one store (`ingest.coordination`): MN -> its live session at
        # another receiver, (peer, seconds silent) or None, and its usual addresses learned
        # anywhere; a claim with no live connection here asks it, so the takeover policy
        # holds across receivers. None: alone.
        self.session_elsewhere: Callable[
            [str], Awaitable[tuple[tuple[str, float] | None, list[str]]]] | None = None
        self.guard = Guard(self.limits.guard)
        self.stats.guard = self.guard.counts
        self._guard_saving: asyncio.Task | None = None
        self._guard_seen: datetime | None = None
        # Extension points for other domains (back-fill, alarms); each runs on the loop.
        self.on_point_online: list[Callable[[str, Hj212Protocol], None]] = []
        # MN whose live connection closed (the web's point states; no other connection of
        # it is live then).
        self.on_point_offline: list[Callable[[str], None]] = []
        self.on_session_event: list[Callable[[Hj212Protocol, object], None]] = []
        self.after_commit: list[Callable[[codec.Packet, list | None], None]] = []
        # Every accepted packet, as it is judged (before its commit): in the order the unit
        # sent it relative to its 9011/9012 (`on_session_event`).
        self.on_accepted: list[Callable[[Hj212Protocol, codec.Packet], None]] = []
        # Provenance: is an accepted upload the unit's own (its live session at its usual
        # address)? Its records say so (`trusted`), and a trusted copy beats an untrusted one
        # whatever the order (envmon.store.core_tables). Decided when the connection claims
        # the MN (`claim`): from a usual address of the MN, or its first address ever.
        self.trusted: Callable[[Hj212Protocol, codec.Packet], bool] = _trust_usual_address
        # `envmon keys rotate`: CN 1014 to the live unit (only where this process owns the
        # store; worker processes get the keys pushed and leave rotations to a single one).
        self.rotation = KeyRotation(self) if store is not None else None
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task] = []
        self._stopped = asyncio.Event()
        self.refusing = False  # stopping or the store failed: read no packet more
        # The database server is away (`GroupCommitWriter.available`): read nothing until
        # it is back, so what waits for a commit stays bounded.
        self.store_away = False
        hooks = getattr(self.writer, "on_availability", None)
        if hooks is not None:
            hooks.append(self._store_availability)

    def _store_availability(self, available: bool) -> None:
        self.store_away = not available
        for protocol in list(self.connections):
            protocol._reading()
            if available:
                protocol._work()

    # -- registry ----------------------------------------------------------------------
    def crc_modes_for(self, mn: str | None) -> tuple[str, ...]:
        return crc_modes_for(self.points, mn)

    def accept(self, packet: codec.Packet,
               received_at: datetime | None = None) -> Accepted | Rejected:
        """The one accept path (`ingest.accept`) against this receiver's registry cache; with
        `received_at`, DataTime is judged against `limits.data_time_window` too."""
        return accept(packet, self.points, received_at=received_at,
                      window=self.limits.data_time_window, keys=self.keys,
                      reject_unencrypted=self.limits.reject_unencrypted)

    async def refresh_points(self) -> None:
        if self.store is not None:
            self.points = await self.writer.run_in_writer(self.store.load_point_auth)
            await self._load_guard()
            await self.refresh_keys()

    async def refresh_keys(self) -> None:
        """Re-read the SM4 keys (a `keys set` or a finished rotation); on an unreadable
        master key the previous keys stay and the reason is logged (never the key)."""
        if self.store is None:
            return
        try:
            self.keys.replace(await self.writer.run_in_writer(store_keys, self.store))
            if self.rotation is not None:
                self.rotation.update(await self.writer.run_in_writer(pending_rotations,
                                                                     self.store))
        except KeyStoreError as error:
            log.error("SM4 keys not loaded: %s", error)

    # -- connections -------------------------------------------------------------------
    def register(self, protocol: Hj212Protocol) -> bool:
        if self.guard.refuse_connection(protocol.address) is not None:
            return False
        protocol.admitted = self.admission.admit(protocol.address, protocol.peer,
                                                 len(self.connections))
        if protocol.admitted is None:
            return False
        self.connections.add(protocol)
        self.stats.connections = len(self.connections)
        self.stats.connections_total += 1
        return True

    def unregister(self, protocol: Hj212Protocol) -> None:
        if protocol.admitted is not None:
            self.admission.release(protocol.admitted)
            protocol.admitted = None
        self.connections.discard(protocol)
        self.stats.connections = len(self.connections)
        for mn in protocol.mns:
            if self.online.get(mn) is protocol:
                del self.online[mn]
                _run_hooks(self.on_point_offline, mn)

    def _live_here(self, mn: str) -> Hj212Protocol | None:
        current = self.online.get(mn)
        if current is not None and (current.transport is None or current.transport.is_closing()):
            return None
        return current

    def must_look_elsewhere(self, protocol: Hj212Protocol, mn: str) -> bool:
        """A claim of `mn` must first learn its session at another receiver (none here)."""
        return (self.session_elsewhere is not None and mn not in protocol.elsewhere
                and self.guard.settings.takeover != "newest" and self._live_here(mn) is None)

    def claim(self, protocol: Hj212Protocol, mn: str, point: PointAuth | None
              ) -> Rejected | None:
        """An accepted packet of `mn` on a connection not yet speaking for it: may it (the
        guard's takeover policy and MNs-per-connection bound)? If so it becomes the MN's
        live connection (`point_online`) and its address one of the MN's usual ones."""
        current = self._live_here(mn)
        elsewhere = protocol.elsewhere.pop(mn, None)
        if current is not None:
            peer, silent = current.peer, time.monotonic() - current.last_activity
        elif elsewhere is not None and elsewhere[0].rpartition(":")[0] != protocol.ip:
            # Held at another receiver: the same policy applies. From the same address it is
            # the unit coming back (that receiver may have died before storing the address).
            peer, silent = elsewhere
        else:
            peer = silent = None
        verdict = self.guard.claim(mn, protocol.ip, point, protocol.mns, peer, silent)
        if type(verdict) is Rejected:
            return verdict
        usual = self.guard.is_usual(mn, protocol.ip, point)
        # Taken over: the old connection must claim the MN again, unless both are at usual
        # addresses (the unit's own reconnect; they would take it from each other in turn).
        if current is not None and not (usual and self.guard.is_usual(mn, current.ip, point)):
            current.mns.discard(mn)
            current.claimed_at.pop(mn, None)
        protocol.mns.add(mn)
        # A new address (a spoofer holding the cleartext password, or the unit's new mobile
        # IP) sends untrusted copies, which fill hours but never beat the copies from where
        # the unit has spoken before; it is learned only after holding the MN (`learn`).
        first = not self.guard.usual.get(mn)
        protocol.trusted_for[mn] = usual or first
        if usual or first:
            self.guard.authenticated(mn, protocol.ip)
            self.save_guard()
        else:
            protocol.claimed_at[mn] = time.monotonic()
        self.point_online(mn, protocol)
        return None

    def learn(self, protocol: Hj212Protocol, mn: str) -> None:
        """An accepted packet of `mn` on a connection that claimed it from a new address:
        once it has been the MN's live connection for `learn_after_s`, the address is usual
        and its copies trusted."""
        since = protocol.claimed_at[mn]
        if self.online.get(mn) is not protocol:
            del protocol.claimed_at[mn]  # taken over meanwhile: it starts again if it claims
            return
        if time.monotonic() - since < self.guard.settings.learn_after_s:
            return
        del protocol.claimed_at[mn]
        protocol.trusted_for[mn] = True
        self.guard.authenticated(mn, protocol.ip)
        self.save_guard()
        log.info("MN %s: %s learned as a usual address after holding the MN for %.0f s",
                 mn, protocol.ip, time.monotonic() - since)

    def save_guard(self) -> None:
        """Persist the guard's new usual addresses and lockouts on the writer thread; in a
        worker process, hand them to the process owning the store (`ingest.workers`)."""
        if self.store is None:
            forward = getattr(self.writer, "forward_guard", None)
            if forward is not None and self.guard.pending:
                forward(self.guard.take_pending())
            return
        if not self.guard.pending or self._guard_saving is not None:
            return
        self._guard_saving = asyncio.get_running_loop().create_task(self._save_guard())

    async def _save_guard(self) -> None:
        from envmon.ingest.guard_store import save_guard

        try:
            while self.guard.pending:
                pending = self.guard.take_pending()
                try:
                    await self.writer.run_in_writer(save_guard, self.store, pending)
                except Exception:
                    log.exception("saving %d guard events failed", len(pending))
        finally:
            self._guard_saving = None

    def lockouts_lifted(self, lifted: list[tuple[str, str, datetime]]) -> None:
        """Lockouts this process just lifted in the store (address, mn, locked_at), e.g.
        through the web API: dropped at once, not at the next registry refresh."""
        self.guard.lift(lifted)

    async def _load_guard(self) -> None:
        """Usual addresses and lockouts as persisted; lockouts lifted since the last look."""
        from envmon.ingest import guard_store

        if self.store is None:
            return
        # A lift committed while we looked is seen next time (lifting twice does nothing).
        since, self._guard_seen = self._guard_seen, now_beijing() - timedelta(minutes=5)
        if since is None:
            self.guard.load(*await self.writer.run_in_writer(guard_store.load_guard,
                                                             self.store))
        else:
            self.guard.lift(await self.writer.run_in_writer(guard_store.lifted_since,
                                                            self.store, since))

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
        self.admission.size_for_open_files()
        self.writer.start()
        if self.store is not None:
            await self.writer.run_in_writer(self.store.tune_for_ingest)
        await self.refresh_points()

    async def listen(self) -> None:
        loop = asyncio.get_running_loop()
        self._count_accept_errors(loop)
        self._server = await loop.create_server(
            lambda: Hj212Protocol(self), self.host, self.requested_port,
            backlog=4096, reuse_address=True, reuse_port=self.reuse_port or None,
        )
        self._tasks = [
            loop.create_task(self._sweep_idle(), name="idle-sweeper"),
            loop.create_task(self._refresh_loop(), name="registry-refresh"),
            loop.create_task(self._stats_loop(), name="stats"),
        ]
        if hasattr(self.writer, "failed"):  # a worker's forwarding writer never fails here
            self._tasks.append(loop.create_task(self._refuse_when_store_fails(),
                                                name="store-failure"))
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
        self.refusing = True
        stop_waiting = getattr(self.writer, "stop_waiting", None)
        if stop_waiting is not None:  # a server away: what is left is dropped unanswered
            stop_waiting()
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
            self.save_guard()
            if self._guard_saving is not None:
                await self._guard_saving
        finally:
            await self.writer.close()
            self._server = None
        log.info("receiver stopped: %s", self.stats.as_dict())

    async def _refuse_when_store_fails(self) -> None:
        """The writer gave up (a full disk): accept no connection and read no packet more;
        the owner (`envmon serve`) then stops and exits non-zero."""
        await self.writer.failed.wait()
        self.refusing = True
        if self._server is not None:
            self._server.close()
        for protocol in list(self.connections):
            protocol._reading()

    def _count_accept_errors(self, loop: asyncio.AbstractEventLoop) -> None:
        """accept() out of file descriptors is reported to the loop's exception handler
        (the loop retries later): count and log it (throttled), pass the rest on."""
        previous = loop.get_exception_handler()
        admission = self.admission

        def handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
            exc = context.get("exception")
            if isinstance(exc, OSError) and exc.errno in FD_ERRNOS:
                admission.accept_failed(exc)
            elif previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        loop.set_exception_handler(handler)

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




def version_deviation(packet: codec.Packet, point: PointAuth) -> str | None:
    """The raw log's note on an accepted packet of another HJ 212 version than the point's
    registered one (issue 16: a recorded deviation, never a rejection), else None."""
    registered = point.protocol
    if registered == "auto" or str(packet.protocol) == registered:
        return None
    return (f"protocol: HJ 212-{packet.protocol} packet from a point registered as "
            f"HJ 212-{registered}")


def _notes(*notes: str | None) -> str | None:
    """The raw log's notes on an accepted packet, joined; None when there is none."""
    return "; ".join(n for n in notes if n) or None


def _cut(text: str | None, most: int) -> str | None:
    """A peer's field in the log, cut short: a 5 000-character MN or QN made a 5 KB line."""
    if text is None or len(text) <= most:
        return text
    return f"{text[:most]}… ({len(text)} characters)"


def _trust_usual_address(protocol: Hj212Protocol, packet: codec.Packet) -> bool:
    return protocol.trusted_for.get(packet.mn, True)


def stop_signal() -> asyncio.Event:
    """An event set on SIGINT or SIGTERM. Install it before listening, so that a signal
    arriving during start-up drains too instead of killing the process."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop

