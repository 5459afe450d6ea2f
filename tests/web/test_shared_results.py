"""Heavy results are computed once for every screen asking within `result_cache_s`
(`web.api.cache.SharedResults`): concurrent askers share one computation, a later asker after
the window gets a new one, errors are never kept, and the cache is bounded."""

import asyncio

import pytest

from envmon.web.api.cache import SharedResults
from tests.web.clients import local_client


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_concurrent_and_recent_askers_share_one_computation():
    async def main():
        clock = Clock()
        results = SharedResults(fresh_s=5, clock=clock)
        started, release = asyncio.Event(), asyncio.Event()
        calls = []

        async def compute():
            calls.append(1)
            started.set()
            await release.wait()
            return len(calls)

        first = asyncio.create_task(results.get("k", compute))
        await started.wait()
        others = [asyncio.create_task(results.get("k", compute)) for _ in range(9)]
        await asyncio.sleep(0)  # the nine are waiting on the first's computation
        release.set()
        assert {await t for t in [first, *others]} == {1} and len(calls) == 1
        clock.now = 4.9
        assert await results.get("k", compute) == 1 and len(calls) == 1
        clock.now = 5.1  # past the window: computed again
        assert await results.get("k", compute) == 2
        assert results.computed == 2 and results.shared == 10

    asyncio.run(main())


def test_errors_are_not_kept_and_the_cache_is_bounded():
    async def main():
        results = SharedResults(fresh_s=5, max_entries=2, clock=Clock())
        attempts = []

        async def failing():
            attempts.append(1)
            raise ValueError("bad")

        for _ in range(2):
            with pytest.raises(ValueError):
                await results.get("k", failing)
        assert len(attempts) == 2

        async def value():
            return "v"

        for key in "abc":
            await results.get(key, value)
        assert len(results._entries) == 2

    asyncio.run(main())


def test_a_write_through_the_api_empties_the_shared_results(tmp_path):
    from envmon.alarms.store import open_alarm
    from envmon.store import open_store
    from envmon.web.app import create_app
    from envmon.web.context import WebContext

    with open_store(tmp_path / "s.duckdb") as store:
        app = create_app(WebContext(store=store))
        alarm = open_alarm(store, mn="MN1", unit_id=None, factor="a21026", rule="exceedance",
                           data_time=None, value=1.0, limit=0.5, detail="test")
        with local_client(app) as client:
            for _ in range(3):
                assert client.get("/api/v1/overview").status_code == 200
            shared = app.state.shared_results
            assert shared.computed == 1 and shared.shared == 2
            client.post(f"/api/v1/alarms/{alarm.id}/acknowledge", json={"by": "x"})  # a write
            assert client.get("/api/v1/overview").status_code == 200
            assert shared.computed == 2


def test_a_refused_or_failed_request_keeps_the_shared_results(tmp_path):
    """Only a write that succeeded empties the cache: OPTIONS, 404s, refused bodies and
    writes that fail would otherwise let any client keep heavy results uncached."""
    from envmon.store import open_store
    from envmon.web.app import create_app
    from envmon.web.context import WebContext

    with open_store(tmp_path / "s.duckdb") as store:
        app = create_app(WebContext(store=store))
        with local_client(app) as client:
            assert client.get("/api/v1/overview").status_code == 200
            answers = [client.options("/api/v1/overview"),
                       client.post("/api/v1/nowhere", json={}),
                       client.post("/api/v1/alarms/1/acknowledge", content=b"x"),
                       client.post("/api/v1/alarms/1/acknowledge", json={"by": "x"})]
            assert [a.status_code for a in answers] == [415, 404, 415, 404]
            assert client.get("/api/v1/overview").status_code == 200
            assert app.state.shared_results.computed == 1


def test_a_cancelled_first_asker_does_not_cancel_the_others():
    async def main():
        results = SharedResults(fresh_s=5, clock=Clock())
        started, release = asyncio.Event(), asyncio.Event()

        async def compute():
            started.set()
            await release.wait()
            return b"overview"

        first = asyncio.create_task(results.get("k", compute))
        await started.wait()
        others = [asyncio.create_task(results.get("k", compute)) for _ in range(3)]
        await asyncio.sleep(0)
        first.cancel()  # the first screen's tab is closed
        await asyncio.sleep(0)
        release.set()
        assert [await t for t in others] == [b"overview"] * 3
        assert first.cancelled() and results.computed == 1
        assert await results.get("k", compute) == b"overview"  # kept for the window

    asyncio.run(main())


def test_the_cache_is_bounded_by_bytes():
    async def main():
        results = SharedResults(fresh_s=5, clock=Clock(), max_bytes=20)

        def value(body: bytes):
            async def compute():
                return (body, "name")
            return compute

        await results.get("a", value(b"123"))
        await results.get("b", value(b"123"))
        assert set(results._entries) == {"a", "b"} and results.bytes == 14
        await results.get("c", value(b"123"))  # 21 bytes: the oldest goes
        assert set(results._entries) == {"b", "c"} and results.bytes == 14
        assert await results.get("big", value(b"x" * 20)) == (b"x" * 20, "name")
        assert "big" not in results._entries  # answered, not kept

    asyncio.run(main())
