"""`SupervisionJob`: the running platform's supervision service. Every `[supervision]
sweep_every_s` it escalates overdue notices (`api.sweep`), runs the warning rules, and at a
month change grades the month just ended (`grading.api.grade_month`), all on the writer
thread; escalations and notices are delivered to the webhooks in the background
(`deliver_soon`: never awaited by a request, never on the writer thread)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger("envmon.supervision")


class SupervisionJob:
    name = "supervision"

    def __init__(self, config: Any = None) -> None:
        from envmon.supervision.settings import SupervisionSettings

        self.config = config
        self.settings = getattr(config, "supervision", None) or SupervisionSettings()
        self.graded_month: str | None = None
        self.runs = 0
        self._platform: Any = None
        self._task: asyncio.Task | None = None
        self._deliveries: set[asyncio.Task] = set()

    @property
    def note(self) -> str | None:
        return f"supervision sweep every {self.settings.sweep_every_s:g} s"

    async def start(self, platform: Any) -> None:
        self._platform = platform
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="supervision")

    def _work(self, store) -> list:
        from envmon.grading.api import grade_month
        from envmon.period import month_start
        from envmon.supervision.api import generate_warnings, sweep
        from envmon.timeutil import now_beijing

        now = now_beijing()
        escalated = sweep(store, self.settings, now=now, deliver=False).cases
        assess = getattr(self.config, "assess", None)
        generate_warnings(store, self.settings, now=now, assess_config=assess)
        last = (month_start(now) - __import__("datetime").timedelta(days=1)).strftime("%Y-%m")
        if self.graded_month != last:
            if not store.query("SELECT 1 FROM unit_grades WHERE month = ? LIMIT 1", [last]):
                grade_month(store, last, getattr(self.config, "grade", None), now=now,
                            assess_config=assess,
                            mark_deadline_hours=self.settings.mark_deadline_hours)
            self.graded_month = last
        return list(escalated)

    async def _loop(self) -> None:
        # The first run waits one period: start-up (the receiver's first packets, the web
        # app) comes first, and a month's assessment is not free.
        while True:
            await asyncio.sleep(self.settings.sweep_every_s)
            try:
                escalated = await self._platform.run_in_writer(self._work,
                                                               self._platform.store)
                self.runs += 1
                for case in escalated:
                    self._publish(case)
                    self.deliver_soon(case.id, "escalate")
            except Exception:
                log.exception("supervision sweep failed")

    def _publish(self, case) -> None:
        """The escalation on the web app's live streams (a `supervision` event)."""
        from envmon.app import web_app
        from envmon.timeutil import now_beijing

        web = web_app(self._platform)
        context = getattr(web, "context", None)
        if context is not None:
            context.events.publish("supervision", case.as_json(now_beijing()))

    def deliver_soon(self, case_id: int, event: str) -> None:
        if not self.settings.webhook_urls or self._platform is None:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(case_id, event))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, case_id: int, event: str) -> None:
        from envmon.supervision import store as case_store
        from envmon.supervision.notify import deliver
        from envmon.timeutil import now_beijing

        platform = self._platform
        case = await platform.run_in_writer(case_store.get_case, platform.store, case_id)

        def log_attempt(url, attempt):
            asyncio.ensure_future(platform.run_in_writer(
                case_store.log_delivery, platform.store, case_id, event, url, attempt.attempt,
                now_beijing(), attempt.ok, attempt.http_status, attempt.error))

        await deliver(case, event, self.settings, log_attempt)

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._deliveries) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
