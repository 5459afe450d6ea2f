"""`envmon simulate` against `envmon serve`, two real processes' worth of CLI over TCP."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket

from typer.testing import CliRunner

from envmon.cli import app
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
