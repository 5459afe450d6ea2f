"""/healthz and /readyz (envmon.ops.health): readiness fails with a JSON reason, and no data,
when the store does not answer or the receiver is not listening; one probe at a time."""

from __future__ import annotations

import asyncio
import threading

from envmon.app import Platform, PlatformOptions
from envmon.ops import health
from envmon.store import open_store
from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.web.clients import local_client


def test_readyz_on_the_web_app_is_503_once_the_store_is_closed(tmp_path):
    store = open_store(tmp_path / "envmon.duckdb")
    client = local_client(create_app(WebContext(store=store, settings={})))
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"ready": True, "store": "ok", "receiver": "none"}
    store.close()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["ready"] is False and body["store"].startswith("the store did not answer")
    assert str(tmp_path) not in answer.text  # the reason names no path
    assert client.get("/healthz").json() == {"status": "ok"}  # the loop still answers
    metrics = client.get("/metrics")  # no platform: the process's own metrics only
    assert metrics.status_code == 200 and "process_cpu_seconds_total" in metrics.text


def test_readyz_is_503_while_the_receiver_is_not_listening(store):
    platform = Platform(store, PlatformOptions(host="127.0.0.1", hj212_port=0,
                                               backfill=False, alarms=False))

    async def scenario():
        await platform.prepare()  # writer up, HJ 212 port not yet open
        try:
            before = await health.readiness(store, platform)
            await platform.listen()
            during = await health.readiness(store, platform)
        finally:
            await platform.stop()
        after = await health.readiness(store, platform)
        return before, during, after

    before, during, after = asyncio.run(scenario())
    assert before == (False, {"ready": False, "store": "ok",
                              "receiver": "the HJ 212 port is not listening"})
    assert during[0] is True
    assert after[0] is False


class SlowStore:
    """A store whose query waits until released: what an unreachable server looks like."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def query(self, sql: str):
        self.calls += 1
        self.release.wait(10)
        return [(1,)]


def test_a_store_that_does_not_answer_in_time_is_not_ready_and_is_asked_once():
    store = SlowStore()

    async def scenario():
        first = await health.readiness(store, None, timeout_s=0.1)
        second = await health.readiness(store, None, timeout_s=0.1)
        store.release.set()
        return first, second

    first, second = asyncio.run(scenario())
    assert first == (False, {"ready": False, "store": "the store did not answer within 0.1 s",
                             "receiver": "none"})
    assert second[1]["store"] == "a previous check still waits for the store"
    assert store.calls == 1


def test_readiness_on_postgresql(pg_url):
    store = open_store(pg_url)
    try:
        assert asyncio.run(health.readiness(store, None)) == (
            True, {"ready": True, "store": "ok", "receiver": "none"})
    finally:
        store.close()
    ready, body = asyncio.run(health.readiness(store, None))
    assert not ready and body["store"].startswith("the store did not answer")
    assert "127.0.0.1" not in body["store"]  # no server address in the reason
