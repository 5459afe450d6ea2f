"""The web app as its own process (`envmon web`): pages and API over a store, no receiver.

With PostgreSQL a province runs its receivers as `envmon serve --no-web --db URL` processes and
the web app apart, `envmon web --db URL`, all on one database. With DuckDB, `envmon web` serves
a file that no `envmon serve` holds (it holds the file then, as serve would).

`WebPlatform` stands where `envmon.app.Platform` stands for the web app (`web.service.WebApp`
takes either): the store, no receiver, no alarm engine, no remote commands (those routes
answer 503 and say why), and writes on one thread of its own (`run_in_writer`), so the web
app's writes in this process queue behind each other as they queue behind the receiver's
commits in serve.

Live events cannot come from a receiver's hooks here, so `StoreFeed` reads them from the
database: every `interval_s` it asks for the uploads stored since it last looked
(``records.received_at``, indexed; on PostgreSQL the partitions are by data time, and each
month's index answers) and publishes a ``packet`` event per point and upload, as the
receiver's hook does. Polling works on both engines with no help from the receivers (LISTEN/
NOTIFY would need a hook in every receiver and exists on PostgreSQL only). Receivers commit out
of order by a few milliseconds to seconds (group commit, retries), so each read goes back
`lag_s` before the newest time seen and the uploads already published are skipped.
Alarms and point states follow from the store: point states reconcile with it every minute
(`web.publish.RECONCILE_S`), and a packet from a point taken as silent clears it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from envmon.ingest.records import STORED_UPLOAD_CNS
from envmon.timeutil import BEIJING_FIXED, now_beijing

log = logging.getLogger("envmon.web")

__all__ = ["StoreFeed", "WebOnlyOptions", "WebPlatform"]

FEED_SQL = """
SELECT mn, cn, data_time, MAX(received_at) AS received_at
FROM records
WHERE received_at > ?
GROUP BY mn, cn, data_time
ORDER BY received_at
LIMIT ?
"""


@dataclass(frozen=True)
class WebOnlyOptions:
    """What `WebPlatform` says about itself to the routes that ask (`workers` as serve's)."""

    workers: int = 1


class StoreFeed:
    """``packet`` events from the uploads the receivers store (see the module docstring)."""

    interval_s: float = 1.0
    """As often as the receiver's hook announces a point (`PACKET_EVENT_INTERVAL_S`)."""
    lag_s: float = 10.0
    """How far back each read looks again: a group commit (milliseconds) or a retried one
    (seconds) stores rows received before the newest one already read."""
    max_rows: int = 20000
    """Uploads read at most per look: a province (3 667 points) at its top-of-hour burst sends
    a few thousand a second; more waits for the next look, never a read without end."""

    def __init__(self, store: Any, hub: Any, states: Any = None,
                 since: datetime | None = None) -> None:
        self.store, self.hub, self.states = store, hub, states
        self.since = since or now_beijing()
        self._seen: dict[tuple[str, str, Any], datetime] = {}
        self._task: asyncio.Task | None = None
        self.published = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        failing = False
        while True:
            try:
                await self.poll()
                failing = False
            except Exception as error:  # the database away: say so once, keep trying
                if not failing:
                    log.warning("live events: cannot read the store (%s); retrying", error)
                failing = True
            await asyncio.sleep(self.interval_s)

    async def poll(self) -> int:
        """One look at the store; returns the events published."""
        start = self.since - timedelta(seconds=self.lag_s)
        rows = await asyncio.to_thread(self.store.query, FEED_SQL, [start, self.max_rows])
        return self.publish(rows)

    def publish(self, rows: list[tuple]) -> int:
        """Publish the uploads not published yet (call on the loop)."""
        count = 0
        for mn, cn, data_time, received_at in rows:
            key = (mn, cn, data_time)
            if key in self._seen:
                continue
            self._seen[key] = received_at
            self.since = max(self.since, received_at)
            if self.states is not None and mn in self.states.silent:
                self.states.packet(mn)
            if cn not in STORED_UPLOAD_CNS:
                continue
            self.hub.publish("packet", {
                "mn": mn, "cn": cn,
                "data_time": data_time.astimezone(BEIJING_FIXED).isoformat()
                if data_time else None,
                "received_at": received_at.astimezone(BEIJING_FIXED).isoformat()})
            count += 1
        horizon = self.since - timedelta(seconds=self.lag_s)
        self._seen = {key: at for key, at in self._seen.items() if at >= horizon}
        self.published += count
        return count


@dataclass(eq=False)  # identity: the metrics keep one registry per platform object
class WebPlatform:
    """The web app's platform in `envmon web`: a store and services, no receiver."""

    store: Any
    services: list[Any] = field(default_factory=list)
    options: WebOnlyOptions = field(default_factory=WebOnlyOptions)
    receiver: Any = None
    alarms: Any = None
    commands: Any = None
    backfill: Any = None
    notes: list[str] = field(default_factory=list)
    feed: StoreFeed | None = None

    def __post_init__(self) -> None:
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="envmon-web-writer")
        self._started: list[Any] = []

    async def run_in_writer(self, fn: Any, *args: Any) -> Any:
        """The web app's writes, one at a time on this process's writer thread."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    async def start(self) -> None:
        """Start the services (the web app first), then the live feed from the store."""
        for service in self.services:
            await service.start(self)
            self._started.append(service)
            if service.note:
                self.notes.append(service.note)
        web = next((s for s in self.services if getattr(s, "context", None) is not None),
                   None)
        if web is not None:
            self.feed = StoreFeed(self.store, web.context.events, web.states)
            self.feed.start()
            self.notes.append("live events read from the store every "
                              f"{StoreFeed.interval_s:g} s")

    async def stop(self) -> None:
        if self.feed is not None:
            await self.feed.stop()
        for service in reversed(self._started):
            try:
                await service.stop()
            except Exception:
                log.exception("stopping %s failed", service.name)
        self._started.clear()
        self._writer.shutdown(wait=True)

    def close(self) -> None:
        self.store.close()
