"""Several receivers on one PostgreSQL, and their faults (issue 14 points 2 and 4).

Real receivers (`envmon serve --no-web` processes, or `Platform`s in this process) on the
throwaway PostgreSQL of the test session (`pg_url`), real sockets on loopback; every wait is
on a condition with a deadline. What is checked:

- a unit that moves to another receiver: the new session wins, the old receiver closes the
  stale connection, the store says which receiver holds the MN;
- kill -9 of a receiver under load: every packet it answered is stored, the units go to the
  other receiver and its back-fill (补遗) fetches the rest;
- PostgreSQL restarted under load (a cluster of the test's own): no answer without a commit,
  the receiver keeps running and stores again once the server is back;
- the store unreachable at start: one line naming the URL (no password), a non-zero exit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from envmon.hj212 import codec
from envmon.hj212.framing import Discard, FrameBuffer
from envmon.store import open_store
from envmon.timeutil import now_beijing
from tests.ingest.conftest import GAS_MN, PW, hourly_packet, registry_rows
from tests.ingest.test_durability import free_port, serve_and_wait

HOUR = timedelta(hours=1)


def unit_mns(n: int) -> list[str]:
    return [GAS_MN[:-2] + f"{k:02d}" for k in range(n)]


def register(url: str, mns: list[str]) -> None:
    from envmon.registry.importer import import_rows

    gas = registry_rows()[0]
    rows = [{**gas, "outlet_id": f"DA{k:03d}", "outlet_name": f"{k}号排口", "mn": mn}
            for k, mn in enumerate(mns)]
    with open_store(url) as store:
        import_rows(store, rows)


def stored_hours(url: str, mns: list[str]) -> set[tuple[str, datetime]]:
    marks = ", ".join("?" for _ in mns)
    with open_store(url) as store:
        return {(mn, t) for mn, t in store.query(
            f"SELECT DISTINCT mn, data_time FROM records WHERE cn = '2061' AND mn IN ({marks})",
            mns)}


class Unit:
    """A data acquisition unit on loopback: hourly uploads, each waiting for its 9014; it
    answers the platform's 补遗 requests (2061 with BeginTime/EndTime) from its own hours."""

    def __init__(self, mn: str, hours: list[datetime]) -> None:
        self.mn, self.hours = mn, hours
        self.answered: set[datetime] = set()
        self.answered_at: dict[datetime, float] = {}
        self._acks: dict[str, asyncio.Future] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task | None = None
        self.closed = asyncio.Event()
        self.backfilled = 0
        self._last_qn = ""

    async def connect(self, port: int) -> None:
        reader, self._writer = await asyncio.open_connection("127.0.0.1", port)
        self.closed = asyncio.Event()
        self._reader_task = asyncio.get_running_loop().create_task(self._read(reader))

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._reader_task is not None:
            self._reader_task.cancel()
            await asyncio.gather(self._reader_task, return_exceptions=True)

    async def upload(self, hour: datetime, timeout: float = 2.0) -> bool:
        qn = codec.make_qn(now_beijing())
        if qn <= self._last_qn:  # unique per unit, 17 digits
            qn = str(int(self._last_qn) + 1)
        self._last_qn = qn
        future = asyncio.get_running_loop().create_future()
        self._acks[qn] = future
        try:
            self._writer.write(hourly_packet(hour, mn=self.mn, qn=qn))
            await asyncio.wait_for(future, timeout)
        except (TimeoutError, ConnectionError, AttributeError):
            return False
        finally:
            self._acks.pop(qn, None)
        self.answered.add(hour)
        self.answered_at[hour] = time.monotonic()
        return True

    async def _read(self, reader: asyncio.StreamReader) -> None:
        frames = FrameBuffer()
        try:
            while data := await reader.read(65536):
                for frame in frames.feed(data):
                    if isinstance(frame, Discard):
                        continue
                    packet = codec.decode(frame)
                    if packet.cn == "9014":
                        future = self._acks.get(packet.qn or "")
                        if future is not None and not future.done():
                            future.set_result(True)
                    elif packet.cn == "2061" and "BeginTime" in packet.items:
                        asyncio.get_running_loop().create_task(self._backfill(packet))
        except ConnectionError:
            pass
        finally:
            self.closed.set()

    async def _backfill(self, request: codec.Packet) -> None:
        qn = request.qn or ""
        begin = datetime.strptime(request.items["BeginTime"], "%Y%m%d%H%M%S")
        end = datetime.strptime(request.items.get("EndTime", request.items["BeginTime"]),
                                "%Y%m%d%H%M%S")
        wanted = [h for h in self.hours
                  if begin <= h.replace(tzinfo=None) <= end]
        try:
            self._writer.write(codec.answer_9011(qn, PW, self.mn, 1))
            for hour in wanted:
                if await self.upload(hour, timeout=5.0):
                    self.backfilled += 1
            self._writer.write(codec.result_9012(qn, PW, self.mn, 1 if wanted else 100))
        except (ConnectionError, AttributeError):
            pass


async def until(condition, deadline_s: float, what: str) -> None:
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline_s} s: {what}")
        await asyncio.sleep(0.05)


def last_hours(n: int) -> list[datetime]:
    """The n whole hours before the current one (the back-fill window of the config below)."""
    this_hour = now_beijing().replace(minute=0, second=0, microsecond=0)
    return [this_hour - k * HOUR for k in range(n, 0, -1)]


def serve(url: str, port: int, config) -> subprocess.Popen:
    return serve_and_wait(port, "--db", url, "--hj212-port", str(port), "--host", "127.0.0.1",
                          "--no-web", "--config", str(config))


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "envmon.toml"
    path.write_text("[backfill]\nonline_delay_s = 0\nsettle_hours = 0\nlookback_hours = 6\n"
                    "retry_after_s = 1\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------ a unit moves


def test_a_unit_moving_to_another_receiver_closes_its_stale_connection(pg_url):
    asyncio.run(_a_unit_moving_to_another_receiver_closes_its_stale_connection(pg_url))


async def _a_unit_moving_to_another_receiver_closes_its_stale_connection(pg_url):
    from envmon.app import Platform, PlatformOptions
    from envmon.ingest.coordination import CoordinationSettings, live_sessions

    mn = unit_mns(1)[0]
    register(pg_url, [mn])
    options = {"host": "127.0.0.1", "hj212_port": 0, "backfill": False, "alarms": False,
               "coordination": CoordinationSettings(poll_s=0.2)}
    a = Platform(open_store(pg_url), PlatformOptions(**options))
    b = Platform(open_store(pg_url), PlatformOptions(**options))
    hour = last_hours(1)[0]
    try:
        await a.start()
        await b.start()
        first, second = Unit(mn, [hour]), Unit(mn, [hour])
        await first.connect(a.receiver.port)
        assert await first.upload(hour)
        with open_store(pg_url) as store:
            assert live_sessions(store)[mn][0] == a.coordinator.receiver_id
        await second.connect(b.receiver.port)  # the unit's reconnect, to the other one
        assert await second.upload(hour - HOUR)
        await asyncio.wait_for(first.closed.wait(), 5)  # A learned it from the store
        assert mn not in a.receiver.online and mn in b.receiver.online
        assert a.coordinator.takeovers == 1
        with open_store(pg_url) as store:
            assert live_sessions(store)[mn][0] == b.coordinator.receiver_id
        # One runs the jobs (offline detection), not both.
        assert [a.runs_jobs, b.runs_jobs].count(True) == 1
        await first.close()
        await second.close()
    finally:
        for platform in (b, a):
            await platform.stop()
            platform.close()


# ------------------------------------------------------------------ kill -9 a receiver


def test_kill_9_receiver_under_load_loses_no_answered_packet(pg_url, config):
    asyncio.run(_kill_9_receiver_under_load_loses_no_answered_packet(pg_url, config))


async def _kill_9_receiver_under_load_loses_no_answered_packet(pg_url, config):
    mns = unit_mns(3)
    register(pg_url, mns)
    hours = last_hours(6)
    port_a, port_b = free_port(), free_port()
    started = time.monotonic()
    a = serve(pg_url, port_a, config)
    b = serve(pg_url, port_b, config)
    units = [Unit(mn, hours) for mn in mns]
    try:
        for unit in units:
            await unit.connect(port_a)

        async def send(unit: Unit) -> None:
            for hour in hours:
                if not await unit.upload(hour):
                    return  # the receiver died: what was not answered is the unit's to send
                await asyncio.sleep(0.2)

        senders = [asyncio.ensure_future(send(u)) for u in units]
        await until(lambda: sum(len(u.answered) for u in units) >= len(units), 20,
                    "first answers from receiver A")
        os.kill(a.pid, signal.SIGKILL)
        a.wait(10)
        killed_at = time.monotonic()
        await asyncio.gather(*senders)
        answered_by_a = {(u.mn, h) for u in units for h in u.answered}
        assert len(answered_by_a) < len(units) * len(hours), "killed too late to matter"
        assert answered_by_a <= stored_hours(pg_url, mns)  # answered means stored
        for unit in units:  # the units reconnect, to the receiver still there
            await unit.close()
            await unit.connect(port_b)
            assert await unit.upload(hours[0])  # a re-sent hour, answered again
        every = {(mn, h) for mn in mns for h in hours}
        end = time.monotonic() + 40
        while (got := stored_hours(pg_url, mns) & every) != every:
            assert time.monotonic() < end, f"back-fill left {sorted(every - got)}"
            await asyncio.sleep(0.2)
        assert sum(u.backfilled for u in units) > 0  # B asked for what A never took
        print(f"kill -9: {killed_at - started:.1f} s to the kill, "
              f"{time.monotonic() - killed_at:.1f} s to every hour stored")
    finally:
        for unit in units:
            await unit.close()
        stop(b)
        if a.poll() is None:
            a.kill()


# ------------------------------------------------------------------ PostgreSQL restarted


def test_postgresql_restart_under_load_no_answer_without_commit(config):
    asyncio.run(_postgresql_restart_under_load_no_answer_without_commit(config))


async def _postgresql_restart_under_load_no_answer_without_commit(config):
    from tests.pgcluster import Cluster, Databases

    cluster = Cluster()
    proc = None
    units: list[Unit] = []
    try:
        url = Databases(cluster.url()).fresh("restart")
        mns = unit_mns(2)
        register(url, mns)
        hours = [now_beijing().replace(minute=0, second=0, microsecond=0) - k * HOUR
                 for k in range(1, 400)]
        port = free_port()
        proc = serve(url, port, config)
        units = [Unit(mn, hours) for mn in mns]
        for unit in units:
            await unit.connect(port)
        restarted_at = float("inf")
        stop_sending = asyncio.Event()

        async def send(unit: Unit) -> None:
            """Each hour until answered: a unit re-sends what was not answered, and
            connects again when its connection closed."""
            for hour in hours:
                while not stop_sending.is_set():
                    if unit.closed.is_set():
                        await unit.close()
                        try:
                            await unit.connect(port)
                        except OSError:
                            await asyncio.sleep(0.1)
                            continue
                    if await unit.upload(hour, timeout=1.0):
                        break
                if stop_sending.is_set():
                    return

        senders = [asyncio.ensure_future(send(u)) for u in units]
        await until(lambda: sum(len(u.answered) for u in units) >= 10, 20, "answers")
        begun = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(None, cluster.restart)
        restarted_at = time.monotonic()
        after = lambda: sum(1 for u in units for t in u.answered_at.values()  # noqa: E731
                            if t > restarted_at)
        await until(lambda: after() >= 10, 30, "answers after the restart")
        recovered = time.monotonic() - restarted_at
        stop_sending.set()
        await asyncio.gather(*senders)
        assert proc.poll() is None  # recovered on its own, not restarted
        answered = {(u.mn, h) for u in units for h in u.answered}
        assert answered <= stored_hours(url, mns)  # no answer without commit
        print(f"PostgreSQL restart: {restarted_at - begun:.1f} s down, answers again "
              f"{recovered:.1f} s after; {len(answered)} answered, all stored")
    finally:
        for unit in units:
            await unit.close()
        if proc is not None:
            stop(proc)
        cluster.remove()


# ------------------------------------------------------------------ unreachable at start


def test_store_unreachable_at_start_one_line_and_non_zero_exit():
    port = free_port()  # nothing listens there
    url = f"postgresql://envmon:s3cret@127.0.0.1:{port}/envmon"
    done = subprocess.run(
        [sys.executable, "-m", "envmon", "serve", "--no-web", "--db", url,
         "--hj212-port", str(free_port()), "--host", "127.0.0.1"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "400"})
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Traceback" not in out and "s3cret" not in out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert f"postgresql://envmon:***@127.0.0.1:{port}/envmon" in lines[0]
    assert "cannot connect" in lines[0]


# ------------------------------------------------------------------ the writer, server away


def test_writer_waits_out_an_unreachable_store_and_never_gives_up(tmp_path):
    """More dropped groups than `max_failed_commits` while the server is away: no fatal
    failure (a full disk would be one), one outage counted, answered again once it is back."""
    from envmon.ingest.writer import GroupCommitWriter
    from envmon.store import RawPacketRow
    from envmon.store.errors import StoreUnavailable

    store = open_store(tmp_path / "envmon.duckdb")
    away = {"on": True}
    real_write, real_query = store.write_batch, store.query

    def write_batch(raw, records):
        if away["on"]:
            raise StoreUnavailable("cannot connect to the PostgreSQL store (test)")
        return real_write(raw, records)

    def query(sql, params=None):
        if away["on"]:
            raise StoreUnavailable("cannot connect to the PostgreSQL store (test)")
        return real_query(sql, params)

    store.write_batch, store.query = write_batch, query

    async def scenario() -> None:
        writer = GroupCommitWriter(store, interval_s=0, max_failed_commits=2,
                                   retry_delay_s=0.01, max_outage_delay_s=0.05)
        seen: list[bool] = []
        writer.on_availability.append(seen.append)
        writer.start()
        results: list[bool] = []
        for k in range(5):
            row = RawPacketRow(now_beijing(), "127.0.0.1:1", "accepted", None, GAS_MN, "2061",
                               f"2026120100000000{k}", b"##")
            writer.submit(row, None, results.append)
            await asyncio.sleep(0.02)
        await until(lambda: writer.outages == 1 and not writer.available, 5, "outage")
        away["on"] = False
        await until(lambda: writer.available, 5, "back")
        writer.submit(RawPacketRow(now_beijing(), "127.0.0.1:1", "accepted", None, GAS_MN,
                                   "2061", "20261201000000099", b"##"), None, results.append)
        await writer.close()
        assert writer.failure is None and not writer.failed.is_set()
        assert writer.outages == 1 and seen == [False, True]
        assert results[-1] is True and False in results

    try:
        asyncio.run(scenario())
    finally:
        store.close()


# ------------------------------------------------------------------ leases


def test_a_dead_receivers_sessions_and_jobs_lease_pass_on(pg_url):
    asyncio.run(_a_dead_receivers_sessions_and_jobs_lease_pass_on(pg_url))


async def _a_dead_receivers_sessions_and_jobs_lease_pass_on(pg_url):
    """B runs the jobs and hears from the store when the MN held at A last sent; A stops
    heartbeating (as if killed): B removes A's lease and sessions after lease_s."""
    from envmon.app import Platform, PlatformOptions
    from envmon.ingest.coordination import CoordinationSettings, live_sessions

    mn = unit_mns(1)[0]
    register(pg_url, [mn])
    options = {"host": "127.0.0.1", "hj212_port": 0, "backfill": False,
               "coordination": CoordinationSettings(poll_s=0.1, lease_s=0.6, touch_s=0.1)}
    b = Platform(open_store(pg_url), PlatformOptions(**options))
    a = Platform(open_store(pg_url), PlatformOptions(**options))
    unit = Unit(mn, [])
    try:
        await b.start()  # first: the jobs lease is B's
        await a.start()
        assert b.runs_jobs and not a.runs_jobs
        assert a.alarms.offline_gate is not None and not a.alarms.offline_gate()
        await asyncio.sleep(1.0)
        before = time.monotonic()
        await unit.connect(a.receiver.port)
        assert await unit.upload(last_hours(1)[0])
        await until(lambda: b.alarms.last_seen.get(mn, 0) >= before - 0.5, 5,
                    "the jobs runner hears of the packet at the other receiver")
        a.coordinator._task.cancel()  # A's heartbeat stops, its connection stays
        with open_store(pg_url) as store:
            await until(lambda: mn not in live_sessions(store), 5, "A's session expired")
            leases = [r for (r,) in store.query("SELECT receiver_id FROM receiver_leases")]
        assert leases == [b.coordinator.receiver_id]
        assert b.coordinator.expired_receivers == 1
    finally:
        await unit.close()
        for platform in (a, b):
            await platform.stop()
            platform.close()


def test_jobs_lease_passes_to_the_other_receiver_when_its_holder_stops(pg_url):
    async def scenario() -> None:
        from envmon.app import Platform, PlatformOptions
        from envmon.ingest.coordination import CoordinationSettings

        options = {"host": "127.0.0.1", "hj212_port": 0, "backfill": False, "alarms": False,
                   "coordination": CoordinationSettings(poll_s=0.1, lease_s=5)}
        a = Platform(open_store(pg_url), PlatformOptions(**options))
        b = Platform(open_store(pg_url), PlatformOptions(**options))
        try:
            await a.start()
            await b.start()
            assert a.runs_jobs and not b.runs_jobs
            await a.stop()  # hands its lease over at once, not after lease_s
            await until(lambda: b.runs_jobs, 2, "B runs the jobs")
        finally:
            for platform in (b, a):
                await platform.stop()
                platform.close()

    asyncio.run(scenario())


def test_coordination_settings_are_checked(tmp_path):
    from envmon.config import ConfigError, load_config

    path = tmp_path / "envmon.toml"
    path.write_text("[coordination]\npoll_s = 2\nlease_s = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[coordination\]: lease_s must be at least"):
        load_config(path)
    path.write_text("[coordination]\npoll_s = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="poll_s must be more than 0"):
        load_config(path)


def test_the_supervision_sweep_runs_at_the_jobs_runner_only(pg_url):
    async def scenario() -> None:
        from envmon.app import Platform, PlatformOptions
        from envmon.config import Config
        from envmon.ingest.coordination import CoordinationSettings
        from envmon.supervision.settings import SupervisionSettings

        config = Config(supervision=SupervisionSettings(sweep_every_s=0.1,
                                                        warnings_every_s=3600))
        options = {"host": "127.0.0.1", "hj212_port": 0, "backfill": False, "alarms": False,
                   "supervision": True, "config": config,
                   "coordination": CoordinationSettings(poll_s=0.1, lease_s=5)}
        a = Platform(open_store(pg_url), PlatformOptions(**options))
        b = Platform(open_store(pg_url), PlatformOptions(**options))
        try:
            await a.start()
            await b.start()
            jobs = [next(s for s in p.services if s.name == "supervision") for p in (a, b)]
            await until(lambda: jobs[0].runs >= 3, 20, "sweeps at the jobs runner")
            assert jobs[1].runs == 0
        finally:
            for platform in (b, a):
                await platform.stop()
                platform.close()

    asyncio.run(scenario())


# ------------------------------------------------------------------ one port, two processes


def test_two_receivers_share_one_port_with_reuse_port(pg_url, config):
    async def scenario() -> None:
        from envmon.ingest.coordination import live_sessions

        mns = unit_mns(16)
        register(pg_url, mns)
        port = free_port()
        procs = [serve_and_wait(port, "--db", pg_url, "--hj212-port", str(port), "--host",
                                "127.0.0.1", "--no-web", "--reuse-port", "--no-backfill",
                                "--config", str(config)) for _ in range(2)]
        hour = last_hours(1)[0]
        units = [Unit(mn, [hour]) for mn in mns]
        try:
            for unit in units:
                await unit.connect(port)
            assert all(await asyncio.gather(*(u.upload(hour) for u in units)))
            assert {(mn, hour) for mn in mns} <= stored_hours(pg_url, mns)
            with open_store(pg_url) as store:
                await until(lambda: len(live_sessions(store)) == len(mns), 5, "sessions")
                holders = {rid for rid, _peer in live_sessions(store).values()}
            # 16 connections hashed over two sockets: both take some (a miss is 2 in 65 536).
            assert len(holders) == 2
        finally:
            for unit in units:
                await unit.close()
            for proc in procs:
                stop(proc)

    asyncio.run(scenario())


def test_the_receiver_reads_nothing_while_the_store_is_away(tmp_path):
    """Bounded while the database server is away: packets after the failed group wait in
    the unit's TCP buffers, not in the receiver; all are judged and answered once it is back."""
    from envmon.ingest.server import Receiver
    from envmon.store.errors import StoreUnavailable

    path = tmp_path / "envmon.duckdb"
    register(path, [GAS_MN])
    store = open_store(path)
    away = {"on": True}
    real_write, real_query = store.write_batch, store.query

    def write_batch(raw, records):
        if away["on"]:
            raise StoreUnavailable("cannot connect to the PostgreSQL store (test)")
        return real_write(raw, records)

    def query(sql, params=None):
        if away["on"] and sql == "SELECT 1":
            raise StoreUnavailable("cannot connect to the PostgreSQL store (test)")
        return real_query(sql, params)

    async def scenario() -> None:
        receiver = Receiver(store, "127.0.0.1", 0)
        receiver.writer.max_outage_delay_s = 0.05
        await receiver.start()
        store.write_batch, store.query = write_batch, query
        hours = last_hours(6)
        unit = Unit(GAS_MN, hours)
        try:
            await unit.connect(receiver.port)
            assert not await unit.upload(hours[0], timeout=0.5)  # not committed: no answer
            await until(lambda: receiver.store_away, 5, "the outage noticed")
            assert receiver.writer.outages == 1
            late = Unit(GAS_MN, hours)  # a connection made during the outage is held too
            await late.connect(receiver.port)
            for hour in hours[1:]:
                unit._writer.write(hourly_packet(hour, mn=GAS_MN))
            protocols = lambda: list(receiver.connections)  # noqa: E731
            await until(lambda: all(p.reading_paused or not p.backlog for p in protocols())
                        and any(p.reading_paused for p in protocols()), 5, "reading paused")
            accepted = receiver.stats.accepted
            assert accepted <= 2  # nothing more was judged while away
            away["on"] = False
            await until(lambda: not receiver.store_away, 5, "the store back")
            await until(lambda: receiver.stats.accepted >= accepted + len(hours) - 1, 5,
                        "held packets judged")
            assert await unit.upload(hours[0])  # the unanswered one, sent again
            await late.close()
        finally:
            await unit.close()
            await receiver.stop()

    try:
        asyncio.run(scenario())
    finally:
        store.close()


# ------------------------------------------------------------------ takeover across receivers


def test_a_new_address_cannot_take_an_mn_over_through_another_receiver(pg_url):
    asyncio.run(_a_new_address_cannot_take_an_mn_over_through_another_receiver(pg_url))


async def _a_new_address_cannot_take_an_mn_over_through_another_receiver(pg_url):
    """[guard] takeover = "usual-address" holds across receivers: a spoofer at a new address
    with the MN's password is refused at B while the unit holds the MN at A."""
    from envmon.app import Platform, PlatformOptions
    from envmon.ingest.coordination import CoordinationSettings, live_sessions

    mn = unit_mns(1)[0]
    register(pg_url, [mn])
    options = {"host": "127.0.0.1", "hj212_port": 0, "backfill": False, "alarms": False,
               "coordination": CoordinationSettings(poll_s=0.2)}
    a = Platform(open_store(pg_url), PlatformOptions(**options))
    b = Platform(open_store(pg_url), PlatformOptions(**options))
    hour = last_hours(1)[0]
    genuine, spoofer = Unit(mn, [hour]), Unit(mn, [hour])
    try:
        await a.start()
        await b.start()
        await genuine.connect(a.receiver.port)
        assert await genuine.upload(hour)
        with open_store(pg_url) as store:
            assert live_sessions(store)[mn][0] == a.coordinator.receiver_id
        reader, spoofer._writer = await asyncio.open_connection(
            "127.0.0.1", b.receiver.port, local_addr=("127.0.0.2", 0))
        spoofer._reader_task = asyncio.get_running_loop().create_task(spoofer._read(reader))
        assert not await spoofer.upload(hour - HOUR, timeout=1.0)  # refused: no answer
        await until(lambda: b.receiver.guard.counts["refused"] + sum(
            b.receiver.stats.rejected.values()) > 0, 5, "B refused the claim")
        assert mn not in b.receiver.online
        await asyncio.sleep(3 * 0.2)  # A's polls: nothing claimed elsewhere, nothing closed
        assert not genuine.closed.is_set() and a.coordinator.takeovers == 0
        assert await genuine.upload(hour - 2 * HOUR)
        with open_store(pg_url) as store:
            assert live_sessions(store)[mn][0] == a.coordinator.receiver_id
            assert (mn, (hour - HOUR).replace(tzinfo=None)) not in {
                (m, t.replace(tzinfo=None)) for m, t in stored_hours(pg_url, [mn])}
    finally:
        await genuine.close()
        await spoofer.close()
        for platform in (b, a):
            await platform.stop()
            platform.close()


# ------------------------------------------------------------------ a simulated unit comes back


def test_a_simulated_unit_reconnects_to_the_receiver_still_listening(pg_url):
    asyncio.run(_a_simulated_unit_reconnects_to_the_receiver_still_listening(pg_url))


async def _a_simulated_unit_reconnects_to_the_receiver_still_listening(pg_url):
    """Two receivers share one port (SO_REUSEPORT); the one holding the unit goes away: the
    `envmon simulate` unit connects again (to the other) and its next upload is stored."""
    from envmon.app import Platform, PlatformOptions
    from envmon.ingest.coordination import CoordinationSettings
    from envmon.sim.clock import SimClock
    from envmon.sim.dau import DataAcquisitionUnit
    from envmon.sim.fleet import sim_points_from_store

    mn = unit_mns(1)[0]
    register(pg_url, [mn])
    with open_store(pg_url) as store:
        point = next(p for p in sim_points_from_store(store) if p.mn == mn)
    port = free_port()
    options = {"host": "127.0.0.1", "hj212_port": port, "reuse_port": True, "backfill": False,
               "alarms": False, "coordination": CoordinationSettings(poll_s=0.2)}
    platforms = [Platform(open_store(pg_url), PlatformOptions(**options)) for _ in range(2)]
    first, second = last_hours(2)
    unit = DataAcquisitionUnit(point, "127.0.0.1", port, clock=SimClock(now_beijing(), 1.0),
                               ack_timeout_s=2.0, retries=3)
    try:
        for platform in platforms:
            await platform.start()
        assert await unit.connect()
        assert await unit.send_upload("2061", first, unit.period_data("2061", first))
        holder = next(p for p in platforms if mn in p.receiver.online)
        await holder.stop()  # its connections close: the unit's is lost
        holder.close()
        platforms.remove(holder)
        assert await unit.send_upload("2061", second, unit.period_data("2061", second))
        assert unit.reconnects == 1
        assert mn in platforms[0].receiver.online
        stored = {t.replace(tzinfo=None) for _, t in stored_hours(pg_url, [mn])}
        assert {first.replace(tzinfo=None), second.replace(tzinfo=None)} <= stored
    finally:
        await unit.close()
        for platform in platforms:
            await platform.stop()
            platform.close()
