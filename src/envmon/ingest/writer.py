"""Group commit: many packets, one transaction, then every waiting answer is released.

The event loop never blocks on the database. Packets are queued with a callback; a single
writer thread commits whatever has accumulated (one transaction for the whole group), and
only after that commit returns are the callbacks run, which is when the receiver sends 9014.
While one group commits, the next one fills, so throughput grows with load instead of
latency.

A commit that fails is retried a few times with back-off; a group that still cannot be
committed is dropped and its callbacks run with ``ok=False``: nothing of it is answered (the
units re-send what was not answered), and the connections waiting on it get their in-flight
slots back instead of waiting forever. After `max_failed_commits` groups in a row failed the
writer is *fatal* (`failed` is set, `failure` says why): the store cannot take writes (a full
disk), and the process should stop so that a supervisor restarts it. What was committed stays
committed.

**When the database server is away** (PostgreSQL down or restarting, the network cut:
`store_unreachable`), that is no full disk: the group is dropped unanswered at once, the
outage is logged once and counted (`outages`), `available` goes False (the receiver then
reads no more packets, so what waits stays bounded by what was already read: units slow
down in TCP instead of the queue growing), and the writer asks the server every
`retry_delay_s`, doubling up to `max_outage_delay_s`, until it answers; then it commits
again and the receiver reads again. An outage never makes the writer give up: the process
recovers on its own when the server is back.

Samples of rejected and discarded input (`submit_quarantined`) ride along in a bounded lane:
at most `quarantine_lane` rows per group and only while the group is below `max_batch`;
beyond that they are dropped and counted (`quarantine_dropped`), so they never displace,
hold back or delay accepted packets, which are never dropped here (the receiver holds them
back by not reading).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from envmon.store import RawPacketRow, RecordRow, Store, WriteResult

log = logging.getLogger(__name__)

OnCommitted = Callable[[bool], None]
"""Runs once the group holding the packet is done: True committed (answer now), False dropped
after repeated commit failures (answer nothing, release what waits on it)."""


class GroupCommitWriter:
    def __init__(self, store: Store, *, interval_s: float = 0.005, max_batch: int = 20_000,
                 commit_attempts: int = 3, max_failed_commits: int = 10,
                 retry_delay_s: float = 0.1, max_retry_delay_s: float = 1.0,
                 quarantine_lane: int = 256, max_outage_delay_s: float = 2.0):
        """A group is tried `commit_attempts` times; between failed attempts the writer waits
        `retry_delay_s`, doubling per failure in a row up to `max_retry_delay_s`; after
        `max_failed_commits` dropped groups in a row it is fatal (see the module docstring)."""
        self.store = store
        self.lane = QuarantineLane(quarantine_lane)
        self.commit_attempts = max(1, commit_attempts)
        self.max_failed_commits = max(1, max_failed_commits)
        self.retry_delay_s = retry_delay_s
        self.max_retry_delay_s = max_retry_delay_s
        # Ask an unreachable server again at most this far apart: a restarted PostgreSQL is
        # written to again within 2 s of taking connections.
        self.max_outage_delay_s = max_outage_delay_s
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
        # Run on the loop after each successful commit with what the store did with the
        # records (duplicates not stored, conflicting copies kept): the `conflict` alarm.
        self.after_write: list[Callable[[WriteResult], None]] = []
        self.commits = 0
        self.committed_packets = 0
        self.committed_records = 0  # records handed in, re-sent copies included
        self.duplicate_records = 0  # identical re-sent copies, answered but not stored again
        self.conflicting_records = 0  # copies with other values, stored as conflicts
        self.failures = 0  # failed commit attempts
        self.failed_groups = 0  # groups dropped unanswered
        self.dropped_packets = 0  # packets in those groups (their units re-send them)
        self.failed_in_a_row = 0  # groups dropped since the last commit that succeeded
        self.commit_times = CommitTimes()  # seconds per successful group commit (/metrics)
        self.failed = asyncio.Event()  # fatal: the store takes no writes; stop the process
        self.failure: str | None = None  # why, in one line, once fatal
        self._failed_attempts_in_a_row = 0
        self._last_error: Exception | None = None
        self.available = True  # False while the database server cannot be reached
        self.outages = 0  # times the server went away
        self.outage_s = 0.0  # seconds without it, in all
        self._outage_began = 0.0
        self._stopping = False  # stop waiting for an away server (the process stops)
        # Run on the loop with False when the server goes away and True when it is back.
        self.on_availability: list[Callable[[bool], None]] = []

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
            self.lane.new_group()
            result = await self._commit(loop, raw, records)
            ok = result is not None
            if ok:
                if result.duplicates or result.conflicts:
                    self._written(result)
                for hook in self.after_commit:
                    try:
                        hook(raw, records)
                    except Exception:
                        log.exception("after-commit hook %r failed", hook)
            for callback in callbacks:
                try:
                    callback(ok)
                except Exception:  # a closed peer must not stop the others' answers
                    log.exception("answer callback failed")
            if not ok and not self.available:  # released first, then wait for the server
                await self._wait_for_server(loop)
            elif not ok:  # released first, then the next group waits its turn
                await asyncio.sleep(self.retry_delay())
            if not self._raw:
                self._idle.set()
                if self._closing:  # what came in while closing is committed: done
                    return

    def _written(self, result: WriteResult) -> None:
        self.duplicate_records += result.duplicates
        for conflict in result.conflicts:
            self.conflicting_records += 1
            n = self.conflicting_records
            if n <= 10 or n % 1000 == 0:  # an attacker may send many: throttled
                new, old = conflict.record, conflict.earlier
                log.warning("conflicting copy of %s %s %s %s from %s (stored copy from %s)%s",
                            new.mn, new.cn, new.data_time.isoformat(), new.factor, new.peer,
                            old.peer, f" [{n} conflicts]" if n > 10 else "")
        for hook in self.after_write:
            try:
                hook(result)
            except Exception:
                log.exception("after-write hook %r failed", hook)

    async def _commit(self, loop, raw: list[RawPacketRow], records: list[RecordRow]
                      ) -> WriteResult | None:
        """Commit one group; its WriteResult, None when every attempt failed."""
        # Once fatal, one attempt per group and no waiting: the process is stopping, and
        # what it still holds must be released quickly (unanswered) rather than retried.
        attempts = (1 if self.failure or (self._stopping and not self.available)
                    else self.commit_attempts)
        for attempt in range(attempts):
            try:
                started = time.perf_counter()
                result = await loop.run_in_executor(self._executor, self.store.write_batch,
                                                    raw, records)
                self.commit_times.observe(time.perf_counter() - started)
            except Exception as error:
                self.failures += 1
                if store_unreachable(error):
                    self._went_away(error)
                    self.dropped_packets += len(raw)
                    return None  # unanswered; not a step towards giving up
                self._failed_attempts_in_a_row += 1
                log.error("commit of %d packets failed (attempt %d of %d): %s",
                          len(raw), attempt + 1, attempts, error)
                self._last_error = error
                if attempt + 1 < attempts:
                    await asyncio.sleep(self.retry_delay())
                continue
            self.commits += 1
            self.committed_packets += len(raw)
            self.committed_records += len(records)
            self.failed_in_a_row = self._failed_attempts_in_a_row = 0
            return result if isinstance(result, WriteResult) else WriteResult(len(records))
        # Nothing of this group was answered, so the units will send it again.
        self.failed_groups += 1
        self.dropped_packets += len(raw)
        self.failed_in_a_row += 1
        log.error("dropping %d unanswered packets after %d failed commit attempts",
                  len(raw), attempts)
        if self.failed_in_a_row >= self.max_failed_commits and self.failure is None:
            self.failure = (f"store write failed {self._failed_attempts_in_a_row} times: "
                            f"{self._last_error}; stopping so a supervisor can restart")
            log.critical("%s", self.failure)
            self.failed.set()
        return None

    def stop_waiting(self) -> None:
        """The process stops: an away server is not waited for (what is left is tried once
        and, failing, dropped unanswered)."""
        self._stopping = True

    def _went_away(self, error: Exception) -> None:
        if not self.available:
            return
        self.available = False
        self.outages += 1
        self._outage_began = time.monotonic()
        log.error("the store is unreachable (%s): answering nothing until it is back, "
                  "asking again every %g s at most", error, self.max_outage_delay_s)
        self._tell(False)

    def _tell(self, available: bool) -> None:
        for hook in self.on_availability:
            try:
                hook(available)
            except Exception:
                log.exception("availability hook %r failed", hook)

    async def _wait_for_server(self, loop) -> None:
        """Ask the server with back-off until it answers (or the process stops)."""
        delay = self.retry_delay_s
        while not self._stopping:
            await asyncio.sleep(delay)
            try:
                await loop.run_in_executor(self._executor, self.store.query, "SELECT 1")
            except Exception as error:
                if not store_unreachable(error):
                    log.error("the store answers with an error: %s", error)
                    break
                delay = min(delay * 2, self.max_outage_delay_s)
                continue
            break
        if self.available:
            return
        away = time.monotonic() - self._outage_began
        self.outage_s += away
        self.available = True
        log.warning("the store is back after %.1f s: committing and answering again", away)
        self._tell(True)

    def retry_delay(self) -> float:
        """Back-off before the next attempt: doubles with each failed attempt in a row (of
        this group and the dropped groups before it) up to `max_retry_delay_s`, so a full
        disk is not hammered and a recovered one is written to again within that bound."""
        if self.failure is not None:
            return 0.0
        doublings = min(max(self._failed_attempts_in_a_row - 1, 0), 16)
        return min(self.retry_delay_s * 2**doublings, self.max_retry_delay_s)


def store_unreachable(error: BaseException) -> bool:
    """The database server cannot be reached now (not a full disk, not a bad row): the
    store's `StoreUnavailable`, or a PostgreSQL connection error (SQLSTATE class 08, an
    administrator or crash shutdown 57P01-57P03, or a connection broken without a state)."""
    from envmon.store.errors import StoreUnavailable

    if isinstance(error, StoreUnavailable):
        return True
    try:
        import psycopg
    except ImportError:  # DuckDB only
        return False
    if isinstance(error, psycopg.InterfaceError):
        return True
    if isinstance(error, psycopg.OperationalError):
        state = getattr(error, "sqlstate", None)
        return state is None or state.startswith("08") or state in ("57P01", "57P02",
                                                                    "57P03")
    return False
class CommitTimes:
    """A cumulative histogram of group-commit durations, read by `envmon.ops.metrics`.

    Kept here (not as a prometheus_client Histogram) so the writer counts from its first
    commit whether or not anything exports it. The buckets (seconds) span a quick DuckDB
    commit (a few ms) to the 2 s answer budget of the issue's top-of-hour burst."""

    BOUNDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)

    __slots__ = ("buckets", "count", "sum")

    def __init__(self) -> None:
        self.buckets = [0] * (len(self.BOUNDS) + 1)  # the last one: above every bound
        self.count = 0
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect.bisect_left(self.BOUNDS, seconds)] += 1
        self.count += 1
        self.sum += seconds

    def cumulative(self) -> list[tuple[str, int]]:
        """(upper bound as Prometheus writes it, observations at or below it), +Inf last."""
        total, out = 0, []
        for bound, n in zip((*map(repr, self.BOUNDS), "+Inf"), self.buckets, strict=True):
            total += n
            out.append((bound, total))
        return out


class QuarantineLane:
    """How many quarantined rows the group being formed holds; the writer calls
    `new_group()` each time it takes the pending rows for a commit."""

    __slots__ = ("capacity", "dropped", "rows")

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.rows = 0
        self.dropped = 0

    def new_group(self) -> None:
        self.rows = 0

    def admit(self, group: list, max_batch: int) -> bool:
        if self.rows >= self.capacity or len(group) >= max_batch:
            self.dropped += 1
            return False
        self.rows += 1
        return True
