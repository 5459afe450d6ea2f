"""`envmon simulate-taxis`: --out is the readings CSV, --output the summary (contract)."""

from __future__ import annotations

import inspect
import json

from typer.testing import CliRunner

from envmon.cli import app
from envmon.cli.roads import simulate_taxis


def test_simulate_taxis_out_is_the_readings_and_output_the_summary(tmp_path):
    readings, summary = tmp_path / "readings.csv", tmp_path / "summary.json"
    got = CliRunner().invoke(app, ["simulate-taxis", "--out", str(readings), "--output",
                                   str(summary), "--taxis", "1", "--days", "1", "--minutes",
                                   "5", "--db", str(tmp_path / "s.duckdb")])
    assert got.exit_code == 0, got.output
    assert got.stdout == ""
    said = json.loads(summary.read_text(encoding="utf-8"))
    assert said["out"] == str(readings) and said["readings"] > 0
    assert readings.read_text(encoding="utf-8").startswith("device_id,")
    options = inspect.signature(simulate_taxis).parameters
    assert options["out"].default.help.startswith("The readings CSV the simulation writes")
    assert options["output"].default.help.startswith("File for the JSON summary")
