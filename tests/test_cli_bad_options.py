"""Issue 11 item 26: every bad option of the examples gets one line on stderr naming it and
exit code 2, no traceback and nothing made on disk."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from envmon.cli import app

runner = CliRunner()


def _one_line_error(args: list[str], named: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and named in line, line
    return line


@pytest.fixture
def store(tmp_path):
    """A store with the schema (an empty registry is enough for option checks)."""
    from envmon.store import open_store

    path = tmp_path / "s.duckdb"
    with open_store(str(path)):
        pass
    return path


def test_hj212_files_that_are_not_there_or_folders(tmp_path):
    _one_line_error(["hj212", "decode", str(tmp_path / "nosuch.txt")], "nosuch.txt")
    _one_line_error(["hj212", "decode", str(tmp_path)], str(tmp_path))
    _one_line_error(["hj212", "encode", str(tmp_path / "nosuch.json")], "nosuch.json")


@pytest.mark.parametrize("port", ["99999", "-5"])
def test_serve_port_out_of_range(tmp_path, port):
    _one_line_error(["serve", "--db", str(tmp_path / "s.duckdb"), "--hj212-port", port],
                    "--hj212-port")
    assert not (tmp_path / "s.duckdb").exists()


def test_tax_month_not_yyyy_mm(store):
    _one_line_error(["tax", "--db", str(store), "--month", "2026-1"], "--month")


def test_alarms_unknown_rule(store):
    _one_line_error(["alarms", "list", "--db", str(store), "--rule", "nosuch"], "--rule")


@pytest.mark.parametrize("args", [
    ["registry", "import", "REGISTRY", "--db", "DB"],
    ["roads", "tokens", "add", "dev1", "--db", "DB"],
    ["serve", "--db", "DB", "--hj212-port", "0"],
])
def test_db_in_a_folder_that_is_not_there_is_refused_not_made(tmp_path, args):
    registry = tmp_path / "registry.csv"
    registry.write_text("mn\n", encoding="utf-8")
    db = tmp_path / "nonexistent" / "dir" / "x.duckdb"
    args = [str(db) if a == "DB" else str(registry) if a == "REGISTRY" else a for a in args]
    line = _one_line_error(args, "--db")
    assert "does not exist" in line
    assert not (tmp_path / "nonexistent").exists()



def test_data_command_code_that_is_not_an_upload(store):
    from envmon.registry.importer import import_rows
    from envmon.store import open_store

    from .assess.conftest import GAS, registry_rows

    with open_store(str(store)) as opened:
        import_rows(opened, registry_rows())
    _one_line_error(["data", "--db", str(store), "--mn", GAS, "--cn", "9999"], "--cn")


@pytest.mark.parametrize("command", [["assess"], ["report", "transmission"]])
def test_a_future_as_of(store, command):
    line = _one_line_error([*command, "--db", str(store), "--month", "2026-11",
                            "--as-of", "2099-01-01T00:00"], "--as-of")
    assert "is in the future" in line


@pytest.mark.parametrize("command", [["assess", "--month", "2026-11"], ["alarms", "list"],
                                     ["data", "--mn", "X"]])
def test_db_that_is_not_there_for_a_reading_command(tmp_path, command):
    db = tmp_path / "nonexistent" / "dir" / "x.duckdb"
    _one_line_error([*command, "--db", str(db)], "--db")
    assert not (tmp_path / "nonexistent").exists()
