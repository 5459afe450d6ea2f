"""A commit that fails (a full disk) strands no connection, and repeated failures end serve.

Before: when the group commit gave up, its callbacks never ran, so the connections' in-flight
counts never dropped, a connection paused at the in-flight limit was never read again (nor
idle-closed), and the receiver went on accepting what it could not store.

The in-process tests make `write_batch` raise ENOSPC (a real full disk needs root); the serve
test uses a real write failure instead: the process's file-size limit (RLIMIT_FSIZE, which an
unprivileged user may lower and raise on its own processes) is set to the WAL's size, so
DuckDB's next WAL append fails with EFBIG, as a full disk would fail it.
"""

from __future__ import annotations

import asyncio
import errno
import os
import resource
import socket
import threading
import time

import pytest

from envmon.ingest.server import Receiver, ReceiverLimits
from envmon.store import open_store
from tests.ingest.conftest import GAS_MN, hour, hourly_packet, read_answers
from tests.ingest.test_durability import free_port, registered_db, serve_and_wait


class FullDisk:
    """`store.write_batch` raising ENOSPC while `full` is set (on the writer thread)."""

    def __init__(self, store):
        self.full = threading.Event()
        self.refused = 0
        self._write_batch = store.write_batch
        store.write_batch = self.write_batch

    def write_batch(self, raw, records):
        if self.full.is_set():
            self.refused += 1
            raise OSError(errno.ENOSPC, "No space left on device")
        return self._write_batch(raw, records)


async def until(condition, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def qn(k: int) -> str:
    return f"20261101{k:09d}"


async def answered_within(reader, writer, packet_qn: str, packet: bytes) -> float:
    """Send `packet` and wait for its 9014 (earlier answers may come first); seconds taken."""
    sent = time.monotonic()
    writer.write(packet)
    while True:
        [answer] = await read_answers(reader, 1, timeout=5.0)
        if answer.qn == packet_qn:
            return time.monotonic() - sent


def test_a_failed_commit_answers_nothing_and_releases_the_connections(store):
    disk = FullDisk(store)

    async def scenario():
        receiver = Receiver(store, "127.0.0.1", 0,
                            ReceiverLimits(max_inflight=8, max_failed_commits=1000))
        # A short back-off (the rule is the same), long enough to see the pause it holds.
        receiver.writer.retry_delay_s = 0.1
        receiver.writer.max_retry_delay_s = 0.2
        await receiver.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        before = await answered_within(reader, writer, qn(0), hourly_packet(hour(0), qn=qn(0)))

        disk.full.set()
        for k in range(1, 13):  # past the in-flight limit of 8: the connection pauses
            writer.write(hourly_packet(hour(k), qn=qn(k)))
        [connection] = receiver.connections
        await until(lambda: connection.paused, what="the in-flight pause")
        # Every packet read, dropped unanswered, and its slot given back: the pause ended.
        await until(lambda: receiver.writer.dropped_packets == 12, what="12 packets released")
        await until(lambda: connection.inflight == 0, what="in-flight 0")
        stranded = (connection.inflight, connection.paused, connection.transport.is_reading())
        answers_while_full = receiver.stats.answers - 1

        disk.full.clear()  # space is back: the next packet is answered at once
        after = await answered_within(reader, writer, qn(20), hourly_packet(hour(20), qn=qn(20)))
        writer.close()
        await receiver.stop()
        return before, stranded, answers_while_full, after

    before, stranded, answers_while_full, after = asyncio.run(scenario())
    assert disk.refused >= 3  # retried before giving up
    assert stranded == (0, False, True)
    assert answers_while_full == 0
    assert after < 1.0, f"first answer after recovery took {after:.2f} s"
    stored = {r["data_time"] for r in store.query_records(GAS_MN, "2061", hour(0), hour(23))}
    assert stored == {hour(0), hour(20)}  # committed data stays; nothing dropped was stored


def test_workers_release_a_failed_group_unanswered(store):
    """--workers 2: the parent reports the failed group (ok=False) and the worker gives the
    connection its in-flight slots back, so it is read on and answered after recovery."""
    from envmon.ingest.workers import ReceiverPool

    disk = FullDisk(store)

    async def scenario():
        pool = ReceiverPool(store, "127.0.0.1", 0,
                            ReceiverLimits(max_inflight=2, max_failed_commits=1000), workers=2)
        pool.writer.retry_delay_s = 0.01
        pool.writer.max_retry_delay_s = 0.05
        await pool.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", pool.port)
            disk.full.set()
            for k in range(1, 7):  # 6 packets, 2 in flight at a time: read only once released
                writer.write(hourly_packet(hour(k), qn=qn(k)))
            await until(lambda: pool.writer.dropped_packets == 6, timeout=20,
                        what="6 packets released by the worker")
            disk.full.clear()
            after = await answered_within(reader, writer, qn(20),
                                          hourly_packet(hour(20), qn=qn(20)))
            writer.close()
        finally:
            await pool.stop()
        return after

    after = asyncio.run(scenario())
    assert after < 1.0, f"first answer after recovery took {after:.2f} s"
    stored = {r["data_time"] for r in store.query_records(GAS_MN, "2061", hour(0), hour(23))}
    assert stored == {hour(20)}


@pytest.mark.duckdb_only
def test_serve_exits_non_zero_when_the_store_keeps_failing(tmp_path):
    """DuckDB only: it fills the disk under DuckDB's WAL file (RLIMIT_FSIZE); the PostgreSQL
    server's failures are the fault tests'."""
    db = registered_db(tmp_path)
    config = tmp_path / "envmon.toml"
    config.write_text(f'[store]\npath = "{db}"\n[ingest]\nmax_failed_commits = 2\n',
                      encoding="utf-8")
    port = free_port()
    proc = serve_and_wait(port, "--config", str(config), "--hj212-port", str(port),
                          "--host", "127.0.0.1", "--no-backfill")
    try:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.settimeout(10)
        sock.sendall(hourly_packet(hour(1), qn=qn(1)))
        assert b"CN=9014" in sock.recv(4096)  # committed before the disk fills
        wal = f"{db}.wal"
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        # The disk is "full": the WAL cannot grow (the process's stdout is a pipe, untouched).
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (os.path.getsize(wal), hard))
        sock.settimeout(0.2)
        answers = b""
        deadline = time.monotonic() + 30
        k = 2
        while proc.poll() is None and time.monotonic() < deadline:
            try:  # keep a unit sending, so that groups keep failing
                sock.sendall(hourly_packet(hour(k % 24), qn=qn(k)))
                answers += sock.recv(4096)
            except TimeoutError:
                pass
            except OSError:  # the receiver closed the connection as it stopped
                break
            k += 1
        code = proc.wait(30)
        output = proc.stdout.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 75, output
    assert answers == b""  # nothing that failed was answered
    line = " ".join(output.split())
    assert "error: store write failed" in line and "stopping so a supervisor can restart" in line
    assert "Traceback" not in output
    with open_store(db) as store:  # committed data stays
        rows = store.query_records(GAS_MN, "2061", hour(0), hour(23))
        assert {r["data_time"] for r in rows} == {hour(1)}
