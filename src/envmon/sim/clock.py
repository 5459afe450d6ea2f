"""A simulated clock: Beijing time that may run faster than the wall clock."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta


class SimClock:
    def __init__(self, start: datetime, speed: float = 1.0):
        if start.tzinfo is None:
            raise ValueError("SimClock start must be timezone-aware")
        self.start = start
        self.speed = speed
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)

    async def sleep_until(self, when: datetime) -> None:
        delay = (when - self.now()).total_seconds() / self.speed
        if delay > 0:
            await asyncio.sleep(delay)
