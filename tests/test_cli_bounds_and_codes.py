"""Exit codes and bounds of the CLI: data the store lacks is exit 1 (not the bad-option 2) in
one line; marks' dates stay within the platform's years; a wildcard --web-host prints an
address to open; a province without tax rates is counted, not listed unit by unit."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from typer.testing import CliRunner

from envmon.cli import app as cli_app
from envmon.registry.importer import import_rows
from envmon.store import open_store
from tests.ingest.conftest import GAS_MN, registry_rows
from tests.test_cli_remote import Serve, _env


@pytest.fixture
def registered(tmp_path):
    db = tmp_path / "envmon.duckdb"
    with open_store(db) as store:
        import_rows(store, registry_rows())
    return db


def _one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, lines  # no empty line before the error either
    return lines[0]


def test_missing_road_network_is_exit_1_in_one_line(registered):
    result = subprocess.run(
        [sys.executable, "-m", "envmon", "roads", "rank", "--month", "2026-10", "--db",
         str(registered)], capture_output=True, text=True, env=_env(), timeout=120)
    assert result.returncode == 1, result.stderr
    assert _one_line(result.stderr).startswith("error: no road network in the store")


def test_no_city_stations_is_exit_1(registered):
    result = CliRunner().invoke(cli_app, ["air", "rank", "--from", "2026-10-01", "--to",
                                          "2026-10-31", "--db", str(registered)])
    assert result.exit_code == 1, result.output
    assert _one_line(result.stderr).startswith("error: no city stations registered")


@pytest.mark.parametrize("start,end,option", [
    ("1900-01-01T00:00", "1900-01-02T00:00", "--from"),
    ("1999-12-31T23:00", "2000-01-01T01:00", "--from"),
    ("2026-10-01T00:00", "2999-01-01T00:00", "--to"),
])
def test_mark_dates_outside_the_platform_years_are_refused(registered, start, end, option):
    marks = [
        ["assess", "exemption", "add", "--kind", "停产", "--mn", GAS_MN, "--by", "张三",
         "--reason", "检修"],
        ["assess", "correction", "add", "--mn", GAS_MN, "--action", "invalidate", "--by",
         "张三", "--reason", "校准"],
    ]
    for args in marks:
        result = CliRunner().invoke(cli_app, [*args, "--from", start, "--to", end, "--db",
                                              str(registered)])
        assert result.exit_code == 2, result.output
        assert _one_line(result.stderr).startswith(f"error: {option}: "), result.stderr
    with open_store(registered) as store:
        assert store.query("SELECT count(*) FROM exemptions")[0][0] == 0


def test_mark_dates_inside_the_bounds_are_stored_in_beijing_time(registered):
    result = CliRunner().invoke(cli_app, [
        "assess", "exemption", "add", "--kind", "停产", "--mn", GAS_MN, "--by", "张三",
        "--reason", "检修", "--from", "2000-01-01T00:00", "--to", "2000-01-02T00:00",
        "--proof", "文号1", "--db", str(registered)])
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(cli_app, ["assess", "exemption", "list", "--format", "json",
                                          "--db", str(registered)])
    assert "2000-01-01T00:00:00+08:00" in listed.stdout, listed.stdout


def test_a_wildcard_web_host_prints_an_address_to_open(registered):
    serve = Serve(registered, "--web-host", "0.0.0.0")
    try:
        banner = "".join(serve.lines)
        assert serve.url and serve.url.startswith("http://127.0.0.1:"), banner
        assert "0.0.0.0:" not in banner.split("web app on", 1)[1].split("(", 1)[0]
        assert "listening on all addresses" in banner, banner
        listed = CliRunner().invoke(cli_app, ["alarms", "list", "--url", serve.url])
        assert listed.exit_code == 0, listed.output
    finally:
        serve.stop()


def test_a_province_without_rates_is_counted_not_listed():
    from envmon.emissions.tax import UnconfiguredProvinceError

    units = [f"91140100MA0{n:07d}" for n in range(174)]
    message = str(UnconfiguredProvinceError({"140000": ("山西省", units)}, date(1999, 1, 1)))
    assert "174 units" in message and units[0] in message
    assert units[-1] not in message and len(message) < 400
