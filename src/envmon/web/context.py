"""`WebContext`: what the web app's routes may use, built once by whoever serves the app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from envmon.store import Store
from envmon.timeutil import now_beijing
from envmon.web.events import EventHub


@dataclass
class WebContext:
    """The store the app reads (and, through `run_in_writer`, writes), and what serves it.

    ``platform`` is the running `envmon.app.Platform` when the app is served by `envmon serve`
    or `envmon demo` (live connections, the receiver's counters, its writer thread); None when
    the app is served over a store alone (a test of pages, a read-only viewer). Routes that
    need it say so with a 503, never a traceback.
    """

    store: Store
    platform: Any = None  # envmon.app.Platform, or None
    events: EventHub = field(default_factory=EventHub)
    default_lang: str = "zh"  # pages speak zh-CN unless the user switches (?lang=en, a cookie)
    now: Callable[[], datetime] = now_beijing  # one clock for every route (tests set it)
    settings: dict[str, Any] = field(default_factory=dict)  # the [web] table of the config
    config: Any = None  # envmon.config.Config (its [assess] rules); None = the default file
    point_states: Any = None  # web.publish.PointStates of the running platform, or None

    def state_inputs(self) -> dict[str, Any]:
        """What the point-state rule (`envmon.overview.states`) takes from the running
        platform: the receiver's live connections and the alarm engine's per-point offline
        threshold; without a platform, the threshold of the [alarms] settings over the
        store."""
        receiver = getattr(self.platform, "receiver", None)
        engine = getattr(self.platform, "alarms", None)
        return {"online": set(receiver.online) if receiver is not None else None,
                "offline_after": engine.offline_after if engine is not None else None,
                "alarm_config": self.alarm_config()}

    def alarm_config(self) -> Any:
        """The [alarms] settings (`alarms.config.AlarmConfig`) of the configuration."""
        from envmon.alarms.config import AlarmConfig, alarm_config_from_dict

        table = dict(getattr(self.config, "alarms", None) or {})
        table = {k: v for k, v in table.items() if not k.startswith("webhook")}
        return alarm_config_from_dict(table) if table else AlarmConfig()

    async def run_in_writer(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Writes to tables the receiver also writes go through its writer thread
        (`envmon.app`, "Who writes where"); without a platform, in a worker thread (never
        on the event loop, which must keep answering while the write runs)."""
        if self.platform is not None:
            return await self.platform.run_in_writer(fn, *args)
        return await asyncio.to_thread(fn, *args)
