"""Group commit: many packets, one transaction, then every waiting answer is released.

The event loop never blocks on the database. Packets are queued with a callback; a single
writer thread commits whatever has accumulated (one transaction for the whole group), and
only after that commit returns are the callbacks run, which is when the receiver sends 9014.
While one group commits, the next one fills, so throughput grows with load instead of
latency.

Samples of rejected and discarded input (`submit_quarantined`) ride along in a bounded lane:
at most `quarantine_lane` rows per group and only while the group is below `max_batch`;
beyond that they are dropped and counted (`quarantine_dropped`), so they never displace,
hold back or delay accepted packets, which are never dropped here (the receiver holds them
back by not reading).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from envmon.store import RawPacketRow, RecordRow, Store

log = logging.getLogger(__name__)

OnCommitted = Callable[[], None]


class GroupCommitWriter:
    def __init__(self, store: Store, *, interval_s: float = 0.005, max_batch: int = 20_000,
                 quarantine_lane: int = 256):
        self.store = store
        self.lane = QuarantineLane(quarantine_lane)
        self.interval_s = interval_s
        self.max_batch = max_batch
        self._raw: list[RawPacketRow] = []
        self._records: list[RecordRow] = []
        self._callbacks: list[OnCommitted] = []
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="envmon-writer")
        self._wakeup = asyncio.Event()
        self._flush_now = asyncio.Event()  # cuts the group window short (drain, close)
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self._closing = False
        # Run on the loop after each successful commit with (raw rows, records): in the
        # process that owns the store, also when receiver workers feed it (--workers N).
        self.after_commit: list[Callable[[list[RawPacketRow], list[RecordRow]], None]] = []
        self.commits = 0
        self.committed_packets = 0
        self.committed_records = 0
        self.failures = 0

    @property
    def pending(self) -> int:
        return len(self._raw)

    @property
    def running(self) -> bool:
        """Started and not yet closed: the store must stay open."""
        return self._task is not None and not self._task.done()

    async def run_in_writer(self, fn, *args):
        """Run `fn` on the writer thread: the only thread that uses the store's connection."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def submit_many(self, raw: list[RawPacketRow], records: list[RecordRow],
                    on_committed: OnCommitted | None = None) -> None:
        """Queue a group of packets (from a receiver worker process) with one callback."""
        self._raw.extend(raw)
        self._records.extend(records)
        self._queued(on_committed)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="group-commit")

    def submit(
        self, raw: RawPacketRow, records: list[RecordRow] | None = None,
        on_committed: OnCommitted | None = None,
    ) -> None:
        """Queue one raw packet and its records; `on_committed` runs after the commit."""
        self._raw.append(raw)
        if records:
            self._records.extend(records)
        self._queued(on_committed)

    def submit_quarantined(self, raw: RawPacketRow) -> bool:
        """Queue a sample of rejected or discarded input if the group being formed has
        room for it; False (dropped, counted) otherwise. It never cuts the group window."""
        if self._closing or not self.lane.admit(self._raw, self.max_batch):
            return False
        self._raw.append(raw)
        self._idle.clear()
        self._wakeup.set()
        return True

    @property
    def quarantine_dropped(self) -> int:
        return self.lane.dropped

    def _queued(self, on_committed: OnCommitted | None) -> None:
        if on_committed is not None:
            self._callbacks.append(on_committed)
        self._idle.clear()
        self._wakeup.set()
        if len(self._raw) >= self.max_batch:
            self._flush_now.set()

    async def drain(self) -> None:
        """Wait until everything submitted so far is committed."""
        while self._raw or not self._idle.is_set():
            self._wakeup.set()
            self._flush_now.set()
            await self._idle.wait()

    async def close(self) -> None:
        await self.drain()
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            if not self._raw:
                self._idle.set()
                if self._closing:
                    return
                continue
            # Let a group form, unless it is already large.
            if len(self._raw) < self.max_batch and self.interval_s > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._flush_now.wait(), self.interval_s)
            self._flush_now.clear()
            raw, records, callbacks = self._raw, self._records, self._callbacks
            self._raw, self._records, self._callbacks = [], [], []
            if await self._commit(loop, raw, records):
                for hook in self.after_commit:
                    try:
                        hook(raw, records)
                    except Exception:
                        log.exception("after-commit hook %r failed", hook)
                for callback in callbacks:
                    try:
                        callback()
                    except Exception:  # a closed peer must not stop the others' answers
                        log.exception("answer callback failed")
            if not self._raw:
                self._idle.set()
                if self._closing:  # what came in while closing is committed: done
                    return

    async def _commit(self, loop, raw: list[RawPacketRow], records: list[RecordRow]) -> bool:
        for attempt in range(3):
            try:
                await loop.run_in_executor(self._executor, self.store.write_batch, raw, records)
            except Exception:
                self.failures += 1
                log.exception("commit of %d packets failed (attempt %d)", len(raw), attempt + 1)
                await asyncio.sleep(0.1 * 2**attempt)
                continue
            self.commits += 1
            self.committed_packets += len(raw)
            self.committed_records += len(records)
            return True
        # Nothing of this group was answered, so the units will send it again.
        log.error("dropping %d unanswered packets after repeated commit failures", len(raw))
        return False


class QuarantineLane:
    """How many quarantined rows the group being formed holds. A group is the writer's
    pending list: a new list object means the previous group was taken for commit. (Its id
    only, so a committed group is not kept alive; a reused id can only make the lane drop
    more, never admit more.)"""

    __slots__ = ("_group", "capacity", "dropped", "rows")

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._group = 0
        self.rows = 0
        self.dropped = 0

    def admit(self, group: list, max_batch: int) -> bool:
        if id(group) != self._group:
            self._group, self.rows = id(group), 0
        if self.rows >= self.capacity or len(group) >= max_batch:
            self.dropped += 1
            return False
        self.rows += 1
        return True
