"""`--db postgresql://…` everywhere: every command family against a running `envmon serve` on a
PostgreSQL database acts on the database directly (nothing is locked), the operator token and
discovery file of a URL live in the state directory, `envmon web` runs apart from the receiver
and shows its packets, and `envmon store partitions` manages the monthly partitions."""

from __future__ import annotations

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
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from envmon.cli import app as cli_app
from envmon.cli.common import resolve_db
from envmon.store import open_store
from envmon.store.locations import server_key, store_file
from envmon.timeutil import now_beijing
from envmon.web import discovery
from tests.ingest.conftest import GAS_MN, hourly_packet, read_answers, registry_rows

REPO = Path(__file__).resolve().parents[1]
HOUR = (now_beijing() - timedelta(hours=6)).replace(minute=0, second=0, microsecond=0)
SPAN = ["--from", HOUR.isoformat(), "--to", (HOUR + timedelta(hours=4)).isoformat()]
MONTH = f"{HOUR:%Y-%m}"
UNIT = registry_rows()[0]["unit_id"]
START_TIMEOUT_S = 60


def _env(state: Path) -> dict:
    return {**os.environ, "XDG_STATE_HOME": str(state), "COLUMNS": "200",
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO),
                                           os.environ.get("PYTHONPATH", "")])}


class Child:
    """An `envmon …` process (serve, web) started with `args`, ready once it prints its
    banner ("Ctrl-C to stop")."""

    def __init__(self, args: list[str], env: dict, cwd: Path) -> None:
        self.child = subprocess.Popen([sys.executable, "-m", "envmon", *args],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env=env, cwd=cwd)
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.ready.wait(START_TIMEOUT_S), "did not start: " + "".join(self.lines)
        self.banner = "".join(self.lines)
        assert "Ctrl-C to stop" in self.banner, self.banner

    def _read(self) -> None:
        for line in self.child.stderr:
            self.lines.append(line)
            if "Ctrl-C to stop" in line or "error" in line:
                self.ready.set()
        self.ready.set()

    def found(self, pattern: str) -> str:
        match = re.search(pattern, self.banner)
        assert match, self.banner
        return match.group(1)

    def stop(self) -> None:
        if self.child.poll() is None:
            self.child.send_signal(signal.SIGINT)
            try:
                self.child.wait(30)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait(10)


def _send_hours(port: int, hours: int, start=HOUR) -> None:
    """`hours` hourly packets of GAS_MN to the receiver on `port`, each answered."""
    import asyncio

    async def send():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for n in range(hours):
            writer.write(hourly_packet(start + timedelta(hours=n), so2=500.0 if n == 3 else 12))
            assert await read_answers(reader, 1, timeout=20)
        writer.close()

    asyncio.run(send())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def running(pg_databases, tmp_path_factory):
    """A registry on a fresh PostgreSQL database and a serve (with its web app) on it that
    has received four hours of GAS_MN."""
    from envmon.registry.importer import import_rows

    url = pg_databases.fresh()
    folder = tmp_path_factory.mktemp("pgcli")
    state = folder / "state"
    with open_store(url) as store:
        import_rows(store, registry_rows())
    env = _env(state)
    serve = Child(["serve", "--db", url, "--hj212-port", "0", "--host", "127.0.0.1",
                   "--web-port", "0", "--no-backfill"], env, folder)
    try:
        port = int(serve.found(r"receiving HJ 212 on \S+:(\d+)"))
        _send_hours(port, 4)
        yield url, serve, env, folder, port
    finally:
        serve.stop()


def _run(env: dict, *args: str, input: str | None = None):
    return CliRunner().invoke(cli_app, list(args), env=env, input=input)


# One command or more of every family (tests/test_cli_remote_coverage.py's, and the ones
# that go through serve for DuckDB: keys, users, marks, portal, supervise), with --db URL.
FAMILIES = [
    ["data", "--mn", GAS_MN, *SPAN, "--format", "json"],
    ["data", "--mn", GAS_MN, *SPAN, "--conflicts", "--format", "json"],
    ["assess", "--level", "point", *SPAN, "--format", "json"],
    ["assess", "backfill-log", "--format", "json"],
    ["assess", "exemption", "list", "--format", "json"],
    ["assess", "correction", "list", "--format", "json"],
    ["alarms", "list", "--format", "json"],
    ["emissions", "--unit", UNIT, "--month", MONTH, "--format", "json"],
    ["emissions-totals", "--month", MONTH, "--format", "json"],
    ["tax", "--unit", UNIT, "--month", MONTH, "--format", "json"],
    ["registry", "points", "--format", "json"],
    ["registry", "history", "--format", "json"],
    ["receiver", "lockouts", "--format", "json"],
    ["emergency", "alert", "list", "--format", "json"],
    ["audit", "list", "--format", "json"],
    ["marks", "list", "--format", "json"],
    ["supervise", "list", "--format", "json"],
    ["keys", "list", "--format", "json"],
    ["users", "list", "--format", "json"],
    ["portal", "code", UNIT, "--json", "--base-url", "http://127.0.0.1:9"],
    ["report", "transmission", "--month", MONTH, "--formats", "html"],
    ["screen", "--month", MONTH, "--format", "json"],
    ["air", "rank", "--from", f"{HOUR:%Y-%m-%d}", "--to", f"{HOUR:%Y-%m-%d}", "--format",
     "json"],
    ["roads", "coverage", "--month", MONTH, "--format", "json"],
]


def test_every_family_acts_on_the_database_beside_a_running_serve(running, tmp_path):
    url, serve, env, folder, _ = running
    failures = []
    for args in FAMILIES:
        out = ["--out", str(tmp_path)] if args[0] == "report" else []  # never the work tree
        result = _run(env, *args, *out, "--db", url)
        if "asking" in result.stderr or "in use" in result.stderr or result.exception \
                and not isinstance(result.exception, SystemExit) or result.exit_code not in (0, 1):
            failures.append((args, result.exit_code, result.output[-400:]))
        if result.exit_code == 1:  # no data of that kind: said in one line, no traceback
            assert len(result.stderr.strip().splitlines()) == 1, (args, result.output)
    assert not failures, failures
    assert list(tmp_path.glob("transmission-*.html")), "the bulletin was not written"
    data = json.loads(_run(env, *FAMILIES[0], "--db", url).stdout)
    assert {row["data_time"][:13] for row in data} == {
        (HOUR + timedelta(hours=n)).isoformat()[:13] for n in range(4)}
    alarms = json.loads(_run(env, "alarms", "list", "--format", "json", "--db", url).stdout)
    assert alarms, "serve raised no alarm on the value far over its limit"
    ack = _run(env, "alarms", "ack", str(alarms[0]["id"]), "--by", "值班员", "--db", url)
    assert ack.exit_code == 0, ack.output


def test_writes_keys_users_and_commands_on_postgresql(running, tmp_path, monkeypatch):
    url, serve, env, folder, _ = running
    monkeypatch.setenv("XDG_STATE_HOME", env["XDG_STATE_HOME"])
    added = _run(env, "users", "add", "admin1", "--role", "admin", "--db", url,
                 input="a-long-password-1\n")
    assert added.exit_code == 0, added.output
    users = json.loads(_run(env, "users", "list", "--format", "json", "--db", url).stdout)
    assert "admin1" in {u["username"] for u in users}
    key_file = tmp_path / "key.hex"
    key_file.write_text("00112233445566778899aabbccddeeff\n")
    keyed = _run(env, "keys", "set", GAS_MN, "--key-file", str(key_file), "--db", url)
    assert keyed.exit_code == 0, keyed.output
    assert "receivers take it at their next registry refresh" in keyed.stderr
    master = store_file(url, ".master.key")
    assert master is not None and master.parent == Path(env["XDG_STATE_HOME"]) / "envmon"
    assert stat.S_IMODE(master.stat().st_mode) == 0o600
    assert not list(folder.glob("postgresql*")), "a URL became a relative path"
    rotated = _run(env, "keys", "rotate", GAS_MN, "--db", url)
    assert rotated.exit_code == 0 and "rotation pending" in rotated.stdout, rotated.output
    keys = json.loads(_run(env, "keys", "list", "--format", "json", "--db", url).stdout)
    assert [k["mn"] for k in keys] == [GAS_MN] and keys[0]["rotation_pending"]
    # 反控 needs the unit's live connection: found through serve's discovery file in the
    # state directory, with the operator token beside it (users exist now: it is required).
    info = discovery.read(url)
    assert info is not None and info.pid == serve.child.pid
    token = store_file(url, ".operator.token")
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    history = _run(env, "command", GAS_MN, "history", "--format", "json", "--db", url)
    assert history.exit_code == 0, history.output
    password = url.split("@")[0].rsplit(":", 1)[-1] if ":" in url.split("@")[0][13:] else None
    for path in (token, store_file(url, ".serve.json")):
        assert path.name.startswith(server_key(url))
        if password:
            assert password not in path.read_text()


def test_envmon_db_and_the_state_directory(running, monkeypatch, tmp_path):
    url, _, env, _, _ = running
    result = _run({**env, "ENVMON_DB": url}, "registry", "points", "--format", "json")
    assert result.exit_code == 0, result.output
    assert {p["mn"] for p in json.loads(result.stdout)} >= {GAS_MN}
    monkeypatch.setenv("ENVMON_DB", url)
    assert resolve_db(None, None) == url
    assert resolve_db("x.duckdb", None) == "x.duckdb"  # --db wins
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert store_file("postgresql://u:secret@db.example:6543/prov?sslmode=require",
                      ".operator.token") == tmp_path / "envmon" / \
        "db.example-6543-prov.operator.token"
    assert store_file("postgresql:///envmon?host=/run/postgresql", ".serve.json").name == \
        "run_postgresql-5432-envmon.serve.json"
    assert store_file(tmp_path / "a.duckdb", ".serve.json") == tmp_path / "a.duckdb.serve.json"
    assert store_file(":memory:", ".serve.json") is None


def test_serve_names_the_store_by_its_url(running):
    url, serve, _, _, _ = running
    assert f"store {url} (" in serve.banner  # the store's target: a password never shows


def test_web_process_shows_what_a_receiver_process_stores(running, tmp_path):
    url, serve, env, folder, port = running
    web_port = _free_port()
    web = Child(["web", "--db", url, "--web-port", str(web_port)], env, folder)
    try:
        assert "live events read from the store" in web.banner
        base = f"http://127.0.0.1:{web_port}"
        users_exist = _token_for(env, url)
        headers = {"Authorization": f"Bearer {users_exist}"} if users_exist else {}
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            answer = client.get("/api/v1/receiver/connections")
            assert answer.status_code == 503 and "no receiver" in answer.text
            metrics = client.get("/metrics")  # Prometheus scrapes the web process too
            assert metrics.status_code == 200, metrics.text
            assert "process_resident_memory_bytes" in metrics.text
            assert client.get("/healthz").status_code == 200
            events: list[str] = []
            stream_open = threading.Event()
            later = HOUR + timedelta(hours=4)

            def listen():
                with httpx.Client(base_url=base, headers=headers, timeout=30) as sse, \
                        sse.stream("GET", "/api/v1/events") as response:
                    stream_open.set()
                    for line in response.iter_lines():
                        events.append(line)
                        if later.isoformat()[:13] in line and '"packet"' in "".join(events):
                            return

            threading.Thread(target=listen, daemon=True).start()
            assert stream_open.wait(10)
            _send_hours(port, 1, later)  # to the receiver process
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(
                    later.isoformat()[:13] in line for line in events):
                time.sleep(0.1)
            assert any(later.isoformat()[:13] in line for line in events), events[-5:]
            rows = client.get("/api/v1/data", params={
                "mn": GAS_MN, "from": later.isoformat(),
                "to": (later + timedelta(hours=1)).isoformat(), "format": "json"})
            assert rows.status_code == 200, rows.text
            assert rows.json(), "the web process does not see the receiver's packet"
    finally:
        web.stop()
    assert web.child.returncode == 0, "".join(web.lines)


def _token_for(env: dict, url: str) -> str | None:
    """An API token of a user, when users exist (the writes test may have added one)."""
    result = _run(env, "users", "list", "--format", "json", "--db", url)
    if result.exit_code != 0 or not json.loads(result.stdout):
        return None
    from envmon.access.credentials import issue_token

    with open_store(url) as store:
        return issue_token(store, json.loads(result.stdout)[0]["username"], None, 1)[0]


def test_store_partitions(pg_url, tmp_path):
    env = _env(tmp_path)
    listed = _run(env, "store", "partitions", "--db", pg_url, "--ahead", "3", "--format",
                  "json")
    assert listed.exit_code == 0, listed.output
    report = json.loads(listed.stdout)
    today = date.today()
    this_month = f"records_y{today.year:04d}m{today.month:02d}"
    assert this_month in report["partitions"]["records"]
    assert len({name for name in report["partitions"]["raw_packets"]}) >= 4
    old = date(today.year - 1, 1, 1)
    with open_store(pg_url) as store:
        store.ensure_partitions("records", [old])
    detached = _run(env, "store", "partitions", "--db", pg_url, "--detach-before",
                    f"{today.year - 1}-02", "--format", "json")
    assert detached.exit_code == 0, detached.output
    assert json.loads(detached.stdout)["detached"] == [f"records_y{old.year:04d}m01"]
    future = _run(env, "store", "partitions", "--db", pg_url, "--detach-before", "2999-01")
    assert future.exit_code == 2 and "--detach-before" in future.stderr


@pytest.mark.duckdb_only  # the refusal of a DuckDB file (the PostgreSQL pass maps it to a database)
def test_store_partitions_refuses_a_duckdb_file(tmp_path):
    env = _env(tmp_path)
    duck = tmp_path / "x.duckdb"
    open_store(duck).close()
    refused = _run(env, "store", "partitions", "--db", str(duck))
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == [
        "error: --db: monthly partitions are a PostgreSQL feature; this store is a DuckDB "
        "file (nothing to list or make)"]


def test_unreachable_url_is_one_line_without_the_password(tmp_path):
    url = f"postgresql://envmon:s3cret-pw@127.0.0.1:{_free_port()}/nowhere"
    for args in (["registry", "points"], ["store", "partitions"]):
        result = _run(_env(tmp_path), *args, "--db", url)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "cannot connect" in lines[0], lines
        assert "s3cret-pw" not in result.output and ":***@127.0.0.1" in lines[0]


@pytest.mark.duckdb_only  # DuckDB's lock: the CLI goes through the web process holding the file
def test_envmon_web_on_a_duckdb_file_no_serve_holds(tmp_path):
    from envmon.registry.importer import import_rows

    db = tmp_path / "envmon.duckdb"
    with open_store(db) as store:
        import_rows(store, registry_rows())
    env = _env(tmp_path / "state")
    web_port = _free_port()
    web = Child(["web", "--db", str(db), "--web-port", str(web_port)], env, tmp_path)
    try:
        answer = httpx.get(f"http://127.0.0.1:{web_port}/api/v1/registry/points", timeout=10)
        assert answer.status_code == 200 and GAS_MN in answer.text
        # it holds the file as serve would: a command asks it, through its discovery file
        result = _run(env, "registry", "points", "--format", "json", "--db", str(db))
        assert result.exit_code == 0, result.output
        assert f"asking http://127.0.0.1:{web_port} instead" in result.stderr
    finally:
        web.stop()
    assert web.child.returncode == 0, "".join(web.lines)
    assert discovery.read(db) is None
