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
        self._warned_at = None  # when the warning rules last ran
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

    async def _run(self) -> list:
        """One round: the overdue sweep (writer thread); the warning rules and, at a month
        change, the month's figures read beside it (a worker thread: assessing a month must
        not hold up the receiver's commits), their cases and grades written on it."""
        from datetime import timedelta

        from envmon.grading.api import figures_of, save_grades
        from envmon.period import month_start
        from envmon.supervision.api import find_warnings, open_findings, sweep
        from envmon.timeutil import now_beijing

        platform, store = self._platform, self._platform.store
        now = now_beijing()
        escalated = (await platform.run_in_writer(
            lambda: sweep(store, self.settings, now=now, deliver=False))).cases
        assess = getattr(self.config, "assess", None)
        if self._warned_at is None or (now - self._warned_at).total_seconds() \
                >= self.settings.warnings_every_s:
            as_of, findings = await asyncio.to_thread(
                find_warnings, store, self.settings, now=now, assess_config=assess)
            await platform.run_in_writer(lambda: open_findings(store, findings, as_of, now=now))
            self._warned_at = now
        last = (month_start(now) - timedelta(days=1)).strftime("%Y-%m")
        if self.graded_month != last:
            graded = await asyncio.to_thread(store.query, "SELECT 1 FROM unit_grades WHERE "
                                             "month = ? LIMIT 1", [last])
            if not graded:
                figures = await asyncio.to_thread(
                    lambda: figures_of(store, last, now=now, assess_config=assess,
                                       mark_deadline_hours=self.settings.mark_deadline_hours))
                await platform.run_in_writer(lambda: save_grades(
                    store, last, figures, getattr(self.config, "grade", None), now=now))
            self.graded_month = last
        return list(escalated)

    async def _loop(self) -> None:
        # The first run waits one period: start-up (the receiver's first packets, the web
        # app) comes first, and a month's assessment is not free.
        while True:
            await asyncio.sleep(self.settings.sweep_every_s)
            if not getattr(self._platform, "runs_jobs", True):
                continue  # another receiver on the store holds the jobs lease
            try:
                escalated = await self._run()
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
