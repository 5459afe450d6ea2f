"""/metrics, /healthz, /readyz of a real receiver on loopback (envmon.ops): the text parses
with prometheus_client's own parser, counts move with real packets, labels stay bounded
whatever MNs a peer sends, and `envmon serve --no-web --metrics-port` serves them."""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from envmon.app import Platform, PlatformOptions
from envmon.ops import endpoints
from tests.ingest.conftest import GAS_MN, hour, hourly_packet, read_answers
from tests.ingest.test_durability import free_port, registered_db, start_server


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


def _listener(platform: Platform) -> endpoints.OpsListener:
    return next(s for s in platform.started if s.name == "metrics")


def _platform(store, **options) -> Platform:
    return Platform(store, PlatformOptions(host="127.0.0.1", hj212_port=0, backfill=False,
                                           alarms=False, metrics_port=0, **options))


async def _get(port: int, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        return await client.get(path)


async def _until(check, deadline_s: float = 10.0):
    """Poll `check()` (async, returns a value or None) until it gives a value."""
    end = time.monotonic() + deadline_s
    while True:
        found = await check()
        if found is not None:
            return found
        assert time.monotonic() < end, "condition not met in time"
        await asyncio.sleep(0.05)


def test_metrics_count_real_packets_and_parse(store):
    platform = _platform(store)

    async def scenario():
        await platform.start()
        try:
            port = _listener(platform).port
            before = (await _get(port, "/metrics")).text
            assert value(before, "envmon_packets_total", verdict="accepted") == 0
            reader, writer = await asyncio.open_connection("127.0.0.1", platform.receiver.port)
            for h in range(3):
                writer.write(hourly_packet(hour(h)))
            await writer.drain()
            assert len(await read_answers(reader, 3)) == 3
            writer.write(hourly_packet(hour(5), pw="999999"))  # rejected: never answered
            await writer.drain()

            async def rejected():
                text = (await _get(port, "/metrics")).text
                return text if value(text, "envmon_packets_total", verdict="rejected") else None

            text = await _until(rejected)
            writer.close()
            return text, await _get(port, "/healthz"), await _get(port, "/readyz")
        finally:
            await platform.stop()

    text, healthz, readyz = asyncio.run(scenario())
    assert value(text, "envmon_packets_total", verdict="accepted") == 3
    assert value(text, "envmon_packets_total", verdict="rejected") == 1
    assert value(text, "envmon_packets_rejected_total", reason="PW") == 1
    assert value(text, "envmon_wrong_passwords_total") == 1
    assert value(text, "envmon_committed_packets_total") >= 3
    assert value(text, "envmon_answers_total") == 3
    assert value(text, "envmon_connections") == 1
    assert value(text, "envmon_commit_seconds_count") >= 1
    assert value(text, "envmon_commit_seconds_bucket", le="+Inf") == value(
        text, "envmon_commit_seconds_count")
    assert value(text, "envmon_writer_queue_depth") <= 1  # the rejected sample, perhaps
    assert value(text, "process_resident_memory_bytes") > 0
    assert value(text, "process_cpu_seconds_total") > 0
    assert ("envmon_lockouts_total", ()) in samples(text)
    assert ("envmon_backfill_requests_total", ()) in samples(text)
    assert healthz.status_code == 200 and healthz.json() == {"status": "ok"}
    assert readyz.status_code == 200, readyz.text
    assert readyz.json() == {"ready": True, "store": "ok", "receiver": "ok"}


def _unknown_mn(k: int) -> bytes:
    return hourly_packet(hour(1), mn=f"ATTACKER{k:016d}")


def test_series_do_not_grow_with_the_mns_a_peer_sends(store):
    platform = _platform(store)

    async def scenario():
        await platform.start()
        try:
            port = _listener(platform).port
            reader, writer = await asyncio.open_connection("127.0.0.1", platform.receiver.port)

            async def rejected(n: int):
                text = (await _get(port, "/metrics")).text
                seen = value(text, "envmon_packets_total", verdict="rejected")
                return text if seen >= n else None

            writer.write(_unknown_mn(0))
            await writer.drain()
            one = await _until(lambda: rejected(1))
            for k in range(1, 100):
                writer.write(_unknown_mn(k))
            await writer.drain()
            hundred = await _until(lambda: rejected(100))
            writer.close()
            return one, hundred
        finally:
            await platform.stop()

    one, hundred = asyncio.run(scenario())
    assert value(hundred, "envmon_packets_total", verdict="rejected") == 100
    series = {key for key in samples(hundred) if key[0].startswith("envmon_")}
    assert series == {key for key in samples(one) if key[0].startswith("envmon_")}
    assert "ATTACKER" not in hundred and "127.0.0.1" not in hundred


def test_serve_no_web_serves_metrics_and_health_on_its_port(tmp_path):
    db = registered_db(tmp_path)
    port, metrics_port = free_port(), free_port()
    proc = start_server(db, port, "--no-web", "--no-backfill", "--metrics-port",
                        str(metrics_port))
    try:
        assert f"http://127.0.0.1:{metrics_port}/metrics" in " ".join(proc.startup.split())
        with httpx.Client(base_url=f"http://127.0.0.1:{metrics_port}", timeout=5) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            assert client.get("/readyz").status_code == 200
            text = client.get("/metrics").text
            assert value(text, "envmon_connections") == 0
            assert client.post("/metrics").status_code == 405  # three GET routes, no more
            assert client.get("/api/v1/data").status_code == 404
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_workers_counts_reach_the_parent_with_each_workers_cpu_and_memory(store):
    platform = _platform(store, workers=2)

    async def scenario():
        await platform.start()
        try:
            port = _listener(platform).port
            reader, writer = await asyncio.open_connection("127.0.0.1", platform.receiver.port)
            for h in range(4):
                writer.write(hourly_packet(hour(h), mn=GAS_MN))
            await writer.drain()
            assert len(await read_answers(reader, 4)) == 4
            writer.close()

            async def reported():  # each worker reports its counts every second
                text = (await _get(port, "/metrics")).text
                return text if value(text, "envmon_packets_total", verdict="accepted") == 4 \
                    else None

            return await _until(reported)
        finally:
            await platform.stop()

    text = asyncio.run(scenario())
    assert value(text, "envmon_committed_packets_total") == 4
    assert value(text, "envmon_commit_seconds_count") >= 1
    for worker in ("0", "1"):
        assert value(text, "envmon_worker_cpu_seconds_total", worker=worker) > 0
        assert value(text, "envmon_worker_resident_memory_bytes", worker=worker) > 0


def test_metrics_port_options_come_from_the_config_and_are_checked(tmp_path):
    import socket

    from typer.testing import CliRunner

    from envmon.cli import app
    from envmon.config import parse_config

    config = parse_config({"ingest": {"metrics_port": 9300, "metrics_host": "0.0.0.0",
                                      "ready_timeout_s": 1.5}}, "envmon.toml")
    assert (config.ingest.metrics_port, config.ingest.metrics_host,
            config.ingest.ready_timeout_s) == (9300, "0.0.0.0", 1.5)
    runner = CliRunner()
    bad = runner.invoke(app, ["serve", "--db", str(tmp_path / "a.duckdb"), "--no-web",
                              "--metrics-port", "70000"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --metrics-port: ")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", "--db", str(tmp_path / "s.duckdb"), "--host",
                                     "127.0.0.1", "--hj212-port", "0", "--no-web",
                                     "--no-backfill", "--metrics-port", str(port)])
    assert result.exit_code == 2, result.output
    assert f"error: cannot listen on --metrics-port 127.0.0.1:{port}: " in result.stderr


def test_idle_connections_cannot_starve_the_health_probe(store):
    """More idle connections than the listener's cap: /healthz still answers 200 at once
    (the connection idle longest is closed for it), and headers have a short deadline."""
    platform = _platform(store)

    async def scenario():
        await platform.start()
        idle = []
        try:
            port = _listener(platform).port
            for _ in range(endpoints.MAX_CONNECTIONS + 4):
                idle.append(await asyncio.open_connection("127.0.0.1", port))
            started = time.monotonic()
            probe = await _get(port, "/healthz")
            elapsed = time.monotonic() - started
            oldest_reader = idle[0][0]
            closed = await asyncio.wait_for(oldest_reader.read(), 5)  # EOF: closed for room
            return probe, elapsed, closed
        finally:
            for _, writer in idle:
                writer.close()
            await platform.stop()

    probe, elapsed, closed = asyncio.run(scenario())
    assert probe.status_code == 200 and probe.json() == {"status": "ok"}
    assert elapsed < endpoints.HEADER_TIMEOUT_S  # not after the idle ones timed out
    assert closed == b""
    assert endpoints.HEADER_TIMEOUT_S <= 2.0
