"""Heavy results are computed once for every screen asking within `result_cache_s`
(`web.api.cache.SharedResults`): concurrent askers share one computation, a later asker after
the window gets a new one, errors are never kept, and the cache is bounded."""

import asyncio

import pytest

from envmon.web.api.cache import SharedResults


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
    from fastapi.testclient import TestClient

    from envmon.store import open_store
    from envmon.web.app import create_app
    from envmon.web.context import WebContext

    with open_store(tmp_path / "s.duckdb") as store:
        app = create_app(WebContext(store=store))
        with TestClient(app) as client:
            for _ in range(3):
                assert client.get("/api/v1/overview").status_code == 200
            shared = app.state.shared_results
            assert shared.computed == 1 and shared.shared == 2
            client.post("/api/v1/alarms/1/acknowledge", json={"by": "x"})  # any write
            assert client.get("/api/v1/overview").status_code == 200
            assert shared.computed == 2
