"""`envmon store backup|restore` (envmon.ops.backup) on real DuckDB files, also while a real
`envmon serve` holds the store; PostgreSQL with the throwaway cluster (`pg_url`)."""

from __future__ import annotations

import json
import shutil
import signal
import socket

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.store import open_store
from tests.ingest.conftest import hour, hourly_packet
from tests.ingest.test_durability import free_port, registered_db, start_server

runner = CliRunner()


def _rows(db) -> dict:
    with open_store(db, read_only=True) as store:
        return {"raw": store.query("SELECT verdict, mn, qn FROM raw_packets ORDER BY qn"),
                "records": store.query("SELECT mn, cn, data_time, factor, avg FROM records "
                                       "ORDER BY data_time, factor"),
                "points": store.query("SELECT mn FROM points ORDER BY mn"),
                "next_raw_id": store.query("SELECT MAX(id) FROM raw_packets")}


def _upload(port: int, hours: range) -> None:
    """Hourly packets over TCP, each answered (9014) before the next: answered = stored."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        for h in hours:
            sock.sendall(hourly_packet(hour(h)))
            assert b"CN=9014" in sock.recv(4096)


def _cli(*args: str):
    result = runner.invoke(app, list(args))
    return result


@pytest.mark.duckdb_only  # a DuckDB file's snapshot (test_postgresql_backup_and_restore: pg_dump)
def test_backup_then_restore_gives_the_same_rows(tmp_path):
    db = registered_db(tmp_path)
    port = free_port()
    proc = start_server(db, port, "--no-web", "--no-backfill")
    try:
        _upload(port, range(4))
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    before = _rows(db)
    assert len(before["raw"]) == 4 and before["records"]

    result = _cli("store", "backup", "--db", str(db), "--out", str(tmp_path / "b.duckdb"))
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["engine"] == "duckdb" and answer["bytes"] > 0
    from envmon.store.schema import SCHEMA_VERSION

    assert answer["schema_version"] == SCHEMA_VERSION

    fresh = tmp_path / "restored.duckdb"
    result = _cli("store", "restore", "--db", str(fresh), "--from", str(tmp_path / "b.duckdb"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["replaced"] is False
    assert _rows(fresh) == before
    with open_store(fresh) as store:  # the sequences go on where they were
        store.execute("INSERT INTO raw_packets (id, received_at, peer, verdict, raw) VALUES "
                      "(nextval('raw_packets_id_seq'), now(), 'x', 'discarded', 'x')")
        assert store.query("SELECT MAX(id) FROM raw_packets")[0][0] > before["next_raw_id"][0][0]


@pytest.mark.duckdb_only  # a DuckDB file's snapshot (test_postgresql_backup_and_restore: pg_dump)
def test_restore_refuses_a_store_with_tables_unless_forced(tmp_path):
    db = registered_db(tmp_path)
    backup = tmp_path / "b.duckdb"
    assert _cli("store", "backup", "--db", str(db), "--out", str(backup)).exit_code == 0
    again = _cli("store", "backup", "--db", str(db), "--out", str(backup))
    assert again.exit_code == 2 and again.stderr.startswith("error: --out: ")
    other = tmp_path / "other.duckdb"
    open_store(other).close()  # an envmon store: it has tables
    refused = _cli("store", "restore", "--db", str(other), "--from", str(backup))
    assert refused.exit_code == 2, refused.output
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("error: --force: ") and "tables" in line
    forced = _cli("store", "restore", "--db", str(other), "--from", str(backup), "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["replaced"] is True
    assert _rows(other)["points"] == _rows(db)["points"]


@pytest.mark.duckdb_only  # a DuckDB file's snapshot (test_postgresql_backup_and_restore: pg_dump)
def test_restore_refuses_what_is_no_envmon_backup_or_from_a_newer_envmon(tmp_path):
    import duckdb

    from envmon.store.schema import SCHEMA_VERSION

    plain = tmp_path / "plain.duckdb"
    with duckdb.connect(str(plain)) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    newer = tmp_path / "newer.duckdb"
    shutil.copyfile(registered_db(tmp_path), newer)
    with duckdb.connect(str(newer)) as con:
        con.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, now())",
                    [SCHEMA_VERSION + 1])
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    for source, words in ((plain, "no envmon store"), (newer, "from a newer envmon"),
                          (text, "not a DuckDB store"), (tmp_path / "missing", "no backup")):
        result = _cli("store", "restore", "--db", str(tmp_path / "new.duckdb"),
                      "--from", str(source))
        assert result.exit_code == 2, result.output
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: --from: ") and words in line, line
    assert not (tmp_path / "new.duckdb").exists()


@pytest.mark.duckdb_only  # a DuckDB file's snapshot (test_postgresql_backup_and_restore: pg_dump)
def test_backup_goes_through_the_running_serve_and_restore_waits_for_it(tmp_path):
    db = registered_db(tmp_path)
    port = free_port()
    proc = start_server(db, port, "--no-backfill", "--web-port", "0")
    try:
        _upload(port, range(3))
        out = tmp_path / "live.duckdb"
        result = _cli("store", "backup", "--db", str(db), "--out", str(out))
        assert result.exit_code == 0, result.output
        assert "asking" in result.stderr  # through the serve holding the store
        assert json.loads(result.stdout)["engine"] == "duckdb"
        refused = _cli("store", "restore", "--db", str(db), "--from", str(out), "--force")
        assert refused.exit_code == 2 and "stop it" in refused.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    live = _rows(out)
    assert len(live["raw"]) == 3  # every answered packet is in the snapshot
    with open_store(db, read_only=True) as store:
        audit = store.query("SELECT action FROM audit_log WHERE action = 'store.backup'")
    assert audit == [("store.backup",)]


def test_postgresql_backup_and_restore(request, tmp_path):
    """Runs once the throwaway cluster fixture (tests/pgcluster.py, `pg_url`) exists."""
    try:
        pg_url = request.getfixturevalue("pg_url")
    except pytest.FixtureLookupError:
        pytest.skip("no PostgreSQL cluster fixture (pg_url) here")
    from envmon.registry.importer import import_rows
    from tests.ingest.conftest import registry_rows

    with open_store(pg_url) as store:
        import_rows(store, registry_rows())
        points = store.query("SELECT mn FROM points ORDER BY mn")
    dump = tmp_path / "pg.dump"
    result = _cli("store", "backup", "--db", pg_url, "--out", str(dump))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["engine"] == "postgresql"
    refused = _cli("store", "restore", "--db", pg_url, "--from", str(dump))
    assert refused.exit_code == 2 and refused.stderr.startswith("error: --force: ")
    later = [{**registry_rows()[0], "mn": "010000A8900016F000169DC9", "outlet_id": "DA009"}]
    with open_store(pg_url) as store:  # a point added after the backup: gone on restore
        import_rows(store, later)
        assert len(store.query("SELECT mn FROM points")) == len(points) + 1
    forced = _cli("store", "restore", "--db", pg_url, "--from", str(dump), "--force")
    assert forced.exit_code == 0, forced.output
    with open_store(pg_url) as store:
        assert store.query("SELECT mn FROM points ORDER BY mn") == points


def test_postgresql_restore_is_refused_while_receivers_write_and_backups_are_private(
        request, tmp_path):
    try:
        pg_url = request.getfixturevalue("pg_url")
    except pytest.FixtureLookupError:
        pytest.skip("no PostgreSQL cluster fixture (pg_url) here")
    from envmon.timeutil import now_beijing

    dump = tmp_path / "pg.dump"
    result = _cli("store", "backup", "--db", pg_url, "--out", str(dump))
    assert result.exit_code == 0, result.output
    assert dump.stat().st_mode & 0o777 == 0o600  # users, tokens, sealed keys
    with open_store(pg_url) as store:  # a receiver's lease, as `envmon serve` writes it
        store.execute("INSERT INTO receiver_leases (receiver_id, address, pid, started_at, "
                      "heartbeat) VALUES (?, ?, ?, ?, ?)",
                      ["hostA:6100:42:abc123", "0.0.0.0:6100", 42, now_beijing(),
                       now_beijing()])
    refused = _cli("store", "restore", "--db", pg_url, "--from", str(dump), "--force")
    assert refused.exit_code != 0
    assert "hostA:6100:42:abc123" in refused.output and "0.0.0.0:6100" in refused.output
    assert "stop them" in refused.output
    with open_store(pg_url) as store:  # still there: nothing was restored over it
        assert store.query("SELECT COUNT(*) FROM receiver_leases") == [(1,)]
        store.execute("DELETE FROM receiver_leases")
    forced = _cli("store", "restore", "--db", pg_url, "--from", str(dump), "--force")
    assert forced.exit_code == 0, forced.output


@pytest.mark.duckdb_only  # a DuckDB file (the PostgreSQL dump: the test above)
def test_a_duckdb_backup_file_is_the_owner_s_alone(tmp_path):
    db, out = tmp_path / "envmon.duckdb", tmp_path / "backup.duckdb"
    open_store(db).close()
    result = _cli("store", "backup", "--db", str(db), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
