"""The one way envmon runs an event loop from synchronous code (`envmon serve`, `simulate`,
`demo`, and the TCP replay use case): on uvloop where available, which roughly halves the
receiver's per-packet cost, else asyncio's own loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["run_loop"]


def run_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion on a new event loop (uvloop if installed) and return its value."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)
