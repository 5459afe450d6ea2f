"""`SharedResults`: one computation of a heavy result for every screen that asks within a few
seconds.

A wall of screens in a monitoring centre asks the same overview and the same month's
assessment every few seconds. Each answer is a query of the store plus Python work in the
process that also runs the receiver, so N screens cost N computations (bench_web: eight
clients asking without pause held the receiver at about a fifth of its throughput). Here the
first request computes; requests for the same path and query that arrive while it runs wait
for it (single flight), and those within `fresh_s` after it get its bytes. Errors are never
kept. Any write through the API (a POST) empties the cache, so a user never sees the world
before their own change; data arriving over HJ 212 shows within `fresh_s` (the live pages
get it at once from the event stream).

The cache holds at most `max_entries` results (the oldest goes first): query strings come
from the network and must not grow memory without bound.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

__all__ = ["SharedResults"]


class SharedResults:
    def __init__(self, fresh_s: float = 5.0, max_entries: int = 256,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.fresh_s = fresh_s
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, asyncio.Future]] = OrderedDict()
        self.computed = 0
        self.shared = 0

    def clear(self) -> None:
        self._entries.clear()

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        """`compute()`'s result, shared with every caller of the same key while it runs
        and for `fresh_s` after it finished."""
        if self.fresh_s <= 0:
            return await compute()
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None:
            finished_at, future = entry
            if not future.done() or now - finished_at < self.fresh_s:
                self.shared += 1
                return await asyncio.shield(future)
            del self._entries[key]
        future = asyncio.get_running_loop().create_future()
        self._entries[key] = (float("inf"), future)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        self.computed += 1
        try:
            value = await compute()
        except BaseException as error:
            if self._entries.get(key, (0, None))[1] is future:
                del self._entries[key]
            future.set_exception(error)
            future.exception()  # retrieved: waiters get it; nobody else is warned
            raise
        if self._entries.get(key, (0, None))[1] is future:
            self._entries[key] = (self.clock(), future)
        future.set_result(value)
        return value
