"""Numbered migrations: stores written before the domains owned their tables open and upgrade in
place, keeping their data; the collected migrations describe exactly the old schema."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from datetime import datetime

import duckdb
import pytest
from typer.testing import CliRunner

from envmon.cli import app as cli_app
from envmon.store import (
    SchemaBehindError,
    SchemaError,
    StoreError,
    StoreLockedError,
    open_store,
    schema,
)
from envmon.store.ddl import IdSequence, Index
from envmon.store.duckdb_engine import DuckDBStore
from envmon.timeutil import BEIJING_FIXED

from . import frozen_schema_v5 as frozen
from .conftest import MN, T0, raw_row, record

LATE_V5_TABLES = ("road_pois", "road_segment_stats")  # added while version 5 was being written


def build_v5_store(path, *, without=()) -> None:
    """A store as envmon wrote it at schema version 5 (frozen DDL), with some data."""
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    con.execute(frozen.SCHEMA_VERSION_TABLE)
    for version in range(1, frozen.SCHEMA_VERSION + 1):
        for statement in frozen.MIGRATIONS[version]:
            if any(f"CREATE TABLE {table} (" in statement for table in without):
                continue
            con.execute(statement)
        con.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, now())",
                    [version])
    at = datetime(2026, 5, 1, 9, tzinfo=BEIJING_FIXED)
    con.execute("INSERT INTO units VALUES ('U1', '一厂', '140105', true, true, ?)", [at])
    con.execute("INSERT INTO points VALUES (?, 'DA001', 'U1', '123456', 'gas', 6.0, NULL, "
                "'hj212,modbus', ?)", [MN, at])
    for _ in range(3):
        con.execute("INSERT INTO raw_packets VALUES (nextval('raw_packets_id_seq'), ?, 'peer', "
                    "'accepted', NULL, ?, '2061', 'qn', '\\x23\\x23'::BYTEA)", [at, MN])
        con.execute("INSERT INTO alarms (id, mn, factor, rule, status, opened_at) VALUES "
                    "(nextval('alarms_id_seq'), ?, 'a21026', 'exceedance', 'open', ?)", [MN, at])
    con.close()


def catalog(store) -> dict:
    """Tables with their columns (name, type, nullability, position), views and sequences."""
    columns = store.query(
        "SELECT table_name, column_name, data_type, is_nullable, ordinal_position "
        "FROM information_schema.columns ORDER BY table_name, ordinal_position")
    tables = {}
    for table, *column in columns:
        tables.setdefault(table, []).append(tuple(column))
    views = {r[0] for r in store.query(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW'")}
    sequences = {r[0] for r in store.query("SELECT sequence_name FROM duckdb_sequences()")}
    keys = sorted(store.query(
        "SELECT table_name, constraint_type, constraint_column_names::TEXT "
        "FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"))
    return {"tables": tables, "views": views, "sequences": sequences, "keys": keys}


@pytest.mark.duckdb_only
def test_a_version_5_store_upgrades_in_place_with_its_data(tmp_path):
    """DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    old = tmp_path / "old.duckdb"
    build_v5_store(old)
    with open_store(old) as store:
        assert store.schema_version() == schema.SCHEMA_VERSION
        assert [r[0] for r in store.query("SELECT version FROM schema_version ORDER BY 1")] == (
            list(range(1, schema.SCHEMA_VERSION + 1)))
        assert store.point_auth(MN).crc_modes == ("hj212", "modbus")
        assert store.raw_counts()["accepted"] == 3
        # sequences continue where the old store left them
        store.write_batch([raw_row()], [record()])
        assert [p.id for p in store.iter_raw_packets()] == [1, 2, 3, 4]
        assert store.append("alarms", store.arrow(
            "SELECT mn, factor, 'offline' AS rule, status, opened_at FROM alarms LIMIT 1"
        )).to_pylist() == [4]
        assert len(store.query_records(MN, "2061", T0, T0.replace(hour=9))) == 1


@pytest.mark.duckdb_only
def test_upgraded_and_fresh_stores_have_the_same_schema(tmp_path):
    """DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    old, fresh = tmp_path / "old.duckdb", tmp_path / "fresh.duckdb"
    build_v5_store(old)
    with open_store(old) as upgraded, open_store(fresh) as new:
        assert catalog(upgraded) == catalog(new)
        assert set(catalog(new)["tables"]) >= {"records", "alarms", *LATE_V5_TABLES}


@pytest.mark.duckdb_only
def test_a_store_created_mid_version_5_gets_the_tables_it_lacks(tmp_path):
    """DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    old = tmp_path / "mid.duckdb"
    build_v5_store(old, without=LATE_V5_TABLES)
    with open_store(old) as store:
        tables = {r[0] for r in store.query("SELECT table_name FROM information_schema.tables")}
        assert set(LATE_V5_TABLES) <= tables
        assert store.query("SELECT COUNT(*) FROM road_segment_stats") == [(0,)]
        assert store.raw_counts()["accepted"] == 3
    with open_store(old) as again, open_store(tmp_path / "fresh.duckdb") as fresh:
        assert catalog(again) == catalog(fresh)


def version_on_disk(path) -> int:
    """The schema version of the file, read without envmon (so nothing is upgraded)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    finally:
        con.close()


@contextmanager
def held_by_another_process(path, *, read_only: bool):
    """Another process with a DuckDB connection open on `path` until the block ends.

    Read-only, it holds a shared lock: other readers may open the file, no writer may. (Inside
    one process DuckDB shares one database instance instead; see the in-process test.)
    """
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, duckdb; c = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'ro'); "
         "print('ready', flush=True); sys.stdin.read()",
         str(path), "ro" if read_only else "rw"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield holder
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.mark.duckdb_only
def test_a_version_5_store_opened_read_only_is_upgraded_then_read(tmp_path, caplog):
    """DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    old = tmp_path / "old.duckdb"
    build_v5_store(old)
    with (caplog.at_level(logging.INFO, logger="envmon.store"),
          open_store(old, read_only=True) as store):
        assert store.read_only
        assert store.schema_version() == schema.SCHEMA_VERSION
        assert store.point_auth(MN).crc_modes == ("hj212", "modbus")
        assert store.raw_counts()["accepted"] == 3
        assert store.query("SELECT COUNT(*) FROM alarms") == [(3,)]
        assert store.query("SELECT COUNT(*) FROM road_segment_stats") == [(0,)]
        with pytest.raises(StoreError, match="read-only"):
            store.write_batch([raw_row()], [])
    upgraded = [r.getMessage() for r in caplog.records if r.name == "envmon.store"]
    assert upgraded == [f"{old}: schema version upgraded from 5 to {schema.SCHEMA_VERSION} "
                        f"(the version-5 store is kept as {old}.schema-v5.bak)"]
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "envmon.store")
    assert version_on_disk(old) == schema.SCHEMA_VERSION
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="envmon.store"):
        open_store(old, read_only=True).close()  # up to date: nothing to do, nothing logged
    assert not [r for r in caplog.records if r.name == "envmon.store"]
    with open_store(old, read_only=True) as again, open_store(tmp_path / "new.duckdb") as new:
        assert catalog(again) == catalog(new)


@pytest.mark.duckdb_only
def test_a_store_created_mid_version_5_opened_read_only_gets_its_missing_tables(tmp_path):
    """DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    old = tmp_path / "mid.duckdb"
    build_v5_store(old, without=LATE_V5_TABLES)
    with open_store(old, read_only=True) as store:
        assert store.query("SELECT COUNT(*) FROM road_pois") == [(0,)]
        assert store.raw_counts()["accepted"] == 3


@pytest.mark.duckdb_only
def test_envmon_data_reads_a_version_5_store(tmp_path):
    """The user's case: install the new envmon, run a query on the old store.

    DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    old = tmp_path / "old.duckdb"
    build_v5_store(old)
    con = duckdb.connect(str(old))
    con.execute("INSERT INTO records (id, mn, cn, data_time, factor, factor_raw, avg, flag, "
                "received_at) VALUES (nextval('records_id_seq'), ?, '2061', ?, 'a21026', "
                "'a21026', 12.5, 'N', ?)", [MN, T0, T0.replace(hour=9)])  # fmt: skip
    con.close()
    result = CliRunner().invoke(cli_app, ["data", "--db", str(old), "--mn", MN, "--from",
                                          "2026-05-01T00:00", "--to", "2026-05-02T00:00"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["factor"], r["avg"]) for r in rows] == [("a21026", 12.5)]
    assert version_on_disk(old) == schema.SCHEMA_VERSION


@pytest.mark.duckdb_only
def test_a_version_5_store_that_cannot_be_opened_for_writing_asks_for_an_upgrade(tmp_path):
    """Another process reads the old store (shared lock): no upgrade now, a clear error.

    DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    old = tmp_path / "old.duckdb"
    build_v5_store(old)
    with held_by_another_process(old, read_only=True) as holder:
        with pytest.raises(SchemaBehindError) as info:
            open_store(old, read_only=True)
        message = str(info.value)
        assert message.startswith(f"{old}: schema version 5 is older than "
                                  f"{schema.SCHEMA_VERSION} and could not be upgraded")
        assert f"process {holder.pid} (" in message and "has it open" in message
        assert "open it once read-write to upgrade" in message.lower()
        assert "rerun this command" in message and "envmon serve" in message
        assert (info.value.version, info.value.known) == (5, schema.SCHEMA_VERSION)
    assert version_on_disk(old) == 5  # untouched
    with open_store(old):
        pass
    with open_store(old, read_only=True) as store:
        assert store.schema_version() == schema.SCHEMA_VERSION


@pytest.mark.duckdb_only
def test_a_version_5_store_open_for_writing_elsewhere_gives_the_lock_error(tmp_path):
    """A writer elsewhere (an old `envmon serve`) keeps even readers out: the lock error.

    DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    old = tmp_path / "old.duckdb"
    build_v5_store(old)
    with (held_by_another_process(old, read_only=False) as holder,
          pytest.raises(StoreLockedError, match=f"locked by process {holder.pid}")):
        open_store(old, read_only=True)
    assert version_on_disk(old) == 5


@pytest.mark.duckdb_only
def test_a_version_5_store_this_process_reads_elsewhere_is_not_upgraded(tmp_path):
    """In one process DuckDB refuses a read-write open beside a read-only one.

    DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    old = tmp_path / "old.duckdb"
    build_v5_store(old)
    reader = duckdb.connect(str(old), read_only=True)
    try:
        with pytest.raises(SchemaBehindError, match="could not be upgraded for reading: .*"
                           "this process already has it open read-only"):
            open_store(old, read_only=True)
    finally:
        reader.close()
    assert version_on_disk(old) == 5


@pytest.mark.duckdb_only
def test_a_version_5_store_in_a_read_only_file_asks_for_an_upgrade(tmp_path):
    """DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    old = tmp_path / "old.duckdb"
    build_v5_store(old)
    old.chmod(0o444)
    # Root (CAP_DAC_OVERRIDE) writes to read-only files anyway: then open the store in a child
    # that has those capabilities taken out of its bounding set, as an ordinary user would.
    script = ("import sys\nfrom envmon.store import open_store, SchemaBehindError\n"
              "try:\n    open_store(sys.argv[1], read_only=True)\n"
              "except SchemaBehindError as e:\n    print(e)\nelse:\n    print('opened')\n")
    command = [sys.executable, "-c", script, str(old)]
    if os.access(old, os.W_OK):
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert re.search("(?i)permission denied.*open it once read-write to upgrade: .*make the "
                     "file writable", result.stdout), result.stdout + result.stderr
    assert version_on_disk(old) == 5


@pytest.mark.duckdb_only
def test_a_store_from_a_newer_envmon_is_refused_and_never_touched(tmp_path, monkeypatch):
    """DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    newer = tmp_path / "newer.duckdb"
    build_v5_store(newer)
    con = duckdb.connect(str(newer))
    for version in range(frozen.SCHEMA_VERSION + 1, schema.SCHEMA_VERSION + 2):
        con.execute("INSERT INTO schema_version VALUES (?, now())", [version])
    con.close()

    def no_upgrade(target):
        raise AssertionError("a newer store must not be upgraded")

    monkeypatch.setattr(DuckDBStore, "upgrade_in_place", classmethod(
        lambda cls, target: no_upgrade(target)))
    for read_only in (True, False):
        with pytest.raises(SchemaError, match=f"schema version {schema.SCHEMA_VERSION + 1} was "
                           "written by a newer envmon") as info:
            open_store(newer, read_only=read_only)
        assert not isinstance(info.value, SchemaBehindError)
    assert version_on_disk(newer) == schema.SCHEMA_VERSION + 1


def test_migrations_are_numbered_without_gaps_and_declare_their_steps():
    migrations = schema.migrations()
    assert [m.version for m in migrations] == list(range(1, schema.SCHEMA_VERSION + 1))
    for migration in migrations:
        assert migration.steps and migration.title
        for step in migration.steps:
            assert isinstance(step, str | IdSequence | Index)
    assert schema.id_sequences()["records"] == "records_id_seq"
    assert {"raw_packets", "records", "alarms", "alarm_events", "notifications", "exemptions",
            "corrections", "backfill_requests", "emergency_alerts",
            "emergency_list_imports"} == set(schema.id_sequences())


@pytest.mark.duckdb_only
def test_the_server_engine_indexes_are_valid_sql(tmp_path, monkeypatch):
    """Row-store engines also create the `Index` steps; they must name real columns.

    DuckDB only: it forces the indexes onto DuckDB and reads duckdb_indexes() (on PostgreSQL
    the engine makes them anyway: tests/store's contract runs there)."""
    monkeypatch.setattr(DuckDBStore, "server_indexes", True)
    steps = [(m.version, step) for m in schema.migrations() for step in m.steps
             if isinstance(step, Index)]
    assert sorted((v, " ".join(step.sql().split())) for v, step in steps) == sorted(
        (v, " ".join(sql.split())) for v, sqls in frozen.SERVER_INDEXES.items() for sql in sqls)
    indexes = {step.name for _, step in steps}
    with open_store(tmp_path / "indexed.duckdb") as store:
        names = {r[0] for r in store.query("SELECT index_name FROM duckdb_indexes()")}
        assert indexes <= names


@pytest.mark.duckdb_only
def test_an_upgrade_keeps_the_old_store_as_a_backup_and_a_new_store_gets_none(tmp_path, caplog):
    """DuckDB only: it builds and upgrades DuckDB files of older schema versions (the PostgreSQL
    engine starts at version 12) or tests DuckDB's file lock, .bak copies and file permissions."""
    old = tmp_path / "old.duckdb"
    build_v5_store(old)
    before = duckdb.connect(str(old), read_only=True)
    packets = before.execute("SELECT COUNT(*) FROM raw_packets").fetchone()[0]
    before.close()
    with caplog.at_level(logging.INFO, logger="envmon.store"):
        open_store(old).close()
    backup = tmp_path / "old.duckdb.schema-v5.bak"
    assert version_on_disk(old) == schema.SCHEMA_VERSION and version_on_disk(backup) == 5
    copy = duckdb.connect(str(backup), read_only=True)
    assert copy.execute("SELECT COUNT(*) FROM raw_packets").fetchone()[0] == packets == 3
    copy.close()
    assert f"kept as {backup}" in caplog.text
    # a second store upgraded at the same place does not overwrite the first copy
    other = tmp_path / "again.duckdb"
    build_v5_store(other)
    other.rename(old)
    open_store(old).close()
    assert backup.exists() and (tmp_path / "old.duckdb.schema-v5.bak.2").exists()
    open_store(tmp_path / "fresh.duckdb").close()
    assert not list(tmp_path.glob("fresh.duckdb*.bak*"))
