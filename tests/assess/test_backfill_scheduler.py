"""BackfillScheduler outcomes on a stand-in receiver (no sockets): each request is logged
with how it ended, one at a time per point, and a failing point is left alone for a while."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from envmon.hj212 import codec
from envmon.hj212.events import RequestAnswered, RequestCompleted
from envmon.hj212.session import Session
from envmon.ingest.backfill import BackfillScheduler, BackfillSettings
from envmon.store import PointAuth

from .conftest import GAS, HOUR, NOV, OTHER, rec, write


class FakeProtocol:
    def __init__(self):
        self.session = Session()
        self.sent: list[codec.Packet] = []

    def send(self, frame: bytes) -> bool:
        self.sent.append(codec.decode(frame))
        return True


class FakeWriter:
    def __init__(self):
        self._executor = ThreadPoolExecutor(max_workers=1)


class FakeReceiver:
    def __init__(self, store):
        self.store = store
        self.writer = FakeWriter()
        self.points = {GAS: PointAuth(GAS, "111111", "u", "gas", ("hj212",)),
                       OTHER: PointAuth(OTHER, "333333", "u", "gas", ("hj212",))}
        self.online = {GAS: FakeProtocol(), OTHER: FakeProtocol()}
        self.on_point_online: list = []
        self.on_session_event: list = []


def test_requests_are_logged_with_their_outcome(store):
    write(store, [rec(GAS, f, NOV + k * HOUR) for k in (0, 1, 4, 5)
                  for f in ("a21026", "a21002", "a34013")])
    write(store, [rec(OTHER, "a21026", NOV + k * HOUR) for k in range(3)])
    receiver = FakeReceiver(store)
    now = NOV + 8 * HOUR

    async def scenario():
        scheduler = BackfillScheduler(
            receiver, BackfillSettings(lookback_hours=8, settle_hours=2, not_before=NOV,
                                       answer_timeout_s=0.3, max_hours_per_request=24,
                                       no_data_retry_s=0.5, online_delay_s=0),
            clock=lambda: now)
        scheduler.attach()
        for hook in receiver.on_point_online:
            hook(GAS, receiver.online[GAS])
        protocol = receiver.online[GAS]
        while not protocol.sent:
            await asyncio.sleep(0.01)
        first = protocol.sent[0]
        assert first.cn == "2061" and first.items["BeginTime"] == "20261101020000"
        assert first.items["EndTime"] == "20261101030000"
        assert scheduler.request(GAS) is None  # one at a time per point
        for hook in receiver.on_session_event:
            hook(protocol, RequestAnswered(first.qn, "1"))
            hook(protocol, RequestCompleted(first.qn, "100"))
        await scheduler.idle()
        # 06:00 was not yet asked: it ended less than 2 h before "now" (08:00)
        assert len(protocol.sent) == 1
        await scheduler.request(GAS, "schedule")  # "no data" a moment ago: not asked again
        assert len(protocol.sent) == 1
        task = scheduler.request(OTHER, "schedule")
        assert task is not None
        await scheduler.idle()  # nobody answers: timeout
        assert scheduler.request(OTHER, "schedule") is None  # failed: retried later
        await asyncio.sleep(0.5)
        scheduler.request(GAS, "schedule")
        while len(protocol.sent) < 2:
            await asyncio.sleep(0.01)
        for hook in receiver.on_session_event:
            hook(protocol, RequestAnswered(protocol.sent[1].qn, "2"))  # refused
        await scheduler.idle()
        await scheduler.stop()

    asyncio.run(scenario())
    rows = store.query("SELECT mn, trigger, begin_time, end_time, hours, qn_rtn, exe_rtn, "
                       "outcome FROM backfill_requests ORDER BY id")
    assert [(r[0], r[1], r[4], r[5], r[6], r[7]) for r in rows] == [
        (GAS, "online", 2, "1", "100", "no_data"),
        (OTHER, "schedule", 3, None, None, "timeout"),
        (GAS, "schedule", 2, "2", None, "refused"),
    ]
    assert rows[0][2] == NOV + 2 * HOUR and rows[0][3] == NOV + 3 * HOUR


def test_after_a_reconnect_the_unit_gets_time_to_resend_first(store):
    receiver = FakeReceiver(store)
    now = NOV + 8 * HOUR

    async def scenario():
        scheduler = BackfillScheduler(
            receiver, BackfillSettings(lookback_hours=8, not_before=NOV, online_delay_s=0.2,
                                       answer_timeout_s=0.1), clock=lambda: now)
        scheduler.attach()
        protocol = receiver.online[GAS]
        for hook in receiver.on_point_online:
            hook(GAS, protocol)
            hook(GAS, protocol)  # a second reconnect restarts the wait, one request only
        await asyncio.sleep(0.05)
        assert protocol.sent == []
        await asyncio.sleep(0.3)
        await scheduler.idle()
        await scheduler.stop()
        return protocol.sent

    sent = asyncio.run(scenario())
    assert len(sent) == 1 and sent[0].items["BeginTime"] == "20261101000000"
