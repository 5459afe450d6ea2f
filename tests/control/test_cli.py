"""`envmon command MN ACTION` and `envmon keys set|rotate|list` against a running `envmon
serve` (a real process holding a real store), with simulated units connected to it from a
thread of this process: the answer printed, exit codes for refused and bad options, a clear
line without a serve; keys set and rotated while serve holds the store."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from envmon.cli import app as cli_app
from envmon.registry.importer import import_rows
from envmon.sim.clock import SimClock
from envmon.sim.dau import DataAcquisitionUnit
from envmon.sim.values import SimPoint
from envmon.store import open_store
from envmon.timeutil import now_beijing
from tests.ingest.conftest import GAS_MN, PW, WATER_MN, registry_rows
from tests.test_cli_remote import Serve

KEY_HEX = "00112233445566778899AABBCCDDEEFF"


class Units:
    """Simulated units on an event loop of their own thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.clock = SimClock(now_beijing())
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def run(self, coro, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def connect(self, point: SimPoint) -> DataAcquisitionUnit:
        async def go():
            unit = DataAcquisitionUnit(point, "127.0.0.1", self.port, clock=self.clock,
                                       realtime=False, minute_data=False)
            await unit.connect()
            return unit
        return self.run(go())

    def upload(self, unit: DataAcquisitionUnit, hours_ago: int) -> bool:
        hour = self.clock.now().replace(minute=0, second=0, microsecond=0)
        hour -= timedelta(hours=hours_ago)
        return self.run(unit.send_upload("2061", hour, unit.period_data("2061", hour)))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ENVMON_MASTER_KEY_FILE", raising=False)
        db = tmp_path_factory.mktemp("command-cli") / "envmon.duckdb"
        with open_store(db) as store:
            import_rows(store, registry_rows())
        serve = Serve(db)
        try:
            port = int(re.search(r"HJ 212 on [\d.]+:(\d+)", "".join(serve.lines)).group(1))
            units = Units(port)
            gas = units.connect(SimPoint(GAS_MN, PW, "gas", {"a21026": 35.0}))
            assert units.upload(gas, 1)  # answered: GAS_MN is online
            yield db, serve, units
            units.close()
        finally:
            serve.stop()


def run(*args: str, **kwargs):
    return CliRunner().invoke(cli_app, list(args), **kwargs)


def test_get_time_through_the_serve_holding_the_store(served):
    db, _, _ = served
    result = run("command", GAS_MN, "get-time", "--db", str(db), "--format", "json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert row["state"] == "done" and row["cn"] == "1011" and "SystemTime" in row["answer"]
    assert "(cli " in row["requested_by"]
    table = run("command", GAS_MN, "site-info", "--factor", "a21026", "--db", str(db))
    assert table.exit_code == 0, table.output
    assert "i12001-Info" in table.stdout and "远程命令" in table.stdout


def test_url_no_wait_and_history(served):
    db, serve, _ = served
    queued = run("command", GAS_MN, "get-interval", "--url", serve.url, "--no-wait",
                 "--format", "json")
    assert queued.exit_code == 0, queued.output
    row = json.loads(queued.stdout)
    assert row["state"] in ("queued", "sent", "answered", "done")
    end = time.monotonic() + 15
    while True:
        history = run("command", GAS_MN, "history", "--url", serve.url, "--format", "json")
        listed = {r["id"]: r for r in json.loads(history.stdout)}
        if listed[row["id"]]["state"] == "done":
            break
        assert time.monotonic() < end, listed[row["id"]]
        time.sleep(0.1)
    assert listed[row["id"]]["answer"] == {"MinInterval": "1"}


def test_an_offline_unit_exits_5_and_a_bad_option_2(served):
    db, _, _ = served
    offline = run("command", WATER_MN, "get-time", "--db", str(db))
    assert offline.exit_code == 5, offline.output
    assert "offline" in offline.stdout
    bad = run("command", GAS_MN, "set-interval", "--minutes", "0", "--db", str(db))
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: --minutes: ") and bad.stderr.count("\n") == 1


def test_without_a_running_serve_one_line(tmp_path):
    db = tmp_path / "free.duckdb"
    with open_store(db):
        pass
    result = run("command", GAS_MN, "get-time", "--db", str(db))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no running envmon serve holds")
    assert result.stderr.count("\n") == 1


@pytest.mark.duckdb_only
def test_keys_set_and_rotate_while_serve_holds_the_store(served):
    """DuckDB only: serve holds the DuckDB file, so the CLI goes through serve; on PostgreSQL the
    CLI opens the database itself."""
    db, _, units = served
    stdin = run("keys", "set", WATER_MN, "--key-stdin", "--db", str(db),
                input=KEY_HEX + "\n")
    assert stdin.exit_code == 0, stdin.output
    assert stdin.stdout.strip() == f"{WATER_MN}: key set"
    assert "asking http://" in stdin.stderr and "master key created" in stdin.stderr
    assert KEY_HEX not in stdin.output and KEY_HEX.lower() not in stdin.output
    # The running receiver took the key at once: an encrypted 2025 unit is answered.
    water = units.connect(SimPoint(WATER_MN, PW, "water", {"w01018": 50.0}, protocol=2025,
                                   key=bytes.fromhex(KEY_HEX)))
    assert units.upload(water, 1)
    rotated = run("keys", "rotate", WATER_MN, "--db", str(db))
    assert rotated.exit_code == 0, rotated.output
    assert "rotation pending (CN 1014 QN=" in rotated.stdout
    end = time.monotonic() + 20
    while True:  # the unit confirms with 9012; the receiver then takes the new key
        listed = run("keys", "list", "--db", str(db), "--format", "json")
        assert listed.exit_code == 0, listed.output
        (info,) = [k for k in json.loads(listed.stdout) if k["mn"] == WATER_MN]
        if not info["rotation_pending"] and info["rotated_at"]:
            break
        assert time.monotonic() < end, info
        time.sleep(0.1)
    assert water.point.key != bytes.fromhex(KEY_HEX)  # the unit took the new key
    assert units.upload(water, 2)  # and the receiver opens it
