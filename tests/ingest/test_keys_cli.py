"""`envmon keys` (issue 16 item 3): the key comes in from a file or stdin, is sealed under a
master key created 0600 next to the store, and never appears in clear: not on stdout or
stderr, not in the DuckDB file, not in `keys list`; each change leaves an audit row."""

from __future__ import annotations

import json
import os
import stat

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.registry.importer import import_rows
from envmon.store import open_store
from tests.ingest.conftest import GAS_MN, registry_rows

KEY_HEX = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv("ENVMON_MASTER_KEY_FILE", raising=False)
    path = tmp_path / "k.duckdb"
    with open_store(path) as store:
        import_rows(store, registry_rows())
    return path


def run(*args, stdin: str | None = None):
    return CliRunner().invoke(app, list(args), input=stdin)


def test_keys_set_and_list_never_show_the_key(db, tmp_path):
    key_file = tmp_path / "unit.key"
    key_file.write_text(KEY_HEX + "\n")
    first = run("keys", "set", GAS_MN, "--key-file", str(key_file), "--db", str(db))
    assert first.exit_code == 0, first.output
    master = tmp_path / "k.duckdb.master.key"
    assert str(master) in first.stderr  # its path is said once, when it is created
    assert stat.S_IMODE(os.stat(master).st_mode) == 0o600
    again = run("keys", "set", GAS_MN, "--key-stdin", "--db", str(db), stdin=KEY_HEX.upper())
    assert again.exit_code == 0, again.output
    assert str(master) not in again.stderr
    listed = run("keys", "list", "--db", str(db), "--format", "json")
    assert listed.exit_code == 0, listed.output
    (entry,) = json.loads(listed.stdout)
    assert entry["mn"] == GAS_MN and entry["rotated_at"] is not None
    for result in (first, again, listed):
        assert KEY_HEX not in (result.stdout + result.stderr).lower()
    with open_store(db, read_only=True) as store:
        audit = store.query("SELECT who, action, mn FROM key_audit ORDER BY happened_at")
    assert [(a, m) for _, a, m in audit] == [("set", GAS_MN), ("replaced", GAS_MN)]
    assert all(who for who, _, _ in audit)
    data = db.read_bytes() + (db.parent / "k.duckdb.wal").read_bytes() if (
        db.parent / "k.duckdb.wal").exists() else db.read_bytes()
    key = bytes.fromhex(KEY_HEX)
    assert key not in data and KEY_HEX.encode() not in data
    assert KEY_HEX.upper().encode() not in data
    master_key = bytes.fromhex(master.read_text().strip())
    assert master_key not in data


@pytest.mark.parametrize("args, stdin, message", [
    (("--key-stdin",), "0123", "--key-stdin: expected 32 hex digits"),
    (("--key-stdin",), "zz" * 16, "--key-stdin: expected 32 hex digits (0-9, a-f)"),
    ((), None, "--key-file / --key-stdin: give exactly one"),
])
def test_a_bad_key_is_one_line_naming_the_option(db, args, stdin, message):
    result = run("keys", "set", GAS_MN, *args, "--db", str(db), stdin=stdin)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert "zz" * 16 not in result.stderr


def test_an_unregistered_mn_and_a_named_master_key_file(db, tmp_path, monkeypatch):
    named = tmp_path / "elsewhere" / "master.key"
    monkeypatch.setenv("ENVMON_MASTER_KEY_FILE", str(named))
    result = run("keys", "set", "NOSUCHMN", "--key-stdin", "--db", str(db), stdin=KEY_HEX)
    assert result.exit_code == 2 and "MN: 'NOSUCHMN' is not a registered" in result.stderr
    result = run("keys", "set", GAS_MN, "--key-stdin", "--db", str(db), stdin=KEY_HEX)
    assert result.exit_code == 0 and named.exists()
    assert not (tmp_path / "k.duckdb.master.key").exists()
    rotated = run("keys", "rotate", GAS_MN, "--db", str(db))
    assert rotated.exit_code == 0, rotated.output
    listed = json.loads(run("keys", "list", "--db", str(db), "--format", "json").stdout)
    assert listed[0]["rotation_pending"] is True
