"""A running platform for the browser tests: the real receiver, alarm engine and web app
(`envmon.app.Platform`) over a copy of the demo's store, fed by simulated units
(`envmon.sim.dau`) on loopback, on an event loop of its own thread.

The alarm engine runs with a short offline threshold (`OFFLINE_AFTER_S`, checked every
`OFFLINE_CHECK_S`) so a unit that goes silent turns its point offline within seconds; the
live units send real-time data (2011) every `RTD_INTERVAL_S` to stay within it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OFFLINE_AFTER_S = 3.0
OFFLINE_CHECK_S = 0.25
RTD_INTERVAL_S = 0.5
LIVE_UNITS = 3  # gas points with no alarm open, each with a connected simulated unit
START_S = 60.0  # the platform and its units are up well within this on a loaded machine
# The API's overview is a shared result up to `[web] result_cache_s` old: after a
# point_state event its answer may still be the earlier one, so a wait looks again after at
# most this long when no further event comes.
RECHECK_S = 1.0


@dataclass
class LivePlatform:
    base: str
    platform: Any
    loop: asyncio.AbstractEventLoop
    units: dict[str, Any] = field(default_factory=dict)  # mn -> DataAcquisitionUnit

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def store(self):
        return self.platform.store

    def run(self, coro, timeout: float = 30.0) -> Any:
        """Run `coro` on the platform's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def get_json(self, path: str) -> Any:
        with urllib.request.urlopen(self.url(path), timeout=30) as answer:
            return json.load(answer)

    def state_of(self, mn: str) -> str:
        points = self.get_json("/api/v1/overview")["points"]
        return next(p["state"] for p in points if p["mn"] == mn)

    def wait_until(self, condition, what: str, deadline_s: float = 30.0) -> None:
        """Until `condition()` holds (it reads the API), looked at again each time the
        platform publishes a point_state (or after `RECHECK_S` without one); an assertion
        naming `what` past the deadline."""
        from envmon.app import web_app

        hub = web_app(self.platform).context.events

        async def subscribe():
            return hub.subscribe(frozenset({"point_state"}))

        async def next_change(events, timeout: float) -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(events.get(), timeout)

        events = self.run(subscribe())  # before the first look: no change is missed
        try:
            end = time.monotonic() + deadline_s
            while not condition():
                left = end - time.monotonic()
                assert left > 0, f"deadline passed: {what}"
                self.run(next_change(events, min(left, RECHECK_S)), left + 5)
        finally:
            self.loop.call_soon_threadsafe(events.close)

    def wait_state(self, mn: str, state: str, deadline_s: float = 30.0) -> None:
        self.wait_until(lambda: self.state_of(mn) == state, f"{mn} never {state}",
                        deadline_s)

    def silence(self, mn: str) -> None:
        """The unit stops: its tasks end and its connection closes."""
        self.run(self.units.pop(mn).close())


def _choose(store, count: int) -> list[str]:
    """Gas points without a not-closed alarm (they start online, not 报警)."""
    return [mn for (mn,) in store.query(
        "SELECT p.mn FROM points p WHERE p.kind = 'gas' AND p.mn NOT IN "
        "(SELECT mn FROM alarms WHERE status <> 'closed') ORDER BY p.mn LIMIT ?", [count])]


def start_live(demo_db: Path, folder: Path):
    """(LivePlatform, stop): the platform started with `LIVE_UNITS` units sending."""
    from envmon.app import Platform, PlatformOptions, web_app
    from envmon.sim.clock import SimClock
    from envmon.sim.dau import DataAcquisitionUnit
    from envmon.sim.fleet import sim_points_from_store
    from envmon.store import open_store
    from envmon.timeutil import now_beijing

    db = folder / "live.duckdb"
    shutil.copy(demo_db, db)
    store = open_store(db)
    chosen = _choose(store, LIVE_UNITS)
    sims = {p.mn: p for p in sim_points_from_store(store) if p.mn in chosen}
    platform = Platform(store, PlatformOptions(
        host="127.0.0.1", hj212_port=0, web_port=0, backfill=False,
        alarm_settings={"offline_after_s": OFFLINE_AFTER_S, "offline_check_s": OFFLINE_CHECK_S,
                        # the cadence the demo's store taught the engine (hourly: its
                        # units sent their history of hours) must not stretch the threshold
                        "offline_cadence_periods": 1e-4}))
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        await platform.start()
        clock = SimClock(now_beijing())
        units = {}
        for mn in chosen:
            unit = DataAcquisitionUnit(sims[mn], "127.0.0.1", platform.receiver.port,
                                       clock=clock, rtd_interval_s=RTD_INTERVAL_S,
                                       minute_data=False)
            units[mn] = unit
            unit._spawn(unit.run())
        holder["units"] = units
        holder["stop"] = asyncio.Event()
        ready.set()
        await holder["stop"].wait()
        for unit in units.values():
            await unit.close()
        await platform.stop()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(START_S), "the platform did not start"
    live = LivePlatform(web_app(platform).url.rstrip("/"), platform, loop, holder["units"])
    for mn in chosen:  # connected and sending: online by the rule
        live.wait_state(mn, "online", START_S)
    # The demo's other units are gone: their points turn offline once silent beyond their
    # thresholds (a few seconds here); the tests start from that settled screen.
    live.wait_until(lambda: all(
        p["state"] in ("offline", "stopped")
        for p in live.get_json("/api/v1/overview")["points"] if p["mn"] not in chosen),
        "the silent points did not turn offline", START_S)

    def stop() -> None:
        loop.call_soon_threadsafe(holder["stop"].set)
        thread.join(30)
        platform.close()

    return live, stop
