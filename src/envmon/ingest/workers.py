"""Several receiver processes in front of one store writer (`envmon serve --workers N`).

One Python process decodes at most one core's worth of packets (the GIL). With N workers
the kernel spreads connections over N processes that all listen on the port
(SO_REUSEPORT); each decodes, authenticates and answers its own connections exactly as the
single-process receiver does, but forwards its packets in small groups to the parent,
which owns the one store connection (DuckDB admits one writing process) and commits them
with its group-commit writer. A worker answers 9014 only when the parent reports that the
group holding the packet is committed, so "answered means durable" still holds: if the
parent dies, no further answers are sent.

Parent and worker talk over a socketpair with length-prefixed pickles, via asyncio streams
on both sides (non-blocking both ways, so neither can deadlock the other).

The guard (`ingest.guard`: usual addresses, lockouts) is coordinated by the parent, since it
owns the store: at start each worker gets the persisted state right after the registry
(``("guard", usual, locks)``); what a worker's guard learns it forwards
(``("guard_events", pending)``), and the parent persists it and relays it to the other
workers, so an address locked out through one worker is refused by all, and after a restart
no worker takes a spoofer for an MN's first address; lifts in the store reach the workers on
each registry refresh (``("lifted", rows)``). Wrong-password counts stay per worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import pickle
import signal
import socket
import struct
from collections import Counter
from datetime import timedelta

from envmon.ingest import guard_store
from envmon.ingest.keystore import KeyStoreError, store_keys
from envmon.ingest.server import Receiver, ReceiverLimits, ReceiverStats
from envmon.ingest.writer import GroupCommitWriter, OnCommitted, QuarantineLane
from envmon.store import RawPacketRow, RecordRow, Store
from envmon.timeutil import now_beijing

log = logging.getLogger("envmon.ingest")

_HEADER = struct.Struct("!I")


async def _send(writer: asyncio.StreamWriter, message: tuple) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    writer.write(_HEADER.pack(len(payload)) + payload)
    await writer.drain()


async def _receive(reader: asyncio.StreamReader) -> tuple | None:
    try:
        header = await reader.readexactly(_HEADER.size)
        return pickle.loads(await reader.readexactly(_HEADER.unpack(header)[0]))
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


def _post(writer: asyncio.StreamWriter, message: tuple) -> None:
    """`_send` from a callback that cannot await: the message is buffered whole (one write)."""
    if not writer.is_closing():
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        writer.write(_HEADER.pack(len(payload)) + payload)


# -- worker side ----------------------------------------------------------------------------
class ForwardingWriter:
    """The worker's stand-in for GroupCommitWriter: groups go to the parent, which commits."""

    def __init__(self, channel: asyncio.StreamWriter, interval_s: float = 0.002,
                 quarantine_lane: int = 256, max_batch: int = 20_000):
        self.channel = channel
        self.interval_s = interval_s
        self.lane = QuarantineLane(quarantine_lane)
        self.max_batch = max_batch
        self._raw: list[RawPacketRow] = []
        self._records: list[RecordRow] = []
        self._callbacks: list[OnCommitted] = []
        self._waiting: dict[int, list[OnCommitted]] = {}
        self._next_id = 0
        self._flush_task: asyncio.Task | None = None
        self._all_committed = asyncio.Event()
        self._all_committed.set()
        self.committed_records = 0
        self.committed_packets = 0

    @property
    def pending(self) -> int:
        return len(self._raw) + sum(len(c) for c in self._waiting.values())

    def start(self) -> None:
        pass

    async def run_in_writer(self, fn, *args):
        raise RuntimeError("a receiver worker has no store")

    def forward_guard(self, pending: list[tuple[str, tuple]]) -> None:
        """The guard's new usual addresses and lockouts (`Receiver.save_guard`): the parent
        persists them and relays them to the other workers."""
        _post(self.channel, ("guard_events", pending))

    def submit_quarantined(self, raw: RawPacketRow) -> bool:
        """A sample of rejected or discarded input, if the group being formed has room."""
        if not self.lane.admit(self._raw, self.max_batch):
            return False
        self.submit(raw)
        return True

    def submit(self, raw: RawPacketRow, records: list[RecordRow] | None = None,
               on_committed: OnCommitted | None = None) -> None:
        self._raw.append(raw)
        if records:
            self._records.extend(records)
        if on_committed is not None:
            self._callbacks.append(on_committed)
        self._all_committed.clear()
        if self._flush_task is None:
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.interval_s)
        await self.flush()

    async def flush(self) -> None:
        self._flush_task = None
        if not self._raw:
            return
        group_id, self._next_id = self._next_id, self._next_id + 1
        raw, records, callbacks = self._raw, self._records, self._callbacks
        self._raw, self._records, self._callbacks = [], [], []
        self.lane.new_group()
        self._waiting[group_id] = callbacks
        await _send(self.channel, ("group", group_id, raw, records))

    def committed(self, group_id: int, ok: bool, n_raw: int, n_records: int) -> None:
        """The parent's verdict on a group: answer it (`ok`), or release what waits on it
        unanswered (the commit failed; the units re-send)."""
        callbacks = self._waiting.pop(group_id, [])
        if ok:
            self.committed_packets += n_raw
            self.committed_records += n_records
        for callback in callbacks:
            try:
                callback(ok)
            except Exception:
                log.exception("answer callback failed")
        if not self._waiting and not self._raw:
            self._all_committed.set()

    async def drain(self) -> None:
        await self.flush()
        await self._all_committed.wait()

    async def close(self) -> None:
        await self.drain()


async def _worker(channel_sock: socket.socket, host: str, port: int,
                  limits: ReceiverLimits) -> None:
    reader, writer = await asyncio.open_connection(sock=channel_sock)
    forwarding = ForwardingWriter(writer)
    receiver = Receiver(None, host, port, limits, writer=forwarding, reuse_port=True)
    first = await _receive(reader)
    if first is None or first[0] != "points":
        return
    receiver.points = first[1]
    guard = await _receive(reader)  # the persisted guard state, before any connection
    if guard is None or guard[0] != "guard":
        return
    receiver.guard.load(*guard[1:])
    keys = await _receive(reader)  # the SM4 keys of HJ 212-2025 units
    if keys is None or keys[0] != "keys":
        return
    receiver.keys.replace(keys[1])
    await receiver.start()
    await _send(writer, ("listening",))

    async def report_stats() -> None:
        while True:
            await asyncio.sleep(1.0)
            await _send(writer, ("stats", receiver.stats))

    stats_task = asyncio.get_running_loop().create_task(report_stats())
    try:
        while (message := await _receive(reader)) is not None:
            kind = message[0]
            if kind == "committed":
                forwarding.committed(*message[1:])
            elif kind == "points":
                receiver.points = message[1]
            elif kind == "keys":
                receiver.keys.replace(message[1])
            elif kind == "guard_events":  # learned by another worker
                receiver.guard.apply(message[1])
            elif kind == "lifted":
                receiver.guard.lift(message[1])
            elif kind == "stop":
                # Answers still need "committed" messages: keep reading while draining.
                asyncio.get_running_loop().create_task(_stop(receiver, writer))
    finally:
        stats_task.cancel()


async def _stop(receiver: Receiver, channel: asyncio.StreamWriter) -> None:
    await receiver.stop()
    await _send(channel, ("bye", receiver.stats))
    channel.close()


def worker_main(channel_sock: socket.socket, host: str, port: int, limits: ReceiverLimits,
                log_level: int) -> None:
    """Entry point of a worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent coordinates shutdown
    logging.basicConfig(level=log_level, format="%(asctime)s worker %(process)d %(message)s")
    from envmon.ingest.loop import run_loop

    run_loop(_worker(channel_sock, host, port, limits))


# -- parent side ----------------------------------------------------------------------------
class ReceiverPool:
    """The parent: owns the store and the writer, runs N receiver worker processes."""

    def __init__(self, store: Store, host: str, port: int, limits: ReceiverLimits | None = None,
                 workers: int = 2):
        self.store = store
        self.host = host
        self.limits = limits or ReceiverLimits()
        self.n_workers = workers
        self.port = port or _free_port(host)
        self.writer = GroupCommitWriter(
            store, interval_s=self.limits.commit_interval_s, max_batch=self.limits.max_batch,
            commit_attempts=self.limits.commit_attempts,
            max_failed_commits=self.limits.max_failed_commits)
        self.points: dict = {}
        self._keys: dict = {}
        self._guard: tuple = ([], [])  # persisted (usual, lockouts), for the workers' start
        self._guard_seen = now_beijing()
        self._guard_saves: set[asyncio.Task] = set()
        self._processes: list = []
        self._channels: list[asyncio.StreamWriter] = []
        self._tasks: list[asyncio.Task] = []
        self._worker_stats: dict[int, ReceiverStats] = {}
        self._listening = 0
        self._ready = asyncio.Event()
        self._gone = asyncio.Event()
        self._alive = 0

    @property
    def stats(self) -> ReceiverStats:
        total = ReceiverStats()
        total.rejected = Counter()
        for s in self._worker_stats.values():
            for name in ("connections", "connections_total", "accepted", "discarded_bytes",
                         "answers", "closed_idle", "closed_abuse"):
                setattr(total, name, getattr(total, name) + getattr(s, name))
            total.rejected.update(s.rejected)
            total.admission.merge(s.admission)
            for event, n in getattr(s, "guard", {}).items():
                total.guard[event] = total.guard.get(event, 0) + n
        return total

    async def start(self) -> None:
        await self.prepare()
        await self.listen()

    async def prepare(self) -> None:
        """Writer and registry up; the workers start listening in `listen()`."""
        self.writer.start()
        await self.writer.run_in_writer(self.store.tune_for_ingest)
        self.points = await self.writer.run_in_writer(self.store.load_point_auth)
        # As `Receiver._load_guard`: a lift committed while we look is seen next time.
        self._guard_seen = now_beijing() - timedelta(minutes=5)
        self._guard = await self.writer.run_in_writer(guard_store.load_guard, self.store)
        self._keys = await self._load_keys()

    async def _load_keys(self) -> dict:
        try:
            return await self.writer.run_in_writer(store_keys, self.store)
        except KeyStoreError as error:
            log.error("SM4 keys not loaded: %s", error)
            return self._keys

    async def listen(self) -> None:
        context = multiprocessing.get_context("spawn")
        loop = asyncio.get_running_loop()
        for k in range(self.n_workers):
            parent_sock, child_sock = socket.socketpair()
            process = context.Process(
                target=worker_main, name=f"envmon-receiver-{k}", daemon=True,
                args=(child_sock, self.host, self.port, self.limits,
                      logging.getLogger().getEffectiveLevel()),
            )
            process.start()
            child_sock.close()
            reader, writer = await asyncio.open_connection(sock=parent_sock)
            self._processes.append(process)
            self._channels.append(writer)
            self._alive += 1
            await _send(writer, ("points", self.points))
            await _send(writer, ("guard", *self._guard))
            await _send(writer, ("keys", self._keys))
            self._tasks.append(loop.create_task(self._serve_worker(k, reader, writer)))
        await asyncio.wait_for(self._ready.wait(), 60)
        self._tasks.append(loop.create_task(self._refresh_loop()))
        log.info("HJ 212 receiver: %d worker processes on %s:%d (%d registered points)",
                 self.n_workers, self.host, self.port, len(self.points))

    async def _serve_worker(self, k: int, reader, writer) -> None:
        try:
            while (message := await _receive(reader)) is not None:
                kind = message[0]
                if kind == "group":
                    _, group_id, raw, records = message
                    self.writer.submit_many(raw, records, _reply(writer, group_id, raw, records))
                elif kind == "guard_events":
                    self._guard_events(writer, message[1])
                elif kind == "stats":
                    self._worker_stats[k] = message[1]
                elif kind == "listening":
                    self._listening += 1
                    if self._listening == self.n_workers:
                        self._ready.set()
                elif kind == "bye":
                    self._worker_stats[k] = message[1]
                    break
        finally:
            self._alive -= 1
            if self._alive == 0:
                self._gone.set()

    async def refresh_keys(self) -> None:
        """Re-read the SM4 keys and push them to every worker at once (`keys set` through
        the web API while serve runs), not at the next registry refresh. Rotations (CN 1014)
        are not made here: the unit's connection is in a worker (`web.api.keys` refuses)."""
        self._keys = await self._load_keys()
        for channel in self._channels:
            _post(channel, ("keys", self._keys))

    def lockouts_lifted(self, lifted: list) -> None:
        """Lockouts this process just lifted in the store (address, mn, locked_at), e.g.
        through the web API: every worker drops them at once, not at the next refresh."""
        for channel in self._channels:
            _post(channel, ("lifted", lifted))

    def _guard_events(self, origin: asyncio.StreamWriter, pending: list) -> None:
        """A worker's guard learned usual addresses or imposed lockouts: the others know at
        once (relayed before the write, so no worker lags the store); then persisted."""
        for channel in self._channels:
            if channel is not origin:
                _post(channel, ("guard_events", pending))
        task = asyncio.get_running_loop().create_task(self._save_guard(pending))
        self._guard_saves.add(task)
        task.add_done_callback(self._guard_saves.discard)

    async def _save_guard(self, pending: list) -> None:
        try:
            await self.writer.run_in_writer(guard_store.save_guard, self.store, pending)
        except Exception:
            log.exception("saving %d guard events failed", len(pending))

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.limits.directory_refresh_s)
            try:
                self.points = await self.writer.run_in_writer(self.store.load_point_auth)
                since, self._guard_seen = self._guard_seen, now_beijing() - timedelta(minutes=5)
                lifted = await self.writer.run_in_writer(guard_store.lifted_since, self.store,
                                                         since)
                self._keys = await self._load_keys()
                for channel in self._channels:
                    await _send(channel, ("points", self.points))
                    await _send(channel, ("keys", self._keys))
                    if lifted:
                        await _send(channel, ("lifted", lifted))
            except Exception:
                log.exception("registry refresh failed; keeping the previous one")

    async def stop(self) -> None:
        """Workers stop accepting and drain; their last groups are committed; then close.

        Also after `prepare()` alone: no worker to wait for, the writer is closed."""
        for channel in self._channels:
            with contextlib.suppress(ConnectionError):
                await _send(channel, ("stop",))
        if self._processes:
            try:
                await asyncio.wait_for(self._gone.wait(), 60)
            except TimeoutError:
                log.error("receiver workers did not stop in time")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*self._guard_saves, return_exceptions=True)
        await self.writer.close()
        for process in self._processes:
            process.join(10)
            if process.is_alive():
                process.kill()
        log.info("receiver stopped: %s", self.stats.as_dict())



def _reply(channel: asyncio.StreamWriter, group_id: int, raw: list, records: list):
    """The parent's commit callback for one worker group: tell the worker to answer it
    (`ok`), or that the commit failed and it must release the group unanswered."""

    def committed(ok: bool) -> None:
        payload = pickle.dumps(("committed", group_id, ok, len(raw), len(records)))
        if not channel.is_closing():
            channel.write(_HEADER.pack(len(payload)) + payload)

    return committed


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host if host != "0.0.0.0" else "127.0.0.1", 0))
        return s.getsockname()[1]
