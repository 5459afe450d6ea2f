"""A change through the web is told to the alarm engine at once (`AlarmEngine.refresh_soon`
via `api.writes.after_write`), not after its `refresh_s` (60 s): an alarm closed by hand is
no longer open for the engine (a recurring exceedance is raised again), an exemption added
is in its offline rule. Who acted is kept the same way for alarms and marks
(`api.actor`: ``by (web address)``). A real Platform on loopback with a real receiver."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from envmon.timeutil import now_beijing
from tests.ingest.conftest import GAS_MN, hourly_packet, read_answers, store  # noqa: F401
from tests.web.test_server_bounds import running, until

UNIT = "91140100MA0GTEST01"


def test_a_web_close_and_a_web_exemption_reach_the_engine_at_once(store):  # noqa: F811
    hour = (now_beijing() - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)

    async def scenario():
        async with running(store, alarm_settings={}) as (platform, _web, client):
            engine = platform.alarms
            assert engine.config.refresh_s >= 30  # the timer alone would not do it
            reader, writer = await asyncio.open_connection("127.0.0.1",
                                                           platform.receiver.port)
            writer.write(hourly_packet(hour, so2=500.0))  # far over the limit
            await read_answers(reader, 1)
            writer.close()
            await until(lambda: any(k[0] == GAS_MN for k in engine.evaluator.active))
            keys = {k for k in engine.evaluator.active if k[0] == GAS_MN}
            alarms: list = []
            deadline = asyncio.get_running_loop().time() + 10
            while len(alarms) < len(keys):  # written by the writer thread after judging
                assert asyncio.get_running_loop().time() < deadline, "alarms not written"
                alarms = [a for a in (await client.get(
                    "/api/v1/alarms", params={"status": "open", "mn": GAS_MN})).json()]
                await asyncio.sleep(0.02)
            for alarm in alarms:
                closed = await client.post(f"/api/v1/alarms/{alarm['id']}/close",
                                           json={"by": "值班员", "note": "已处理"})
                assert closed.status_code == 200, closed.text
            await until(lambda: not any(k[0] == GAS_MN for k in engine.evaluator.active),
                        deadline_s=5)
            assert GAS_MN not in engine.exemptions
            start = hour.replace(hour=0) - timedelta(days=1)
            added = await client.post("/api/v1/assess/exemption/add", json={
                "kind": "停产", "from": start.isoformat(),
                "to": (start + timedelta(days=3)).isoformat(), "by": "科长",
                "reason": "检修", "unit": UNIT})
            assert added.status_code == 200, added.text
            await until(lambda: GAS_MN in engine.exemptions, deadline_s=5)
            return (platform.store.query("SELECT closed_by FROM alarms WHERE id = ?",
                                         [alarm["id"]])[0][0],
                    platform.store.query("SELECT created_by FROM exemptions")[0][0])

    closed_by, created_by = asyncio.run(scenario())
    # one audit form for both: who, and from where
    assert closed_by == "值班员 (web 127.0.0.1)" and created_by == "科长 (web 127.0.0.1)"
