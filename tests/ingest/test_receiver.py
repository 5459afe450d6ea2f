"""The receiver end to end over real TCP on loopback (HJ 212-2017 §6, Appendix C)."""

from __future__ import annotations

import asyncio

import pytest

from envmon.ingest.server import Receiver, ReceiverLimits
from tests.ingest.conftest import (
    GAS_MN,
    PW,
    WATER_MN,
    hour,
    hourly_packet,
    read_answers,
    upload_client,
)


def run(coro):
    return asyncio.run(coro)


async def started(store, **limits) -> Receiver:
    receiver = Receiver(store, "127.0.0.1", 0, ReceiverLimits(**limits))
    await receiver.start()
    return receiver


def raw_rows(store, verdict: str):
    return store.query(
        "SELECT peer, reason, mn, cn FROM raw_packets WHERE verdict = ? ORDER BY id", [verdict]
    )


def test_upload_is_stored_and_answered_with_same_qn(store):
    async def scenario():
        receiver = await started(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        qn = "20261101090000123"
        writer.write(hourly_packet(hour(8), qn=qn))
        [answer] = await read_answers(reader, 1)
        writer.close()
        await receiver.stop()
        return answer

    answer = run(scenario())
    # 9014 data answer: same QN, ST=91, Flag=4, empty CP (HJ 212-2017 C.17, hj212.md §4).
    assert (answer.cn, answer.qn, answer.st, answer.flag, answer.mn) == (
        "9014", "20261101090000123", "91", 4, GAS_MN)
    rows = store.query_records(GAS_MN, "2061", hour(0), hour(23))
    assert {r["factor"] for r in rows} == {"a21026", "a21002", "a34013"}
    so2 = next(r for r in rows if r["factor"] == "a21026")
    assert so2["avg"] == 12.5 and so2["min"] == 11.5 and so2["max"] == 13.5
    assert so2["flag"] == "N"
    assert so2["data_time"] == hour(8)
    assert so2["received_at"] >= hour(8)
    assert so2["received_at"].utcoffset() is not None


def test_flag_4_is_stored_without_answer(store):
    async def scenario():
        receiver = await started(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(hourly_packet(hour(8), flag=4))
        writer.write(hourly_packet(hour(9), flag=5))  # answered: proves the first was read
        answers = await read_answers(reader, 1)
        writer.close()
        await receiver.stop()
        return answers

    answers = run(scenario())
    assert [a.qn for a in answers] == [hourly_packet(hour(9)).split(b"QN=")[1][:17].decode()]
    assert len(store.query_records(GAS_MN, "2061", hour(0), hour(23))) == 6


@pytest.mark.parametrize(
    ("packet", "reason_start"),
    [
        (hourly_packet(hour(8), pw="654321"), "PW"),
        (hourly_packet(hour(8), mn="FFFF00000000000000000000"), "MN"),
        (hourly_packet(hour(8))[:-6] + b"0000\r\n", "CRC"),
    ],
    ids=["wrong-password", "unknown-mn", "bad-crc"],
)
def test_rejected_packets_are_logged_not_stored_not_answered(store, packet, reason_start):
    async def scenario():
        receiver = await started(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(packet)
        writer.write(hourly_packet(hour(10)))  # a good packet after the bad one
        answers = await read_answers(reader, 1)
        local = writer.get_extra_info("sockname")
        writer.close()
        await receiver.stop()
        return answers, local

    answers, local = run(scenario())
    assert [a.cn for a in answers] == ["9014"]  # only the good packet is answered
    rejected = raw_rows(store, "rejected")
    assert len(rejected) == 1
    peer, reason, _, _ = rejected[0]
    assert reason.startswith(reason_start), reason
    assert peer == f"{local[0]}:{local[1]}"
    rows = store.query_records(GAS_MN, "2061", hour(0), hour(23))
    assert {r["data_time"] for r in rows} == {hour(10)}
    assert store.raw_counts()["accepted"] == 1


def test_stream_split_glued_and_garbage(store):
    packets = [hourly_packet(hour(h), qn=f"2026110100000000{h}") for h in range(1, 4)]
    stream = b"\x00\xffjunk##" + packets[0] + b"garbage" + packets[1] + packets[2]

    async def scenario():
        receiver = await started(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        for i in range(0, len(stream), 7):  # 7-byte writes split every packet
            writer.write(stream[i : i + 7])
            await writer.drain()
            await asyncio.sleep(0)
        answers = await read_answers(reader, 3)
        writer.close()
        await receiver.stop()
        return answers

    answers = run(scenario())
    assert sorted(a.qn for a in answers) == [f"2026110100000000{h}" for h in range(1, 4)]
    assert store.raw_counts()["accepted"] == 3
    assert store.raw_counts().get("discarded", 0) >= 1  # the junk is kept in the raw log


def test_many_concurrent_connections(store):
    n_conn, per_conn = 400, 5

    async def scenario():
        receiver = await started(store)
        counts = await asyncio.gather(
            *(upload_client(receiver.port, k, per_conn) for k in range(n_conn)))
        peak = receiver.stats.connections_total
        await receiver.stop()
        return counts, peak

    counts, peak = run(scenario())
    assert counts == [per_conn] * n_conn
    assert peak == n_conn
    assert store.raw_counts()["accepted"] == n_conn * per_conn


def test_idle_connection_is_closed(store):
    async def scenario():
        receiver = await started(store, idle_timeout_s=0.4)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        data = await asyncio.wait_for(reader.read(100), 5)  # EOF when the server closes
        await receiver.stop()
        return data, receiver.stats.closed_idle

    data, closed = run(scenario())
    assert data == b"" and closed == 1


def test_a_client_trickling_bytes_is_idle_closed(store):
    """A slowloris: one byte every 50 ms, never a complete packet. Only an accepted packet
    counts as activity, so it is closed like a silent client (issue 10)."""
    packet = hourly_packet(hour(1))

    async def scenario():
        receiver = await started(store, idle_timeout_s=0.4)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)

        async def until_closed() -> bytes:  # b"" (or a reset) when the server closes
            try:
                return await reader.read(100)
            except ConnectionError:
                return b""

        closed = asyncio.ensure_future(until_closed())
        sent = 0
        while not closed.done() and sent < len(packet) - 1 and sent < 200:
            writer.write(packet[sent:sent + 1])
            sent += 1
            await asyncio.wait([closed], timeout=0.05)
        data = await asyncio.wait_for(closed, 5)
        writer.close()
        await receiver.stop()
        return data, sent, receiver.stats.closed_idle

    data, sent, closed = run(scenario())
    assert data == b"" and closed == 1
    # Cut off while still trickling (0.4 s idle is about 8 bytes), long before the 200 it
    # would send if the bytes counted as activity.
    assert sent < 100 < len(packet)


def test_flooding_peer_is_cut_off_and_others_are_served(store):
    async def scenario():
        receiver = await started(store, max_garbage_bytes=200_000)
        bad_r, bad_w = await asyncio.open_connection("127.0.0.1", receiver.port)
        good_r, good_w = await asyncio.open_connection("127.0.0.1", receiver.port)
        for _ in range(100):
            bad_w.write(b"x" * 10_000)  # 1 MB with no frame in it
        good_w.write(hourly_packet(hour(5)))
        answers = await read_answers(good_r, 1)
        try:  # closed with unread data in its buffer, so a reset is as good as an EOF
            eof = await asyncio.wait_for(bad_r.read(), 10)
        except ConnectionResetError:
            eof = b""
        await receiver.stop()
        return answers, eof, receiver.stats.closed_abuse

    answers, eof, abused = run(scenario())
    assert [a.cn for a in answers] == ["9014"]
    assert eof == b"" and abused == 1


def test_water_point_and_password_is_per_point(store):
    async def scenario():
        receiver = await started(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(hourly_packet(hour(7), mn=WATER_MN, pw=PW))
        answers = await read_answers(reader, 1)
        writer.close()
        await receiver.stop()
        return answers

    assert [a.mn for a in run(scenario())] == [WATER_MN]


def _with_modbus_crc(packet: bytes) -> bytes:
    """The same packet with a plain CRC-16/MODBUS, as some data-logger firmware prints it
    (hj212.md §4, "Wrong CRCs in the field")."""
    from envmon.hj212.crc import crc16_modbus

    segment = packet[6:-6]
    return packet[:-6] + b"%04X\r\n" % crc16_modbus(segment)


def test_modbus_crc_is_accepted_only_where_the_registry_allows_it(store):
    store.set_crc_modes(GAS_MN, ("hj212", "modbus"))

    async def scenario():
        receiver = await started(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(_with_modbus_crc(hourly_packet(hour(8), mn=GAS_MN, qn="20261101090000001")))
        writer.write(_with_modbus_crc(hourly_packet(hour(8), mn=WATER_MN, qn="20261101090000002")))
        writer.write(hourly_packet(hour(9), mn=WATER_MN, qn="20261101090000003"))
        answers = await read_answers(reader, 2)
        writer.close()
        await receiver.stop()
        return answers

    answers = run(scenario())
    assert sorted(a.qn for a in answers) == ["20261101090000001", "20261101090000003"]
    [(mn, reason)] = store.query(
        "SELECT mn, reason FROM raw_packets WHERE verdict = 'rejected'")
    assert mn == WATER_MN and reason.startswith("CRC")
    assert "MODBUS" in reason  # the operator is told which algorithm the unit uses


def test_time_calibration_request_gets_9013_then_1012(store):
    from envmon.hj212 import codec

    request = codec.build_packet(qn="20261101090000123", st="31", cn="1013", pw=PW, mn=GAS_MN,
                                 flag=5)

    async def scenario():
        receiver = await started(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(request)
        answers = await read_answers(reader, 2)
        writer.close()
        await receiver.stop()
        return answers

    notice, set_time = run(scenario())
    # HJ 212-2017 §6.7 / C.3: the platform answers the notice (9013, same QN), then sets
    # the clock with 1012 SystemTime (a request: Flag=5, new QN).
    assert (notice.cn, notice.qn) == ("9013", "20261101090000123")
    assert set_time.cn == "1012" and set_time.flag == 5 and set_time.qn != notice.qn
    assert len(set_time.items["SystemTime"]) == 14


def test_rejections_are_counted_by_the_field_they_name(store):
    no_time = codec_packet_without_data_time()

    async def scenario():
        receiver = await started(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(hourly_packet(hour(8), pw="654321"))
        writer.write(hourly_packet(hour(8))[:-6] + b"0000\r\n")
        writer.write(no_time)
        writer.write(hourly_packet(hour(10)))  # answered: the three before were read
        await read_answers(reader, 1)
        writer.close()
        await receiver.stop()
        return receiver.stats.as_dict()

    stats = run(scenario())
    assert stats["rejected_by_reason"] == {"PW": 1, "CRC": 1, "DataTime": 1}
    reasons = [r[1] for r in raw_rows(store, "rejected")]
    assert "DataTime: missing in a data upload" in reasons


def codec_packet_without_data_time() -> bytes:
    from envmon.hj212 import codec

    return codec.build_packet(qn="20261101090000124", st="31", cn="2011", pw=PW, mn=GAS_MN,
                              flag=5, cp="RtdInterval=30")


def test_a_unit_that_half_closes_still_gets_its_answers(store):
    """A unit that shuts its sending side after its uploads (shutdown(SHUT_WR)) is answered
    for each of them, then the platform closes: unanswered, it would re-send and duplicate."""
    async def scenario():
        receiver = await started(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        qns = [f"2026110109000012{k}" for k in range(3)]
        for k, qn in enumerate(qns):
            writer.write(hourly_packet(hour(k + 1), qn=qn))
        await writer.drain()
        writer.write_eof()
        answers = await read_answers(reader, 3)
        closed = await asyncio.wait_for(reader.read(), 5.0)  # EOF: the platform closed
        writer.close()
        await receiver.stop()
        return answers, closed

    answers, closed = run(scenario())
    assert sorted(a.qn for a in answers) == [f"2026110109000012{k}" for k in range(3)]
    assert {a.cn for a in answers} == {"9014"} and closed == b""
    assert len(store.query_records(GAS_MN, "2061", hour(0), hour(23))) == 9


def test_a_unit_that_does_not_read_its_answers_is_not_read_either(store):
    """Write backpressure: when the answers to a unit pile up unread (asyncio calls
    pause_writing past the send buffer's high-water mark), the platform stops reading that
    unit, so its sends block in TCP instead of filling memory; resume_writing reads on."""
    async def scenario():
        receiver = await started(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(hourly_packet(hour(1), qn="20261101010000001"))
        await read_answers(reader, 1)
        [connection] = receiver.connections
        connection.pause_writing()
        held = not connection.transport.is_reading()
        writer.write(hourly_packet(hour(2), qn="20261101020000002"))
        await writer.drain()
        connection.resume_writing()
        reading = connection.transport.is_reading()
        [answer] = await read_answers(reader, 1)  # read and answered once resumed
        writer.close()
        await receiver.stop()
        return held, reading, answer

    held, reading, answer = run(scenario())
    assert held and reading
    assert (answer.cn, answer.qn) == ("9014", "20261101020000002")
