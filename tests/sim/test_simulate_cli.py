"""`envmon simulate` against `envmon serve`, two real processes' worth of CLI over TCP."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import time
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.sim.api import FaultPlan, SimulateOptions
from envmon.sim.fleet import FaultRates
from envmon.store import open_store
from tests.ingest.conftest import registry_rows
from tests.ingest.test_durability import free_port, registered_db, start_server


def test_simulate_with_registry_file_against_serve(tmp_path):
    db = registered_db(tmp_path)
    registry_csv = tmp_path / "registry.csv"
    rows = registry_rows()
    with registry_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    port = free_port()
    # Without back-fill: the platform's own requests would add uploads the fleet did not
    # schedule (answered after the run ends), and this test counts exactly.
    proc = start_server(db, port, "--no-backfill")
    try:
        result = CliRunner().invoke(app, [
            "simulate", "--registry", str(registry_csv), "--port", str(port),
            "--history-hours", "3", "--faults", "none", "--no-realtime", "--no-minute",
            "--speed", "600", "--duration", "2", "--ack-timeout", "2",
        ])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output.strip().splitlines()[-1])
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(20)
    assert summary["units"] == 2
    assert summary["unacked"] == 0
    assert summary["uploads_by_cn"]["2061"] >= 2 * 3  # the history hours of both units
    with open_store(db) as store:
        stored = store.query("SELECT count(*) FROM raw_packets "
                             "WHERE verdict = 'accepted' AND cn IN ('2011', '2051', '2061')")
        assert stored[0][0] == summary["acked"]  # every answered upload is in the store


def test_simulate_writes_its_summary_where_output_says(tmp_path):
    registry_csv = tmp_path / "registry.csv"
    rows = registry_rows()
    with registry_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "summary.json"
    # A port that takes connections (the kernel's backlog) but never answers: nothing acked.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        args = ["simulate", "--registry", str(registry_csv),
                "--port", str(silent.getsockname()[1]), "--history-hours", "1",
                "--faults", "none", "--no-realtime", "--no-minute", "--speed", "600",
                "--duration", "1", "--ack-timeout", "0.5"]
        result = CliRunner().invoke(app, [*args, "-o", str(out)])
        table = CliRunner().invoke(app, [*args, "--format", "table"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    summary = json.loads(out.read_text(encoding="utf-8"))
    assert summary["units"] == 2 and summary["acked"] == 0 and summary["unacked"] == 2
    assert table.exit_code == 0, table.output
    assert "unacked" in table.stdout and "uploads CN=2061" in table.stdout


def _registry_csv(tmp_path):
    registry_csv = tmp_path / "registry.csv"
    rows = registry_rows()
    with registry_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return registry_csv


def test_simulate_without_a_receiver_stops_when_the_duration_is_up(tmp_path, caplog):
    # A bound port that does not listen: every connection is refused.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        started = time.monotonic()
        result = CliRunner().invoke(app, [
            "simulate", "--registry", str(_registry_csv(tmp_path)), "--port", str(port),
            "--speed", "600", "--duration", "1.5", "--log-level", "warning"])
        took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert took < 10
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == {"units": 2, "uploads_by_cn": {}, "acked": 0, "unacked": 0,
                       "requests_answered": 0}
    # One warning per unit (the next would come a minute later), under the logger envmon.sim.
    warned = [r.getMessage() for r in caplog.records if r.name == "envmon.sim"]
    assert len(warned) == 2, warned
    assert all(f"the receiver at 127.0.0.1:{port} refuses connections" in w for w in warned)
    assert f"2 of 2 units never reached the receiver at 127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize(("args", "option"), [
    (["--faults", "weird"], "--faults"),
    (["--speed", "0"], "--speed"),
    (["--speed", "-1"], "--speed"),
    (["--duration", "-3"], "--duration"),
    (["--port", "70000"], "--port"),
    (["--port", "0"], "--port"),
    (["--points", "-5"], "--points"),
    (["--history-hours", "-1"], "--history-hours"),
    (["--ack-timeout", "0"], "--ack-timeout"),
    (["--log-level", "chatty"], "--log-level"),
    (["--registry", "nosuch.csv"], "--registry"),
])
def test_simulate_refuses_an_option_that_makes_no_sense(tmp_path, args, option):
    if option != "--registry":
        args = ["--registry", str(_registry_csv(tmp_path)), *args]
    result = CliRunner().invoke(app, ["simulate", *args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {option}: "), line


def test_simulate_options_default_to_the_cli_defaults():
    options = SimulateOptions()
    assert options.faults is FaultPlan.DEMO and options.rates == FaultRates.demo()
    assert SimulateOptions(faults="none").rates == FaultRates()
    assert options.until(datetime(2026, 10, 1, tzinfo=UTC)) is None
    assert SimulateOptions(duration=2, speed=60).until(
        datetime(2026, 10, 1, tzinfo=UTC)) == datetime(2026, 10, 1, 0, 2, tzinfo=UTC)
