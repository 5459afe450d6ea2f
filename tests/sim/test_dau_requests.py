"""A simulated unit answers the platform's history re-fetch (补遗, HJ 212-2017 C.20–C.22):
9011 with the request's QN, one upload per stored hour (each with a new QN, answered 9014),
then 9012 with the request's QN. The platform side here is the real hj212 Session."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from envmon.hj212.events import PacketReceived, RequestAnswered, RequestCompleted
from envmon.hj212.session import Session
from envmon.sim.clock import SimClock
from envmon.sim.dau import DataAcquisitionUnit, Faults
from envmon.sim.values import SimPoint, period_values
from envmon.timeutil import BEIJING_FIXED

POINT = SimPoint(mn="SIM000000000000000000001", pw="123456", kind="gas",
                 factors={"a21026": 35.0, "a21002": 50.0, "a34013": 10.0}, o2_ref=6.0)
NOW = datetime(2026, 11, 2, 10, 20, tzinfo=BEIJING_FIXED)


def test_unit_answers_history_request_from_its_own_history():
    offline = {NOW.replace(minute=0) - timedelta(hours=k) for k in (2, 3)}
    events: list = []
    done = asyncio.Event()

    async def platform(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session()
        asked = False
        while not done.is_set():
            data = await reader.read(65536)
            if not data:
                return
            for event in session.receive(data):
                events.append(event)
                if isinstance(event, PacketReceived):
                    if (answer := session.reply(event.packet, NOW)) is not None:
                        writer.write(answer)
                    if not asked:  # the unit is online: ask for the hours it never sent
                        asked = True
                        writer.write(session.request_history(
                            "2061", min(offline), max(offline), POINT.pw, POINT.mn, "31",
                            "20261102102000001"))
                elif isinstance(event, RequestCompleted):
                    done.set()

    async def scenario() -> DataAcquisitionUnit:
        server = await asyncio.start_server(platform, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        unit = DataAcquisitionUnit(
            POINT, "127.0.0.1", port, clock=SimClock(NOW, speed=1.0), seed=3,
            faults=Faults(offline_hours=offline), ack_timeout_s=2.0, realtime=False,
            minute_data=False,
        )
        run = asyncio.create_task(unit.run(history_hours=4))
        await asyncio.wait_for(done.wait(), 20)
        run.cancel()
        await unit.close()
        server.close()
        return unit

    unit = asyncio.run(scenario())
    answered = [e for e in events if isinstance(e, RequestAnswered)]
    completed = [e for e in events if isinstance(e, RequestCompleted)]
    assert [(e.qn, e.qn_rtn) for e in answered] == [("20261102102000001", "1")]
    assert [(e.qn, e.exe_rtn) for e in completed] == [("20261102102000001", "1")]
    uploads = [e.packet for e in events
               if isinstance(e, PacketReceived) and e.packet.cn == "2061"]
    # Offline hours are never sent live, so any upload of one is the re-fetch answering.
    live = [p.data_time for p in uploads if p.data_time not in offline]
    refetched = [p for p in uploads if p.data_time in offline]
    # Live: the 4 history hours minus the 2 offline ones; re-fetch: exactly the offline hours.
    assert sorted(live) == sorted({NOW.replace(minute=0) - timedelta(hours=k) for k in (1, 4)})
    assert sorted(p.data_time for p in refetched) == sorted(offline)
    assert len({p.qn for p in uploads}) == len(uploads)  # every upload has its own QN
    for packet in refetched:  # the values are the unit's own history (seeded ground truth)
        expected = period_values(POINT, packet.data_time, 3600, seed=3)
        assert packet.factors["a21026"]["Avg"] == expected["a21026"]["Avg"]
    assert unit.requests_answered == 1
