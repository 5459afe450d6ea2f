"""Acknowledged means durable: the receiver as a real process, killed hard or stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

from envmon.hj212 import codec
from envmon.hj212.framing import FrameBuffer
from envmon.store import open_store
from tests.ingest.conftest import GAS_MN, hour, hourly_packet


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db, port: int, *extra: str) -> subprocess.Popen:
    return serve_and_wait(port, "--db", str(db), "--hj212-port", str(port),
                          "--host", "127.0.0.1", *extra)


def serve_and_wait(port: int, *args: str) -> subprocess.Popen:
    """`envmon serve ARGS` as a process, once it says it is running (on `port`).

    The start-up line is printed after the HJ 212 port and every service (the roads intake)
    listen; it is kept as ``proc.startup`` (the rest of the output stays in ``proc.stdout``).
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "envmon", "serve", "--log-level", "warning", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    lines: list[bytes] = []
    ended = threading.Event()

    def read_until_running() -> None:
        for line in proc.stdout:
            lines.append(line)
            if b"Ctrl-C to stop." in b" ".join(b"".join(lines).split()):  # wrapped or not
                break
        ended.set()

    threading.Thread(target=read_until_running, daemon=True).start()
    if not ended.wait(30):
        proc.kill()
        raise RuntimeError("receiver did not start: " + b"".join(lines).decode())
    proc.startup = b"".join(lines).decode()
    if f":{port}" not in proc.startup or "Ctrl-C to stop." not in " ".join(
            proc.startup.split()):
        proc.kill()
        raise RuntimeError(proc.startup + proc.stdout.read().decode())
    return proc


def answer_one_then_stop(proc: subprocess.Popen, port: int, packet: bytes) -> None:
    """Send one upload, expect its 9014, then SIGTERM: the receiver must exit cleanly."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(packet)
    sock.settimeout(10)
    assert b"CN=9014" in sock.recv(4096)
    sock.close()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0


def registered_db(tmp_path):
    from envmon.registry.importer import import_rows
    from tests.ingest.conftest import registry_rows

    db = tmp_path / "d.duckdb"
    with open_store(db) as store:
        import_rows(store, registry_rows())
    return db


def test_answered_packet_survives_kill_9(tmp_path):
    db = registered_db(tmp_path)
    port = free_port()
    proc = start_server(db, port)
    try:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(hourly_packet(hour(8), qn="20261101090000777"))
        frames = FrameBuffer()
        answer = None
        sock.settimeout(10)
        while answer is None:
            for frame in frames.feed(sock.recv(4096)):
                answer = codec.decode(frame)
        assert (answer.cn, answer.qn) == ("9014", "20261101090000777")
        os.kill(proc.pid, signal.SIGKILL)  # no chance to flush anything after the answer
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    with open_store(db) as store:
        rows = store.query_records(GAS_MN, "2061", hour(0), hour(23))
        assert {r["factor"] for r in rows} == {"a21026", "a21002", "a34013"}
        assert store.raw_counts()["accepted"] == 1


def test_sigterm_drains_and_commits(tmp_path):
    db = registered_db(tmp_path)
    port = free_port()
    # A 10-second commit window: without the drain nothing would be committed at exit.
    proc = start_server(db, port, "--commit-interval-ms", "10000")
    try:
        sock = socket.create_connection(("127.0.0.1", port))
        for h in range(24):
            sock.sendall(hourly_packet(hour(h), flag=5))
        time.sleep(1.0)  # the receiver has read them; their commit is still pending
        proc.send_signal(signal.SIGTERM)
        sock.settimeout(10)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    packets = [codec.decode(f) for f in FrameBuffer().feed(data) if isinstance(f, bytes)]
    # (the platform may also have asked this unit for missing hours: 2061 requests)
    answers = [p for p in packets if p.cn == "9014"]
    assert len(answers) == 24
    with open_store(db) as store:
        assert store.raw_counts()["accepted"] == 24
        assert len(store.query_records(GAS_MN, "2061", hour(0), hour(0, day=2))) == 24 * 3


def test_serve_reads_its_configuration_file(tmp_path):
    db = registered_db(tmp_path)
    port = free_port()
    config = tmp_path / "envmon.toml"
    config.write_text(
        f'[store]\npath = "{db.name}"\n\n[ingest]\nhost = "127.0.0.1"\nport = {port}\n',
        encoding="utf-8",
    )
    # listening on the configured port, with the configured store
    proc = serve_and_wait(port, "--config", str(config))
    try:
        answer_one_then_stop(proc, port, hourly_packet(hour(8)))
    finally:
        if proc.poll() is None:
            proc.kill()
    with open_store(db) as store:
        assert store.raw_counts()["accepted"] == 1


def test_serve_hosts_the_roads_intake_when_given_a_port(tmp_path):
    """`envmon serve --roads-port`: one process, one store, HJ 212 and the roads intake."""
    import json
    import urllib.request

    db = registered_db(tmp_path)
    port, roads_port = free_port(), free_port()
    # Waits for the start-up line, printed once the roads intake listens too.
    proc = start_server(db, port, "--no-backfill", "--roads-port", str(roads_port))
    reading = {"device_id": "晋A-T001", "time": "2026-10-02T08:00:01", "lat": 37.85,
               "lon": 112.55, "pm25": 41, "pm10": 88}
    request = urllib.request.Request(
        f"http://127.0.0.1:{roads_port}/roads/readings", data=json.dumps([reading]).encode(),
        method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["accepted"] == 1
    answer_one_then_stop(proc, port, hourly_packet(hour(8)))
    output = " ".join((proc.startup + proc.stdout.read().decode()).split())  # may be wrapped
    assert f"roads intake on http://127.0.0.1:{roads_port}/roads/readings" in output
    with open_store(db) as store:
        assert store.query("SELECT count(*) FROM road_readings")[0][0] == 1
        assert store.raw_counts()["accepted"] == 1
