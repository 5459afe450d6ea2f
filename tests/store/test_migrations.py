"""Numbered migrations: stores written before the domains owned their tables open and upgrade in
place, keeping their data; the collected migrations describe exactly the old schema."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from envmon.store import SchemaError, open_store, schema
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


def test_a_version_5_store_upgrades_in_place_with_its_data(tmp_path):
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


def test_upgraded_and_fresh_stores_have_the_same_schema(tmp_path):
    old, fresh = tmp_path / "old.duckdb", tmp_path / "fresh.duckdb"
    build_v5_store(old)
    with open_store(old) as upgraded, open_store(fresh) as new:
        assert catalog(upgraded) == catalog(new)
        assert set(catalog(new)["tables"]) >= {"records", "alarms", *LATE_V5_TABLES}


def test_a_store_created_mid_version_5_gets_the_tables_it_lacks(tmp_path):
    old = tmp_path / "mid.duckdb"
    build_v5_store(old, without=LATE_V5_TABLES)
    with open_store(old) as store:
        tables = {r[0] for r in store.query("SELECT table_name FROM information_schema.tables")}
        assert set(LATE_V5_TABLES) <= tables
        assert store.query("SELECT COUNT(*) FROM road_segment_stats") == [(0,)]
        assert store.raw_counts()["accepted"] == 3
    with open_store(old) as again, open_store(tmp_path / "fresh.duckdb") as fresh:
        assert catalog(again) == catalog(fresh)


def test_a_version_5_store_opened_read_only_asks_for_an_upgrade(tmp_path):
    old = tmp_path / "old.duckdb"
    build_v5_store(old)
    with pytest.raises(SchemaError, match="open it once read-write to upgrade"):
        open_store(old, read_only=True)
    with open_store(old):
        pass
    with open_store(old, read_only=True) as store:
        assert store.schema_version() == schema.SCHEMA_VERSION


def test_migrations_are_numbered_without_gaps_and_declare_their_steps():
    migrations = schema.migrations()
    assert [m.version for m in migrations] == list(range(1, schema.SCHEMA_VERSION + 1))
    for migration in migrations:
        assert migration.steps and migration.title
        for step in migration.steps:
            assert isinstance(step, str | IdSequence | Index)
    assert schema.id_sequences()["records"] == "records_id_seq"
    assert {"raw_packets", "records", "alarms", "alarm_events", "notifications", "exemptions",
            "corrections", "backfill_requests"} == set(schema.id_sequences())


def test_the_server_engine_indexes_are_valid_sql(tmp_path, monkeypatch):
    """Row-store engines also create the `Index` steps; they must name real columns."""
    monkeypatch.setattr(DuckDBStore, "server_indexes", True)
    steps = [(m.version, step) for m in schema.migrations() for step in m.steps
             if isinstance(step, Index)]
    assert sorted((v, " ".join(step.sql().split())) for v, step in steps) == sorted(
        (v, " ".join(sql.split())) for v, sqls in frozen.SERVER_INDEXES.items() for sql in sqls)
    indexes = {step.name for _, step in steps}
    with open_store(tmp_path / "indexed.duckdb") as store:
        names = {r[0] for r in store.query("SELECT index_name FROM duckdb_indexes()")}
        assert indexes <= names
