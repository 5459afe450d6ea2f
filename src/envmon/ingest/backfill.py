"""Back-fill (补遗): the platform asks units for the hourly data it is missing.

HJ 212-2017 C.20–C.22 (hj212.md §7): the platform sends CN=2061 with Flag=5 and
``BeginTime``/``EndTime`` (inclusive, hour precision); the unit answers 9011 (QnRtn), uploads
each hour as an ordinary 2061 upload (stored by the receiver with its true received time),
then 9012 (ExeRtn: 1 done, 100 no data) with the request's QN. What comes back counts for
the 补全 variant of the assessment (transmission.md §5).

- `missing_hours` / `plan_ranges`: pure planning: which hours of a point lack a record for
  at least one assessed factor, coalesced into BeginTime/EndTime ranges.
- `BackfillScheduler` attaches to a running `Receiver` through its hooks (no change to the
  receiver): when a point comes (back) online and every `interval_s`, it asks that point for
  its missing hours, one request at a time per point, waits for the 9012 (bounded by a
  timeout), and logs each request and its outcome in `backfill_requests`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from envmon.hj212 import codec
from envmon.hj212.events import RequestAnswered, RequestCompleted
from envmon.timeutil import now_beijing

log = logging.getLogger("envmon.ingest.backfill")

HOUR = timedelta(hours=1)
ST_BY_KIND = {"gas": "31", "water": "32"}


def plan_ranges(hours: Iterable[datetime], max_hours: int = 24) -> list[tuple[datetime, datetime]]:
    """Coalesce hour starts into inclusive (BeginTime, EndTime) ranges of consecutive hours,
    each at most `max_hours` long (HJ 212-2017 C.20: both bounds inclusive, hour precision)."""
    if max_hours < 1:
        raise ValueError("max_hours must be at least 1")
    ordered = sorted(set(hours))
    ranges: list[tuple[datetime, datetime]] = []
    for hour in ordered:
        if ranges:
            begin, end = ranges[-1]
            if hour - end == HOUR and (hour - begin) / HOUR < max_hours:
                ranges[-1] = (begin, hour)
                continue
        ranges.append((hour, hour))
    return ranges


def _missing_sql(n_points: int) -> str:
    marks = ", ".join("?" for _ in range(n_points))
    return f"""
WITH
pf AS (SELECT mn, factor FROM point_factors WHERE mn IN ({marks})),
nf AS (SELECT mn, COUNT(*) AS n FROM pf GROUP BY mn),
hours AS (
    SELECT g.h FROM generate_series(CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ),
                                    INTERVAL '1 hour') AS g(h)
),
got AS (
    SELECT r.mn, r.data_time AS h, COUNT(DISTINCT r.factor) AS n
    FROM records r
    JOIN pf ON pf.mn = r.mn AND pf.factor = r.factor
    WHERE r.cn = '2061' AND r.data_time >= ? AND r.data_time < ?
    GROUP BY r.mn, r.data_time
)
SELECT nf.mn, hours.h
FROM nf
CROSS JOIN hours
LEFT JOIN got ON got.mn = nf.mn AND got.h = hours.h
WHERE COALESCE(got.n, 0) < nf.n
  AND NOT EXISTS (
      SELECT 1 FROM exemptions e JOIN points p ON p.unit_id = e.unit_id
      WHERE p.mn = nf.mn AND (e.mn IS NULL OR e.mn = p.mn) AND e.revoked_at IS NULL
        AND hours.h >= e.start_time AND hours.h < e.end_time)
ORDER BY nf.mn, hours.h
"""


def missing_hours_many(store, mns: list[str], start: datetime, end: datetime
                       ) -> dict[str, list[datetime]]:
    """For each point, the hour starts in [start, end) for which some assessed factor has no
    CN 2061 record, leaving out hours of a (non-revoked) exemption period. One query for all
    the points (one scan of the window), so a round over a province stays cheap for the
    writer thread the lookups run on. `start`/`end` on the hour."""
    out: dict[str, list[datetime]] = {mn: [] for mn in mns}
    if end <= start or not mns:
        return out
    for mn, hour in store.query(_missing_sql(len(mns)), [*mns, start, end - HOUR, start, end]):
        out[mn].append(hour)
    return out


def missing_hours(store, mn: str, start: datetime, end: datetime) -> list[datetime]:
    """`missing_hours_many` for one point."""
    return missing_hours_many(store, [mn], start, end)[mn]


@dataclass
class BackfillSettings:
    """Bounds of the back-fill (all configuration; transmission.md §5 leaves them open)."""

    lookback_hours: int = 240
    """How far back to look for gaps: the 补全 window (10 days, transmission.md §5); data
    fetched later no longer counts."""
    settle_hours: float = 2.0
    """Only ask for hours that ended at least this long ago (the 即时 window), so that
    data still on its way is not asked for twice."""
    interval_s: float = 3600.0
    """Scheduled round over every online point."""
    answer_timeout_s: float = 120.0
    """Longest wait from the request to its 9012 (HJ 212 timeouts are 10 s × 3 per packet;
    a day of hours with per-record answers takes longer)."""
    max_hours_per_request: int = 24
    max_requests_per_round: int = 10
    """Per point and round: a unit gone for weeks is caught up over several rounds."""
    max_concurrent_points: int = 64
    online_delay_s: float = 60.0
    """Wait this long after a point (re)connects before asking: units often re-send their
    buffered hours themselves (补传) right after reconnecting, and the answers (9014) to its
    first uploads go out before any request."""
    retry_after_s: float = 600.0
    """A point whose request failed or timed out is not asked again before this."""
    no_data_retry_s: float = 6 * 3600.0
    """Hours a unit answered "no data" (ExeRtn 100) for are not asked again before this."""
    not_before: datetime | None = None
    """Never ask for hours before this (e.g. when the points were commissioned)."""


class BackfillScheduler:
    """Asks units for their missing hours over HJ 212; attach it to a `Receiver`.

        scheduler = BackfillScheduler(receiver)
        scheduler.attach()          # hooks: point online, request answers
        scheduler.start()           # the scheduled rounds (optional)
        ...
        await scheduler.stop()
    """

    def __init__(self, receiver, settings: BackfillSettings | None = None, *,
                 clock: Callable[[], datetime] = now_beijing) -> None:
        self.receiver = receiver
        self.settings = settings or BackfillSettings()
        self.clock = clock
        self._active: dict[str, asyncio.Task] = {}
        self._waiting: dict[str, asyncio.Future] = {}  # QN -> future of (outcome, rtns)
        self._answers: dict[str, str] = {}  # QN -> QnRtn
        self._failed_at: dict[str, float] = {}
        self._no_data: dict[str, dict[datetime, float]] = {}  # MN -> hour -> when answered
        self._last_qn = ""
        self._loop_task: asyncio.Task | None = None
        self._timers: dict[str, asyncio.TimerHandle] = {}  # MN -> pending online request
        self._semaphore = asyncio.Semaphore(self.settings.max_concurrent_points)
        self._lookups: dict[str, list[asyncio.Future]] = {}  # MN -> waiting for its hours
        self._lookup_task: asyncio.Task | None = None
        self.requests_sent = 0

    # -- wiring ------------------------------------------------------------------------
    def attach(self) -> None:
        self.receiver.on_point_online.append(self._on_point_online)
        self.receiver.on_session_event.append(self._on_session_event)

    def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self._rounds(),
                                                                 name="backfill-rounds")

    async def stop(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        tasks = [t for t in (self._loop_task, *self._active.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(ValueError):
            self.receiver.on_point_online.remove(self._on_point_online)
        with contextlib.suppress(ValueError):
            self.receiver.on_session_event.remove(self._on_session_event)

    async def idle(self) -> None:
        """Wait until no point is being back-filled."""
        while self._active:
            await asyncio.gather(*list(self._active.values()), return_exceptions=True)

    # -- hooks (run on the event loop) ---------------------------------------------------
    def _on_point_online(self, mn: str, protocol) -> None:
        delay = self.settings.online_delay_s
        if delay <= 0:
            self.request(mn, "online")
            return
        old = self._timers.pop(mn, None)
        if old is not None:
            old.cancel()
        self._timers[mn] = asyncio.get_running_loop().call_later(delay, self._online_due, mn)

    def _online_due(self, mn: str) -> None:
        self._timers.pop(mn, None)
        if mn in self.receiver.online:
            self.request(mn, "online")

    def _on_session_event(self, protocol, event) -> None:
        if isinstance(event, RequestAnswered):
            self._answers[event.qn] = event.qn_rtn
            future = self._waiting.get(event.qn)
            if event.qn_rtn != "1" and future is not None and not future.done():
                future.set_result(("refused", event.qn_rtn, None))
        elif isinstance(event, RequestCompleted):
            future = self._waiting.get(event.qn)
            if future is not None and not future.done():
                outcome = "completed" if event.exe_rtn == "1" else (
                    "no_data" if event.exe_rtn == "100" else "failed")
                future.set_result((outcome, self._answers.get(event.qn), event.exe_rtn))

    def request(self, mn: str, trigger: str = "manual") -> asyncio.Task | None:
        """Start back-filling `mn` unless it is already being back-filled; returns the task."""
        if mn in self._active:
            return None
        failed = self._failed_at.get(mn)
        loop = asyncio.get_running_loop()
        if failed is not None and loop.time() - failed < self.settings.retry_after_s:
            return None
        task = loop.create_task(self._backfill(mn, trigger), name=f"backfill-{mn}")
        self._active[mn] = task
        task.add_done_callback(lambda _t, mn=mn: self._active.pop(mn, None))
        return task

    async def _rounds(self) -> None:
        while True:
            await asyncio.sleep(self.settings.interval_s)
            for mn in list(self.receiver.online):
                self.request(mn, "schedule")

    # -- one point -----------------------------------------------------------------------
    async def _in_writer(self, fn, *args):
        writer = self.receiver.writer
        run = getattr(writer, "run_in_writer", None)
        if run is not None:
            return await run(fn, *args)
        return await asyncio.get_running_loop().run_in_executor(writer._executor, fn, *args)

    def _window(self) -> tuple[datetime, datetime]:
        now = self.clock()
        end = (now - timedelta(hours=self.settings.settle_hours)).replace(
            minute=0, second=0, microsecond=0)
        start = end - timedelta(hours=self.settings.lookback_hours)
        if self.settings.not_before is not None:
            start = max(start, self.settings.not_before)
        return start, end

    def _qn(self) -> str:
        qn = codec.make_qn(self.clock())
        if qn <= self._last_qn:
            qn = str(int(self._last_qn) + 1)
        self._last_qn = qn
        return qn

    async def _missing(self, mn: str) -> list[datetime]:
        """This point's missing hours, looked up together with every other point asking in
        the same loop iteration (a scheduled round, a reconnect storm): one query."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._lookups.setdefault(mn, []).append(future)
        if self._lookup_task is None:
            self._lookup_task = loop.create_task(self._run_lookups(), name="backfill-lookup")
        return await future

    async def _run_lookups(self) -> None:
        await asyncio.sleep(0)  # let the tasks spawned with this one register first
        pending, self._lookups, self._lookup_task = self._lookups, {}, None
        try:
            start, end = self._window()
            found = await self._in_writer(missing_hours_many, self.receiver.store,
                                          list(pending), start, end)
        except Exception as error:
            for futures in pending.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(error)
            return
        for mn, futures in pending.items():
            for future in futures:
                if not future.done():
                    future.set_result(found.get(mn, []))

    async def _backfill(self, mn: str, trigger: str) -> None:
        try:
            hours = await self._missing(mn)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("back-fill look-up for %s failed", mn)
            self._failed_at[mn] = asyncio.get_running_loop().time()
            return
        async with self._semaphore:
            try:
                await self._backfill_point(mn, trigger, hours)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("back-fill of %s failed", mn)
                self._failed_at[mn] = asyncio.get_running_loop().time()

    async def _backfill_point(self, mn: str, trigger: str, hours: list[datetime]) -> None:
        settings = self.settings
        now = asyncio.get_running_loop().time()
        no_data = self._no_data.get(mn, {})
        for hour, when in list(no_data.items()):
            if now - when >= settings.no_data_retry_s:
                del no_data[hour]
        hours = [hour for hour in hours if hour not in no_data]
        ranges = plan_ranges(hours, settings.max_hours_per_request)
        for begin, last in ranges[: settings.max_requests_per_round]:
            outcome = await self._ask(mn, begin, last, trigger)
            if outcome == "no_data":
                when = asyncio.get_running_loop().time()
                asked = self._no_data.setdefault(mn, {})
                hour = begin
                while hour <= last:
                    asked[hour] = when
                    hour += HOUR
            if outcome not in ("completed", "no_data"):
                self._failed_at[mn] = asyncio.get_running_loop().time()
                return
        self._failed_at.pop(mn, None)

    async def _ask(self, mn: str, begin: datetime, last: datetime, trigger: str) -> str:
        """One request, logged; returns its outcome."""
        point = self.receiver.points.get(mn)
        protocol = self.receiver.online.get(mn)
        qn = self._qn()
        hours = int((last - begin) / HOUR) + 1
        row_id = await self._in_writer(self._log_request, mn, qn, begin, last, hours, trigger)
        if point is None or protocol is None:
            await self._in_writer(self._log_outcome, row_id, "not_sent", None, None)
            return "not_sent"
        # In the unit's version; to an HJ 212-2025 unit encrypted with its key (§6.4.4).
        # (A connection or receiver without them, as a test's stand-in: HJ 212-2017.)
        version = getattr(protocol, "versions", {}).get(mn, 2017)
        keys = getattr(self.receiver, "keys", None)
        frame = protocol.session.request_history(
            "2061", begin, last, point.pw, mn, ST_BY_KIND.get(point.kind, "32"), qn,
            version, keys(mn) if version == 2025 and keys is not None else None)
        future = asyncio.get_running_loop().create_future()
        self._waiting[qn] = future
        try:
            if not protocol.send(frame):
                outcome, qn_rtn, exe_rtn = "not_sent", None, None
            else:
                self.requests_sent += 1
                try:
                    outcome, qn_rtn, exe_rtn = await asyncio.wait_for(
                        future, self.settings.answer_timeout_s)
                except TimeoutError:
                    outcome, qn_rtn, exe_rtn = "timeout", self._answers.get(qn), None
        finally:
            self._waiting.pop(qn, None)
            self._answers.pop(qn, None)
        log.info("back-fill %s %s..%s (%d h): %s", mn, begin, last, hours, outcome)
        await self._in_writer(self._log_outcome, row_id, outcome, qn_rtn, exe_rtn)
        return outcome

    def _log_request(self, mn, qn, begin, last, hours, trigger) -> int:
        store = self.receiver.store
        row_id = store.query("SELECT nextval('backfill_requests_id_seq')")[0][0]
        store.execute(
            "INSERT INTO backfill_requests (id, mn, cn, qn, begin_time, end_time, hours, "
            "trigger, requested_at, outcome) VALUES (?, ?, '2061', ?, ?, ?, ?, ?, ?, 'pending')",
            [row_id, mn, qn, begin, last, hours, trigger, self.clock()],
        )
        return int(row_id)

    def _log_outcome(self, row_id, outcome, qn_rtn, exe_rtn) -> None:
        self.receiver.store.execute(
            "UPDATE backfill_requests SET outcome = ?, qn_rtn = ?, exe_rtn = ?, finished_at = ? "
            "WHERE id = ?",
            [outcome, qn_rtn, exe_rtn, self.clock(), row_id],
        )


def attach_backfill(receiver, settings: BackfillSettings | None = None, *,
                    rounds: bool = True) -> BackfillScheduler:
    """Attach a scheduler to a started receiver (on its event loop) and start its rounds;
    `await scheduler.stop()` before `receiver.stop()`."""
    scheduler = BackfillScheduler(receiver, settings)
    scheduler.attach()
    if rounds:
        scheduler.start()
    return scheduler
