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


def alarm_config_of(config: Any) -> Any:
    """The [alarms] settings (`alarms.config.AlarmConfig`) of `config` (None: defaults)."""
    from envmon.alarms.config import AlarmConfig, alarm_config_from_dict

    table = dict(getattr(config, "alarms", None) or {})
    table = {k: v for k, v in table.items() if not k.startswith("webhook")}
    return alarm_config_from_dict(table) if table else AlarmConfig()


def live_state_inputs(platform: Any, config: Any) -> dict[str, Any]:
    """What the point-state rule (`envmon.overview.states.point_states`) takes from the
    running platform: the receiver's live connections (a copy) and the alarm engine's
    per-point offline threshold; the [alarms] settings of `config` for the threshold over the
    store when no engine runs. The one source of these inputs for the API, the pages and the
    live tracker (`web.publish.PointStates`). Read on the loop: the receiver and the engine
    change these on it."""
    receiver = getattr(platform, "receiver", None)
    engine = getattr(platform, "alarms", None)
    return {"online": set(getattr(receiver, "online", ())) if receiver is not None else None,
            "offline_after": engine.offline_after if engine is not None else None,
            "alarm_config": alarm_config_of(config)}


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
    web: Any = None  # web.settings.WebSettings the app runs with (set by `create_app`)
    operator_token: str | None = None  # access.operator: the local CLI's token (serve sets it)

    def state_inputs(self) -> dict[str, Any]:
        """The point-state rule's live inputs (`live_state_inputs`); call it ON THE LOOP and
        pass the snapshot to the worker thread (`web.compute`)."""
        return live_state_inputs(self.platform, self.config)

    def alarm_config(self) -> Any:
        """The [alarms] settings (`alarms.config.AlarmConfig`) of the configuration."""
        return alarm_config_of(self.config)

    def web_settings(self) -> Any:
        """The [web] settings (`web.settings.WebSettings`): the configuration's, with the
        fields of `settings` on top."""
        from envmon.web.settings import web_settings

        if self.web is not None:
            return self.web
        return web_settings(getattr(self.config, "web", None), self.settings)

    async def run_in_writer(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Writes to tables the receiver also writes go through its writer thread
        (`envmon.app`, "Who writes where"); without a platform, in a worker thread (never
        on the event loop, which must keep answering while the write runs)."""
        if self.platform is not None:
            return await self.platform.run_in_writer(fn, *args)
        return await asyncio.to_thread(fn, *args)
