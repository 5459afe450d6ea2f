"""Query commands through a running `envmon serve` (a real process on a real store): `--url`
and the automatic path when serve holds the store print what the local command prints."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envmon.app import Platform, PlatformOptions
from envmon.cli import app as cli_app
from envmon.store import open_store
from envmon.timeutil import now_beijing
from envmon.web import discovery
from tests.ingest.conftest import GAS_MN, hourly_packet, read_answers, registry_rows

REPO = Path(__file__).resolve().parents[1]
HOUR = (now_beijing() - timedelta(hours=6)).replace(minute=0, second=0, microsecond=0)
SPAN = ["--from", HOUR.isoformat(), "--to", (HOUR + timedelta(hours=4)).isoformat()]
AS_OF = ["--as-of", (HOUR + timedelta(hours=5)).isoformat()]  # the same answer later on

# command → its arguments (after the command words), compared local vs through the server
QUERIES = {
    "data-json": ["data", "--mn", GAS_MN, *SPAN, "--format", "json"],
    "data-csv": ["data", "--mn", GAS_MN, *SPAN, "--format", "csv"],
    "data-none": ["data", "--mn", GAS_MN, "--cn", "2051", *SPAN],  # a note on stderr
    "data-conflicts": ["data", "--mn", GAS_MN, *SPAN, "--conflicts", "--format", "json"],
    "assess-json": ["assess", "--level", "point", *SPAN, *AS_OF, "--format", "json"],
    "assess-table": ["assess", "--level", "unit", *SPAN, *AS_OF, "--format", "table"],
    "alarms-json": ["alarms", "list", "--format", "json"],
    "alarms-table": ["alarms", "list"],
    "alarms-csv": ["alarms", "list", "--status", "open", "--format", "csv"],
}


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO / "src"), str(REPO), os.environ.get("PYTHONPATH", "")]), "COLUMNS": "200"}


def _feed(db: Path) -> None:
    """A registry, four hours of data and an alarm (one value far over its limit)."""
    from envmon.registry.importer import import_rows

    store = open_store(db)
    import_rows(store, registry_rows())
    platform = Platform(store, PlatformOptions(host="127.0.0.1", hj212_port=0,
                                               backfill=False))

    async def scenario():
        await platform.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", platform.receiver.port)
        for n in range(4):
            writer.write(hourly_packet(HOUR + timedelta(hours=n), so2=500.0 if n == 3 else 12))
            await read_answers(reader, 1)
        writer.close()
        await platform.stop()

    asyncio.run(scenario())
    store.close()


def _run(*args: str, **kwargs):
    result = CliRunner().invoke(cli_app, list(args), **kwargs)
    return result


class Serve:
    """`envmon serve` as a child process on `db`, with any free ports."""

    def __init__(self, db: Path, *extra: str) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-m", "envmon", "serve", "--db", str(db), "--hj212-port", "0",
             "--host", "127.0.0.1", "--web-port", "0", "--no-backfill", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
            cwd=db.parent)
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.ready.wait(60), "serve did not start: " + "".join(self.lines)
        banner = "".join(self.lines)
        found = re.search(r"web app on (http://[\d.]+:\d+)/", banner)
        self.url = found.group(1) if found else None

    def _read(self) -> None:
        for line in self.child.stderr:
            self.lines.append(line)
            if "Ctrl-C to stop" in line or "error" in line:
                self.ready.set()
        self.ready.set()

    def stop(self) -> None:
        if self.child.poll() is None:
            self.child.send_signal(signal.SIGINT)
            try:
                self.child.wait(30)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait(10)


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    """A fed store, the local outputs of QUERIES, then a serve holding it."""
    folder = tmp_path_factory.mktemp("remote")
    db = folder / "envmon.duckdb"
    _feed(db)
    local = {}
    for name, args in QUERIES.items():
        result = _run(*args, "--db", str(db))
        assert result.exit_code == 0, (name, result.output)
        local[name] = result.stdout_bytes
        local[name + ":stderr"] = result.stderr
    assert local["data-none:stderr"].startswith("note: no records of CN 2051")
    assert json.loads(local["alarms-json"]), "the fixture raised no alarm"
    files = folder / "local-files"
    files.mkdir()
    for fmt in ("xlsx", "html"):  # the file names the local command writes
        result = _run(*QUERIES["assess-json"][:-1], fmt, "--db", str(db), "--output",
                      str(files))
        assert result.exit_code == 0, result.output
        local[fmt] = Path(result.stdout.strip()).name
    serve = Serve(db)
    try:
        assert serve.url, "".join(serve.lines)
        yield db, serve, local
    finally:
        serve.stop()


def test_url_prints_what_the_local_command_prints(fed):
    db, serve, local = fed
    for name, args in QUERIES.items():
        result = _run(*args, "--url", serve.url)
        assert result.exit_code == 0, (name, result.output)
        assert result.stdout_bytes == local[name], name
        assert result.stderr == local[name + ":stderr"], name


@pytest.mark.duckdb_only
def test_store_held_by_serve_is_asked_through_its_web_app(fed):
    """DuckDB only: serve holds the DuckDB file (or another process locks it), so the CLI goes
    through serve or names the lock; on PostgreSQL the CLI opens the database itself."""
    db, serve, local = fed
    info = discovery.read(db)
    assert info is not None and info.pid == serve.child.pid and info.url == serve.url
    assert stat.S_IMODE(os.stat(discovery.discovery_path(db)).st_mode) == 0o600
    for name in ("assess-json", "assess-table", "alarms-json"):
        result = _run(*QUERIES[name], "--db", str(db))
        assert result.exit_code == 0, (name, result.output)
        assert result.stdout_bytes == local[name], name
        assert (f"store in use by envmon serve (pid {serve.child.pid}); asking {serve.url} "
                "instead") in result.stderr


def test_files_land_where_the_local_command_writes_them(fed, tmp_path, monkeypatch):
    db, serve, local = fed
    monkeypatch.chdir(tmp_path)
    for fmt in ("xlsx", "html"):
        result = _run(*QUERIES["assess-json"][:-1], fmt, "--url", serve.url)
        assert result.exit_code == 0, result.output
        name = result.stdout.strip()
        assert name == local[fmt] and name.endswith(f".{fmt}")  # printed as `emit` does
        assert (tmp_path / name).stat().st_size > 0
    folder = tmp_path / "out"
    folder.mkdir()
    result = _run("data", "--mn", GAS_MN, *SPAN, "--format", "xlsx", "--output", str(folder),
                  "--url", serve.url)
    assert result.exit_code == 0, result.output
    written = Path(result.stdout.strip())
    assert written.parent == folder and written.suffix == ".xlsx" and written.exists()


def test_bad_option_through_url_is_one_line_naming_the_option(fed):
    db, serve, _ = fed
    cases = [(["assess", "--month", "2026-1"], "--month"),
             (["assess", "--month", "2026-10", "--as-of", "2099-01-01"], "--as-of"),
             (["alarms", "list", "--status", "nope"], "--status"),
             (["data", "--mn", GAS_MN, "--from", "yesterday"], "--from")]
    for args, option in cases:
        result = _run(*args, "--url", serve.url)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {option}: "), lines
    missing = _run("alarms", "close", "99999", "--by", "x", "--url", serve.url)
    assert missing.exit_code == 2 and "99999" in missing.stderr
    assert "Traceback" not in missing.output
    # an option the server's API has (it learned --marks-without-proof) is sent and used …
    lenient = _run("assess", "--month", "2026-10", "--marks-without-proof", "--url", serve.url)
    assert lenient.exit_code == 0, lenient.output
    # … and lifting a lockout has its endpoint now (POST /api/v1/receiver/lockouts)
    unlock = _run("receiver", "lockouts", "--unlock", "203.0.113.9", "--url", serve.url)
    assert unlock.exit_code == 0 and "Traceback" not in unlock.output, unlock.output


def test_a_server_without_the_endpoint_is_named_without_guessing_its_version(tmp_path):
    """A server whose API lacks the command's endpoint (here the app publishing no POST
    /api/v1/receiver/lockouts, as one built before it): refused naming --url and what is
    missing, never a guess that the server is older."""
    from envmon.web.context import WebContext
    from tests.web.conftest import serve as serve_app

    db = tmp_path / "envmon.duckdb"
    with open_store(db) as store, serve_app(WebContext(store=store)) as served:
        import urllib.request

        # the schema the server publishes, as one built before the endpoint existed
        schema = copy.deepcopy(served.app.openapi())
        del schema["paths"]["/api/v1/receiver/lockouts"]["post"]
        served.app.openapi_schema = schema
        with urllib.request.urlopen(served.url("/openapi.json"), timeout=30) as answer:
            assert "post" not in json.load(answer)["paths"]["/api/v1/receiver/lockouts"]
        unlock = _run("receiver", "lockouts", "--unlock", "203.0.113.9", "--url",
                      served.base)
    assert unlock.exit_code == 2 and "Traceback" not in unlock.output
    lines = unlock.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"error: --url: the server at {served.base} has no POST /api/v1/receiver/lockouts"), lines
    assert "older" not in lines[0] and "yet" not in lines[0], lines


def test_alarm_acknowledged_through_url_as_locally(fed):
    db, serve, _ = fed
    alarm = json.loads(_run("alarms", "list", "--format", "json", "--url", serve.url).stdout)[0]
    result = _run("alarms", "ack", str(alarm["id"]), "--by", "值班员", "--note", "已通知",
                  "--url", serve.url)
    assert result.exit_code == 0, result.output
    changed = json.loads(result.stdout)
    assert changed["id"] == alarm["id"] and changed["status"] == "acknowledged"
    assert result.stdout.count("\n") == 1  # one compact line, as `alarms ack` prints
    again = _run("alarms", "ack", str(alarm["id"]), "--by", "x", "--url", serve.url)
    assert again.exit_code == 2 and len(again.stderr.strip().splitlines()) == 1


def test_url_of_a_closed_port_is_one_line_naming_url():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for args in (["alarms", "list"], ["assess", "--month", "2026-10"]):
        result = _run(*args, "--url", f"http://127.0.0.1:{port}")
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            f"error: --url: cannot reach http://127.0.0.1:{port}"), lines
    bad = _run("alarms", "list", "--url", "127.0.0.1:8000")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --url: ")


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(30)
    return child.pid


@pytest.mark.duckdb_only
def test_stale_discovery_file_is_ignored(tmp_path):
    """A locked store whose discovery file names a dead serve: the store's own error, no
    request (serve --no-web looks the same: no live file).

    DuckDB only: serve holds the DuckDB file (or another process locks it), so the CLI goes
    through serve or names the lock; on PostgreSQL the CLI opens the database itself."""
    db = tmp_path / "envmon.duckdb"
    with open_store(db) as store:
        from envmon.registry.importer import import_rows

        import_rows(store, registry_rows())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    discovery.write(db, f"http://127.0.0.1:{port}", pid=_dead_pid())
    assert discovery.read(db) is None
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = _run("alarms", "list", "--db", str(db))
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "in use by" in lines[0] and "web app" in lines[0], lines
        assert "asking" not in result.stderr
        # a command that cannot go through the API keeps the store's own message
        other = _run("registry", "set-crc", GAS_MN, "--mode", "hj212", "--db", str(db))
        assert other.exit_code == 2 and "locked by" in other.stderr
    finally:
        holder.stdin.close()
        holder.wait(30)


def test_discovery_file_removed_when_serve_stops(tmp_path):
    db = tmp_path / "envmon.duckdb"
    with open_store(db) as store:
        from envmon.registry.importer import import_rows

        import_rows(store, registry_rows())
    serve = Serve(db)
    try:
        assert discovery.read(db) is not None
    finally:
        serve.stop()
    assert serve.child.returncode == 0, "".join(serve.lines)
    deadline = time.monotonic() + 10
    while discovery.discovery_path(db).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not discovery.discovery_path(db).exists()


async def _answers_from(port: int, source: str, at) -> list:
    """One hourly packet from `source` on a new connection: its answers (none when the
    receiver closes the connection of a locked-out address)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(hourly_packet(at))
        try:
            return await read_answers(reader, 1, timeout=5)
        except (TimeoutError, ConnectionError):
            return []
    finally:
        writer.close()


def test_lockout_lifted_through_url_reaches_the_running_receiver_at_once(tmp_path):
    """`envmon receiver lockouts --unlock IP --url`: lifted in the store and dropped by the
    running receiver's guard at once, not at its registry refresh a minute later."""
    db = tmp_path / "envmon.duckdb"
    _feed(db)
    locked = "127.0.0.2"  # Linux answers all of 127.0.0.0/8 on loopback
    with open_store(db) as store:
        store.execute(
            "INSERT INTO guard_lockouts (address, mn, locked_at, locked_until, failures) "
            "VALUES (?, '', now(), now() + INTERVAL '1 hour', 3)", [locked])
    serve = Serve(db)
    try:
        port = int(re.search(r"HJ 212 on [\d.]+:(\d+)", "".join(serve.lines)).group(1))
        assert asyncio.run(_answers_from(port, locked, HOUR + timedelta(hours=4))) == []
        listed = json.loads(_run("receiver", "lockouts", "--format", "json", "--url",
                                 serve.url).stdout)
        assert [lock["address"] for lock in listed["lockouts"]] == [locked]
        bad = _run("receiver", "lockouts", "--unlock", "not-an-ip", "--url", serve.url)
        assert bad.exit_code == 2 and bad.stderr.startswith("error: --unlock: "), bad.stderr
        lifted = _run("receiver", "lockouts", "--unlock", locked, "--by", "值班员",
                      "--format", "json", "--url", serve.url)
        assert lifted.exit_code == 0, lifted.output
        report = json.loads(lifted.stdout)
        assert [lock["address"] for lock in report["lifted"]] == [locked]
        assert report["lockouts"] == []
        answers = asyncio.run(_answers_from(port, locked, HOUR + timedelta(hours=5)))
        assert [a.cn for a in answers] == ["9014"]
    finally:
        serve.stop()
    with open_store(db) as store:
        assert store.query("SELECT lifted_by FROM guard_lockouts") == [("值班员",)]
