"""Replays and forgeries over real TCP (issue 10, finding 7): a re-sent packet is answered but
its records are not stored again; a forged first copy does not win over the unit's own, both
copies are listed by `envmon data --conflicts` and the `conflict` alarm is raised."""

from __future__ import annotations

import asyncio
import json
import signal

from typer.testing import CliRunner

from envmon.alarms import AlarmEngine
from envmon.cli import app
from envmon.ingest.replay import replay_into, replay_tcp
from envmon.ingest.server import Receiver
from envmon.registry.importer import import_rows
from envmon.store import open_store
from tests.ingest.conftest import GAS_MN, hour, hourly_packet, read_answers, registry_rows
from tests.ingest.test_durability import free_port, registered_db, start_server


def n_records(store) -> int:
    return store.query("SELECT COUNT(*) FROM records")[0][0]


async def send(port: int, *packets: bytes) -> list:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for packet in packets:
        writer.write(packet)
    answers = await read_answers(reader, len(packets))
    writer.close()
    return answers


def test_a_replayed_packet_is_answered_and_not_stored_twice(store):
    packet = hourly_packet(hour(8), qn="20261101090000001")

    async def scenario():
        receiver = Receiver(store, "127.0.0.1", 0)
        await receiver.start()
        answers = await send(receiver.port, packet, packet)
        answers += await send(receiver.port, packet)  # another connection, later
        # the raw log sent back to the receiver (`envmon replay --host`): answered, no record
        log = list(store.iter_raw_packets())
        counts = await replay_tcp(log, "127.0.0.1", receiver.port)
        await receiver.stop()
        return answers, counts, receiver.writer

    answers, counts, writer = asyncio.run(scenario())
    assert [(a.cn, a.qn) for a in answers] == [("9014", "20261101090000001")] * 3
    assert counts == {"sent": 3, "answered": 3}
    assert n_records(store) == 3  # three factors, once
    assert store.raw_counts()["accepted"] == 6  # every packet in the raw log
    assert (writer.duplicate_records, writer.conflicting_records) == (15, 0)


def test_replaying_a_log_twice_into_a_store_adds_no_record(store, tmp_path):
    store.write_batch([], [])
    from envmon.store import RawPacketRow

    rows = [RawPacketRow(hour(9), "1.2.3.4:5", "accepted", None, GAS_MN, "2061", None,
                         hourly_packet(hour(h))) for h in range(3)]
    store.write_batch(rows, [])
    with open_store(tmp_path / "rebuilt.duckdb") as target:
        import_rows(target, registry_rows())
        assert replay_into(store, target) == {"accepted": 3}
        assert replay_into(store, target) == {"accepted": 3, "duplicates": 9}
        assert n_records(target) == 9
        assert target.query("SELECT DISTINCT peer FROM records") == [("1.2.3.4:5",)]


def forgery(store, forger_first: bool):
    """A forger (right password, not the unit's usual address) and the unit send hour 8."""

    async def scenario():
        receiver = Receiver(store, "127.0.0.1", 0)
        usual: set[str] = set()
        receiver.trusted = lambda protocol, packet: protocol.peer in usual
        engine = AlarmEngine(store)
        engine.attach(receiver)
        await receiver.start()
        await engine.start()
        unit_r, unit_w = await asyncio.open_connection("127.0.0.1", receiver.port)
        host, port = unit_w.get_extra_info("sockname")[:2]
        usual.add(f"{host}:{port}")
        real = hourly_packet(hour(8), so2=500.0, qn="20261101090000002")
        forged = hourly_packet(hour(8), so2=0.1, qn="20261101090000003")
        if forger_first:
            await send(receiver.port, forged)
        unit_w.write(real)
        [answer] = await read_answers(unit_r, 1)
        if not forger_first:
            await send(receiver.port, forged)
        unit_w.close()
        await engine.stop()
        await receiver.stop()
        return answer

    answer = asyncio.run(scenario())
    assert answer.cn == "9014"
    (so2,) = [r for r in store.query_records(GAS_MN, "2061", hour(0), hour(23))
              if r["factor"] == "a21026"]
    alarms = store.query("SELECT factor, rule, data_time, value, detail FROM alarms "
                         "WHERE rule = 'conflict'")
    return so2, alarms


def test_a_forged_first_copy_does_not_win(store):
    so2, alarms = forgery(store, forger_first=True)
    assert so2["avg"] == 500.0
    [(factor, rule, data_time, value, detail)] = [a for a in alarms if a[0] == "a21026"]
    assert (rule, data_time, value) == ("conflict", hour(8), 500.0)
    assert "Avg=0.1" in detail and "Avg=500" in detail and "非常用地址" in detail


def test_a_forged_later_copy_does_not_win(store):
    so2, alarms = forgery(store, forger_first=False)
    assert so2["avg"] == 500.0
    assert {a[0] for a in alarms} == {"a21026"}  # only SO2 differs; one open alarm
    assert alarms[0][3] == 0.1


def test_envmon_data_conflicts_lists_both_copies(store, tmp_path):
    forgery(store, forger_first=True)
    store.close()
    args = ["data", "--db", str(tmp_path / "envmon.duckdb"), "--conflicts", "--mn", GAS_MN,
            "--cn", "2061", "--from", "2026-11-01T00:00", "--to", "2026-11-02T00:00"]
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    [conflict] = json.loads(result.stdout)
    assert (conflict["data_time"], conflict["factor"], conflict["copies"]) == (
        "2026-11-01T08:00:00+08:00", "a21026", 2)
    assert conflict["differs"] == ["avg", "min", "max", "zs_avg"]
    used, [other] = conflict["used"], conflict["others"]
    assert (used["avg"], used["trusted"], other["avg"], other["trusted"]) == (
        500.0, True, 0.1, False)
    assert used["peer"] != other["peer"] and used["peer"].startswith("127.0.0.1:")
    assert other["received_at"] < used["received_at"]  # the forger came first, and lost
    table = CliRunner().invoke(app, [*args, "--format", "table"])
    assert table.exit_code == 0, table.output
    assert other["peer"] in table.stdout and "avg,min,max,zs_avg" in table.stdout


def test_receiver_workers_do_not_store_a_replay_twice(tmp_path):
    db = registered_db(tmp_path)
    port = free_port()
    proc = start_server(db, port, "--workers", "2", "--no-backfill")
    packet = hourly_packet(hour(8), qn="20261101090000004")
    try:
        answers = asyncio.run(send(port, packet, packet))
        answers += asyncio.run(send(port, packet))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [a.cn for a in answers] == ["9014"] * 3
    with open_store(db) as store:
        assert store.raw_counts()["accepted"] == 3
        assert n_records(store) == 3
