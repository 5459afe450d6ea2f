"""`envmon keys` (issue 16 item 3): the key comes in from a file or stdin, is sealed under a
master key created 0600 next to the store, and never appears in clear: not on stdout or
stderr, not in the DuckDB file, not in `keys list`; each change leaves an audit row."""

from __future__ import annotations

import json
import logging
import os
import stat

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.ingest import keystore
from envmon.ingest.keystore import store_keys
from envmon.registry.importer import import_rows
from envmon.store import open_store
from tests.ingest.conftest import GAS_MN, WATER_MN, registry_rows

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


# ------------------------------------------------------------- master key mistakes (fix16)
def audit_rows(db) -> int:
    with open_store(db, read_only=True) as store:
        return store.query("SELECT COUNT(*) FROM key_audit")[0][0]


def other_master(tmp_path, mode: int = 0o600):
    path = tmp_path / "other.key"
    path.write_text(os.urandom(32).hex() + "\n")
    os.chmod(path, mode)
    return path


def test_keys_set_under_another_master_key_is_refused_and_writes_nothing(db, tmp_path,
                                                                        monkeypatch):
    assert run("keys", "set", GAS_MN, "--key-stdin", "--db", str(db), stdin=KEY_HEX
               ).exit_code == 0
    before = audit_rows(db)
    monkeypatch.setenv("ENVMON_MASTER_KEY_FILE", str(other_master(tmp_path)))
    for mn in (WATER_MN, GAS_MN):
        result = run("keys", "set", mn, "--key-stdin", "--db", str(db), stdin=KEY_HEX)
        assert result.exit_code == 2, result.output
        message = result.stderr.strip()
        assert "\n" not in message and "ENVMON_MASTER_KEY_FILE" in message, message
        assert "does not open 1 of the 1 keys" in message and "Traceback" not in message
    assert audit_rows(db) == before
    monkeypatch.delenv("ENVMON_MASTER_KEY_FILE")
    with open_store(db, read_only=True) as store:
        assert set(store_keys(store)) == {GAS_MN}  # the stored key still opens


def test_a_named_master_key_file_missing_once_keys_are_stored_is_refused(db, tmp_path,
                                                                         monkeypatch):
    assert run("keys", "set", GAS_MN, "--key-stdin", "--db", str(db), stdin=KEY_HEX
               ).exit_code == 0
    named = tmp_path / "typo.key"
    monkeypatch.setenv("ENVMON_MASTER_KEY_FILE", str(named))
    for args in (("set", WATER_MN, "--key-stdin"), ("rotate", GAS_MN)):
        result = run("keys", *args, "--db", str(db), stdin=KEY_HEX)
        assert result.exit_code == 2, result.output
        assert f"ENVMON_MASTER_KEY_FILE: {named} does not exist" in result.stderr
        assert not named.exists()
    with open_store(db, read_only=True) as store, pytest.raises(keystore.KeyStoreError):
        store_keys(store)  # the receiver logs it: a typo is not "no keys"


def test_a_lost_master_key_is_not_replaced_by_a_new_one(db, tmp_path):
    assert run("keys", "set", GAS_MN, "--key-stdin", "--db", str(db), stdin=KEY_HEX
               ).exit_code == 0
    master = tmp_path / "k.duckdb.master.key"
    master.unlink()
    result = run("keys", "set", WATER_MN, "--key-stdin", "--db", str(db), stdin=KEY_HEX)
    assert result.exit_code == 2 and "restore that file" in result.stderr
    assert not master.exists()


def test_a_master_key_file_open_to_others_is_refused(db, tmp_path, monkeypatch):
    loose = other_master(tmp_path, 0o644)
    monkeypatch.setenv("ENVMON_MASTER_KEY_FILE", str(loose))
    result = run("keys", "set", GAS_MN, "--key-stdin", "--db", str(db), stdin=KEY_HEX)
    assert result.exit_code == 2 and f"chmod 600 {loose}" in result.stderr
    assert "mode 0644" in result.stderr


def test_key_file_missing_is_one_line_and_a_readable_one_is_warned(db, tmp_path):
    missing = run("keys", "set", GAS_MN, "--key-file", str(tmp_path / "nofile"), "--db", str(db))
    assert missing.exit_code == 2
    assert missing.stderr.strip().endswith(f"--key-file: {tmp_path / 'nofile'} does not exist")
    assert "FileNotFoundError" not in missing.output
    key_file = tmp_path / "unit.key"
    key_file.write_text(KEY_HEX)
    os.chmod(key_file, 0o644)
    result = run("keys", "set", GAS_MN, "--key-file", str(key_file), "--db", str(db))
    assert result.exit_code == 0 and "warning: --key-file" in result.stderr
    assert "chmod 600" in result.stderr and KEY_HEX not in result.output


def test_keys_list_tells_a_replacement_from_a_rotation(db):
    run("keys", "set", GAS_MN, "--key-stdin", "--db", str(db), stdin=KEY_HEX)
    run("keys", "set", WATER_MN, "--key-stdin", "--db", str(db), stdin=KEY_HEX)
    run("keys", "set", WATER_MN, "--key-stdin", "--db", str(db), stdin=KEY_HEX[::-1])
    listed = {e["mn"]: e for e in json.loads(
        run("keys", "list", "--db", str(db), "--format", "json").stdout)}
    assert listed[GAS_MN]["last_change"] == "set" and listed[GAS_MN]["replaced_at"] is None
    assert listed[WATER_MN]["last_change"] == "replaced"
    assert listed[WATER_MN]["replaced_at"] is not None
    table = run("keys", "list", "--db", str(db)).stdout
    assert "人工替换" in table and "初次设置" in table


def test_the_receiver_loads_every_key_that_opens_and_logs_the_others(db, caplog):
    run("keys", "set", GAS_MN, "--key-stdin", "--db", str(db), stdin=KEY_HEX)
    with open_store(db) as store:  # a row sealed under another master key
        store.execute("INSERT INTO sm4_keys (mn, sealed, created_at) VALUES (?, ?, now())",
                      [WATER_MN, keystore._seal(os.urandom(32), WATER_MN, os.urandom(16))])
        with caplog.at_level(logging.ERROR, "envmon.ingest.keystore"):
            keys = store_keys(store)
    assert keys == {GAS_MN: bytes.fromhex(KEY_HEX)}
    assert WATER_MN in caplog.text and KEY_HEX not in caplog.text
