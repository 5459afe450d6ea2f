"""`envmon serve --workers 2`: receiver processes in front of one writer, over real TCP."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from envmon.store import open_store
from tests.ingest.conftest import hour, hourly_packet, upload_client
from tests.ingest.test_durability import (
    answer_one_then_stop,
    free_port,
    registered_db,
    start_server,
)


async def _clients(port: int, n_conn: int, per_conn: int) -> list[int]:
    return await asyncio.gather(*(upload_client(port, k, per_conn) for k in range(n_conn)))


def test_workers_answer_everything_and_drain_on_sigterm(tmp_path):
    db = registered_db(tmp_path)
    port = free_port()
    proc = start_server(db, port, "--workers", "2")
    try:
        counts = asyncio.run(_clients(port, 60, 5))
        bad = asyncio.run(_bad_password(port))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert counts == [5] * 60
    assert bad == b""  # a rejected packet is never answered
    with open_store(db) as store:
        assert store.raw_counts()["accepted"] == 300
        reasons = store.query("SELECT reason FROM raw_packets WHERE verdict = 'rejected'")
        assert [r[0][:3] for r in reasons] == ["PW:"]


async def _bad_password(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(hourly_packet(hour(3), pw="999999"))
    try:
        return await asyncio.wait_for(reader.read(100), 1.0)
    except TimeoutError:
        return b""
    finally:
        writer.close()


def test_workers_answered_means_durable(tmp_path):
    db = registered_db(tmp_path)
    port = free_port()
    proc = start_server(db, port, "--workers", "2")
    try:
        counts = asyncio.run(_clients(port, 10, 3))
        os.kill(proc.pid, signal.SIGKILL)  # the parent (the writer) dies at once
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert counts == [3] * 10
    with open_store(db) as store:
        assert store.raw_counts()["accepted"] == 30


@pytest.mark.parametrize("workers", ["1", "2"])
def test_workers_raise_alarms_where_the_groups_are_committed(tmp_path, workers):
    db = registered_db(tmp_path)
    port = free_port()
    proc = start_server(db, port, "--workers", workers)
    try:
        # SO2 (a21026) corrected 110 mg/m3 against the registry's limit 35: an exceedance.
        answer_one_then_stop(proc, port, hourly_packet(hour(8), so2=100.0,
                                                       qn="20261101090000555"))
    finally:
        if proc.poll() is None:
            proc.kill()
    with open_store(db) as store:
        rows = store.query("SELECT mn, factor, rule FROM alarms")
    assert ("010000A8900016F000169DC0", "a21026", "exceedance") in rows


def test_pool_stop_after_prepare_alone_closes_the_writer_at_once(store):
    from envmon.ingest.workers import ReceiverPool

    pool = ReceiverPool(store, "127.0.0.1", 0, workers=2)

    async def scenario():
        await pool.prepare()
        assert pool.writer.running
        # No worker was started (listen() failed or never ran): nothing to wait 60 s for.
        await asyncio.wait_for(pool.stop(), 5)
        assert not pool.writer.running

    asyncio.run(scenario())
