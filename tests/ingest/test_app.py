"""`envmon.app.Platform`: one store, the receiver, hook jobs and services in one process."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import urllib.request

from envmon.app import PeriodicJob, PeriodicJobs, Platform, PlatformOptions
from envmon.ingest.server import ReceiverLimits
from tests.ingest.conftest import GAS_MN, hour, hourly_packet, read_answers, upload_client


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


def test_stop_drains_the_receiver_even_when_the_jobs_fail_to_stop(store, caplog):
    # A long group-commit window keeps the packet waiting in the writer when stop() begins.
    options = PlatformOptions(host="127.0.0.1", hj212_port=0,
                              limits=ReceiverLimits(commit_interval_s=30.0))
    platform = Platform(store, options)

    async def broken_stop() -> None:
        raise RuntimeError("job stuck")

    async def scenario():
        await platform.start()
        assert platform.backfill is not None and platform.alarms is not None
        platform.backfill.stop = broken_stop
        platform.alarms.stop = broken_stop
        reader, writer = await asyncio.open_connection("127.0.0.1", platform.receiver.port)
        writer.write(hourly_packet(hour(8)))
        while platform.receiver.writer.pending == 0:
            await asyncio.sleep(0.01)
        await platform.stop()
        assert not platform.receiver.writer.running
        answers = await read_answers(reader, 1)
        writer.close()
        return answers

    with caplog.at_level(logging.ERROR, logger="envmon.app"):
        [answer] = asyncio.run(scenario())
    assert answer.cn == "9014"  # committed, then answered, although both jobs raised
    assert store.query("SELECT count(*) FROM raw_packets")[0][0] == 1
    failed = [r.getMessage() for r in caplog.records if r.name == "envmon.app"]
    assert failed == ["stopping back-fill failed", "stopping alarms failed"]


def test_stop_closes_the_writer_when_listening_failed(store):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        platform = Platform(store, PlatformOptions(host="127.0.0.1", hj212_port=port,
                                                   backfill=False, alarms=False))

        async def scenario():
            await platform.prepare()
            assert platform.receiver.writer.running
            try:
                await platform.listen()
            except OSError:
                pass
            else:
                raise AssertionError("the port was taken")
            assert not platform.listening
            await platform.stop()
            assert not platform.receiver.writer.running  # checked before asyncio.run cancels
            await platform.stop()  # a second stop does nothing

        asyncio.run(scenario())


def test_roads_intake_writes_next_to_the_receiver_writer(store):
    """The intake writes its own tables from its HTTP threads while the receiver commits
    (envmon.app, "Who writes where"): neither side loses or refuses anything."""
    options = PlatformOptions(host="127.0.0.1", hj212_port=0, backfill=False, alarms=False,
                              roads_port=0)
    platform = Platform(store, options)

    def readings(k: int) -> list[dict]:
        return [{"device_id": f"晋A-T{k:03d}", "time": f"2026-10-02T08:{m:02d}:01",
                 "lat": 37.85, "lon": 112.55, "pm25": 41, "pm10": 88} for m in range(20)]

    async def scenario():
        await platform.start()
        roads = platform.services[0]
        url = f"http://127.0.0.1:{roads.port}/roads/readings"
        posts = [asyncio.to_thread(_post, url, readings(k)) for k in range(8)]
        uploads = [upload_client(platform.receiver.port, k, 6) for k in range(8)]
        results = await asyncio.gather(*posts, *uploads)
        await platform.stop()
        return results[:8], results[8:]

    counts, answered = asyncio.run(scenario())
    assert [c["accepted"] for c in counts] == [20] * 8
    assert answered == [6] * 8
    assert store.query("SELECT count(*) FROM road_readings")[0][0] == 160
    assert store.raw_counts()["accepted"] == 48


def test_the_platform_judges_data_time_by_the_window_around_receipt():
    """`envmon demo` runs the Platform with its default options: a DataTime of year 9999 must
    be rejected there as under `envmon serve` (issue 10, finding 6)."""
    from envmon.ingest.accept import DEFAULT_DATA_TIME_WINDOW

    assert PlatformOptions().limits.data_time_window == DEFAULT_DATA_TIME_WINDOW
