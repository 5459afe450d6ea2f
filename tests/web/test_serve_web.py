"""`envmon serve` as a user runs it (a subprocess): the web address it prints answers; a taken
--web-port given explicitly is one line naming it (exit 2); --no-web listens on the HJ 212
port only and the receiver works."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx

from envmon.registry.importer import import_rows
from envmon.store import open_store
from envmon.timeutil import now_beijing
from tests.ingest.conftest import hourly_packet, registry_rows

SRC = str(Path(__file__).resolve().parents[2] / "src")
BANNER = re.compile(r"envmon receiving HJ 212 on [^:]+:(\d+)")
WEB = re.compile(r"web app on (http://127\.0\.0\.1:\d+/)")


def serve(tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (SRC, os.environ.get("PYTHONPATH")) if p), "COLUMNS": "200"}
    env.pop("ENVMON_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "envmon", "serve", "--db", str(tmp_path / "s.duckdb"),
         "--host", "127.0.0.1", "--hj212-port", "0", "--no-backfill", "--log-level",
         "warning", *args],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def lines_of(proc: subprocess.Popen) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for(lines: queue.Queue, pattern: re.Pattern, seen: list[str],
              deadline_s: float = 60.0) -> re.Match:
    end = time.monotonic() + deadline_s
    while True:
        line = lines.get(timeout=max(0.1, end - time.monotonic()))
        assert line is not None, f"serve ended: {''.join(seen)}"
        seen.append(line)
        if match := pattern.search(line):
            return match


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)


def listening_ports(pid: int) -> set[int]:
    """TCP ports the process listens on (Linux /proc: its sockets' inodes in LISTEN)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A = LISTEN
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def test_serve_prints_the_web_address_and_it_answers(tmp_path):
    proc = serve(tmp_path, "--web-port", "0")
    try:
        seen: list[str] = []
        url = wait_for(lines_of(proc), WEB, seen).group(1)
        response = httpx.get(url + "api/v1/overview", timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["counts"]["registered"] == 0
    finally:
        stop(proc)
    assert proc.returncode == 0


def test_a_taken_web_port_is_one_line_naming_it(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = serve(tmp_path, "--web-port", str(port))
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--web-port" in errors[0] and str(port) in errors[0], output
    assert "Traceback" not in output


def test_no_web_listens_on_the_receiver_port_only_and_the_receiver_works(tmp_path):
    with open_store(tmp_path / "s.duckdb") as store:
        import_rows(store, registry_rows())
    proc = serve(tmp_path, "--no-web")
    try:
        seen: list[str] = []
        port = int(wait_for(lines_of(proc), BANNER, seen).group(1))
        assert "web app" not in "".join(seen)
        assert listening_ports(proc.pid) == {port}
        hour = (now_beijing() - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as unit:
            unit.sendall(hourly_packet(hour))
            assert b"CN=9014" in unit.recv(4096)
    finally:
        stop(proc)
