"""The alarm engine: rules evaluated as data arrive, alarms kept in the store, notifications.

    engine = AlarmEngine(store, config, notifiers=[WebhookNotifier(url)])
    engine.attach(receiver)          # before or after receiver.start()
    await engine.start()             # loads registry and not-closed alarms, starts the loops
    ...
    await engine.stop()              # before receiver.stop()

`on_commit` is the receiver's `after_commit` hook: it runs on the event loop right after the
commit that holds a packet, evaluates the rules in memory (`RuleEvaluator`, no I/O) and queues
the transitions. A background task writes them through `receiver.writer.run_in_writer` (the
thread that owns the DuckDB connection), then logs and notifies each new alarm in tasks of
their own: nothing here blocks or slows the receiver's answers. The offline rule is a periodic
check of the time since each registered point's last accepted packet, against the point's own
expected cadence: the shortest period of the data it sends (2051 a minute, 2061 an hour, 2031
a day), learned from its packets and kept in `alarm_point_state` so that it survives a
restart (a unit that sends only hourly data is not offline every hour), unless the registry
gives the point's upload interval (`expected_interval_s`, 数据上传间隔), which then wins.
The time of the last packet comes back from the raw log at start.

Without a receiver (`AlarmEngine(store)` and `process(records)`), the same rules run in batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from envmon.alarms import store as alarm_store
from envmon.alarms.config import AlarmConfig
from envmon.alarms.notify import Attempt, WebhookNotifier, log_line
from envmon.alarms.rules import Extend, PointRules, Raise, RuleEvaluator
from envmon.store import Store
from envmon.timeutil import BEIJING_FIXED, now_beijing

log = logging.getLogger("envmon.alarms")
APPLY_CHUNK = 200  # transitions per writer-thread call (one transaction)
CADENCE_S = {"2051": 60.0, "2061": 3600.0, "2031": 86400.0}
"""Expected seconds between uploads of a data command code (HJ 212-2017: minute, hourly and
daily data); real-time 2011 and the other codes keep a point alive but set no cadence."""


@dataclass(frozen=True, slots=True)
class Cadence:
    """A point's expected cadence was learned (written to alarm_point_state)."""

    mn: str
    seconds: float


def exemptions_by_mn(store: Store) -> dict[str, list[tuple]]:
    """MN → not revoked exemption periods (停产/停运/停排, envmon.assess marks) that have not
    ended: a point under one is expected to be silent (no offline alarm)."""
    rows = store.query(
        "SELECT p.mn, e.start_time, e.end_time FROM exemptions e JOIN points p "
        "ON p.unit_id = e.unit_id AND (e.mn IS NULL OR e.mn = p.mn) "
        "WHERE e.revoked_at IS NULL AND e.end_time > now()")
    out: dict[str, list[tuple]] = {}
    for mn, start, end in rows:
        out.setdefault(mn, []).append((start, end))
    return out


def point_rules(store: Store) -> tuple[dict[str, PointRules], dict[str, str]]:
    points, units = {}, {}
    history = store.registry_history()
    for p in store.list_points():
        points[p.mn] = PointRules(p.kind, dict(p.factors), p.o2_ref, history.get(p.mn),
                                  p.expected_interval_s)
        units[p.mn] = p.unit_id
    return points, units


class AlarmEngine:
    def __init__(self, store: Store, config: AlarmConfig | None = None, *,
                 notifiers: Iterable[WebhookNotifier] = (),
                 monotonic: Callable[[], float] = time.monotonic):
        self.store = store
        self.monotonic = monotonic  # seconds; a test may run the engine on simulated time
        self.config = config or AlarmConfig()
        self.notifiers = list(notifiers)
        self.evaluator = RuleEvaluator(self.config)
        self.units: dict[str, str] = {}
        self.receiver = None
        self.last_seen: dict[str, float] = {}  # MN -> monotonic time of last packet
        # Several receivers on one store (ingest.coordination): silence is judged only where
        # this returns True (the jobs runner), with `seen_elsewhere` fed from the others.
        self.offline_gate: Callable[[], bool] | None = None
        self.exemptions: dict[str, list[tuple]] = {}  # MN -> exemption periods
        self.cadence: dict[str, float] = {}  # MN -> expected seconds between its packets
        self.opened: list[alarm_store.Alarm] = []  # newest alarms (for tests and stats)
        # Listeners of every alarm opened, extended or closed by the engine (the web's live
        # streams), called on the loop with the alarms as stored; `changes_wanted` says
        # whether anyone listens now, so that nobody listening costs no read.
        self.on_change: list[Callable[[list[alarm_store.Alarm]], None]] = []
        self.changes_wanted: Callable[[], bool] = lambda: bool(self.on_change)
        self._queue: asyncio.Queue | None = None
        self._refresh_wanted = asyncio.Event()  # `refresh_soon()`: wake the refresh loop
        self._tasks: list[asyncio.Task] = []
        self._notify_tasks: set[asyncio.Task] = set()
        self.stats = {"raised": 0, "closed": 0, "notified": 0, "notify_failed": 0,
                      "already_raised": 0}

    # ------------------------------------------------------------------ wiring
    def attach(self, receiver) -> None:
        self.receiver = receiver
        receiver.after_commit.append(self.on_commit)
        if hasattr(receiver.writer, "after_write"):  # the writer that owns the store
            receiver.writer.after_write.append(self.on_write)

    async def _in_writer(self, fn, *args):
        if self.receiver is not None:
            return await self.receiver.writer.run_in_writer(fn, *args)
        return fn(*args)

    def load(self) -> None:
        """Registry and not-closed alarms from the store (synchronous; writer thread)."""
        points, units = point_rules(self.store)
        self.evaluator.points, self.units = points, units
        self.evaluator.active = alarm_store.not_closed_keys(self.store)
        self.evaluator.spans = alarm_store.not_closed_spans(self.store)
        self.exemptions = exemptions_by_mn(self.store)
        self.cadence.update(alarm_store.point_cadences(self.store))

    def offline_after(self, mn: str) -> float:
        """Seconds of silence after which `mn` is offline: the global threshold, or more for
        a point whose cadence is slower (`offline_cadence_periods` of its periods). The
        cadence is the registered upload interval when the registry has one, else learned."""
        rules = self.evaluator.points.get(mn)
        registered = rules.expected_interval_s if rules is not None else None
        from envmon.overview.states import offline_threshold  # the one formula, shared

        return offline_threshold(self.config.offline_after_s,
                                 self.config.offline_cadence_periods,
                                 registered or self.cadence.get(mn))

    async def start(self) -> None:
        await self._in_writer(self.load)
        last = await self._in_writer(alarm_store.last_received, self.store)
        now_wall, now_mono = now_beijing(), self.monotonic()
        for mn in self.evaluator.points:
            seen = last.get(mn)
            age = (now_wall - seen).total_seconds() if seen is not None else 0.0
            self.last_seen.setdefault(mn, now_mono - max(age, 0.0))
        self._queue = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._apply_loop(), name="alarms-apply"),
                       loop.create_task(self._offline_loop(), name="alarms-offline"),
                       loop.create_task(self._refresh_loop(), name="alarms-refresh")]

    async def stop(self) -> None:
        if self._queue is not None:
            await self._queue.join()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._notify_tasks:
            await asyncio.wait(self._notify_tasks, timeout=5)
        for notifier in self.notifiers:
            notifier.close()

    def attach_writer(self, owner) -> None:
        """Attach to the group-commit writer of `owner` (a ReceiverPool: receiver worker
        processes feed it), judging each committed group in the process with the store."""
        self.receiver = owner
        owner.writer.after_commit.append(self.on_group)
        owner.writer.after_write.append(self.on_write)

    # ------------------------------------------------------------------ data path
    def on_commit(self, packet, records) -> None:
        """Receiver hook (event loop): cheap, never blocks."""
        if packet.mn:
            self._seen(packet.mn, getattr(packet, "cn", None))
        if records:
            self._enqueue(self._judge(records))

    def on_group(self, raw_rows, records) -> None:
        """Writer hook: a committed group of raw packets and their records."""
        for mn, cn in {(r.mn, r.cn) for r in raw_rows if r.verdict == "accepted" and r.mn}:
            self._seen(mn, cn)
        if records:
            self._enqueue(self._judge(records))

    def _judge(self, records) -> list:
        return self.evaluator.evaluate(records) + self.evaluator.take_extends()

    def on_write(self, result) -> None:
        """Writer hook: what the store did with a group (envmon.store.WriteResult)."""
        if result.conflicts:
            self._enqueue(self.evaluator.conflicts(result.conflicts))

    def _seen(self, mn: str, cn: str | None = None) -> None:
        self.last_seen[mn] = self.monotonic()
        period = CADENCE_S.get(cn or "")
        if period is not None and period < self.cadence.get(mn, float("inf")):
            self.cadence[mn] = period
            self._enqueue([Cadence(mn, period)])
        if (mn, "", "offline") in self.evaluator.active:
            self._enqueue(self.evaluator.clear_point_rule(mn, "", "offline", None,
                                                          "收到数据，恢复在线"))

    def seen_elsewhere(self, mn: str, seconds_ago: float) -> None:
        """`mn`'s last packet came to another receiver `seconds_ago` (ingest.coordination)."""
        at = self.monotonic() - seconds_ago
        if at > self.last_seen.get(mn, float("-inf")):
            self.last_seen[mn] = at
            if (mn, "", "offline") in self.evaluator.active:
                self._enqueue(self.evaluator.clear_point_rule(mn, "", "offline", None,
                                                              "收到数据，恢复在线"))

    def _enqueue(self, transitions: list) -> None:
        if transitions and self._queue is not None:
            self._queue.put_nowait(transitions)

    async def _apply_loop(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                transitions = [t for group in batch if group != "refresh" for t in group]
                # In chunks, each one transaction: the writer thread also commits the
                # receiver's packets, so an alarm storm (every point offline after a network
                # cut) must not hold it for long.
                opened = []
                for k in range(0, len(transitions), APPLY_CHUNK):
                    opened += await self._in_writer(self.apply,
                                                    transitions[k:k + APPLY_CHUNK])
                if "refresh" in batch:
                    # Alarms closed by hand (CLI, web) are no longer open for the engine.
                    # Read here, after every queued transition was written, so that none is
                    # lost between the read and the write.
                    keys = await self._in_writer(alarm_store.not_closed_keys, self.store)
                    self.evaluator.active &= keys
                for alarm in opened:
                    self._announce(alarm)
                if self.on_change and self.changes_wanted():
                    await self._tell_changes(transitions)
            except Exception as error:
                # One line, as the writer reports a failed commit (a full disk fails both):
                # the traceback only at debug level.
                log.error("applying %d alarm transitions failed: %s", len(batch), error)
                log.debug("alarm transitions failed", exc_info=True)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _tell_changes(self, transitions: list) -> None:
        keys = {t.key for t in transitions if not isinstance(t, Cadence)}
        if not keys:
            return
        alarms = await self._in_writer(alarm_store.latest_for_keys, self.store, keys)
        for listener in self.on_change:
            try:
                listener(alarms)
            except Exception:
                log.exception("an alarm listener failed")

    def apply(self, transitions: list) -> list[alarm_store.Alarm]:
        """Write transitions to the store (writer thread); the alarms opened."""
        opened = []
        now = now_beijing()
        with self.store.transaction():
            self._apply(transitions, now, opened)
        return opened

    def _apply(self, transitions: list, now, opened: list) -> None:
        """Runs of same-kind transitions with distinct keys are written in one batch each
        (order is kept: a key that repeats starts a new run)."""
        run: list = []
        keys: set = set()
        for t in [*transitions, None]:
            if run and (t is None or type(t) is not type(run[0])
                        or (t.mn if isinstance(t, Cadence) else t.key) in keys):
                if isinstance(run[0], Raise):
                    items = [{"mn": r.mn, "unit_id": self.units.get(r.mn), "factor": r.factor,
                              "rule": r.rule, "data_time": r.data_time, "value": r.value,
                              "limit": r.limit, "detail": r.detail, "data_from": r.data_from}
                             for r in run]
                    known = alarm_store.already_raised(self.store, items)
                    for k in known:  # the store holds this evidence: no second alarm
                        self.evaluator.forget(run[k].key)
                    items = [i for k, i in enumerate(items) if k not in known]
                    opened += alarm_store.open_many(self.store, items, now)
                    self.stats["raised"] += len(items)
                    self.stats["already_raised"] += len(known)
                elif isinstance(run[0], Cadence):
                    alarm_store.save_cadences(self.store, {c.mn: c.seconds for c in run})
                elif isinstance(run[0], Extend):
                    alarm_store.extend_many(self.store, [
                        {"mn": e.mn, "factor": e.factor, "rule": e.rule,
                         "data_from": e.data_from, "data_to": e.data_to, "detail": e.detail}
                        for e in run])
                else:
                    self.stats["closed"] += alarm_store.auto_close_many(self.store, [
                        {"mn": c.mn, "factor": c.factor, "rule": c.rule,
                         "note": _on_data_time(c.detail, c.data_time)} for c in run], now)
                run, keys = [], set()
            if t is not None:
                run.append(t)
                keys.add(t.mn if isinstance(t, Cadence) else t.key)

    def process(self, records) -> list[alarm_store.Alarm]:
        """Batch mode: evaluate and apply at once (no receiver, no notifications)."""
        return self.apply(self._judge(records))

    def process_write(self, result) -> list[alarm_store.Alarm]:
        """Batch mode of `on_write`: alarms for the conflicts of a `write_batch` result."""
        return self.apply(self.evaluator.conflicts(result.conflicts))

    # ------------------------------------------------------------------ notifications
    def _announce(self, alarm: alarm_store.Alarm) -> None:
        payload = alarm.as_json()
        self.opened.append(alarm)
        del self.opened[:-1000]
        log.warning(log_line(payload))
        self._enqueue_log(alarm.id, "log", None, Attempt(1, True, None, None))
        for notifier in self.notifiers:
            task = asyncio.get_running_loop().create_task(self._notify(notifier, alarm.id,
                                                                       payload))
            self._notify_tasks.add(task)
            task.add_done_callback(self._notify_tasks.discard)

    async def _notify(self, notifier: WebhookNotifier, alarm_id: int, payload: dict) -> None:
        def record(attempt: Attempt) -> None:
            self._enqueue_log(alarm_id, notifier.channel, notifier.url, attempt)

        ok = await notifier.send(payload, record)
        self.stats["notified" if ok else "notify_failed"] += 1

    def _enqueue_log(self, alarm_id: int, channel: str, target: str | None,
                     attempt: Attempt) -> None:
        at = now_beijing()

        async def write() -> None:
            try:
                await self._in_writer(alarm_store.log_notification, self.store, alarm_id,
                                      channel, target, attempt.attempt, at, attempt.ok,
                                      attempt.http_status, attempt.error)
            except Exception:
                log.exception("logging a notification failed")

        task = asyncio.get_running_loop().create_task(write())
        self._notify_tasks.add(task)
        task.add_done_callback(self._notify_tasks.discard)

    # ------------------------------------------------------------------ periodic checks
    def check_offline(self, now_mono: float | None = None) -> list:
        """Raise `offline` for every registered point silent for longer than its threshold
        (`offline_after`)."""
        now_mono = self.monotonic() if now_mono is None else now_mono
        now_wall = now_beijing()
        out = []
        for mn in self.evaluator.points:
            seen = self.last_seen.get(mn)
            if seen is None:
                self.last_seen[mn] = now_mono
                continue
            if any(a <= now_wall < b for a, b in self.exemptions.get(mn, ())):
                continue  # 停产/停运: silence is expected
            silent = now_mono - seen
            after = self.offline_after(mn)
            if silent > after:
                out += self.evaluator.raise_point_rule(
                    mn, "", "offline", None, round(silent, 1), after,
                    f"{silent:.0f} 秒未收到数据（阈值 {after:g} 秒）")
        return out

    async def _offline_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.offline_check_s)
            if self.offline_gate is not None and not self.offline_gate():
                continue  # another receiver runs the jobs
            try:
                self._enqueue(self.check_offline())
            except Exception:
                log.exception("offline check failed")

    def refresh_soon(self) -> None:
        """Reload the registry and the exemptions and forget alarms closed by hand, now
        rather than after `refresh_s` (call on the loop). A web or CLI write calls it after
        closing an alarm (a recurring exceedance is raised again at once) or changing an
        exemption (a plant just exempted raises no offline alarm)."""
        self._refresh_wanted.set()

    async def _refresh_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):  # every refresh_s, or when asked
                await asyncio.wait_for(self._refresh_wanted.wait(), self.config.refresh_s)
            self._refresh_wanted.clear()
            try:
                points, units = await self._in_writer(point_rules, self.store)
                self.evaluator.points, self.units = points, units
                self.exemptions = await self._in_writer(exemptions_by_mn, self.store)
                if self._queue is not None:
                    self._queue.put_nowait("refresh")
            except Exception:
                log.exception("alarm registry refresh failed")


def _on_data_time(note: str, data_time) -> str:
    """The close note with the data time of the evidence that cleared the condition (the
    platform time is closed_at): an alarm is closed on data time, not on receipt."""
    if data_time is None:
        return note
    return f"{note}（数据时间 {data_time.astimezone(BEIJING_FIXED):%Y-%m-%d %H:%M}）"


def engine_from_settings(store: Store, settings: dict | None = None) -> AlarmEngine:
    """An engine from a TOML table such as [alarms] of envmon.toml:

        webhook_url = "https://…/hook"   # optional; several: webhook_urls = [...]
        webhook_retries = 4
        webhook_backoff_s = 1.0
        offline_after_s = 1800           # any AlarmConfig field
    """
    from envmon.alarms.config import alarm_config_from_dict

    settings = dict(settings or {})
    urls = list(settings.pop("webhook_urls", []))
    if "webhook_url" in settings:
        urls.insert(0, settings.pop("webhook_url"))
    retries = int(settings.pop("webhook_retries", 4))
    backoff = float(settings.pop("webhook_backoff_s", 1.0))
    timeout = float(settings.pop("webhook_timeout_s", 5.0))
    notifiers = [WebhookNotifier(u, retries=retries, backoff_s=backoff, timeout_s=timeout)
                 for u in urls]
    return AlarmEngine(store, alarm_config_from_dict(settings, "[alarms]"), notifiers=notifiers)
