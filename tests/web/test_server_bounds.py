"""The web server's bounds and live point states on a real Platform on loopback: the hub
full (503), a body over the limit (413), more connections than the cap (refused, an
established client still served), headers that never complete (closed), a request h11
cannot parse (the API's error shape), and point_state events as a unit connects and goes
silent (the alarm engine's offline rule with a short threshold)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import timedelta

import httpx

from envmon.app import Platform, PlatformOptions, web_app
from envmon.hj212 import codec
from envmon.timeutil import now_beijing
from envmon.web.service import WebSettings
from tests.ingest.conftest import GAS_MN, PW, read_answers, store  # noqa: F401


@contextlib.asynccontextmanager
async def running(store, settings: WebSettings | None = None,  # noqa: F811
                  alarm_settings: dict | None = None, publish_clock=None):
    platform = Platform(store, PlatformOptions(
        host="127.0.0.1", hj212_port=0, web_port=0, backfill=False,
        alarms=alarm_settings is not None, alarm_settings=alarm_settings,
        web_settings=settings))
    if publish_clock is not None:
        web_app(platform).publish_clock = publish_clock
    await platform.start()
    try:
        web = web_app(platform)
        async with httpx.AsyncClient(base_url=web.url.rstrip("/"), timeout=10,
                                     limits=httpx.Limits(max_connections=1)) as client:
            yield platform, web, client
    finally:
        await platform.stop()


async def until(condition, deadline_s: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not condition():
        assert loop.time() < end, "deadline passed"
        await asyncio.sleep(0.02)


async def raw_exchange(port: int, request: bytes, deadline_s: float = 10.0) -> bytes:
    """Send `request`, read until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    try:
        return await asyncio.wait_for(reader.read(), deadline_s)
    finally:
        writer.close()


async def read_events(client: httpx.AsyncClient, kinds: str, seen: list[dict],
                      ready: asyncio.Event) -> None:
    """The `data` of every event of `kinds` into `seen`; `ready` once the stream is open."""
    async with client.stream("GET", f"/api/v1/events?kinds={kinds}") as response:
        ready.set()
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))


def body_of(answer: bytes) -> dict:
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])


def test_hub_full_is_503_with_the_error_shape(store):  # noqa: F811
    async def scenario():
        async with running(store, WebSettings(max_streams=1)) as (_, web, client):  # noqa: SIM117
            async with client.stream("GET", "/api/v1/events") as first:
                assert first.status_code == 200
                await until(lambda: web.context.events.subscribers == 1)
                return await raw_exchange(web.port, b"GET /api/v1/events HTTP/1.1\r\n"
                                          b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")

    answer = asyncio.run(scenario())
    assert answer.startswith(b"HTTP/1.1 503 ")
    error = body_of(answer)["error"]
    assert error["field"] is None and "live streams" in error["reason"]


def test_body_over_the_limit_is_413(store):  # noqa: F811
    async def scenario():
        async with running(store, WebSettings(max_body_bytes=1024)) as (_, _web, client):
            big = await client.post("/api/v1/alarms/1/acknowledge", json={"note": "x" * 5000})
            small = await client.post("/api/v1/alarms/1/acknowledge", json={"by": "x", "note": "x"})
            return big.status_code, big.json(), small.status_code

    status, body, small = asyncio.run(scenario())
    assert status == 413 and "1024 bytes" in body["error"]["reason"]
    assert small == 404  # under the limit: the request reaches the endpoint (no alarm 1)


def test_connections_over_the_cap_are_refused_and_an_established_client_is_served(
        store):  # noqa: F811
    async def scenario():
        async with running(store, WebSettings(max_connections=3)) as (_, web, client):
            assert (await client.get("/openapi.json")).status_code == 200
            idle = [await asyncio.open_connection("127.0.0.1", web.port)
                    for _ in range(2)]  # the cap is reached: 3 connections open
            await until(lambda: len(web._server.server_state.connections) == 3)
            refused = await raw_exchange(web.port, b"GET /openapi.json HTTP/1.1\r\n"
                                         b"Host: 127.0.0.1\r\n\r\n")
            during = await client.get("/openapi.json")  # the same kept-alive connection
            for _, writer in idle:
                writer.close()
            return refused, during.status_code

    refused, during = asyncio.run(scenario())
    assert refused.startswith(b"HTTP/1.1 503 ")
    assert "too many connections" in body_of(refused)["error"]["reason"]
    assert during == 200


def test_one_address_cannot_take_every_connection(store):  # noqa: F811
    """Trial finding: 400 slow-header connections from one address took all 200 slots and
    every genuine request got 503. Now one address holds at most its share; a client at
    another address (127.0.0.2, loopback too) is still served."""
    async def scenario():
        settings = WebSettings(max_connections=20, max_connections_per_address=4)
        async with running(store, settings) as (_, web, _client):
            held = [await asyncio.open_connection("127.0.0.1", web.port) for _ in range(4)]
            await until(lambda: len(web._server.server_state.connections) == 4)
            refused = await raw_exchange(web.port, b"GET /openapi.json HTTP/1.1\r\n"
                                         b"Host: 127.0.0.1\r\n\r\n")
            reader, writer = await asyncio.open_connection("127.0.0.1", web.port,
                                                           local_addr=("127.0.0.2", 0))
            writer.write(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Connection: close\r\n\r\n")
            other = await asyncio.wait_for(reader.read(), 10)
            writer.close()
            for _, w in held:
                w.close()
            return refused, other

    refused, other = asyncio.run(scenario())
    assert refused.startswith(b"HTTP/1.1 503 ")
    assert "from 127.0.0.1" in body_of(refused)["error"]["reason"]
    assert other.startswith(b"HTTP/1.1 200 ")


def test_headers_that_never_complete_are_closed_after_the_header_timeout(store):  # noqa: F811
    async def scenario():
        async with running(store, WebSettings(header_timeout_s=0.3)) as (_, web, _client):
            loop = asyncio.get_running_loop()
            started = loop.time()
            answer = await raw_exchange(web.port,
                                        b"GET /api/v1/overview HTTP/1.1\r\nHost: 127.0.0.1",
                                        deadline_s=10)
            return answer, loop.time() - started

    answer, waited = asyncio.run(scenario())
    assert answer == b"" and 0.3 <= waited < 8  # closed by the server, well before 10 s


def test_an_unparseable_request_gets_the_api_error_shape(store):  # noqa: F811
    async def scenario():
        async with running(store) as (_, web, _client):
            return await raw_exchange(web.port, b"GET /api/v1/overview HTTP/1.1\r\n"
                                      b"Host: 127.0.0.1\r\nContent-Length: lots\r\n\r\n")

    answer = asyncio.run(scenario())
    assert answer.startswith(b"HTTP/1.1 400 ")
    error = body_of(answer)["error"]
    assert error["field"] == "Content-Length" and "invalid HTTP request" in error["reason"]


def realtime_packet() -> bytes:
    """Real-time data (CN 2011): keeps a point alive without setting an upload cadence, so
    the global offline threshold applies (an hourly packet would give the point 2 h)."""
    at = now_beijing().replace(microsecond=0) - timedelta(seconds=5)
    cp = codec.format_cp(data_time=at, factors={
        "a21026": {"Rtd": 12.0, "ZsRtd": 13.0, "Flag": "N"},
        "a19001": {"Rtd": 8.0, "Flag": "N"}})
    return codec.build_packet(qn=codec.make_qn(at), st="31", cn="2011", pw=PW, mn=GAS_MN,
                              flag=5, cp=cp)


def test_point_state_events_when_a_unit_connects_and_goes_silent(store):  # noqa: F811
    seen: list[dict] = []

    def states() -> list[str]:
        return [event["state"] for event in seen if event["mn"] == GAS_MN]

    async def scenario():
        alarms = {"offline_after_s": 1.0, "offline_check_s": 0.1}
        async with running(store, alarm_settings=alarms) as (platform, web, client):
            ready = asyncio.Event()
            stream = asyncio.create_task(read_events(client, "point_state", seen, ready))
            await asyncio.wait_for(ready.wait(), 10)
            await until(lambda: web.context.events.subscribers == 1)
            reader, writer = await asyncio.open_connection("127.0.0.1",
                                                           platform.receiver.port)
            writer.write(realtime_packet())
            [answer] = await read_answers(reader, 1)
            await until(lambda: "online" in states())
            writer.close()  # silent from now on: offline after 1 s
            await until(lambda: "offline" in states())
            stream.cancel()
            return answer

    answer = asyncio.run(scenario())
    assert answer.cn == "9014"
    assert states()[0] == "online" and states()[-1] == "offline"


def test_packet_events_are_at_most_one_a_point_a_second(store):  # noqa: F811
    """A unit's uploads in one burst are one `packet` event (PACKET_EVENT_INTERVAL_S); a
    later upload, once the interval has passed, is announced again. The publisher's clock is
    the test's: it steps past the interval instead of racing the wall clock."""
    from envmon.web.publish import PACKET_EVENT_INTERVAL_S
    from tests.ingest.conftest import hourly_packet

    clock = [1000.0]

    base = (now_beijing() - timedelta(hours=10)).replace(minute=0, second=0, microsecond=0)
    seen: list[dict] = []

    async def scenario():
        async with running(store, publish_clock=lambda: clock[0]) as (platform, web, client):
            ready = asyncio.Event()
            stream = asyncio.create_task(read_events(client, "packet", seen, ready))
            await asyncio.wait_for(ready.wait(), 10)
            await until(lambda: web.context.events.subscribers == 1)
            reader, writer = await asyncio.open_connection("127.0.0.1",
                                                           platform.receiver.port)
            writer.write(b"".join(hourly_packet(base + timedelta(hours=k)) for k in range(3)))
            assert len(await read_answers(reader, 3)) == 3
            await until(lambda: len(seen) >= 1)
            burst = len(seen)
            writer.write(hourly_packet(base + timedelta(hours=3)))  # within the interval
            await read_answers(reader, 1)
            clock[0] += PACKET_EVENT_INTERVAL_S  # the interval has passed
            writer.write(hourly_packet(base + timedelta(hours=4)))
            await read_answers(reader, 1)
            await until(lambda: len(seen) >= 2)
            writer.close()
            stream.cancel()
            return burst

    burst = asyncio.run(scenario())
    assert burst == 1
    assert [event["mn"] for event in seen] == [GAS_MN, GAS_MN]


def test_a_chunked_body_over_the_limit_is_413(store):  # noqa: F811
    """No Content-Length to refuse up front: the body streams in chunks past the limit; the
    answer is still the 413 of the error shape (FastAPI alone would say 400)."""
    async def scenario():
        async with running(store, WebSettings(max_body_bytes=1024)) as (_, web, _client):
            chunk = b'{"note": "' + b"x" * 600
            body = b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                            for part in (chunk, b"y" * 600, b'"}')) + b"0\r\n\r\n"
            return await raw_exchange(web.port, b"POST /api/v1/alarms/1/acknowledge "
                                      b"HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                      b"Content-Type: application/json\r\n"
                                      b"Transfer-Encoding: chunked\r\n\r\n" + body)

    answer = asyncio.run(scenario())
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert "1024 bytes" in body_of(answer)["error"]["reason"]
