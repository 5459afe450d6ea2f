"""`SharedResults`: one computation of a heavy result for every screen that asks within a few
seconds.

A wall of screens in a monitoring centre asks the same overview and the same month's
assessment every few seconds. Each answer is a query of the store plus Python work in the
process that also runs the receiver, so N screens cost N computations (bench_web: eight
clients asking without pause held the receiver at about a fifth of its throughput). Here the
first request starts the computation as a task of its own; requests for the same path and
query that arrive while it runs wait for it (single flight), and those within `fresh_s` after
it get its bytes. A request that goes away (a closed tab, a client's timeout) stops waiting
but never cancels the computation the others wait for. Errors are never kept. A successful
write through the API empties the cache (`api.writes.after_write`), so a user never sees the
world before their own change; data arriving over HJ 212 shows within `fresh_s` (the live
pages get it at once from the event stream).

The cache holds at most `max_entries` results and `max_bytes` of them (the oldest go first):
query strings come from the network and must not grow memory without bound.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_MAX_BYTES", "SharedResults", "result_size"]

# 64 MiB: a province's overview is ~100 KB and a month's assessment workbook a few MB, so a
# screen wall's few dozen distinct results fit many times over, while a client asking
# thousands of distinct exports cannot make the receiver's process hold more than this.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def result_size(value: Any) -> int:
    """Bytes a cached value holds: its bytes/str parts (an endpoint's (body, name, …))."""
    if isinstance(value, (bytes, bytearray, str)):
        return len(value)
    if isinstance(value, tuple):
        return sum(result_size(part) for part in value)
    return 0


@dataclass
class _Entry:
    task: asyncio.Task
    finished_at: float = float("inf")  # running until set
    size: int = 0


class SharedResults:
    def __init__(self, fresh_s: float = 5.0, max_entries: int = 256,
                 clock: Callable[[], float] = time.monotonic,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.fresh_s = fresh_s
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.bytes = 0  # held by finished entries
        self.computed = 0
        self.shared = 0

    def clear(self) -> None:
        """Forget every result (running computations still answer their own waiters)."""
        self._entries.clear()
        self.bytes = 0

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        """`compute()`'s result, shared with every caller of the same key while it runs
        and for `fresh_s` after it finished."""
        if self.fresh_s <= 0:
            return await compute()
        entry = self._entries.get(key)
        if entry is not None:
            if not entry.task.done() or self.clock() - entry.finished_at < self.fresh_s:
                self.shared += 1
                return await asyncio.shield(entry.task)
            self._drop(key)
        entry = _Entry(asyncio.get_running_loop().create_task(compute()))
        self._entries[key] = entry
        entry.task.add_done_callback(lambda task: self._finished(key, entry))
        self._evict()
        self.computed += 1
        return await asyncio.shield(entry.task)  # cancelling this caller leaves the task

    def _finished(self, key: Hashable, entry: _Entry) -> None:
        task = entry.task
        failed = task.cancelled() or task.exception() is not None  # retrieved: no warning
        if self._entries.get(key) is not entry:  # cleared or evicted meanwhile
            return
        if failed or result_size(task.result()) > self.max_bytes:  # never kept
            del self._entries[key]
            return
        entry.finished_at = self.clock()
        entry.size = result_size(task.result())
        self.bytes += entry.size
        self._evict()

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key)
        self.bytes -= entry.size

    def _evict(self) -> None:
        """Oldest first, until within both bounds (a result larger than `max_bytes` alone
        is answered to its waiters and not kept)."""
        while len(self._entries) > self.max_entries or (
                self.bytes > self.max_bytes and self._entries):
            self._drop(next(iter(self._entries)))
