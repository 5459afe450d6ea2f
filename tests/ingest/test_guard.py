"""Who speaks for an MN (ingest.guard), over real loopback TCP against a Receiver.

The unit connects from 127.0.0.1, the attacker from 127.0.0.2 (Linux answers the whole
127.0.0.0/8 on loopback), so "another address" is real.
"""

from __future__ import annotations

import asyncio
import json
import time

from typer.testing import CliRunner

from envmon.ingest.guard import GuardSettings
from envmon.ingest.server import Receiver, ReceiverLimits
from envmon.registry.importer import import_rows
from envmon.store import open_store
from tests.ingest.conftest import GAS_MN, hour, hourly_packet, read_answers, registry_rows

UNIT, ATTACKER = "127.0.0.1", "127.0.0.2"


async def started(store, **guard) -> Receiver:
    receiver = Receiver(store, "127.0.0.1", 0, ReceiverLimits(guard=GuardSettings(**guard)))
    await receiver.start()
    return receiver


async def connect(receiver: Receiver, source: str):
    return await asyncio.open_connection("127.0.0.1", receiver.port, local_addr=(source, 0))


async def upload(receiver: Receiver, source: str, h: int = 8, *, rejected: bool = False,
                 **packet) -> list:
    """One upload from `source` on a new connection: its answers (none when refused). With
    `rejected`, wait for the receiver to count the rejection instead of for a timeout."""
    before = sum(receiver.stats.rejected.values())
    reader, writer = await connect(receiver, source)
    try:
        writer.write(hourly_packet(hour(h), **packet))
        if rejected:
            deadline = time.monotonic() + 5
            while sum(receiver.stats.rejected.values()) == before:
                assert time.monotonic() < deadline, "the packet was never judged"
                await asyncio.sleep(0.005)
        try:
            return await read_answers(reader, 1, timeout=0.2 if rejected else 5)
        except (TimeoutError, ConnectionError):
            return []
    finally:
        writer.close()


async def closed_by_receiver(reader: asyncio.StreamReader, timeout: float = 5) -> bool:
    """Read until the receiver closes; False if it answered something instead."""
    try:
        data = await asyncio.wait_for(reader.read(65536), timeout)
    except ConnectionError:
        return True
    return data == b""


def pw_rejections(store, address: str) -> int:
    return store.query("SELECT count(*) FROM raw_packets WHERE verdict = 'rejected' AND "
                       "reason LIKE 'PW:%' AND peer LIKE ?", [address + ":%"])[0][0]


def test_brute_force_is_locked_out_but_the_unit_keeps_its_usual_address(store):
    async def scenario():
        receiver = await started(store, backoff_base_s=0.01, backoff_max_s=0.02,
                                 lockout_failures=5)
        assert [a.cn for a in await upload(receiver, UNIT, 1)] == ["9014"]  # usual address
        reader, writer = await connect(receiver, ATTACKER)
        guesses = [hourly_packet(hour(2), pw=f"{k:06d}") for k in range(30)]
        writer.write(b"".join(guesses) + hourly_packet(hour(2)))  # the right one comes last
        assert await closed_by_receiver(reader)  # locked after 5: nothing answered
        writer.close()
        right_from_attacker = await upload(receiver, ATTACKER, 3)
        right_from_unit = await upload(receiver, UNIT, 4)
        await receiver.stop()
        return right_from_attacker, right_from_unit

    right_from_attacker, right_from_unit = asyncio.run(scenario())
    assert pw_rejections(store, ATTACKER) == 5  # the 25 guesses after the lockout never judged
    assert right_from_attacker == []  # the right password from a locked address is refused
    assert [a.cn for a in right_from_unit] == ["9014"]  # the unit's own address still works


def test_guesses_on_one_connection_are_answered_one_by_one(store):
    """Ten wrong guesses then the right one, pipelined: the right one's 9014 comes only after
    the ten back-offs (old receiver: all judged at once, 9014 within milliseconds)."""
    base = 0.05

    async def scenario():
        receiver = await started(store, backoff_base_s=base, backoff_max_s=base,
                                 lockout_failures=100, mn_lockout_failures=100)
        reader, writer = await connect(receiver, ATTACKER)
        t0 = time.monotonic()
        writer.write(b"".join(hourly_packet(hour(2), pw=f"{k:06d}") for k in range(10))
                     + hourly_packet(hour(2)))
        answers = await read_answers(reader, 1, timeout=10)
        elapsed = time.monotonic() - t0
        writer.close()
        await receiver.stop()
        return answers, elapsed

    answers, elapsed = asyncio.run(scenario())
    assert [a.cn for a in answers] == ["9014"]
    assert elapsed >= 10 * base * 0.9  # at most one guess judged per back-off
    assert pw_rejections(store, ATTACKER) / elapsed <= 1 / (base * 0.9)


def test_a_spoofer_cannot_take_the_mn_from_its_live_connection(store):
    async def scenario():
        receiver = await started(store)
        onlines: list[tuple[str, str]] = []
        receiver.on_point_online.append(lambda mn, protocol: onlines.append((mn, protocol.ip)))
        reader, writer = await connect(receiver, UNIT)
        writer.write(hourly_packet(hour(1)))
        assert [a.cn for a in await read_answers(reader, 1)] == ["9014"]
        # The right password, from another address:
        spoofed = await upload(receiver, ATTACKER, 2, rejected=True)
        live = receiver.online[GAS_MN]
        writer.write(hourly_packet(hour(3)))  # the unit goes on being answered
        later = await read_answers(reader, 1)
        writer.close()
        await receiver.stop()
        return spoofed, live.ip, later, onlines

    spoofed, live_ip, later, onlines = asyncio.run(scenario())
    assert spoofed == []
    assert live_ip == UNIT  # back-fill requests (receiver.online) still go to the unit
    assert onlines == [(GAS_MN, UNIT)]  # no "back online" for the spoofer
    assert [a.cn for a in later] == ["9014"]
    [(reason,)] = store.query("SELECT reason FROM raw_packets WHERE verdict = 'rejected'")
    assert reason.startswith(f"MN: {GAS_MN} is already connected from {UNIT}:")


def test_one_connection_speaks_for_at_most_max_mns(store):
    from tests.ingest.conftest import WATER_MN

    async def scenario():
        receiver = await started(store, max_mns_per_connection=1)
        reader, writer = await connect(receiver, UNIT)
        writer.write(hourly_packet(hour(1)) + hourly_packet(hour(1), mn=WATER_MN)
                     + hourly_packet(hour(2)))
        answers = await read_answers(reader, 2)
        writer.close()
        await receiver.stop()
        return answers

    assert [a.mn for a in asyncio.run(scenario())] == [GAS_MN, GAS_MN]
    [(reason,)] = store.query("SELECT reason FROM raw_packets WHERE verdict = 'rejected'")
    assert reason.startswith("MN: this connection already speaks for 1 MNs")


def test_an_address_outside_the_allow_list_is_rejected(store):
    rows = registry_rows()
    rows[0] = {**rows[0], "allow_networks": "127.0.0.1/32;10.0.0.0/8"}
    import_rows(store, rows)
    assert store.point_auth(GAS_MN).allow_networks == ("127.0.0.1/32", "10.0.0.0/8")

    async def scenario():
        receiver = await started(store)
        outside = await upload(receiver, ATTACKER, 1, rejected=True)
        inside = await upload(receiver, UNIT, 2)
        await receiver.stop()
        return outside, inside

    outside, inside = asyncio.run(scenario())
    assert outside == [] and [a.cn for a in inside] == ["9014"]
    [(reason,)] = store.query("SELECT reason FROM raw_packets WHERE verdict = 'rejected'")
    assert reason == f"peer: {ATTACKER} is outside the networks allowed for MN {GAS_MN}"


def test_lockouts_survive_a_restart_are_listed_and_can_be_lifted(tmp_path):
    path = tmp_path / "envmon.duckdb"
    settings = {"backoff_base_s": 0.01, "backoff_max_s": 0.02, "lockout_failures": 3}

    async def lock_out(store):
        receiver = await started(store, **settings)
        assert [a.cn for a in await upload(receiver, UNIT, 1)] == ["9014"]
        reader, writer = await connect(receiver, ATTACKER)
        writer.write(b"".join(hourly_packet(hour(2), pw=f"{k:06d}") for k in range(5)))
        assert await closed_by_receiver(reader)
        writer.close()
        await receiver.stop()

    async def after_restart(store):
        receiver = await started(store, **settings)
        refused = await upload(receiver, ATTACKER, 3)
        return receiver, refused

    with open_store(path) as store:
        import_rows(store, registry_rows())
        asyncio.run(lock_out(store))

    runner = CliRunner()
    from envmon.cli import app

    listed = runner.invoke(app, ["receiver", "lockouts", "--db", str(path), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    report = json.loads(listed.output)
    assert [(lock["address"], lock["failures"]) for lock in report["lockouts"]] == [(ATTACKER, 3)]
    assert [(u["mn"], u["address"]) for u in report["usual_addresses"]] == [(GAS_MN, UNIT)]

    async def lifted_while_running(store):
        receiver, refused = await after_restart(store)
        from envmon.ingest.api import LockoutOptions, guard_report

        # What `--unlock` does from another process (PostgreSQL) or before the start (DuckDB):
        result = await receiver.writer.run_in_writer(
            guard_report, store, LockoutOptions(unlock=ATTACKER))
        await receiver.refresh_points()  # the registry refresh picks the lift up
        accepted = await upload(receiver, ATTACKER, 4)
        await receiver.stop()
        return refused, result, accepted

    with open_store(path) as store:
        refused, result, accepted = asyncio.run(lifted_while_running(store))
    assert refused == []  # still locked after the restart
    assert [lock.address for lock in result.lifted] == [ATTACKER] and not result.lockouts
    assert [a.cn for a in accepted] == ["9014"]

    listed = runner.invoke(app, ["receiver", "lockouts", "--db", str(path), "--format", "json"])
    assert json.loads(listed.output)["lockouts"] == []


def test_a_forger_at_a_new_address_does_not_beat_the_unit_from_its_usual_one(store):
    """The guard decides provenance: the forger holds the cleartext password and uploads hour
    8 first, while the unit is offline; the unit's own copy, from the address it used
    before, is the one the figures use, and the forged one is kept as a conflict."""

    async def scenario():
        receiver = await started(store)
        assert [a.cn for a in await upload(receiver, UNIT, 1)] == ["9014"]  # learned as usual
        forged = await upload(receiver, ATTACKER, 8, so2=0.1, qn="20261101090000003")
        real = await upload(receiver, UNIT, 8, so2=500.0, qn="20261101090000004")
        await receiver.stop()
        return forged, real

    forged, real = asyncio.run(scenario())
    assert [a.cn for a in forged] == [a.cn for a in real] == ["9014"]  # both stored
    (so2,) = [r for r in store.query_records(GAS_MN, "2061", hour(0), hour(23))
              if r["factor"] == "a21026" and r["data_time"] == hour(8)]
    assert so2["avg"] == 500.0
    copies = store.query("SELECT avg, trusted, peer FROM records WHERE factor = 'a21026' "
                         "AND data_time = ? ORDER BY received_at", [hour(8)])
    assert [(avg, trusted, peer.split(":")[0]) for avg, trusted, peer in copies] == [
        (0.1, False, ATTACKER), (500.0, True, UNIT)]


def test_a_forger_cannot_make_its_address_usual_with_one_accepted_packet(store):
    """The forger holds the cleartext password: one accepted upload while the unit is
    offline must not make its address one of the MN's usual ones, or its next connection's
    forged copy (sent before the real upload) would be trusted and win (old receiver: it did,
    the figures used 0.1)."""

    async def scenario():
        receiver = await started(store)
        assert [a.cn for a in await upload(receiver, UNIT, 1)] == ["9014"]  # learned as usual
        assert [a.cn for a in await upload(receiver, ATTACKER, 7)] == ["9014"]
        forged = await upload(receiver, ATTACKER, 8, so2=0.1, qn="20261101090000003")
        real = await upload(receiver, UNIT, 8, so2=500.0, qn="20261101090000004")
        usual = set(receiver.guard.usual[GAS_MN])
        await receiver.stop()
        return forged, real, usual

    forged, real, usual = asyncio.run(scenario())
    assert [a.cn for a in forged] == [a.cn for a in real] == ["9014"]
    assert usual == {UNIT}
    (so2,) = [r for r in store.query_records(GAS_MN, "2061", hour(0), hour(23))
              if r["factor"] == "a21026" and r["data_time"] == hour(8)]
    assert so2["avg"] == 500.0


def test_a_new_address_is_learned_after_holding_the_mn_for_learn_after_s(store):
    """A unit whose address changed (a mobile APN) is learned once it has been the MN's live
    connection for `learn_after_s`; from then on its copies are trusted."""

    async def scenario():
        receiver = await started(store, learn_after_s=0.05)
        assert [a.cn for a in await upload(receiver, UNIT, 1)] == ["9014"]
        reader, writer = await connect(receiver, ATTACKER)  # the unit's new address
        writer.write(hourly_packet(hour(2)))
        assert [a.cn for a in await read_answers(reader, 1)] == ["9014"]
        protocol = receiver.online[GAS_MN]
        before = protocol.trusted_for[GAS_MN]
        deadline = time.monotonic() + 5
        while time.monotonic() - protocol.claimed_at[GAS_MN] < 0.05:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        writer.write(hourly_packet(hour(3)))
        assert [a.cn for a in await read_answers(reader, 1)] == ["9014"]
        after = protocol.trusted_for[GAS_MN]
        usual = set(receiver.guard.usual[GAS_MN])
        writer.close()
        await receiver.stop()
        return before, after, usual

    before, after, usual = asyncio.run(scenario())
    assert (before, after) == (False, True)
    assert usual == {UNIT, ATTACKER}
    [(trusted,)] = store.query("SELECT DISTINCT trusted FROM records WHERE data_time = ?",
                               [hour(3)])
    assert trusted is True



def test_a_unit_taking_its_mn_back_from_its_usual_address_leaves_the_spoofer_nothing(store):
    """The spoofer spoke for the MN while the unit was offline; once the unit is back from its
    usual address, the spoofer's old connection no longer speaks for the MN (old receiver:
    it kept it and went on being answered)."""

    async def scenario():
        receiver = await started(store)
        assert [a.cn for a in await upload(receiver, UNIT, 1)] == ["9014"]
        s_reader, s_writer = await connect(receiver, ATTACKER)
        s_writer.write(hourly_packet(hour(2)))
        assert [a.cn for a in await read_answers(s_reader, 1)] == ["9014"]
        u_reader, u_writer = await connect(receiver, UNIT)
        u_writer.write(hourly_packet(hour(3)))
        assert [a.cn for a in await read_answers(u_reader, 1)] == ["9014"]
        before = sum(receiver.stats.rejected.values())
        s_writer.write(hourly_packet(hour(4)))
        deadline = time.monotonic() + 5
        while sum(receiver.stats.rejected.values()) == before:
            assert time.monotonic() < deadline, "the spoofer's packet was answered"
            await asyncio.sleep(0.005)
        live = receiver.online[GAS_MN].ip
        for w in (s_writer, u_writer):
            w.close()
        await receiver.stop()
        return live

    assert asyncio.run(scenario()) == UNIT
    [(reason,)] = store.query("SELECT reason FROM raw_packets WHERE verdict = 'rejected'")
    assert reason.startswith(f"MN: {GAS_MN} is already connected from {UNIT}:")
    assert store.query("SELECT count(*) FROM records WHERE data_time = ?", [hour(4)]) == [(0,)]


def test_guessing_from_many_addresses_keeps_the_tracked_failures_bounded(monkeypatch):
    """Wrong passwords from more addresses than MAX_TRACKED within the window (an IPv6
    prefix): the least recently failed are forgotten (old guard: it kept every address still
    in the window and scanned them all on each guess)."""
    from envmon.ingest import guard as guard_module

    monkeypatch.setattr(guard_module, "MAX_TRACKED", 100)
    guard = guard_module.Guard(GuardSettings(lockout_failures=3))
    for k in range(1000):
        guard.wrong_password(f"2001:db8::{k:x}", GAS_MN, None)
    assert len(guard._address_failures) <= 100
    guard.wrong_password("2001:db8::3e7", GAS_MN, None)  # a recent one is still counted
    assert len(guard._address_failures["2001:db8::3e7"]) == 2


def test_a_replica_judges_trust_as_the_receiver_did(store, tmp_path):
    """`envmon replay --into` re-judges each copy's provenance from the source's usual
    addresses at receipt: the forger's copy stays untrusted in the replica and the unit's
    own value is the one its figures use."""
    from envmon.ingest.replay import replay_into

    async def scenario():
        receiver = await started(store)
        await upload(receiver, UNIT, 1)
        await upload(receiver, ATTACKER, 8, so2=0.1, qn="20261101090000003")
        await upload(receiver, UNIT, 8, so2=500.0, qn="20261101090000004")
        await receiver.stop()

    asyncio.run(scenario())
    with open_store(tmp_path / "replica.duckdb") as replica:
        import_rows(replica, registry_rows())
        replay_into(store, replica, window=None)
        copies = replica.query("SELECT avg, trusted FROM records WHERE factor = 'a21026' "
                               "AND data_time = ? ORDER BY received_at", [hour(8)])
        (so2,) = [r for r in replica.query_records(GAS_MN, "2061", hour(0), hour(23))
                  if r["factor"] == "a21026" and r["data_time"] == hour(8)]
    assert copies == [(0.1, False), (500.0, True)]
    assert so2["avg"] == 500.0


def test_a_rejected_packets_fields_are_cut_short_in_the_log(store, caplog):
    """An MN and a QN of 4 000 characters each made a receiver log line of 8 KB."""
    from envmon.hj212 import codec

    async def scenario():
        receiver = await started(store)
        packet = codec.build_packet(qn="9" * 4000, st="31", cn="2061", pw="123456",
                                    mn="M" * 4000, flag=5, cp="DataTime=20261101080000")
        reader, writer = await connect(receiver, ATTACKER)
        writer.write(packet)
        deadline = time.monotonic() + 5
        while not receiver.stats.rejected:
            assert time.monotonic() < deadline, "the packet was never judged"
            await asyncio.sleep(0.005)
        writer.close()
        await receiver.stop()

    with caplog.at_level("WARNING", logger="envmon.ingest"):
        asyncio.run(scenario())
    lines = [r.getMessage() for r in caplog.records if "rejected packet" in r.getMessage()]
    assert lines and max(len(line) for line in lines) < 600


def test_a_shared_local_address_is_never_locked_out_as_a_whole(store):
    """Units behind a local TLS terminator (or the demo's simulated units) share 127.0.0.1:
    one unit's wrong passwords back it off but never refuse the others' MNs there."""
    from tests.ingest.conftest import WATER_MN

    async def scenario():
        receiver = await started(store, backoff_base_s=0.001, backoff_max_s=0.002,
                                 lockout_failures=3)
        for k in range(6):
            await upload(receiver, UNIT, 1, pw=f"{k:06d}", rejected=True)
        other = await upload(receiver, UNIT, 2, mn=WATER_MN)  # never seen before
        guesses = [await upload(receiver, ATTACKER, 3, mn=WATER_MN, pw=f"{k:06d}",
                                rejected=True) for k in range(3)]
        locked = await upload(receiver, ATTACKER, 4, mn=WATER_MN)
        await receiver.stop()
        return other, guesses, locked

    other, guesses, locked = asyncio.run(scenario())
    assert [a.cn for a in other] == ["9014"]
    assert guesses == [[], [], []] and locked == []  # 127.0.0.2 is not exempt: locked
