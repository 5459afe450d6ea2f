"""The guard with `--workers 2`: the parent (the store's owner) shares it among the workers.

Real worker processes behind one port over loopback TCP. The kernel spreads connections
over the workers (SO_REUSEPORT), so a rule that must hold "in every worker" is checked on
several connections. The unit is 127.0.0.1, the attacker 127.0.0.2.
"""

from __future__ import annotations

import asyncio
import functools
import time
from datetime import timedelta

from envmon.ingest import guard_store
from envmon.ingest.guard import Guard, GuardSettings, Lockout
from envmon.ingest.server import ReceiverLimits
from envmon.ingest.workers import ReceiverPool
from envmon.timeutil import now_beijing
from tests.ingest.conftest import GAS_MN, WATER_MN, hour, hourly_packet, read_answers

UNIT, ATTACKER = "127.0.0.1", "127.0.0.2"
CONNECTIONS = 8  # from one address: all on one worker by chance with probability 2^-7


def pool_for(store, refresh_s: float = 60.0, **guard) -> ReceiverPool:
    limits = ReceiverLimits(directory_refresh_s=refresh_s, guard=GuardSettings(**guard))
    return ReceiverPool(store, "127.0.0.1", 0, limits, workers=2)


async def upload(pool: ReceiverPool, source: str, data: bytes) -> list | None:
    """`data` on a new connection from `source`: the answers, or None when the receiver
    closes the connection without answering (refused, or locked out while reading)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", pool.port,
                                                       local_addr=(source, 0))
    except ConnectionError:
        return None
    try:
        writer.write(data)
        return await read_answers(reader, 1, timeout=10) or None
    except ConnectionError:
        return None
    finally:
        writer.close()


async def until(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.02)


def test_workers_know_the_usual_addresses_persisted_before_the_start(store):
    """After a restart, a spoofer holding the password is not taken for the MN's first
    (trusted) address by whichever worker it reaches (old pool: workers started with an
    empty guard, its copy was trusted and would beat the unit's)."""
    guard_store.save_guard(store, [("usual", (mn, UNIT, now_beijing()))
                                   for mn in (GAS_MN, WATER_MN)])
    pool = pool_for(store)

    async def scenario():
        await pool.start()
        try:
            # MNs alternate: a connection never claims the MN its predecessor just held.
            return [await upload(pool, ATTACKER, hourly_packet(
                hour(k), mn=(GAS_MN, WATER_MN)[k % 2], so2=0.1, qn=f"2026110109000{k:04d}"))
                for k in range(CONNECTIONS)]
        finally:
            await pool.stop()

    answers = asyncio.run(scenario())
    assert [[a.cn for a in got] for got in answers] == [["9014"]] * CONNECTIONS  # stored
    copies = store.query("SELECT trusted, peer FROM records")
    assert {(trusted, peer.split(":")[0]) for trusted, peer in copies} == {(False, ATTACKER)}


def test_a_lockout_earned_through_one_worker_holds_in_every_worker(store):
    pool = pool_for(store, backoff_base_s=0.01, backoff_max_s=0.02, lockout_failures=3)

    async def persisted() -> bool:
        [(n,)] = await pool.writer.run_in_writer(
            store.query, "SELECT count(*) FROM guard_lockouts WHERE address = ?", [ATTACKER])
        return n == 1

    async def scenario():
        await pool.start()
        try:
            guesses = b"".join(hourly_packet(hour(2), pw=f"{k:06d}") for k in range(5))
            assert await upload(pool, ATTACKER, guesses) is None  # locked after 3: closed
            await until(persisted, "the lockout is persisted")
            return [await upload(pool, ATTACKER, hourly_packet(hour(3 + k)))
                    for k in range(CONNECTIONS)]
        finally:
            await pool.stop()

    right_password = asyncio.run(scenario())
    # The right password from the locked address, on connections spread over both workers:
    # none answered (old pool: the other worker had never heard of the lockout).
    assert right_password == [None] * CONNECTIONS
    [(mn, failures)] = store.query("SELECT mn, failures FROM guard_lockouts")
    assert (mn, failures) == ("", 3)


def test_a_lift_in_the_store_reaches_the_workers_on_the_next_refresh(store):
    locked_at = now_beijing().replace(microsecond=0)
    guard_store.save_guard(store, [("lock", Lockout(ATTACKER, "", locked_at,
                                                    locked_at + timedelta(minutes=15), 10))])
    pool = pool_for(store, refresh_s=0.1)

    async def answered() -> bool:
        return await upload(pool, ATTACKER, hourly_packet(hour(9))) is not None

    async def scenario():
        await pool.start()
        try:
            # Locked in every worker from the start (old pool: the workers never loaded it).
            before = [await upload(pool, ATTACKER, hourly_packet(hour(1 + k)))
                      for k in range(CONNECTIONS)]
            # What `envmon receiver lockouts --unlock` does (from another process on
            # PostgreSQL); the pool's writer owns the DuckDB connection here.
            await pool.writer.run_in_writer(
                functools.partial(guard_store.lift_lockouts, store, address=ATTACKER))
            await until(answered, "the lift is applied")
            after = [await upload(pool, ATTACKER, hourly_packet(hour(10 + k)))
                     for k in range(CONNECTIONS)]
            return before, after
        finally:
            await pool.stop()

    before, after = asyncio.run(scenario())
    assert before == [None] * CONNECTIONS
    assert [[a.cn for a in got] for got in after] == [["9014"]] * CONNECTIONS  # both workers


def test_a_guard_applies_what_another_guard_learned():
    learned = Guard(GuardSettings(lockout_failures=1))
    learned.authenticated(GAS_MN, UNIT)
    learned.wrong_password(ATTACKER, GAS_MN, None)
    other = Guard()
    other.apply(learned.take_pending())
    assert other.is_usual(GAS_MN, UNIT)
    assert other.refuse_connection(ATTACKER) is not None
    assert other.take_pending() == []  # known to be stored: not written again
    other.authenticated(GAS_MN, UNIT)
    assert other.take_pending() == []
