"""What the platform publishes to the event hub (`events.EventHub`), attached by the web app.

* ``packet`` — the receiver's ``after_commit`` hook, once a data upload is committed, at
  most one a point per `PACKET_EVENT_INTERVAL_S` (the later uploads of that second are not
  announced). The receiver takes some 12 000 packets/s: with no live stream open the hook
  costs a set lookup (is the point taken as silent?) and a comparison; with streams open, an
  event per packet cost the receiver a fifth of its throughput with 10 streams (bench_web),
  one per point per second a few per cent. A slow stream drops its oldest events, never
  slowing the receiver. Every stored upload counts, the HJ 212-2025 ones (2013, 2052, 2062,
  2111) too.
* ``command`` — the remote-command dispatcher's ``on_change`` (`envmon.control`): each state
  a command goes through.
* ``alarm`` — the alarm engine's ``on_change`` (opened, extended, closed by the engine; the
  API's acknowledge/close publish their own), the object of `envmon alarms list --format json`
  and ``unit_name`` (`alarm_event`).
* ``point_state`` — `PointStates`: the state of each point by the one rule of
  `envmon.overview.states` (`decide`), kept live from the rule's inputs: a connection opened
  or closed (`Receiver.on_point_online`/`on_point_offline`), data arriving from a silent point,
  an offline or other alarm opened or closed (`AlarmEngine.on_change`), and a reconciliation
  with the store every `RECONCILE_S` (exemptions starting or ending, flag F, silence when no
  alarm engine runs) or at once after a mark changes (`reconcile_soon`). Only changes are
  published, so a point's events are the answers `GET /api/v1/overview` gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from envmon.ingest.records import STORED_UPLOAD_CNS
from envmon.overview.states import decide, open_alarm_keys, point_states
from envmon.timeutil import BEIJING_FIXED, now_beijing
from envmon.web.context import live_state_inputs
from envmon.web.events import EventHub

log = logging.getLogger("envmon.web")

__all__ = ["PACKET_EVENT_INTERVAL_S", "RECONCILE_S", "PointStates", "attach_publishers"]

# A screen shows a point's latest upload: one event a point a second is as live as it can
# see, and bounds the events to the number of points a second however fast units send.
PACKET_EVENT_INTERVAL_S = 1.0
# Exemptions start and end, and flag F arrives, on a scale of hours: a minute late is fine,
# and one query of the registry a minute costs nothing next to the receiver's work.
RECONCILE_S = 60.0


class PointStates:
    """The live state of each point (`overview.states.decide` over inputs kept in memory);
    publishes a ``point_state`` event when a point's answer changes."""

    def __init__(self, hub: EventHub, platform: Any = None, config: Any = None) -> None:
        self.hub = hub
        self.platform = platform
        self.config = config  # envmon.config.Config: its [alarms] when no engine runs
        self.states: dict[str, str] = {}
        self.inputs: dict[str, dict[str, bool]] = {}
        # mn -> (factor, rule) of its not-closed alarms: the engine reports the newest alarm of
        # a key (`alarm_store.latest_for_keys`), so a key, not an id, is what closes.
        self.open_alarms: dict[str, set[tuple[str, str]]] = {}
        self.silent: set[str] = set()  # points taken as silent: a packet clears it
        # Live changes are numbered; `changed[mn]` is the number of a point's latest. A
        # reconciliation read from the store in a thread leaves alone the points changed
        # since its read began: their live inputs are newer than what it read.
        self.change_count = 0
        self.changed: dict[str, int] = {}
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()

    # ------------------------------------------------------------------ the inputs
    def live_inputs(self) -> dict[str, Any]:
        """The rule's live inputs (`web.context.live_state_inputs`), read on the loop."""
        return live_state_inputs(self.platform, self.config)

    def load(self, store: Any, now: Any = None) -> None:
        """Every point's inputs from the store (as `GET /api/v1/overview` computes them),
        on this thread (a test's; the platform loads with `load_async`)."""
        since = self.change_count
        points, alarms = self.read(store, self.live_inputs(), now)
        self.apply(points, alarms, since)

    async def load_async(self, store: Any) -> None:
        """`load`, the store read in a worker thread (never on the receiver's loop)."""
        since, live = self.change_count, self.live_inputs()
        points, alarms = await asyncio.to_thread(self.read, store, live)
        self.apply(points, alarms, since)

    @staticmethod
    def read(store: Any, live: dict, now: Any = None) -> tuple[list, dict]:
        """What a reconciliation applies: every point's state and the open alarms' keys."""
        return point_states(store, now or now_beijing(), **live), open_alarm_keys(store)

    def apply(self, points: list, alarms: dict[str, set[tuple[str, str]]],
              since: int | None = None) -> None:
        """The store's answers read after live change number `since` (None: all of them
        win); a point changed live after that keeps its live inputs."""
        def newer(mn: str) -> bool:  # a point not tracked yet had its change dropped
            return (since is not None and self.changed.get(mn, -1) > since
                    and mn in self.inputs)

        kept = {mn: keys for mn, keys in self.open_alarms.items() if newer(mn)}
        self.open_alarms = {mn: keys for mn, keys in alarms.items() if not newer(mn)}
        self.open_alarms.update(kept)
        for point in points:
            if newer(point.mn):
                continue
            self.inputs[point.mn] = dict(point.inputs)
            if point.inputs["silent"]:
                self.silent.add(point.mn)
            else:
                self.silent.discard(point.mn)
            self._set(point.mn, point.state)

    def _update(self, mn: str, **changes: bool) -> None:
        inputs = self.inputs.get(mn)
        if inputs is None:
            return  # not a registered point (the next reconciliation adds new ones)
        self.change_count += 1
        self.changed[mn] = self.change_count
        inputs.update(changes)
        if "silent" in changes:
            (self.silent.add if changes["silent"] else self.silent.discard)(mn)
        self._set(mn, decide(**inputs))

    def _set(self, mn: str, state: str) -> None:
        if self.states.get(mn) == state:
            return
        known = mn in self.states
        self.states[mn] = state
        if known:  # the first answer of a point is what the page loaded, not a change
            self.hub.publish("point_state", {"mn": mn, "state": state,
                                             "since": now_beijing().isoformat()})

    # ------------------------------------------------------------------ the hooks
    def connected(self, mn: str, protocol: Any = None) -> None:
        self._update(mn, silent=False)

    def disconnected(self, mn: str) -> None:
        """Its connection closed: silent only if it sent nothing within its threshold."""
        engine = getattr(self.platform, "alarms", None)
        seen = getattr(engine, "last_seen", {}).get(mn) if engine is not None else None
        if seen is None or engine is None:
            return  # the next reconciliation decides from the store
        silent = engine.monotonic() - seen > engine.offline_after(mn)
        self._update(mn, silent=silent)

    def packet(self, mn: str) -> None:
        if mn in self.silent:
            self._update(mn, silent=False)

    def alarms_changed(self, alarms: list) -> None:
        for alarm in alarms:
            keys = self.open_alarms.setdefault(alarm.mn, set())
            key = (alarm.factor, alarm.rule)
            if alarm.status == "closed":
                keys.discard(key)
            else:
                keys.add(key)
            rules = {rule for _, rule in keys}
            changes = {"offline_alarm": "offline" in rules,
                       "other_alarm": bool(rules - {"offline"})}
            if alarm.rule == "offline" and alarm.status == "closed":
                changes["silent"] = False  # the engine closes it when data arrives
            self._update(alarm.mn, **changes)

    # ------------------------------------------------------------------ reconciliation
    def reconcile_soon(self) -> None:
        """Recompute from the store now (an exemption was added or revoked)."""
        self._wake.set()

    def start(self, store: Any, interval_s: float = RECONCILE_S) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self._reconcile_loop(store, interval_s), name="web-point-states")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _reconcile_loop(self, store: Any, interval_s: float) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval_s)
            self._wake.clear()
            try:
                started = time.monotonic()
                await self.load_async(store)
                log.debug("point states reconciled in %.3f s", time.monotonic() - started)
            except Exception:
                log.exception("reconciling point states failed")


def attach_publishers(platform: Any, hub: EventHub, config: Any = None,
                      clock: Callable[[], float] = time.monotonic) -> PointStates:
    """Hook the hub into the running platform's receiver and alarm engine (`config`: the
    [alarms] of the point states when no engine runs); the caller loads the point states
    (`PointStates.load_async`, after the hooks, so no change is missed) and starts their
    reconciliation with the store. `clock`: seconds, for `PACKET_EVENT_INTERVAL_S` (a test
    steps it instead of waiting)."""
    states = PointStates(hub, platform, config)
    receiver = platform.receiver
    announced: dict[str, float] = {}  # mn -> monotonic time of its last packet event
    silent = states.silent

    def on_commit(packet, records) -> None:
        if packet.mn in silent:
            states.packet(packet.mn)
        if not hub.subscribers or packet.cn not in STORED_UPLOAD_CNS:
            return  # nobody watches: the receiver's hot path pays two comparisons
        now = clock()
        if now - announced.get(packet.mn, -PACKET_EVENT_INTERVAL_S) < PACKET_EVENT_INTERVAL_S:
            return
        announced[packet.mn] = now
        hub.publish("packet", {
            "mn": packet.mn, "cn": packet.cn,
            "data_time": packet.data_time.isoformat() if packet.data_time else None,
            "received_at": now_beijing().astimezone(BEIJING_FIXED).isoformat()})

    if hasattr(receiver, "after_commit") and hasattr(receiver, "on_point_online"):
        receiver.after_commit.append(on_commit)
        receiver.on_point_online.append(states.connected)
        if hasattr(receiver, "on_point_offline"):
            receiver.on_point_offline.append(states.disconnected)
    commands = getattr(platform, "commands", None)
    if commands is not None:  # remote commands' states, live on the point page
        commands.on_change.append(lambda row: hub.publish("command", row.as_json()))
    engine = platform.alarms
    if engine is not None:
        names: dict[str, str] = {}  # unit_id → name: looked up once per unit, not per alarm

        def on_alarms(alarms: list) -> None:
            states.alarms_changed(alarms)
            for alarm in alarms:
                hub.publish("alarm", alarm_event(platform.store, alarm, names))

        engine.on_change.append(on_alarms)
    return states


def alarm_event(store: Any, alarm: Any, names: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``alarm`` event's object: `envmon alarms list --format json`'s fields and
    ``unit_name`` (the unit's name, so a live row reads as the listed ones; its id when the
    registry has no name). `names` caches the names between calls."""
    names = {} if names is None else names
    unit_id = alarm.unit_id
    if unit_id and unit_id not in names:
        try:
            names.update(store.unit_names([unit_id]))
        except Exception:  # a name is a nicety: the event goes out without it
            log.debug("unit name of %s not read", unit_id, exc_info=True)
        names.setdefault(unit_id, unit_id)
    return {**alarm.as_json(), "unit_name": names.get(unit_id) if unit_id else None}
