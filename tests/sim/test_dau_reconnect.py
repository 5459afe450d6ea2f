"""A simulated unit whose connection is lost connects again within its run's time, and keeps
what was not answered to re-send (envmon.sim.dau); a real socket on loopback, nothing else."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from envmon.sim.clock import SimClock
from envmon.sim.dau import DataAcquisitionUnit
from envmon.sim.values import SimPoint
from envmon.timeutil import BEIJING_FIXED

POINT = SimPoint(mn="SIM000000000000000000009", pw="123456", kind="gas",
                 factors={"01": 20.0, "02": 50.0, "03": 100.0})
START = datetime(2026, 5, 1, 10, 0, tzinfo=BEIJING_FIXED)


def test_a_lost_connection_is_retried_until_the_run_ends_and_the_upload_kept():
    async def scenario():
        accepted: list[asyncio.StreamWriter] = []

        async def accept(reader, writer):  # a receiver that never answers, then dies
            accepted.append(writer)

        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        unit = DataAcquisitionUnit(POINT, "127.0.0.1", port, clock=SimClock(START, 1.0),
                                   ack_timeout_s=5.0, retries=3)
        unit.until = START + timedelta(seconds=2)
        assert await unit.connect()
        while not accepted:
            await asyncio.sleep(0.01)
        server.close()
        await server.wait_closed()
        for writer in accepted:
            writer.close()
        hour = START - timedelta(hours=1)
        began = time.monotonic()
        answered = await unit.send_upload("2061", hour, unit.period_data("2061", hour))
        took = time.monotonic() - began
        await unit.close()
        return unit, answered, took

    unit, answered, took = asyncio.run(scenario())
    assert answered is False
    assert took < 4.0  # gave up at the run's end, not after 3 × 5 s of unanswered tries
    assert unit.connect_failures >= 2  # tried again, backing off
    assert [(cn, t) for cn, t, _ in unit.unanswered] == [("2061", START - timedelta(hours=1))]
