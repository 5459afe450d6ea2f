"""A running platform (receiver, command dispatcher, web app) on its own event loop thread,
over a real DuckDB file, with one simulated unit connected: for the API and browser tests of
remote commands."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tests.ingest.conftest import GAS_MN, PW

START_S = 60.0


@dataclass
class Running:
    base: str
    platform: Any
    loop: asyncio.AbstractEventLoop
    unit: Any

    def url(self, path: str) -> str:
        return self.base + path

    def run(self, coro, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


def start(store, workers: int = 1):
    """(Running, stop); with `workers` > 1 the receiver runs in worker processes."""
    from envmon.app import Platform, PlatformOptions, web_app
    from envmon.ingest.server import ReceiverLimits
    from envmon.sim.clock import SimClock
    from envmon.sim.dau import DataAcquisitionUnit
    from envmon.sim.values import SimPoint
    from envmon.timeutil import now_beijing

    platform = Platform(store, PlatformOptions(host="127.0.0.1", hj212_port=0, web_port=0,
                                               backfill=False, alarms=False,
                                               limits=ReceiverLimits(), workers=workers))
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        await platform.start()
        clock = SimClock(now_beijing())
        point = SimPoint(GAS_MN, PW, "gas", {"a21026": 35.0})
        unit = DataAcquisitionUnit(point, "127.0.0.1", platform.receiver.port, clock=clock,
                                   realtime=False, minute_data=False)
        await unit.connect()
        hour = clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        await unit.send_upload("2061", hour, unit.period_data("2061", hour))
        holder["unit"] = unit
        holder["stop"] = asyncio.Event()
        ready.set()
        await holder["stop"].wait()
        await unit.close()
        await platform.stop()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(START_S), "the platform did not start"
    running = Running(web_app(platform).url.rstrip("/"), platform, loop, holder["unit"])
    end = time.monotonic() + START_S
    while workers == 1 and GAS_MN not in platform.receiver.online:
        assert time.monotonic() < end, "the unit never came online"
        time.sleep(0.01)

    def stop() -> None:
        loop.call_soon_threadsafe(holder["stop"].set)
        thread.join(30)

    return running, stop
