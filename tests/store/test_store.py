"""The store on real DuckDB files: schema, write_batch, queries, time zones, locking."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from envmon.store import (
    SchemaError,
    StoreError,
    StoreLockedError,
    open_store,
    schema,
)
from envmon.store import base as store_base
from envmon.timeutil import BEIJING, BEIJING_FIXED

from .conftest import MN, T0, raw_row, record

TABLES = {
    "schema_version",
    "regions",
    "units",
    "outlets",
    "points",
    "point_factors",
    "raw_packets",
    "records",
}


def test_schema_is_created_once_and_reopening_is_idempotent(db_path):
    with open_store(db_path) as store:
        assert store.schema_version() == schema.SCHEMA_VERSION
        names = {r[0] for r in store.query("SELECT table_name FROM information_schema.tables")}
        assert TABLES | {"records_first", "point_registry", "unit_registry"} <= names
    for _ in range(2):
        with open_store(db_path) as store:
            assert store.query("SELECT version FROM schema_version") == [
                (v,) for v in range(1, schema.SCHEMA_VERSION + 1)
            ]


def test_session_time_zone_is_beijing(store):
    assert store.query("SELECT current_setting('TimeZone')") == [("Asia/Shanghai",)]


def test_write_batch_round_trip_with_aware_datetimes(store):
    data_time = datetime(2026, 5, 1, 8, 0, tzinfo=BEIJING)  # ZoneInfo works as well
    received = datetime(2026, 5, 1, 9, 0, 1, 250_000, tzinfo=BEIJING_FIXED)
    rows = [
        record("a21026", data_time=data_time, received_at=received, avg=20.0),
        record("a21002", data_time=data_time, received_at=received, avg=30.0),
    ]
    packet = raw_row(received, raw=b"##0101QN=20260501090000001;ST=31;CN=2061\xe4\xb8\xad\r\n")
    store.write_batch([packet], rows)

    got = store.query_records(MN, "2061", T0, T0 + timedelta(hours=1))
    assert [g["factor"] for g in got] == ["a21002", "a21026"]
    first = got[1]
    assert first == {
        "mn": MN,
        "cn": "2061",
        "data_time": data_time,
        "factor": "a21026",
        "rtd": None,
        "avg": 20.0,
        "min": 19.0,
        "max": 21.0,
        "cou": 3.25,
        "flag": "N",
        "received_at": received,
    }
    assert first["data_time"].utcoffset() == timedelta(hours=8)
    assert first["data_time"].astimezone(UTC) == datetime(2026, 5, 1, 0, 0, tzinfo=UTC)

    (raw,) = list(store.iter_raw_packets())
    assert raw.raw == packet.raw and raw.received_at == received and raw.id == 1
    assert (raw.peer, raw.verdict, raw.mn, raw.cn, raw.qn) == (
        packet.peer,
        "accepted",
        MN,
        "2061",
        packet.qn,
    )
    # every other column survives too
    (stored,) = store.query(
        "SELECT factor_raw, zs_rtd, zs_avg, eflag, extra, qn FROM records WHERE factor = 'a21026'"
    )
    assert stored == ("a21026", None, pytest.approx(22.0), None, None, "20260501090000001")


def test_query_records_window_is_half_open_and_per_cn(store):
    rows = [record(data_time=T0 + timedelta(hours=h)) for h in range(3)]
    rows.append(record(data_time=T0, cn="2051"))
    store.write_batch([], rows)
    got = store.query_records(MN, "2061", T0, T0 + timedelta(hours=2))
    assert [g["data_time"] for g in got] == [T0, T0 + timedelta(hours=1)]
    assert len(store.query_records(MN, "2051", T0, T0 + timedelta(days=1))) == 1
    assert store.query_records("NOPE", "2061", T0, T0 + timedelta(days=1)) == []


def test_first_received_wins(store):
    early, late = T0 + timedelta(hours=1), T0 + timedelta(hours=5)
    # the later-received copy is written first: "first" means received_at, not write order
    store.write_batch([raw_row(late)], [record(received_at=late, avg=99.0)])
    store.write_batch([raw_row(early)], [record(received_at=early, avg=10.0)])
    # same received_at twice: the one written first (lower id) wins
    store.write_batch([], [record(received_at=early, avg=11.0)])
    (got,) = store.query_records(MN, "2061", T0, T0 + timedelta(hours=1))
    assert got["avg"] == 10.0 and got["received_at"] == early
    (view,) = store.query("SELECT avg, copies FROM records_first")
    assert view == (10.0, 3)


def test_month_and_day_are_cut_in_beijing_time(store):
    instant = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)  # 2026-11-01 00:30 in Beijing
    store.write_batch([], [record(data_time=instant, received_at=instant + timedelta(hours=1))])
    (row,) = store.query(
        "SELECT date_trunc('month', data_time), date_trunc('day', data_time), "
        "EXTRACT(month FROM data_time), EXTRACT(hour FROM data_time) FROM records"
    )
    assert row[0] == datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
    assert row[1] == datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
    assert (row[2], row[3]) == (11, 0)
    november = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
    assert len(store.query_records(MN, "2061", november, november + timedelta(days=30))) == 1


def test_records_first_period_end(store):
    day = datetime(2026, 1, 31, tzinfo=BEIJING_FIXED)
    store.write_batch(
        [],
        [
            record(cn="2061", data_time=T0),
            record(cn="2031", data_time=day),
            record(cn="2041", data_time=datetime(2026, 3, 1, tzinfo=BEIJING)),
            record(cn="2051", data_time=T0),
        ],
    )
    ends = dict(store.query("SELECT cn, period_end FROM records_first"))
    assert ends["2061"] == T0 + timedelta(hours=1)
    assert ends["2031"] == day + timedelta(days=1)
    # 2041 is the daily running-time record (HJ 212-2017 Table 9, C.23: SBxxx-RT 0–24 h).
    assert ends["2041"] == datetime(2026, 3, 2, tzinfo=BEIJING_FIXED)
    assert ends["2051"] is None  # the minute interval is not in the record


def test_raw_log_and_records_are_append_only(store):
    raw = [raw_row(), raw_row(verdict="rejected")]
    store.write_batch(raw, [record(), record("a21002")])
    # the same hour again with other values: a second row each (identical copies are not
    # stored twice since schema version 7: see test_recordkeys.py)
    store.write_batch(raw, [record(avg=13.0), record("a21002", avg=13.0)])
    assert store.query("SELECT COUNT(*) FROM records") == [(4,)]
    assert store.raw_counts() == {"accepted": 2, "rejected": 2, "discarded": 0}
    ids = [p.id for p in store.iter_raw_packets()]
    assert ids == sorted(ids) and len(set(ids)) == 4
    record_ids = [r[0] for r in store.query("SELECT id FROM records ORDER BY id")]
    assert len(set(record_ids)) == 4


def test_write_batch_is_one_transaction(store):
    broken = record()._replace(mn=None)  # NOT NULL violation inside the transaction
    with pytest.raises(Exception):  # noqa: B017 - the engine's own constraint error
        store.write_batch([raw_row()], [record("a21002"), broken])
    assert store.raw_counts()["accepted"] == 0
    assert store.query("SELECT COUNT(*) FROM records") == [(0,)]
    store.write_batch([raw_row()], [record()])  # the store is still usable
    assert store.raw_counts()["accepted"] == 1


def test_write_batch_rejects_naive_datetimes_and_unknown_verdicts(store):
    with pytest.raises(ValueError, match="timezone-aware"):
        store.write_batch([], [record(data_time=datetime(2026, 5, 1, 8))])
    with pytest.raises(ValueError, match="verdict"):
        store.write_batch([raw_row(verdict="maybe")], [])
    with pytest.raises(ValueError, match="timezone-aware"):
        store.query_records(MN, "2061", datetime(2026, 5, 1), T0)


def test_iter_raw_packets_filters_and_pages(store, monkeypatch):
    monkeypatch.setattr(store_base, "_RAW_PAGE", 7)
    rows = [raw_row(T0 + timedelta(minutes=i), raw=str(i).encode()) for i in range(30)]
    store.write_batch(rows[:10], [])
    store.write_batch(rows[10:], [])
    assert [p.raw for p in store.iter_raw_packets()] == [str(i).encode() for i in range(30)]
    window = list(store.iter_raw_packets(T0 + timedelta(minutes=5), T0 + timedelta(minutes=20)))
    assert [p.raw for p in window] == [str(i).encode() for i in range(5, 20)]
    assert [p.id for p in window] == list(range(6, 21))
    assert list(store.iter_raw_packets(start=T0 + timedelta(days=1))) == []


def test_write_batch_from_another_thread(store):
    errors = []

    def writer():
        try:
            store.write_batch([raw_row()], [record()])
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    thread = threading.Thread(target=writer)
    thread.start()
    thread.join()
    assert not errors
    assert store.raw_counts()["accepted"] == 1
    assert len(store.query_records(MN, "2061", T0, T0 + timedelta(hours=1))) == 1


def test_write_batch_throughput_sanity(store):
    """Not a timed assertion: prints the rate (the receiver needs >= 100k records/s)."""
    mns = [f"{i:024X}" for i in range(1000)]
    raw, rows = [], []
    for i, mn in enumerate(mns):
        received = T0 + timedelta(hours=1, seconds=i)
        raw.append(raw_row(received, mn=mn))
        rows.extend(record(f"a{f:05d}", mn=mn, received_at=received) for f in range(20))
    started = time.perf_counter()
    store.write_batch(raw, rows)
    elapsed = time.perf_counter() - started
    print(
        f"write_batch: {len(rows)} records + {len(raw)} raw in {elapsed:.3f} s "
        f"= {len(rows) / elapsed:,.0f} records/s"
    )
    assert store.query("SELECT COUNT(*) FROM records") == [(20_000,)]


def test_read_only_store(db_path):
    with pytest.raises(StoreError, match="no database"):
        open_store(db_path, read_only=True)
    with open_store(db_path) as store:
        store.write_batch([raw_row()], [record()])
    with open_store(db_path, read_only=True) as store:
        assert store.raw_counts()["accepted"] == 1
        with pytest.raises(StoreError, match="read-only"):
            store.write_batch([raw_row()], [])


@pytest.mark.duckdb_only
def test_read_only_open_of_a_foreign_duckdb_file(tmp_path):
    """DuckDB only: DuckDB's file formats and its one-process file lock."""
    import duckdb

    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(SchemaError, match="not an envmon database"):
        open_store(path, read_only=True)


def test_an_unreachable_postgresql_store_is_a_clear_error_without_the_password():
    from tests.pgcluster import free_port

    url = f"postgresql://envmon:s3cret@127.0.0.1:{free_port()}/envmon"
    with pytest.raises(StoreError, match="cannot connect to the PostgreSQL store") as raised:
        open_store(url)
    assert "s3cret" not in str(raised.value)
    assert "envmon:***@127.0.0.1" in str(raised.value)


@pytest.mark.duckdb_only
def test_locked_file_gives_a_clear_error(db_path):
    """DuckDB only: DuckDB's file formats and its one-process file lock."""
    open_store(db_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(db_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        for read_only in (False, True):
            with pytest.raises(StoreLockedError) as info:
                open_store(db_path, read_only=read_only)
            message = str(info.value)
            assert "locked by process" in message and str(holder.pid) in message
            assert "envmon serve" in message and "Stop that process" in message
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    open_store(db_path).close()  # free again


def test_closed_store_refuses_work(db_path):
    store = open_store(db_path)
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        store.raw_counts()
