"""`compute(request, fn, *args, shared_key=None)`: the one way a route — an API endpoint
(`api.usecase`) or a page (`pages/`) — runs blocking work (a use case, a rendering).

* In a worker thread, at most `[web] query_slots` at once (`app.state.query_slots`): heavy
  work waits for a slot instead of piling threads onto the two cores the receiver shares.
  The slot is held until the THREAD's work ends, not until the awaiting request leaves: a
  client that hangs up does not free a slot while its query still runs (else N hang-ups
  would run N + slots queries at once).
* With a `shared_key`, through `app.state.shared_results` (`api.cache.SharedResults`): one
  computation for every screen asking the same within `[web] result_cache_s`.

A route that needs the live platform's inputs (`WebContext.state_inputs`) takes them on the
loop BEFORE calling this and passes them in: the receiver's and the engine's dicts change on
the loop and are never read from a worker thread.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["compute", "run_blocking"]


async def run_blocking(request: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` in a worker thread, within a query slot held until the thread ends."""
    slots: asyncio.Semaphore | None = getattr(request.app.state, "query_slots", None)
    if slots is None:
        return await asyncio.to_thread(fn, *args)
    await slots.acquire()
    try:
        work = asyncio.ensure_future(asyncio.to_thread(functools.partial(fn, *args)))
    except BaseException:
        slots.release()
        raise
    work.add_done_callback(functools.partial(_finished, slots))
    # A cancelled request leaves the thread running (threads cannot be stopped): shielded,
    # the slot is released by the thread's end (`_finished`), never by the cancellation.
    return await asyncio.shield(work)


def _finished(slots: asyncio.Semaphore, work: asyncio.Future) -> None:
    slots.release()
    if not work.cancelled():
        work.exception()  # retrieved: a request that left is not warned about later


async def compute(request: Any, fn: Callable[..., Any], *args: Any,
                  shared_key: Hashable | None = None) -> Any:
    """`fn(*args)` through `run_blocking`; with `shared_key`, shared by every request of the
    same key (`app.state.shared_results.get(key, …)`)."""
    async def run() -> Any:
        return await run_blocking(request, fn, *args)

    results = getattr(request.app.state, "shared_results", None)
    if shared_key is None or results is None:
        return await run()
    return await results.get(shared_key, run)
