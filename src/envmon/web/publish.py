"""What the platform publishes to the event hub (`events.EventHub`), attached by the web app.

* ``packet`` — the receiver's ``after_commit`` hook, once a data upload is committed, at
  most one a point per `PACKET_EVENT_INTERVAL_S` (the later uploads of that second are not
  announced). The receiver takes some 12 000 packets/s: with no live stream open the hook
  returns at its first line; with streams open, an event per packet cost the receiver a
  fifth of its throughput with 10 streams (bench_web), one per point per second a few per
  cent. A slow stream drops its oldest events, never slowing the receiver.
* ``alarm`` — the alarm engine's ``on_change`` (opened, extended, closed by the engine; the
  API's acknowledge/close publish their own), the object of `envmon alarms list --format json`.
* ``point_state`` — `PointStates`: a point is ``online`` when its unit connects
  (`Receiver.on_point_online`) or its offline alarm closes, ``offline`` when the engine opens
  its offline alarm (`AlarmEngine.check_offline` decides), ``alarm`` while another alarm of
  it is not closed; only changes are published.
"""

from __future__ import annotations

import time
from typing import Any

from envmon.hj212.codes import DATA_UPLOAD_CNS
from envmon.timeutil import BEIJING_FIXED, now_beijing
from envmon.web.events import EventHub

__all__ = ["PACKET_EVENT_INTERVAL_S", "PointStates", "attach_publishers"]

# A screen shows a point's latest upload: one event a point a second is as live as it can
# see, and bounds the events to the number of points a second however fast units send.
PACKET_EVENT_INTERVAL_S = 1.0


class PointStates:
    """The live state of each point, from connections and alarms; publishes changes."""

    def __init__(self, hub: EventHub) -> None:
        self.hub = hub
        self.states: dict[str, str] = {}
        self.open_rules: dict[str, set[str]] = {}  # mn -> rules of its not-closed alarms

    def _state_of(self, mn: str, connected: bool) -> str:
        rules = self.open_rules.get(mn, set())
        if "offline" in rules:
            return "offline"
        if rules:
            return "alarm"
        return "online" if connected or self.states.get(mn) != "offline" else "offline"

    def _set(self, mn: str, state: str) -> None:
        if self.states.get(mn) == state:
            return
        self.states[mn] = state
        self.hub.publish("point_state", {"mn": mn, "state": state,
                                         "since": now_beijing().isoformat()})

    def connected(self, mn: str, protocol: Any = None) -> None:
        self.open_rules.get(mn, set()).discard("offline")
        self._set(mn, self._state_of(mn, True))

    def alarms_changed(self, alarms: list) -> None:
        for alarm in alarms:
            rules = self.open_rules.setdefault(alarm.mn, set())
            if alarm.status == "closed":
                rules.discard(alarm.rule)
            else:
                rules.add(alarm.rule)
            connected = alarm.rule == "offline" and alarm.status == "closed"
            self._set(alarm.mn, self._state_of(alarm.mn, connected))


def attach_publishers(platform: Any, hub: EventHub) -> PointStates:
    """Hook the hub into the running platform's receiver and alarm engine."""
    states = PointStates(hub)
    receiver = platform.receiver
    announced: dict[str, float] = {}  # mn -> monotonic time of its last packet event

    def on_commit(packet, records) -> None:
        if not hub.subscribers or packet.cn not in DATA_UPLOAD_CNS:
            return  # nobody watches: the receiver's hot path pays one comparison
        now = time.monotonic()
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
    engine = platform.alarms
    if engine is not None:
        def on_alarms(alarms: list) -> None:
            states.alarms_changed(alarms)
            for alarm in alarms:
                hub.publish("alarm", alarm.as_json())

        engine.on_change.append(on_alarms)
    return states
