"""Liveness and readiness of a process (``/healthz``, ``/readyz``).

* **liveness**: answering at all proves the event loop runs (a blocked loop answers
  nothing, and the supervisor's probe times out);
* **readiness**: the store answers ``SELECT 1`` within `timeout_s` (on a thread of its
  own, not the writer's: a long group commit must not make a healthy store look dead),
  the HJ 212 listener is bound and the writer has not given up. A load balancer sends
  units elsewhere while it is not ready.

Neither holds data: the bodies name the check that failed and why in a few words (the
exception's class, never its text, which may carry a path or a server address; that goes
to the log). One store probe runs at a time per process: while one is still waiting on a
hung store, the next request is answered 503 at once instead of starting another thread.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

log = logging.getLogger("envmon.ops")

__all__ = ["DEFAULT_READY_TIMEOUT_S", "liveness", "readiness"]

DEFAULT_READY_TIMEOUT_S = 2.0
"""How long the store may take to answer ``SELECT 1``: the issue's answer budget under the
top-of-hour burst is 2 s (p99), so a store slower than that cannot serve units in time."""

_probes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store -> running probe


def liveness() -> dict:
    return {"status": "ok"}


async def readiness(store: Any, platform: Any | None,
                    timeout_s: float = DEFAULT_READY_TIMEOUT_S) -> tuple[bool, dict]:
    """(ready, body): ``{"ready", "store", "receiver"}``, each check "ok" or why not."""
    store_state = await _store_answers(store, timeout_s)
    receiver_state = _receiver_state(platform)
    ready = store_state == "ok" and receiver_state in ("ok", "none")
    return ready, {"ready": ready, "store": store_state, "receiver": receiver_state}


def _receiver_state(platform: Any | None) -> str:
    if platform is None or getattr(platform, "receiver", None) is None:
        return "none"  # a process without a receiver (the web app alone)
    if getattr(platform, "failure", None):
        return "the store takes no writes; stopping"
    if not getattr(platform, "listening", False):
        return "the HJ 212 port is not listening"
    if getattr(platform.receiver, "refusing", False):
        return "stopping"
    return "ok"


async def _store_answers(store: Any, timeout_s: float) -> str:
    if store is None:
        return "no store"
    probe = _probes.get(store)
    if probe is not None and not probe.done():
        return "a previous check still waits for the store"
    probe = asyncio.ensure_future(asyncio.to_thread(store.query, "SELECT 1"))
    probe.add_done_callback(lambda done: done.cancelled() or done.exception())  # seen
    _probes[store] = probe
    try:
        await asyncio.wait_for(asyncio.shield(probe), timeout_s)
    except TimeoutError:
        return f"the store did not answer within {timeout_s:g} s"
    except Exception as error:  # closed, unreachable, …: the class only, the text logged
        log.warning("readiness: the store did not answer: %s", error)
        return f"the store did not answer ({type(error).__name__})"
    return "ok"
