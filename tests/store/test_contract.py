"""The store contract: what every engine must do, run unchanged on each engine.

Each test takes the `engine` fixture (see `ENGINES`) and uses only the public interface of
`envmon.store.Store`. To run the suite on a new engine, add it to `ENGINES` with a function
that opens a fresh, empty store (and, for a persistent engine, reopens it read-only); the
PostgreSQL engine runs on a fresh database of the throwaway server (`pg_empty_url`, see
tests/pgcluster.py), which `.ci/run` installs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest

from envmon.store import (
    ImportCounts,
    PointAuth,
    RegistryRow,
    Store,
    StoreError,
    UnknownPointError,
    open_store,
    schema,
)
from envmon.timeutil import BEIJING_FIXED

from .conftest import MN, T0, raw_row, record


@dataclass
class Engine:
    name: str
    open: Callable[..., Store]  # open(read_only=False) -> the same database each time
    persistent: bool  # survives close; can be reopened read-only


def _duckdb_file(request, tmp_path) -> Engine:
    path = tmp_path / "contract.duckdb"
    return Engine("duckdb-file", lambda read_only=False: open_store(path, read_only=read_only),
                  persistent=True)


def _duckdb_memory(request, tmp_path) -> Engine:
    def opener(read_only=False):
        assert not read_only, "an in-memory store cannot be reopened (persistent=False)"
        return open_store(":memory:")

    return Engine("duckdb-memory", opener, persistent=False)


def _postgresql(request, tmp_path) -> Engine:
    url = request.getfixturevalue("pg_empty_url")
    return Engine("postgresql", lambda read_only=False: open_store(url, read_only=read_only),
                  persistent=True)


ENGINES = {"duckdb-file": _duckdb_file, "duckdb-memory": _duckdb_memory,
           "postgresql": _postgresql}
PERSISTENT = ("duckdb-file", "postgresql")


@pytest.fixture(params=sorted(ENGINES))
def engine(request, tmp_path) -> Engine:
    return ENGINES[request.param](request, tmp_path)


@pytest.fixture(params=PERSISTENT)
def persistent_engine(request, tmp_path) -> Engine:
    """Only engines whose database survives close (reopened read-only by the test)."""
    made = ENGINES[request.param](request, tmp_path)
    assert made.persistent
    return made


@pytest.fixture
def store(engine):
    with engine.open() as s:
        yield s


def _table(store: Store) -> None:
    store.execute("CREATE TABLE contract_t (k INTEGER, v TEXT)")


# ------------------------------------------------------------------ transactions
def test_transaction_commits_and_is_durable(engine):
    with engine.open() as store:
        _table(store)
        with store.transaction():
            store.execute("INSERT INTO contract_t VALUES (?, ?)", [1, "a"])
            store.execute("INSERT INTO contract_t VALUES (?, ?)", [2, "b"])
        assert store.query("SELECT k, v FROM contract_t ORDER BY k") == [(1, "a"), (2, "b")]
    if engine.persistent:
        with engine.open(read_only=True) as again:
            assert again.query("SELECT COUNT(*) FROM contract_t") == [(2,)]


def test_transaction_rolls_back_on_error_and_stays_usable(store):
    _table(store)
    with pytest.raises(RuntimeError, match="boom"), store.transaction():
        store.execute("INSERT INTO contract_t VALUES (1, 'a')")
        raise RuntimeError("boom")
    assert store.query("SELECT COUNT(*) FROM contract_t") == [(0,)]
    with store.transaction():
        store.execute("INSERT INTO contract_t VALUES (2, 'b')")
    assert store.query("SELECT k FROM contract_t") == [(2,)]


def test_nested_transaction_joins_the_outer_one(store):
    _table(store)
    with pytest.raises(RuntimeError), store.transaction():
        with store.transaction():
            store.execute("INSERT INTO contract_t VALUES (1, 'inner')")
        assert store.query("SELECT COUNT(*) FROM contract_t") == [(1,)]
        raise RuntimeError("outer fails")
    assert store.query("SELECT COUNT(*) FROM contract_t") == [(0,)]


def test_an_analytic_block_reads_as_any_query_and_leaves_the_store_usable(store):
    _table(store)
    store.execute("INSERT INTO contract_t VALUES (1, 'a')")
    with store.analytic():
        assert store.query("SELECT k, v FROM contract_t") == [(1, "a")]
    with pytest.raises(RuntimeError, match="boom"), store.analytic():
        raise RuntimeError("boom")
    assert store.query("SELECT COUNT(*) FROM contract_t") == [(1,)]


def test_read_each_gives_each_reads_result_in_order(store):
    _table(store)
    store.execute("INSERT INTO contract_t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    assert store.read_each(
        lambda k: store.query("SELECT v FROM contract_t WHERE k = ?", [k])[0][0],
        [3, 1, 2]) == ["c", "a", "b"]


# ------------------------------------------------------------------ query and arrow types
INSTANT = datetime(2026, 4, 30, 16, 30, tzinfo=UTC)  # 2026-05-01 00:30 in Beijing


def test_query_types_and_timestamps_in_beijing_time(store):
    (row,) = store.query(
        "SELECT CAST(? AS TIMESTAMPTZ), CAST(? AS DATE), CAST(? AS BIGINT), "
        "CAST(? AS DOUBLE PRECISION), CAST(? AS BOOLEAN), CAST(NULL AS TEXT), CAST(? AS TEXT)",
        [INSTANT, date(2026, 5, 1), 2**40, 1.5, True, "中文"],
    )
    ts, day, big, real, flag, null, text = row
    assert ts == INSTANT and ts.utcoffset() == timedelta(hours=8)
    assert (ts.year, ts.month, ts.day, ts.hour) == (2026, 5, 1, 0)
    assert day == date(2026, 5, 1) and type(day) is date
    assert big == 2**40 and type(big) is int
    assert real == 1.5 and flag is True and null is None and text == "中文"


def test_months_and_days_are_cut_in_beijing_time(store):
    (month, day), = store.query(
        "SELECT date_trunc('month', CAST(? AS TIMESTAMPTZ)), "
        "CAST(CAST(? AS TIMESTAMPTZ) AS DATE)", [INSTANT, INSTANT])
    assert month == datetime(2026, 5, 1, tzinfo=BEIJING_FIXED)
    assert day == date(2026, 5, 1)


def test_arrow_returns_a_table_with_named_typed_columns(store):
    table = store.arrow(
        "SELECT CAST(? AS TIMESTAMPTZ) AS at, CAST(? AS BIGINT) AS n, CAST(? AS TEXT) AS s",
        [INSTANT, 7, "x"],
    )
    assert isinstance(table, pa.Table)
    assert table.column_names == ["at", "n", "s"]
    at = table.schema.field("at").type
    assert pa.types.is_timestamp(at) and at.tz is not None
    assert table.column("at")[0].as_py() == INSTANT
    assert pa.types.is_integer(table.schema.field("n").type)
    assert table.to_pylist()[0]["n"] == 7 and table.to_pylist()[0]["s"] == "x"


# ------------------------------------------------------------------ staged and append
def test_staged_table_is_readable_inside_the_block_only(store):
    staged = pa.table({"k": pa.array([1, 2, 3], pa.int64()), "v": ["a", "b", "c"]})
    with store.staged("contract_in", staged):
        assert store.query("SELECT SUM(k), MAX(v) FROM contract_in") == [(6, "c")]
    with pytest.raises(Exception):  # noqa: B017 - the engine's own "no such table" error
        store.query("SELECT COUNT(*) FROM contract_in")


def _alarm_rows(n: int, start: int = 0) -> pa.Table:
    ts = pa.timestamp("us", tz="UTC")
    return pa.table({
        "mn": [f"MN{start + i}" for i in range(n)],
        "factor": pa.array(["a21026"] * n, pa.string()),
        "rule": pa.array(["exceedance"] * n, pa.string()),
        "status": pa.array(["open"] * n, pa.string()),
        "opened_at": pa.array([INSTANT] * n, ts),
    })


def test_append_allocates_ids_from_the_tables_sequence(store):
    first = store.append("alarms", _alarm_rows(3))
    second = store.append("alarms", _alarm_rows(2, start=3))
    assert first.type == pa.int64() and second.type == pa.int64()
    ids = first.to_pylist() + second.to_pylist()
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert store.query("SELECT id, mn FROM alarms ORDER BY id") == [
        (i, f"MN{k}") for k, i in enumerate(ids)
    ]
    (opened,) = store.query("SELECT DISTINCT opened_at FROM alarms")[0]
    assert opened == INSTANT


def test_append_keeps_given_ids_and_returns_none_without_a_sequence(store):
    assert store.append("alarms", _alarm_rows(1).add_column(0, "id", pa.array([42]))) is None
    assert store.query("SELECT id FROM alarms") == [(42,)]
    pois = pa.table({"network_version": ["v1"], "name": ["东门"], "kind": ["gate"],
                     "lon": [112.5], "lat": [37.8]})
    assert store.append("road_pois", pois) is None
    assert store.query("SELECT name, lon FROM road_pois") == [("东门", 112.5)]


def test_append_of_no_rows_writes_nothing(store):
    ids = store.append("alarms", _alarm_rows(0))
    assert ids is not None and len(ids) == 0
    assert store.query("SELECT COUNT(*) FROM alarms") == [(0,)]


def test_append_joins_the_callers_transaction(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.append("alarms", _alarm_rows(2))
        raise RuntimeError("roll back")
    assert store.query("SELECT COUNT(*) FROM alarms") == [(0,)]


def test_replace_deletes_rows_with_the_same_key_then_appends(store):
    store.append("alarms", _alarm_rows(3))  # MN0, MN1, MN2
    replacing = _alarm_rows(2, start=1).set_column(  # MN1, MN2 again, now acknowledged
        3, "status", pa.array(["acknowledged"] * 2, pa.string()))
    with store.transaction():
        ids = store.replace("alarms", replacing, key=["mn", "factor"])
    assert ids.type == pa.int64() and len(set(ids.to_pylist())) == 2
    assert store.query("SELECT mn, status FROM alarms ORDER BY mn") == [
        ("MN0", "open"), ("MN1", "acknowledged"), ("MN2", "acknowledged")]
    assert sorted(r[0] for r in store.query("SELECT id FROM alarms WHERE mn <> 'MN0'")) == (
        sorted(ids.to_pylist()))


def test_replace_joins_the_callers_transaction(store):
    store.append("alarms", _alarm_rows(2))
    with pytest.raises(RuntimeError), store.transaction():
        store.replace("alarms", _alarm_rows(2), key=["mn"])
        raise RuntimeError("roll back")
    assert store.query("SELECT COUNT(*) FROM alarms") == [(2,)]
    assert store.replace("alarms", _alarm_rows(0), key=["mn"]).to_pylist() == []
    assert store.query("SELECT COUNT(*) FROM alarms") == [(2,)]


# ------------------------------------------------------------------ schema
def test_schema_version_and_migrations_are_idempotent(engine):
    expected = [(v,) for v in range(1, schema.SCHEMA_VERSION + 1)]
    with engine.open() as store:
        assert store.schema_version() == schema.SCHEMA_VERSION
        store.upgrade_schema()
        store.upgrade_schema()
        assert store.query("SELECT version FROM schema_version ORDER BY version") == expected
        if not engine.persistent:
            return
    with engine.open() as store:
        assert store.query("SELECT version FROM schema_version ORDER BY version") == expected


def test_every_declared_table_exists_and_id_tables_have_an_id(store):
    tables = {r[0] for r in store.query("SELECT table_name FROM information_schema.tables")}
    for table, sequence in schema.id_sequences().items():
        assert table in tables
        assert sequence == f"{table}_id_seq"
        assert store.query(f"SELECT COUNT(id) FROM {table}") == [(0,)]


# ------------------------------------------------------------------ registry repository
def _registry() -> list[RegistryRow]:
    region = dict(province="山西省", province_code="140000", city="太原市", city_code="140100",
                  county="小店区", county_code="140105")
    return [
        RegistryRow(**region, unit_id="91140100MA0GRXYZ1A", unit_name="一厂", outlet_id="DA001",
                    outlet_name="1号排口", kind="gas", mn="MN0001", pw="123456",
                    factors={"a21026": 35.0, "a21002": 50.0}, o2_ref=6.0, standard="GB 13223"),
        RegistryRow(**region, unit_id="91140100MA0GRXYZ1A", unit_name="一厂", outlet_id="DW001",
                    outlet_name="废水", kind="water", mn="MN0002", pw="654321",
                    factors={"w01018": None}, crc_modes=("hj212", "modbus")),
        RegistryRow(**region, unit_id="91140100MA0GRXYZ2B", unit_name="二厂",
                    must_network=False, assessed=False),
    ]


def test_registry_repository_round_trip(engine, store):
    counts = store.upsert_registry(_registry())
    assert counts == ImportCounts(units_new=2, units_updated=0, outlets_new=2,
                                  outlets_updated=0, points_new=2, points_updated=0,
                                  regions_new=3)
    assert store.load_point_auth() == {
        "MN0001": PointAuth("MN0001", "123456", "91140100MA0GRXYZ1A", "gas", ("hj212",)),
        "MN0002": PointAuth("MN0002", "654321", "91140100MA0GRXYZ1A", "water",
                            ("hj212", "modbus")),
    }
    assert store.point_auth("MN0002").crc_modes == ("hj212", "modbus")
    assert store.point_auth("NOPE") is None
    points = {p.mn: p for p in store.list_points()}
    assert points["MN0001"].factors == {"a21002": 50.0, "a21026": 35.0}
    assert points["MN0001"].city_code == "140100" and points["MN0001"].o2_ref == 6.0
    rows = store.registry_rows()
    assert [(r.unit_id, r.mn) for r in rows] == [
        ("91140100MA0GRXYZ1A", "MN0001"), ("91140100MA0GRXYZ1A", "MN0002"),
        ("91140100MA0GRXYZ2B", None),
    ]
    assert rows[1].factors == {"w01018": None} and rows[1].county == "小店区"
    assert rows[2].must_network is False and rows[2].assessed is False

    store.set_crc_modes("MN0001", ("modbus_swapped",))
    assert store.point_auth("MN0001").crc_modes == ("modbus_swapped",)
    with pytest.raises(UnknownPointError):
        store.set_crc_modes("NOPE", ("hj212",))
    exported = store.registry_rows()
    again = store.upsert_registry(exported)  # export → import changes nothing
    assert (again.units_new, again.units_updated, again.points_new, again.points_updated) == (
        0, 2, 0, 2)
    assert store.registry_rows() == exported
    store.upsert_registry(_registry())  # a row without a CRC policy keeps the point's
    assert store.point_auth("MN0001").crc_modes == ("modbus_swapped",)
    assert store.point_auth("MN0002").crc_modes == ("hj212", "modbus")


# ------------------------------------------------------------------ packet log
def test_write_batch_query_records_and_iter_raw_packets(store):
    store.write_batch([raw_row(), raw_row(verdict="rejected")],
                      [record("a21026", avg=10.0), record("a21002", avg=20.0)])
    late = T0 + timedelta(hours=3)
    store.write_batch([raw_row(late)], [record("a21026", avg=99.0, received_at=late)])
    got = store.query_records(MN, "2061", T0, T0 + timedelta(hours=1))
    assert [(g["factor"], g["avg"]) for g in got] == [("a21002", 20.0), ("a21026", 10.0)]
    assert got[0]["data_time"] == T0 and got[0]["data_time"].utcoffset() == timedelta(hours=8)
    packets = list(store.iter_raw_packets())
    assert [p.verdict for p in packets] == ["accepted", "rejected", "accepted"]
    assert [p.id for p in packets] == sorted(p.id for p in packets)
    assert isinstance(packets[0].raw, bytes)
    assert [p.received_at for p in store.iter_raw_packets(start=late)] == [late]
    assert store.raw_counts() == {"accepted": 2, "rejected": 1, "discarded": 0}
    assert store.query("SELECT COUNT(DISTINCT id) FROM records") == [(3,)]


# ------------------------------------------------------------------ read-only
def test_read_only_store_refuses_writes(persistent_engine):
    engine = persistent_engine
    with engine.open() as store:
        store.upsert_registry(_registry())
    with engine.open(read_only=True) as store:
        assert store.read_only
        assert store.schema_version() == schema.SCHEMA_VERSION
        assert len(store.list_points()) == 2
        writes = [
            lambda: store.write_batch([raw_row()], []),
            lambda: store.append("alarms", _alarm_rows(1)),
            lambda: store.transaction(),
            lambda: store.upsert_registry(_registry()),
            lambda: store.set_crc_modes("MN0001", ("hj212",)),
        ]
        for write in writes:
            with pytest.raises(StoreError, match="read-only"):
                write()
        assert store.raw_counts()["accepted"] == 0
