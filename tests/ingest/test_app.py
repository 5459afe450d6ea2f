"""`envmon.app.Platform`: one store, the receiver, hook jobs and services in one process."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request

from envmon.app import PeriodicJob, PeriodicJobs, Platform, PlatformOptions
from tests.ingest.conftest import GAS_MN, hour, hourly_packet, read_answers


def _post(url: str, payload) -> dict:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_platform_hosts_receiver_roads_intake_and_jobs(store):
    seen_stores = []
    job = PeriodicJob("count", 0.05, lambda s: seen_stores.append(
        s.query("SELECT count(*) FROM raw_packets")[0][0]))
    options = PlatformOptions(host="127.0.0.1", hj212_port=0, backfill=False, roads_port=0)
    platform = Platform(store, options, services=[PeriodicJobs([job])])

    async def scenario():
        await platform.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", platform.receiver.port)
        writer.write(hourly_packet(hour(8)))
        [answer] = await read_answers(reader, 1)
        writer.close()
        roads = next(s for s in platform.services if s.name == "roads intake")
        url = f"http://127.0.0.1:{roads.port}/roads/readings"
        reading = {"device_id": "晋A-T001", "time": "2026-10-02T08:00:01", "lat": 37.85,
                   "lon": 112.55, "pm25": 41, "pm10": 88}
        counts = await asyncio.to_thread(_post, url, [reading])
        while job.runs < 2:
            await asyncio.sleep(0.05)
        await platform.stop()
        return answer, counts, roads.port

    answer, counts, roads_port = asyncio.run(scenario())
    assert answer.cn == "9014"
    assert counts["accepted"] == 1
    assert store.query("SELECT count(*) FROM road_readings")[0][0] == 1
    assert len(store.query_records(GAS_MN, "2061", hour(0), hour(23))) == 3
    assert seen_stores and seen_stores[-1] == 1  # the job ran on the platform's store
    assert any(n.startswith("roads intake on http://127.0.0.1:") for n in platform.notes)
    assert "live alarms" in platform.notes and platform.alarms is not None
    assert any(n.startswith("jobs: count every 0.05 s") for n in platform.notes)
    with socket.socket() as probe:  # stopped: the roads port is closed again
        assert probe.connect_ex(("127.0.0.1", roads_port)) != 0


def test_roads_intake_is_off_unless_a_port_is_given(store):
    platform = Platform(store, PlatformOptions(host="127.0.0.1", hj212_port=0, backfill=False,
                                               alarms=False))
    assert platform.services == []

    async def scenario():
        await platform.start()
        await platform.stop()

    asyncio.run(scenario())
    assert platform.notes == []
