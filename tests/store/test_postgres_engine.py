"""What the PostgreSQL engine does where the embedded one has nothing to do: temporary tables of
a read-only store, and the connections of threads that ended (a web server's workers)."""

from __future__ import annotations

import threading
import time

import pyarrow as pa

from envmon.store import open_store


def test_a_read_only_store_stages_a_table(pg_url):
    """PostgreSQL refuses CREATE TABLE in a read-only transaction, even a temporary one."""
    open_store(pg_url).close()
    with open_store(pg_url, read_only=True) as store:
        with store.staged("wanted", pa.table({"mn": ["A", "B"]})):
            assert store.query("SELECT COUNT(*) FROM wanted") == [(2,)]
        assert store.query("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'wanted'") == [
            (0,)]


def test_the_connections_of_ended_threads_are_closed(pg_url):
    def count(store) -> int:
        return store.query("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
                           "current_database()")[0][0]

    with open_store(pg_url) as store:
        before = count(store)
        for _ in range(5):  # threads that each open a connection, then end
            worker = threading.Thread(target=lambda: store.query("SELECT 1"))
            worker.start()
            worker.join()
        # this thread's and the last worker's are open: the others were closed when the next
        # worker connected (their server processes end a moment after)
        deadline = time.monotonic() + 10
        while count(store) > before + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count(store) <= before + 1
