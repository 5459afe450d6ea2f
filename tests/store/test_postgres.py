"""What only the PostgreSQL engine does: monthly partitions, several writers on one database,
the URL's password kept out of messages. (The store contract runs on it too: test_contract.)"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from envmon.store import open_store
from envmon.store.postgres_engine import partition_name, sql_for_psycopg
from envmon.timeutil import BEIJING_FIXED

from .conftest import MN, raw_row, record


def test_placeholders_are_translated_outside_literals_and_comments():
    sql = "SELECT '?', \"a?\", ? -- what?\n, 'it''s 5%', 10 % 3 WHERE x = ?"
    assert sql_for_psycopg(sql) == (
        "SELECT '?', \"a?\", %s -- what?\n, 'it''s 5%%', 10 %% 3 WHERE x = %s")


def test_numeric_results_are_numbers_not_decimals(pg_url):
    with open_store(pg_url) as store:
        whole, frac, avg = store.query(
            "SELECT SUM(x), SUM(x) / 4.0, AVG(x) FROM (VALUES (1::BIGINT), (2), (3)) t(x)")[0]
    assert (whole, type(whole)) == (6, int)
    assert (frac, type(frac)) == (1.5, float)
    assert (avg, type(avg)) == (2.0, float)


def test_records_and_raw_packets_go_to_monthly_partitions_made_on_demand(pg_url):
    t_may = datetime(2026, 5, 31, 23, 0, tzinfo=BEIJING_FIXED)  # 15:00 UTC: still May here
    t_jun = datetime(2026, 6, 1, 0, 0, tzinfo=BEIJING_FIXED)
    with open_store(pg_url) as store:
        store.write_batch([raw_row(t_may), raw_row(t_jun)],
                          [record(data_time=t_may, received_at=t_may),
                           record(data_time=t_jun, received_at=t_jun)])
        assert store.partitions("records") == [
            partition_name("records", date(2026, m, 1)) for m in (5, 6)]
        counts = dict(store.query(
            "SELECT tableoid::regclass::text, COUNT(*) FROM records GROUP BY 1"))
        assert counts == {"records_y2026m05": 1, "records_y2026m06": 1}
        raw = dict(store.query(
            "SELECT tableoid::regclass::text, COUNT(*) FROM raw_packets GROUP BY 1"))
        assert raw == {"raw_packets_y2026m05": 1, "raw_packets_y2026m06": 1}


def test_a_month_far_from_today_goes_to_the_default_partition_and_moves_when_made(pg_url):
    old = datetime(1990, 3, 1, 8, tzinfo=BEIJING_FIXED)  # a unit's clock set to 1990
    with open_store(pg_url) as store:
        store.write_batch([], [record(data_time=old)])
        assert store.query("SELECT tableoid::regclass::text FROM records") == [("records_other",)]
        from envmon.store import postgres_engine

        postgres_engine.PARTITION_YEARS, saved = 100, postgres_engine.PARTITION_YEARS
        try:
            assert store.ensure_partitions("records", [date(1990, 3, 1)]) == [
                "records_y1990m03"]
        finally:
            postgres_engine.PARTITION_YEARS = saved
        assert store.query("SELECT tableoid::regclass::text, factor FROM records") == [
            ("records_y1990m03", "a21026")]


def test_detached_partitions_leave_the_table_but_keep_their_rows(pg_url):
    months = [datetime(2026, m, 2, tzinfo=BEIJING_FIXED) for m in (3, 4, 5)]
    with open_store(pg_url) as store:
        store.write_batch([], [record(data_time=t) for t in months])
        assert store.detach_partitions(date(2026, 5, 1)) == [
            "records_y2026m03", "records_y2026m04"]
        assert store.query("SELECT COUNT(*) FROM records")[0][0] == 1
        assert store.query("SELECT COUNT(*) FROM records_y2026m03")[0][0] == 1
    with open_store(pg_url) as later:  # a receiver started after the detach
        later.write_batch([], [record(data_time=months[0], avg=1.0)])  # a late March record
        assert later.query("SELECT tableoid::regclass::text FROM records WHERE avg = 1.0") == [
            ("records_other",)]
        assert later.query("SELECT COUNT(*) FROM records_y2026m03")[0][0] == 1  # untouched


def test_a_point_written_through_another_receiver_is_judged_against_the_store(pg_url):
    """Receiver A stored hours 0-2 of a point; its unit moved to receiver B, which stored
    hours 3-4; back on A, a re-sent hour 3 must be a duplicate and hour 4 with other values a
    conflict — A's memory of the point is behind, so the session start tells it to re-read."""
    t0 = datetime(2026, 5, 1, tzinfo=BEIJING_FIXED)
    hours = [t0 + timedelta(hours=h) for h in range(5)]
    with open_store(pg_url) as a, open_store(pg_url) as b:
        a.write_batch([], [record(data_time=t) for t in hours[:3]])
        b.forget_point(MN)
        b.write_batch([], [record(data_time=t) for t in hours[3:]])
        a.forget_point(MN)  # the unit's session starts on A again
        result = a.write_batch([], [record(data_time=hours[3]),
                                    record(data_time=hours[4], avg=99.0)])
        assert (result.stored, result.duplicates, len(result.conflicts)) == (1, 1, 1)
        assert a.query("SELECT COUNT(*) FROM records WHERE conflict")[0][0] == 1


def test_a_read_only_store_cannot_write_even_by_sql(pg_url):
    with open_store(pg_url, read_only=True) as store, pytest.raises(Exception, match="read-only"):
        store.execute("CREATE TABLE t (x INTEGER)")


def test_a_thread_that_ends_gives_its_connection_back(pg_url):
    import threading

    with open_store(pg_url) as store:
        def work():
            store.query("SELECT 1")

        for _ in range(20):
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
        import gc

        gc.collect()
        open_now = store.query(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()")[0][0]
        assert open_now <= 2, open_now  # this thread's, and at most one not yet collected


@pytest.mark.parametrize("given, shown", [
    ("postgresql://u:pw1@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("postgresql://u@h/db?password=pw1&sslmode=require",
     "postgresql://u@h/db?password=***&sslmode=require"),
    ("postgresql://u:pw1@[::1:5432/db", "postgresql://***"),
])
def test_a_password_is_never_shown(given, shown):
    from envmon.store.postgres_engine import redacted

    assert redacted(given) == shown


def test_keywords_malformed_urls_and_urls_without_a_database_are_refused_without_echo():
    from envmon.store import StoreError

    for target, says in [("host=127.0.0.1 dbname=x password=pw1", "not as keywords"),
                         ("postgresql://u:pw1@[::1:5432/db", "not a PostgreSQL URL"),
                         ("postgresql://u:pw1@127.0.0.1:1", "names no database")]:
        with pytest.raises(StoreError, match=says) as raised:
            open_store(target)
        assert "pw1" not in str(raised.value)
def test_an_analytic_block_plans_for_throughput_and_ends_with_its_settings(pg_url):
    # nested loops over misestimated CTEs took 29.5 s for the 20-point month the hash joins
    # count in 0.2 s; JIT compiled for seconds once they were off (benchmarks: analytic)
    settings = "SELECT current_setting('enable_nestloop'), current_setting('jit'), " \
               "current_setting('work_mem')"
    with open_store(pg_url, read_only=True) as store:
        before = store.query(settings)[0]
        with store.analytic():
            assert store.query(settings)[0] == ("off", "off", "64MB")
        assert store.query(settings)[0] == before
        assert before[:2] == ("on", "on")


def test_records_have_an_index_for_the_assessments_range_of_one_cn(pg_url):
    with open_store(pg_url) as store:
        defs = [row[0] for row in store.query(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'records'")]
    assert any(d.endswith("(cn, data_time)") for d in defs), defs


def test_append_copies_awkward_values_as_they_are(pg_url):
    # `append` writes the rows as CSV through Arrow: quotes, separators, newlines, empty text
    # against NULL, non-finite floats and bytes must come back unchanged
    import math

    import pyarrow as pa

    texts = ['a,"b"\nc', "", None, "\\N", "中文 \t tab"]
    floats = [0.1 + 0.2, float("nan"), float("inf"), None, -1e-300]
    blobs = [b"##\x00\xff,\n", b"", None, b"\\x", bytes(range(256))]
    with open_store(pg_url) as store:
        store.execute("CREATE TABLE awkward (k BIGINT, t TEXT, f DOUBLE PRECISION, b BYTEA, "
                      "ok BOOLEAN, at TIMESTAMPTZ)")
        at = datetime(2026, 5, 1, 0, 30, tzinfo=BEIJING_FIXED)
        store.append("awkward", pa.table({
            "k": list(range(5)), "t": texts, "f": floats, "b": blobs,
            "ok": [True, False, None, True, False],
            "at": pa.array([at, None, at, at, at], pa.timestamp("us", tz="UTC"))}))
        rows = store.query("SELECT t, f, b, ok, at FROM awkward ORDER BY k")
    assert [r[0] for r in rows] == texts
    assert [None if r[2] is None else bytes(r[2]) for r in rows] == blobs
    assert [r[3] for r in rows] == [True, False, None, True, False]
    assert rows[0][4] == at and rows[1][4] is None
    assert rows[0][1] == 0.1 + 0.2 and math.isnan(rows[1][1]) and rows[2][1] == math.inf
    assert rows[3][1] is None and rows[4][1] == -1e-300


def test_read_each_runs_the_reads_at_once_on_connections_of_their_own(pg_url):
    import threading

    both = threading.Barrier(2, timeout=10)  # each read waits for the other: they overlap

    with open_store(pg_url, read_only=True) as store:
        def read(k):
            both.wait()
            return k, store.query("SELECT pg_backend_pid()")[0][0]

        done = store.read_each(read, [1, 2])
        assert [k for k, _ in done] == [1, 2]
        assert done[0][1] != done[1][1]


def test_read_each_inside_a_transaction_reads_on_its_connection(pg_url):
    with open_store(pg_url) as store:
        store.execute("CREATE TABLE seen (k BIGINT)")
        with store.transaction():
            store.execute("INSERT INTO seen VALUES (1)")
            counts = store.read_each(lambda _: store.query("SELECT count(*) FROM seen")[0][0],
                                     [1, 2])
        assert counts == [1, 1]
