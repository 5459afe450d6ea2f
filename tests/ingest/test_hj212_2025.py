"""HJ 212-2025 through the real receiver (issue 16): the Appendix A examples stored, encrypted
packets opened with the key store's keys, a wrong key rejected as `bad_key` with nothing
stored, RF=1 copies that fill a gap and never replace a live copy, the registered version a
deviation and not a rejection, the 2025 uploads and the heartbeat."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.hj212 import codec
from envmon.ingest.keys_api import keys_set
from envmon.ingest.server import Receiver
from envmon.registry.importer import import_rows
from envmon.timeutil import BEIJING_FIXED
from tests.ingest.conftest import GAS_MN, PW, WATER_MN, hour, read_answers, registry_rows

VECTORS = json.loads((Path(__file__).parents[1] / "hj212" / "data" /
                      "hj212_2025_vectors.json").read_text(encoding="utf-8"))
A2_KEY = bytes.fromhex(VECTORS["key_hex"])
A1 = VECTORS["a1"].encode() + b"\r\n"  # the appendix prints the frames without CR LF
A2 = VECTORS["a2_2"].encode() + b"\r\n"
OTHER_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")


@pytest.fixture(autouse=True)
def master_key_next_to_the_store(monkeypatch):
    monkeypatch.delenv("ENVMON_MASTER_KEY_FILE", raising=False)


def packet_2025(data_time: datetime, *, mn: str = GAS_MN, so2: float = 12.5,
                rf: bool = False, key: bytes | None = None, cn: str = "2061",
                qn: str | None = None, factors: dict | None = None, st: str = "31") -> bytes:
    frames = codec.encode_packets(
        st=st, cn=cn, pw=PW, mn=mn, flag=9, qn=qn or codec.make_qn(data_time),
        data_time=data_time, rf=rf, key=key,
        factors=factors or {"a21026": {"Avg": so2, "Flag": "N"}})
    assert len(frames) == 1
    return frames[0]


async def until(condition, deadline_s: float = 5.0) -> None:
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def exchange(port: int, packets: list[bytes], answers: int) -> list:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for packet in packets:
        writer.write(packet)
    got = await read_answers(reader, answers) if answers else []
    writer.close()
    return got


def run_receiver(store, scenario):
    async def main():
        receiver = Receiver(store, "127.0.0.1", 0)
        await receiver.start()
        try:
            return await scenario(receiver)
        finally:
            await receiver.stop()
    return asyncio.run(main())


def test_the_appendix_a_examples_through_the_receiver_store_their_data(store):
    keys_set(store, GAS_MN, A2_KEY)  # A.2: "密钥使用16个0x30"

    async def scenario(receiver):
        return await exchange(receiver.port, [A1, A2], 1)

    answers = run_receiver(store, scenario)
    assert [(a.cn, a.flag, a.qn) for a in answers] == [("9014", 8, "20240520210700000")]
    raw = store.query("SELECT cn, verdict, raw FROM raw_packets ORDER BY id")
    assert [(cn, verdict) for cn, verdict, _ in raw] == [("1011", "accepted"),
                                                          ("2051", "accepted")]
    assert bytes(raw[1][2]) == A2  # the ciphertext as it arrived
    rows = store.query("SELECT factor, avg, resent FROM records WHERE cn = '2051' "
                       "ORDER BY factor")
    assert rows == [("a01011", 1.35, False), ("a01012", 9.3, False), ("a01014", 3.211, False)]


@pytest.mark.parametrize("key, verdict", [(OTHER_KEY, "bad_key"), (None, "no_key")])
def test_a_packet_the_key_does_not_open_is_rejected_and_nothing_stored(store, key, verdict):
    if key is not None:
        keys_set(store, GAS_MN, key)

    async def scenario(receiver):
        await exchange(receiver.port, [A2], 0)
        await until(lambda: receiver.stats.rejected[verdict] == 1)

    run_receiver(store, scenario)
    (reason,), = store.query("SELECT reason FROM raw_packets WHERE verdict = 'rejected'")
    assert verdict in reason
    assert store.query("SELECT COUNT(*) FROM records") == [(0,)]


def test_a_resent_copy_fills_a_gap_and_never_replaces_a_live_one(store, tmp_path):
    keys_set(store, GAS_MN, A2_KEY)
    sent = [
        packet_2025(hour(8), so2=10.0, key=A2_KEY),                # live
        packet_2025(hour(8), so2=99.0, key=A2_KEY, rf=True),       # re-sent, other value
        packet_2025(hour(9), so2=11.0, key=A2_KEY, rf=True),       # re-sent into a gap
        packet_2025(hour(10), so2=77.0, rf=True),                  # re-sent first …
        packet_2025(hour(10), so2=12.0),                           # … the live copy wins
    ]

    async def scenario(receiver):
        return await exchange(receiver.port, sent, len(sent))

    answers = run_receiver(store, scenario)
    assert [a.cn for a in answers] == ["9014"] * 5
    used = store.query("SELECT data_time, avg, resent, copies, conflicts FROM records_first "
                       "WHERE factor = 'a21026' ORDER BY data_time")
    assert [(t.hour, avg, bool(resent), copies, conflicts)
            for t, avg, resent, copies, conflicts in used] == [
        (8, 10.0, False, 2, 1), (9, 11.0, True, 1, 0), (10, 12.0, False, 2, 1)]
    db = store.target
    store.close()
    result = CliRunner().invoke(app, ["data", "--db", db, "--mn", GAS_MN, "--cn", "2061",
                                      "--from", "2026-11-01T08:00", "--to",
                                      "2026-11-01T11:00", "--format", "json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    # `resent` on every record, after the contract's fields
    assert [(r["data_time"][11:13], r["avg"], r["resent"]) for r in printed] == [
        ("08", 10.0, False), ("09", 11.0, True), ("10", 12.0, False)]
    assert {r["st"] for r in printed} == {"31"}  # the pollutant series
    assert {"mn", "cn", "data_time", "factor", "rtd", "avg", "flag", "received_at"} <= set(
        printed[0])


def test_a_packet_of_another_version_than_registered_is_kept_with_a_deviation(tmp_path):
    from envmon.store import open_store

    rows = registry_rows()
    rows[0]["protocol"] = "2017"
    rows[1]["protocol"] = "2025"
    with open_store(tmp_path / "v.duckdb") as store:
        import_rows(store, rows)
        assert {p.mn: p.protocol for p in store.list_points()} == {GAS_MN: "2017",
                                                                   WATER_MN: "2025"}

        async def scenario(receiver):
            water = {"w01018": {"Avg": 20.0, "Flag": "N"}}
            return await exchange(receiver.port, [
                packet_2025(hour(8)),                                   # 2025 from a 2017 unit
                codec.build_packet(qn=codec.make_qn(hour(8)), st="32", cn="2061", pw=PW,
                                   mn=WATER_MN, flag=9,
                                   cp=codec.format_cp(hour(8), factors=water)),
            ], 2)

        answers = run_receiver(store, scenario)
        assert [a.flag for a in answers] == [8, 8]  # each answered in its packet's version
        reasons = dict(store.query("SELECT mn, reason FROM raw_packets WHERE verdict = "
                                   "'accepted'"))
        assert reasons == {GAS_MN: "protocol: HJ 212-2025 packet from a point registered "
                                   "as HJ 212-2017", WATER_MN: None}
        assert store.query("SELECT COUNT(*) FROM records") == [(2,)]
        exported = {r.mn: r.protocol for r in store.registry_rows()}
        assert exported == {GAS_MN: "2017", WATER_MN: "2025"}


def test_a_bad_protocol_in_the_registry_is_named(store):
    rows = registry_rows()
    rows[0]["协议版本"] = "2019"
    del rows[0]["mn"]
    rows[0]["MN"] = GAS_MN
    report = import_rows(store, rows[:1])
    assert [(p.column, p.message) for p in report.rejected] == [
        ("protocol", "'2019' is not one of auto, 2017, 2025")]


def test_the_2025_uploads_st_44_and_the_heartbeat(store):
    t = datetime(2026, 11, 1, 8, 5, tzinfo=BEIJING_FIXED)

    async def scenario(receiver):
        seen = []
        receiver.on_point_online.append(lambda mn, _p: seen.append(mn))
        beat = codec.build_packet(qn="20261101080500001", st="31", cn="9015", pw=PW,
                                  mn=GAS_MN, flag=9)
        answers = await exchange(receiver.port, [
            beat,
            packet_2025(t, cn="2111", factors={"a01901": {"Avg": 830.0, "Flag": "N"}}),
            packet_2025(t, cn="2062", factors={"w01018": {"Avg": 20.1, "Flag": "N"}},
                        mn=WATER_MN, st="32"),
            packet_2025(t, cn="2011", st="44", factors={"e01001": {"Rtd": 3.2}}),
        ], 4)
        return answers, seen

    answers, seen = run_receiver(store, scenario)
    assert [(a.cn, a.qn) for a in answers][0] == ("9014", "20261101080500001")
    assert seen == [GAS_MN, WATER_MN]  # the heartbeat brought the point online
    rows = store.query("SELECT cn, st, factor, COALESCE(avg, rtd) FROM records ORDER BY cn")
    assert rows == [("2011", "44", "e01001", 3.2), ("2062", "32", "w01018", 20.1),
                    ("2111", "31", "a01901", 830.0)]


def test_keys_rotate_sends_1014_and_the_new_key_takes_over_on_the_units_answer(store):
    from envmon.hj212.framing import FrameBuffer
    from envmon.hj212.sm4 import single_key
    from envmon.ingest.keys_api import keys_rotate

    keys_set(store, GAS_MN, A2_KEY)

    async def next_packet(reader, frames, key):
        while True:
            for item in frames.feed(await asyncio.wait_for(reader.read(65536), 5)):
                if isinstance(item, bytes):
                    return codec.decode(item, keys=single_key(key))

    async def scenario(receiver):
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        frames = FrameBuffer()
        writer.write(packet_2025(hour(8), key=A2_KEY))
        assert (await next_packet(reader, frames, A2_KEY)).cn == "9014"
        await receiver.writer.run_in_writer(keys_rotate, store, GAS_MN)
        await receiver.refresh_keys()  # what the periodic refresh does
        request = await next_packet(reader, frames, A2_KEY)  # under the current key
        assert (request.cn, request.flag, request.encrypted) == ("1014", 9, True)
        new_key = bytes.fromhex(request.items["SecretKey"])
        writer.write(codec.answer_9011(request.qn, PW, GAS_MN, 1, 2025))
        writer.write(codec.result_9012(request.qn, PW, GAS_MN, 1, 2025))
        await until(lambda: receiver.rotation.finished)
        writer.write(packet_2025(hour(9), key=new_key))
        answer = await next_packet(reader, frames, new_key)
        writer.close()
        await until(lambda: store_rotated(receiver))
        return answer, new_key

    def store_rotated(receiver):
        return not receiver.rotation._saving

    answer, new_key = run_receiver(store, scenario)
    assert answer.cn == "9014" and new_key != A2_KEY
    assert store.query("SELECT COUNT(*) FROM records WHERE factor = 'a21026'") == [(2,)]
    (rotated, pending), = store.query("SELECT rotated_at, pending FROM sm4_keys")
    assert rotated is not None and pending is None
    actions = [a for (a,) in store.query("SELECT action FROM key_audit ORDER BY happened_at")]
    assert actions == ["set", "rotate_requested", "rotate_done"]


def test_the_transmission_bulletin_gives_the_share_of_data_that_arrived_resent(store):
    sent = [packet_2025(hour(h), so2=10.0 + h, rf=h in (3, 4)) for h in range(5)]
    sent += [packet_2025(hour(3), so2=5.0)]  # a live copy of hour 3: the re-sent one is not used

    async def scenario(receiver):
        return await exchange(receiver.port, sent, len(sent))

    run_receiver(store, scenario)
    db = store.target
    store.close()
    result = CliRunner().invoke(app, ["report", "transmission", "--db", db, "--month",
                                      "2026-11", "--format", "json"])
    assert result.exit_code == 0, result.output
    sentences = json.loads(result.stdout)["bulletin"]["sentences"]
    # hours 0-4 are used: 0-2 live, 3 live (its re-sent copy lost to it), 4 re-sent
    assert ("本期收到的小时数据5条中，补传（HJ 212-2025 RF=1）数据1条，占20.00%；"
            "其中太原市20.00%。") in sentences


def test_envmon_data_says_the_st_of_the_electricity_series(store):
    t = datetime(2026, 11, 1, 8, 5, tzinfo=BEIJING_FIXED)

    async def scenario(receiver):
        return await exchange(receiver.port, [
            packet_2025(t, cn="2011", st="44", factors={"e01001": {"Rtd": 3.2}}),
            packet_2025(t + timedelta(minutes=1), cn="2011", factors={"a21026": {"Rtd": 9.0}}),
        ], 2)

    run_receiver(store, scenario)
    db = store.target
    store.close()
    result = CliRunner().invoke(app, ["data", "--db", db, "--mn", GAS_MN, "--cn", "2011",
                                      "--from", "2026-11-01T08:00", "--to", "2026-11-01T09:00"])
    assert result.exit_code == 0, result.output
    assert [(r["factor"], r["st"]) for r in json.loads(result.stdout)] == [
        ("e01001", "44"), ("a21026", "31")]


def test_envmon_data_csv_and_conflicts_say_which_copy_was_resent(store):
    sent = [packet_2025(hour(8), so2=10.0), packet_2025(hour(8), so2=99.0, rf=True),
            packet_2025(hour(9), so2=11.0, rf=True)]

    async def scenario(receiver):
        return await exchange(receiver.port, sent, len(sent))

    run_receiver(store, scenario)
    db = store.target
    store.close()
    period = ["--from", "2026-11-01T08:00", "--to", "2026-11-01T10:00"]
    result = CliRunner().invoke(app, ["data", "--db", db, "--mn", GAS_MN, *period,
                                      "--format", "csv", "--marks"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["data_time"][11:13], r["avg"], r["resent"], r["st"]) for r in rows] == [
        ("08", "10.0", "False", "31"), ("09", "11.0", "True", "31")]
    result = CliRunner().invoke(app, ["data", "--db", db, "--mn", GAS_MN, *period,
                                      "--conflicts", "--format", "json"])
    assert result.exit_code == 0, result.output
    (conflict,) = json.loads(result.stdout)
    assert conflict["used"]["resent"] is False
    assert [o["resent"] for o in conflict["others"]] == [True]
    table = CliRunner().invoke(app, ["data", "--db", db, "--mn", GAS_MN, *period,
                                     "--conflicts", "--format", "csv"])
    assert [r["resent"] for r in csv.DictReader(io.StringIO(table.stdout))] == ["否", "是"]
    plain = CliRunner().invoke(app, ["data", "--db", db, "--mn", GAS_MN, *period,
                                     "--format", "csv"])  # the columns scripts read
    assert plain.stdout.splitlines()[0].endswith(",flag,received_at")


@pytest.mark.parametrize("reject", [False, True])
def test_a_plaintext_2025_upload_from_an_mn_with_a_key_is_a_recorded_downgrade(store, reject):
    from envmon.ingest.server import ReceiverLimits

    keys_set(store, GAS_MN, A2_KEY)
    sent = [packet_2025(hour(8), so2=10.0),                     # in clear: a downgrade
            packet_2025(hour(9), so2=11.0, key=A2_KEY),          # encrypted: as it should
            packet_2025(hour(10), mn=WATER_MN, st="32", factors={"w01018": {"Avg": 5.0}})]

    async def scenario(receiver):
        receiver.limits.reject_unencrypted = reject
        await exchange(receiver.port, sent, 0)
        await until(lambda: receiver.stats.accepted + sum(receiver.stats.rejected.values())
                    == 3)
        return dict(receiver.stats.rejected)

    async def main():
        receiver = Receiver(store, "127.0.0.1", 0, ReceiverLimits())
        await receiver.start()
        try:
            return await scenario(receiver)
        finally:
            await receiver.stop()

    rejected = asyncio.run(main())
    raw = store.query("SELECT mn, verdict, reason FROM raw_packets ORDER BY id")
    assert [(mn, verdict) for mn, verdict, _ in raw] == [
        (GAS_MN, "rejected" if reject else "accepted"), (GAS_MN, "accepted"),
        (WATER_MN, "accepted")]  # the water point has no key: clear is its normal form
    assert "CP: not_encrypted: HJ 212-2025 CN 2061 in clear" in raw[0][2]
    assert raw[1][2] is None and raw[2][2] is None
    hours = [t.hour for (t,) in store.query(
        "SELECT data_time FROM records WHERE mn = ? ORDER BY data_time", [GAS_MN])]
    assert hours == ([9] if reject else [8, 9])
    assert rejected == ({"not_encrypted": 1} if reject else {})


def test_reject_unencrypted_is_read_from_the_ingest_section(tmp_path):
    from envmon.config import Config, load_config

    path = tmp_path / "envmon.toml"
    path.write_text("[ingest]\nreject_unencrypted = true\n")
    assert load_config(path).ingest.reject_unencrypted is True
    assert Config().ingest.reject_unencrypted is False
