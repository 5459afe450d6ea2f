"""The REST API against a real Platform on loopback: a real receiver fed by an HJ 212 client,
the web app on its own port, the answers compared with the CLI's for the same store."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
from typer.testing import CliRunner

from envmon.app import Platform, PlatformOptions, web_app
from envmon.cli import app as cli_app
from envmon.timeutil import now_beijing
from tests.ingest.conftest import GAS_MN, hourly_packet, read_answers, store  # noqa: F401

BAD = [("/api/v1/data?mn=" + GAS_MN + "&from=yesterday", "from"),
       ("/api/v1/data?mn=" + GAS_MN + "&cn=99", "cn"),
       ("/api/v1/assess?month=2026-1", "month"),
       ("/api/v1/assess?level=bogus&month=2026-10", "level"),
       ("/api/v1/assess?month=2026-10&as_of=2099-01-01", "as_of"),
       ("/api/v1/alarms?limit=-1", "limit"),
       ("/api/v1/alarms?status=nope", "status"),
       ("/api/v1/alarms?format=pdf", "format"),
       ("/api/v1/events?kinds=bogus", "kinds")]


async def _events(client: httpx.AsyncClient, seen: list, ready: asyncio.Event) -> None:
    async with client.stream("GET", "/api/v1/events?kinds=packet,alarm") as response:
        assert response.status_code == 200
        ready.set()
        kind = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                seen.append((kind, json.loads(line[6:])))


async def _until(condition, deadline_s: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not condition():
        assert loop.time() < end, "deadline passed"
        await asyncio.sleep(0.02)


def test_api_serves_live_data_events_and_the_cli_json(store, tmp_path):  # noqa: F811
    hour = (now_beijing() - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    span = {"from": hour.isoformat(), "to": (hour + timedelta(hours=1)).isoformat()}
    platform = Platform(store, PlatformOptions(host="127.0.0.1", hj212_port=0, web_port=0,
                                               backfill=False))

    async def scenario():
        await platform.start()
        web = web_app(platform)
        seen: list = []
        ready = asyncio.Event()
        async with httpx.AsyncClient(base_url=web.url.rstrip("/"), timeout=10) as client:
            stream = asyncio.create_task(_events(client, seen, ready))
            await asyncio.wait_for(ready.wait(), 10)
            await _until(lambda: web.context.events.subscribers == 1)
            reader, writer = await asyncio.open_connection("127.0.0.1", platform.receiver.port)
            writer.write(hourly_packet(hour, so2=500.0))  # far over the limit of 35
            [answer] = await read_answers(reader, 1)
            writer.close()
            await _until(lambda: {k for k, _ in seen} >= {"packet", "alarm"})
            got = {}
            for path, params in (("data", {"mn": GAS_MN, "cn": "2061", **span}),
                                 ("alarms", {}), ("assess", {"level": "point", **span})):
                response = await client.get(f"/api/v1/{path}", params=params)
                assert response.status_code == 200, response.text
                again = await client.get(f"/api/v1/{path}", params=params,
                                         headers={"If-None-Match": response.headers["etag"]})
                assert again.status_code == 304
                got[path] = response.content
            bad = {path: await client.get(path) for path, _ in BAD}
            alarm_id = json.loads(got["alarms"])[0]["id"]
            acked = await client.post(f"/api/v1/alarms/{alarm_id}/acknowledge",
                                      json={"by": "值班员", "note": "已电话通知"})
            twice = await client.post(f"/api/v1/alarms/{alarm_id}/acknowledge",
                                      json={"by": "值班员"})
            missing = await client.post("/api/v1/alarms/99999/close",
                                        json={"by": "值班员", "note": "误报"})
            nameless = await client.post(f"/api/v1/alarms/{alarm_id}/close",
                                         json={"note": "已整改"})
            bodiless = await client.post(f"/api/v1/alarms/{alarm_id}/acknowledge")
            noteless = await client.post(f"/api/v1/alarms/{alarm_id}/close",
                                         json={"by": "值班员", "note": " "})
            overview = await client.get("/api/v1/overview")
            stream.cancel()
        await platform.stop()
        return (answer, seen, got, bad, acked, twice, missing, overview,
                (nameless, bodiless, noteless))

    answer, seen, got, bad, acked, twice, missing, overview, refused = asyncio.run(scenario())
    # no name, no body at all (the guard: changes are JSON, 415), a blank note to close
    expected = ((400, "by"), (415, "Content-Type"), (400, "note"))
    for response, (status, field) in zip(refused, expected, strict=True):
        assert response.status_code == status, response.text
        assert response.json()["error"]["field"] == field
    assert answer.cn == "9014"
    packet = next(data for kind, data in seen if kind == "packet")
    assert packet["mn"] == GAS_MN and packet["cn"] == "2061"
    alarm = next(data for kind, data in seen if kind == "alarm")
    assert alarm["mn"] == GAS_MN and alarm["status"] == "open"
    assert alarm["unit_name"] == "太原测试热电有限公司"  # a live row reads as the listed ones
    for path, field in BAD:
        response = bad[path]
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["field"] == field, path
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert twice.status_code == 409 and missing.status_code == 404
    assert overview.status_code == 200 and overview.json()["counts"]["registered"] == 2
    db = store.path if hasattr(store, "path") else None
    store.close()
    runner = CliRunner()
    db = db or str(tmp_path / "envmon.duckdb")
    cli = {
        "data": ["data", "--db", db, "--mn", GAS_MN, "--cn", "2061", "--from", span["from"],
                 "--to", span["to"], "--format", "json"],
        "alarms": ["alarms", "list", "--db", db, "--format", "json"],
        "assess": ["assess", "--db", db, "--level", "point", "--from", span["from"],
                   "--to", span["to"], "--format", "json"],
    }
    for path, args in cli.items():
        result = runner.invoke(cli_app, args)
        assert result.exit_code == 0, result.output
        if path == "alarms":  # acknowledged since: compare all but the status
            before = json.loads(got[path])
            after = json.loads(result.stdout)
            for row in (*before, *after):
                row.pop("status")
            assert before == after
        else:
            assert result.stdout.encode() == got[path], path
