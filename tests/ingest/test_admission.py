"""Admission control against anonymous denial of service (issue 10, findings 1, 4 and 5).

Attackers connect from other loopback addresses (127.0.0.2 …, all on `lo` under Linux) than
the honest units, since the limits are per source address.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from envmon.ingest.admission import AdmissionSettings
from envmon.ingest.guard import GuardSettings
from envmon.ingest.server import Receiver, ReceiverLimits
from envmon.registry.importer import import_rows
from envmon.store import open_store
from tests.ingest.conftest import (
    GAS_MN,
    WATER_MN,
    hour,
    hourly_packet,
    read_answers,
    registry_rows,
)

ATTACKER = "127.0.0.2"
REPO = Path(__file__).resolve().parents[2]


def run(coro):
    return asyncio.run(coro)


async def started(store, admission: AdmissionSettings | None = None, **limits) -> Receiver:
    limits.setdefault("admission", admission or AdmissionSettings(exempt_networks=()))
    receiver = Receiver(store, "127.0.0.1", 0, ReceiverLimits(**limits))
    await receiver.start()
    return receiver


async def connect(port: int, source: str = "127.0.0.1"):
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def garbage_attacker(port: int, source: str, budget: int, seed: int,
                           sent: list[int]) -> None:
    """Random bytes, reconnecting whenever the receiver closes the connection, until
    `budget` bytes are sent or the task is cancelled; adds what it sent to `sent[0]`."""
    rng = random.Random(seed)
    mine = 0
    while mine < budget:
        try:
            _, writer = await connect(port, source)
            while mine < budget:
                writer.write(rng.randbytes(64 * 1024))
                await writer.drain()
                mine += 64 * 1024
                sent[0] += 64 * 1024
        except (ConnectionError, OSError):
            await asyncio.sleep(0.01)  # refused or reset: the attacker comes straight back


async def honest_unit(port: int, k: int, n: int, latencies: list[float]) -> int:
    """Closed loop, as a data logger does: one upload, wait for its 9014, the next."""
    reader, writer = await connect(port)
    mn = GAS_MN if k % 2 else WATER_MN
    answered = 0
    for j in range(n):
        sent = time.monotonic()
        writer.write(hourly_packet(hour(j % 24, day=1 + (k + j // 24) % 28), mn=mn,
                                   qn=f"2026110{k:03d}{j:07d}"))
        [answer] = await read_answers(reader, 1, timeout=30)
        latencies.append(time.monotonic() - sent)
        answered += answer.cn == "9014"
    writer.close()
    return answered


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[int(len(ordered) * 0.99)]


def test_garbage_flood_does_not_slow_honest_units(store):
    """3 connections of random bytes (reconnecting when cut off) next to 10 honest units:
    every upload is answered, the honest p99 stays under 1 s, and the raw log keeps
    samples of the garbage, not the garbage."""
    async def scenario():
        receiver = await started(store)
        sent = [0]
        attackers = [asyncio.create_task(
            garbage_attacker(receiver.port, ATTACKER, 64 << 20, seed, sent))
            for seed in range(3)]
        await until(lambda: receiver.stats.discarded_bytes > 0)
        latencies: list[float] = []
        answered = await asyncio.gather(
            *(honest_unit(receiver.port, k, 200, latencies) for k in range(10)))
        for task in attackers:
            task.cancel()
        await asyncio.gather(*attackers, return_exceptions=True)
        await receiver.stop()
        return answered, latencies, receiver.stats.as_dict(), sent

    answered, latencies, stats, sent = run(scenario())
    [(kept,)] = store.query("SELECT coalesce(sum(octet_length(raw)), 0) FROM raw_packets "
                            "WHERE verdict = 'discarded'")
    assert kept <= 64 * 1024, f"{kept} bytes of garbage in the raw log"  # samples only
    assert p99(latencies) < 1.0, f"honest p99 {p99(latencies):.3f} s under a garbage flood"
    assert answered == [200] * 10
    assert stats["quarantined"] > 0 and stats["throttled"].get("unauthenticated", 0) > 0
    assert store.raw_counts()["accepted"] == 2000


def test_raw_log_keeps_samples_of_garbage_and_rejections_not_all_of_it(store):
    """Discarded and rejected input is counted in full but only sampled to the raw log:
    at most `samples_per_minute` rows per address, each cut to `sample_bytes`."""
    settings = AdmissionSettings(exempt_networks=(), samples_per_minute=5, sample_bytes=512,
                                 unauthenticated_burst=10 << 20)
    garbage = random.Random(1).randbytes(400_000)
    wrong_pw = [hourly_packet(hour(h % 24), pw="000000", qn=f"20261101{h:09d}")
                for h in range(100)]

    # The guard would lock the guesser out after a few tries (tests/ingest/test_guard.py):
    # here every guess must be judged, to see how rejections are sampled.
    no_lockout = GuardSettings(backoff_base_s=0.0, backoff_max_s=0.0, lockout_failures=1000,
                               mn_lockout_failures=1000)

    async def scenario():
        receiver = await started(store, settings, guard=no_lockout)
        _, bad = await connect(receiver.port, ATTACKER)
        _, guesser = await connect(receiver.port, "127.0.0.3")
        for k in range(0, len(garbage), 20_000):
            bad.write(garbage[k:k + 20_000])
            await bad.drain()
        guesser.write(b"".join(wrong_pw))
        await guesser.drain()
        await until(lambda: receiver.stats.discarded_bytes >= len(garbage)
                    and sum(receiver.stats.rejected.values()) == 100)
        bad.close()
        guesser.close()
        await receiver.stop()
        return receiver.stats.as_dict()

    stats = run(scenario())
    assert stats["rejected_by_reason"] == {"PW": 100}
    assert stats["quarantined_bytes"] >= len(garbage) + sum(map(len, wrong_pw))
    rows = store.query("SELECT verdict, peer, octet_length(raw) FROM raw_packets "
                       "WHERE verdict <> 'accepted'")
    for verdict, address in (("discarded", ATTACKER), ("rejected", "127.0.0.3")):
        mine = [r for r in rows if r[0] == verdict and r[1].startswith(address + ":")]
        assert 1 <= len(mine) <= 5, (verdict, len(mine))
        assert all(size <= 512 for *_, size in mine)
    assert stats["quarantine_sampled"] == len(rows)
    assert stats["quarantine_unsampled"] > 0


def test_reconnecting_attacker_stays_within_the_per_address_caps(store):
    """The caps are per address, not per connection: beyond `max_connections_per_address`
    connections are refused (counted, logged), and reconnecting does not renew the
    garbage budget."""
    settings = AdmissionSettings(exempt_networks=(), max_connections_per_address=3,
                                 unauthenticated_bytes_per_s=16_384,
                                 unauthenticated_burst=65_536)
    chunk = random.Random(2).randbytes(50_000)

    async def scenario():
        receiver = await started(store, settings)
        held = [await connect(receiver.port, ATTACKER) for _ in range(10)]
        await until(lambda: receiver.stats.as_dict().get("refused_connections") == 7)
        open_now = receiver.stats.connections
        for _, writer in held:
            writer.transport.abort()
        await until(lambda: receiver.stats.connections == 0)
        t0 = time.monotonic()
        admission = receiver.stats.admission
        for _ in range(20):  # 1 MB of garbage over 20 connections
            before = admission.quarantined_bytes
            _, writer = await connect(receiver.port, ATTACKER)
            writer.write(chunk)
            # Until the receiver has judged this connection's bytes: all read and counted
            # (up to a frame it may still hold), or the connection held back by the debt.
            await until(lambda before=before: admission.quarantined_bytes
                        >= before + len(chunk) - 10_000
                        or any(p.throttled is not None for p in receiver.connections))
            writer.transport.abort()
        elapsed = time.monotonic() - t0
        # an honest unit from another address is served at once
        reader, writer = await connect(receiver.port, "127.0.0.4")
        writer.write(hourly_packet(hour(3)))
        answers = await read_answers(reader, 1)
        writer.close()
        await receiver.stop()
        return open_now, elapsed, receiver.stats.as_dict(), answers

    open_now, elapsed, stats, answers = run(scenario())
    assert open_now == 3
    assert stats["refused_by_reason"]["address limit"] >= 7  # and some reconnects
    assert stats["refused_top_peers"] == {ATTACKER: stats["refused_connections"]}
    # Burst + rate × time, plus one read per connection that the debt did not yet stop.
    bound = 65_536 + 16_384 * elapsed + 3 * len(chunk)
    assert stats["quarantined_bytes"] <= bound < 20 * len(chunk)
    assert [a.cn for a in answers] == ["9014"]


def test_over_the_packet_rate_a_unit_is_held_back_not_dropped(store):
    """Past its address's packet budget a unit is not read until tokens come back: every
    upload is still answered, later (backpressure, never data loss)."""
    settings = AdmissionSettings(exempt_networks=(), packets_per_s=100, packet_burst=20)
    packets = [hourly_packet(hour(h % 24, day=1 + h // 24), qn=f"2026110200{h:07d}")
               for h in range(60)]

    async def scenario():
        receiver = await started(store, settings)
        reader, writer = await connect(receiver.port)
        t0 = time.monotonic()
        writer.write(b"".join(packets))
        answers = await read_answers(reader, 60, timeout=20)
        elapsed = time.monotonic() - t0
        writer.close()
        await receiver.stop()
        return answers, elapsed, receiver.stats.as_dict()

    answers, elapsed, stats = run(scenario())
    assert sorted(a.qn for a in answers) == sorted(f"2026110200{h:07d}" for h in range(60))
    assert stats["throttled"]["packets"] >= 1
    assert elapsed >= (60 - 20 - 1) / 100 * 0.9  # the budget, not the unit, set the pace


def test_a_unit_that_never_reads_keeps_in_flight_within_the_bound(store):
    """The in-flight bound holds per packet: 100 uploads in one write from a unit that
    does not read never have more than `max_inflight` packets waiting for their commit;
    once it reads, every one is answered."""
    packets = [hourly_packet(hour(h % 24, day=1 + h // 24), qn=f"2026110300{h:07d}")
               for h in range(100)]

    async def scenario():
        receiver = await started(store, max_inflight=8)
        writer_submit = receiver.writer.submit
        inflight = peak = 0

        def counting_submit(raw, records=None, on_committed=None):
            nonlocal inflight, peak
            if on_committed is None:
                return writer_submit(raw, records, on_committed)
            inflight += 1
            peak = max(peak, inflight)

            def committed(ok: bool):
                nonlocal inflight
                inflight -= 1
                on_committed(ok)

            return writer_submit(raw, records, committed)

        receiver.writer.submit = counting_submit
        reader, writer = await connect(receiver.port)
        writer.write(b"".join(packets))
        await writer.drain()
        answers = await read_answers(reader, 100, timeout=20)
        writer.close()
        await receiver.stop()
        return peak, answers

    peak, answers = run(scenario())
    assert peak <= 8
    assert len(answers) == 100 and {a.cn for a in answers} == {"9014"}


CHILD = textwrap.dedent("""
    import asyncio, logging, resource, sys
    resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from envmon.ingest.admission import AdmissionSettings
    from envmon.ingest.server import Receiver, ReceiverLimits
    from envmon.store import open_store

    async def main():
        store = open_store(sys.argv[1])
        limits = ReceiverLimits(admission=AdmissionSettings(
            exempt_networks=(), max_connections_per_address=20, log_interval_s=3600))
        receiver = Receiver(store, "127.0.0.1", 0, limits)
        await receiver.start()
        print(receiver.port, receiver.admission.max_connections, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await receiver.stop()
        print(receiver.stats.as_dict()["refused_by_reason"], flush=True)
        store.close()

    asyncio.run(main())
""")


def test_idle_flood_under_a_low_open_file_limit_leaves_room_for_units(tmp_path):
    """150 idle connections from one address against a receiver limited to 128 open
    files: the address gets its 20, the rest are refused and the refusal is logged, and
    a unit connecting afterwards from another address is served."""
    db = tmp_path / "envmon.duckdb"
    with open_store(db) as store:
        import_rows(store, registry_rows())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO / "src"), str(REPO), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env)
    try:
        port, budget = map(int, child.stdout.readline().split())

        async def scenario():
            idle = []
            for _ in range(150):
                idle.append(await connect(port, ATTACKER))
            reader, writer = await connect(port, "127.0.0.3")
            writer.write(hourly_packet(hour(4)))
            answers = await read_answers(reader, 1, timeout=10)
            writer.close()
            for _, w in idle:
                w.transport.abort()
            return answers

        answers = run(scenario())
        child.stdin.close()  # the child stops its receiver and prints its refusals
        refused = child.stdout.readline()
        log = child.stderr.read()
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert budget < 128  # descriptors kept for the store and the rest
    assert [a.cn for a in answers] == ["9014"]
    assert "'address limit': 130" in refused
    assert "refusing connection from 127.0.0.2" in log
    assert log.count("refusing connection") == 1  # throttled: one line, not 130


def test_stats_name_the_new_counters(store):
    """The admission counters appear in the receiver's stats (and so its periodic line)."""
    async def scenario():
        receiver = await started(store, AdmissionSettings(max_connections_per_address=3,
                                                          exempt_networks=()))
        stats = receiver.stats.as_dict()
        await receiver.stop()
        return stats

    stats = run(scenario())
    for key in ("refused_connections", "accept_errors", "throttled", "quarantined",
                "quarantine_sampled", "quarantine_unsampled", "quarantine_lane_dropped",
                "quarantine_top_peers"):
        assert key in stats


def test_the_writer_lane_never_displaces_accepted_packets(store):
    """Quarantined samples take at most `quarantine_lane` rows of a group and only while
    the group is below `max_batch`; accepted packets are always queued."""
    from envmon.ingest.writer import GroupCommitWriter
    from envmon.store import RawPacketRow

    def row(verdict: str, k: int) -> RawPacketRow:
        return RawPacketRow(hour(1), "127.0.0.9:1", verdict,
                            None if verdict == "accepted" else "x", None, None, str(k), b"##")

    async def scenario():
        writer = GroupCommitWriter(store, interval_s=0.05, max_batch=50, quarantine_lane=10)
        writer.start()
        lane = [writer.submit_quarantined(row("discarded", k)) for k in range(30)]
        for k in range(60):
            writer.submit(row("accepted", k))
        late = writer.submit_quarantined(row("discarded", 99))  # the group is full
        await writer.close()
        return lane, late, writer.quarantine_dropped

    lane, late, dropped = run(scenario())
    assert lane == [True] * 10 + [False] * 20 and late is False and dropped == 21
    counts = store.raw_counts()
    assert counts["accepted"] == 60 and counts["discarded"] == 10


def test_each_group_has_its_own_lane(store):
    """The lane counts per group: once a group is taken for commit, the next one takes
    `quarantine_lane` samples again."""
    from envmon.ingest.writer import GroupCommitWriter
    from envmon.store import RawPacketRow

    async def scenario():
        writer = GroupCommitWriter(store, interval_s=0.0, max_batch=50, quarantine_lane=3)
        writer.start()
        admitted = []
        for group in range(5):
            admitted.append(sum(writer.submit_quarantined(RawPacketRow(
                hour(1), "127.0.0.9:1", "discarded", "x", None, None, f"{group}-{k}", b"##"))
                for k in range(5)))
            await writer.drain()  # the group is taken and committed
        await writer.close()
        return admitted

    assert run(scenario()) == [3] * 5
    assert store.raw_counts()["discarded"] == 15


def test_admission_settings_come_from_the_config_file_and_bad_ones_are_named(tmp_path):
    from envmon.config import ConfigError, load_config

    good = tmp_path / "good.toml"
    good.write_text('[admission]\nmax_connections_per_address = 64\n'
                    'exempt_networks = ["10.1.0.0/16"]\n', encoding="utf-8")
    settings = load_config(good).admission
    assert settings.max_connections_per_address == 64
    assert settings.exempt_networks == ("10.1.0.0/16",)
    assert load_config(None).admission == AdmissionSettings()
    bad = tmp_path / "bad.toml"
    bad.write_text("[admission]\npackets_per_s = -1\n", encoding="utf-8")
    try:
        load_config(bad)
    except ConfigError as error:
        assert "packets_per_s: must be more than 0" in str(error)
    else:
        raise AssertionError("a negative rate was accepted")


def test_many_attacking_addresses_do_not_grow_the_tracked_state():
    """Counters and buckets are kept for at most `max_tracked_addresses` addresses; the
    least recently seen without a live connection are folded into "other"."""
    from envmon.ingest.admission import Admission

    admission = Admission(AdmissionSettings(max_tracked_addresses=10, exempt_networks=()))
    live = admission.admit("10.0.0.1", "10.0.0.1:1", 0)  # a unit that stays connected
    for k in range(1000):
        address = f"10.1.{k // 250}.{k % 250}"
        state = admission.admit(address, f"{address}:1", 1)
        admission.quarantine(state, address, "discarded", "no '##' header", 100)
        admission.release(state)
    assert len(admission.addresses) <= 11 and "10.0.0.1" in admission.addresses
    assert live.connections == 1
    by_peer = admission.stats.by_peer
    assert len(by_peer) <= 11 and sum(by_peer.values()) == 1000 and by_peer["other"] >= 989


def test_an_ipv6_prefix_shares_one_budget():
    """Every address of one IPv6 /64 (one subscriber's prefix) draws on one connection cap
    and budget: cycling through its addresses buys an attacker nothing."""
    from envmon.ingest.admission import Admission, AdmissionStats, budget_key

    assert budget_key("2001:db8:1:2::7") == budget_key("2001:db8:1:2:ffff::1") == (
        "2001:db8:1:2::/64")
    assert budget_key("2001:db8:1:3::7") != budget_key("2001:db8:1:2::7")
    assert budget_key("192.0.2.7") == "192.0.2.7"
    admission = Admission(AdmissionSettings(exempt_networks=(), max_connections_per_address=2),
                          100, AdmissionStats())
    admitted = [admission.admit(f"2001:db8:1:2::{k:x}", f"[2001:db8:1:2::{k:x}]:1", 0)
                for k in range(1, 6)]
    assert [state is not None for state in admitted] == [True, True, False, False, False]
    assert admission.admit("2001:db8:1:3::1", "x", 0) is not None  # another subscriber
