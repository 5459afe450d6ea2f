"""`envmon serve --workers 2`: receiver processes in front of one writer, over real TCP."""

from __future__ import annotations

import asyncio
import os
import signal

from envmon.store import open_store
from tests.ingest.conftest import GAS_MN, WATER_MN, hour, hourly_packet, read_answers
from tests.ingest.test_durability import free_port, registered_db, start_server


async def _clients(port: int, n_conn: int, per_conn: int) -> list[int]:
    async def client(k: int) -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        mn = GAS_MN if k % 2 else WATER_MN
        for j in range(per_conn):
            writer.write(hourly_packet(hour(j, day=1 + k % 28), mn=mn,
                                       qn=f"2026110{k:05d}{j:05d}"[:17]))
        answers = await read_answers(reader, per_conn, timeout=30)
        writer.close()
        assert all(a.cn == "9014" for a in answers)
        return len(answers)

    return await asyncio.gather(*(client(k) for k in range(n_conn)))


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
