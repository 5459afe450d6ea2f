"""Key rotation over the wire (HJ 212-2025 §6.4.3, CN 1014): the receiver's side of `keys rotate`.

`envmon keys rotate MN` leaves a new key pending in the store (`keystore.begin_rotation`). On
each key refresh the receiver reads the pending rotations; when the unit is online (now, or
when it next connects) this sends it the 1014 carrying the new key, encrypted with the current
one, and remembers the QN. The unit's 9012 ExeRtn=1 makes the new key the unit's key
(`keystore.finish_rotation`, an audit row) and the receiver's cache takes it at once; a
refusal (9011 QnRtn≠1 or 9012 ExeRtn≠1) drops the pending key and keeps the current one.
Each 1014 is sent once per receiver run (a unit that did not answer gets it again after a
restart, or after `keys rotate` once more).
"""

from __future__ import annotations

import asyncio
import logging

from envmon.hj212.events import RequestAnswered, RequestCompleted
from envmon.ingest.keystore import finish_rotation
from envmon.timeutil import now_beijing

log = logging.getLogger("envmon.ingest.rotation")

ST_BY_KIND = {"gas": "31", "water": "32"}


class KeyRotation:
    """Attached to a Receiver (with a store): sends pending 1014s, finishes rotations."""

    def __init__(self, receiver) -> None:
        self.receiver = receiver
        self.pending: dict[str, tuple[str, bytes]] = {}  # MN -> (QN, new key)
        self.sent: dict[str, str] = {}  # QN -> MN, 1014s sent and not yet answered
        self.finished: list[tuple[str, str, bool]] = []  # (MN, QN, ok), for tests
        self._saving: set[asyncio.Task] = set()
        receiver.on_point_online.append(self.on_online)
        receiver.on_session_event.append(self.on_event)

    def update(self, pending: dict[str, tuple[str, bytes]]) -> None:
        """The pending rotations as stored now; send those whose unit is online."""
        self.pending = pending
        for mn in pending:
            protocol = self.receiver.online.get(mn)
            if protocol is not None:
                self.on_online(mn, protocol)

    def on_online(self, mn: str, protocol) -> None:
        entry = self.pending.get(mn)
        if entry is None or entry[0] in self.sent:
            return
        qn, new_key = entry
        current = self.receiver.keys(mn)
        point = self.receiver.points.get(mn)
        if current is None or point is None:
            return
        frame = protocol.session.request_key_change(
            new_key, now_beijing(), point.pw, mn, ST_BY_KIND.get(point.kind, "32"), qn,
            current)
        if protocol.send(frame):
            self.sent[qn] = mn
            log.info("key rotation: CN 1014 QN=%s sent to %s", qn, mn)

    def on_event(self, protocol, event) -> None:
        if type(event) is RequestAnswered and event.qn in self.sent and event.qn_rtn != "1":
            self._finish(event.qn, False)
        elif type(event) is RequestCompleted and event.qn in self.sent:
            self._finish(event.qn, event.exe_rtn == "1")

    def _finish(self, qn: str, ok: bool) -> None:
        mn = self.sent.pop(qn)
        entry = self.pending.pop(mn, None)
        receiver = self.receiver
        if ok and entry is not None:
            keys = dict(receiver.keys.keys)
            keys[mn] = entry[1]
            receiver.keys.replace(keys)  # the unit encrypts with the new key from now on
        self.finished.append((mn, qn, ok))
        log.info("key rotation of %s (QN=%s): %s", mn, qn, "done" if ok else "refused")
        task = asyncio.get_running_loop().create_task(
            receiver.writer.run_in_writer(finish_rotation, receiver.store, mn, qn, ok))
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)
