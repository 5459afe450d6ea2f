"""Isolation of the live stream (`GET /api/v1/events`): an enterprise subscribed to the
events sees its own unit's and none of another's, on a real Platform on loopback (the stream
needs a real server)."""

from __future__ import annotations

import asyncio
import json

import httpx

from envmon.app import Platform, PlatformOptions, web_app
from tests.access.conftest import PASSWORD
from tests.assess.conftest import GAS, OTHER
from tests.web.isolation_store import build
from tests.web.test_api import _until


async def _listen(client: httpx.AsyncClient, token: str, seen: list,
                  ready: asyncio.Event) -> None:
    async with client.stream("GET", "/api/v1/events?kinds=alarm",
                             headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status_code == 200
        ready.set()
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))


def test_an_enterprise_stream_carries_only_its_units_events(tmp_path):
    store, ids = build(tmp_path / "envmon.duckdb")
    platform = Platform(store, PlatformOptions(host="127.0.0.1", hj212_port=0, web_port=0,
                                               backfill=False))

    async def scenario():
        await platform.start()
        web = web_app(platform)
        try:
            async with httpx.AsyncClient(base_url=web.url.rstrip("/"), timeout=10) as client:
                async def token(name):
                    answer = await client.post("/api/v1/auth/token", json={
                        "username": name, "password": PASSWORD})
                    return answer.json()["token"]

                jia, root = await token("jia"), await token("root")
                seen: list = []
                ready = asyncio.Event()
                stream = asyncio.create_task(_listen(client, jia, seen, ready))
                await asyncio.wait_for(ready.wait(), 10)
                await _until(lambda: web.context.events.subscribers == 1)
                admin = {"Authorization": f"Bearer {root}"}
                for mn in (OTHER, GAS):  # another unit's alarm first, then its own
                    done = await client.post(f"/api/v1/alarms/{ids['alarm'][mn]}/acknowledge",
                                             json={"by": "值班员"}, headers=admin)
                    assert done.status_code == 200, done.text
                await _until(lambda: any(e.get("mn") == GAS for e in seen))
                assert all(e.get("mn") == GAS for e in seen), seen
                assert "丁钢铁" not in json.dumps(seen, ensure_ascii=False)
                stream.cancel()
        finally:
            await platform.stop()

    asyncio.run(scenario())
    store.close()
