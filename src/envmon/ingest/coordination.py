"""Several receivers on one store: who holds an MN, who is alive, who runs the jobs.

A province runs several `envmon serve --no-web` processes (different ports, or one port with
SO_REUSEPORT) on one PostgreSQL; a unit may reconnect to any of them. They coordinate through
three tables of the store (`ingest.tables`, schema 13), not through a protocol of their own:

- `receiver_leases`: each receiver's row, its heartbeat renewed every `poll_s`. A receiver
  whose heartbeat is older than `lease_s` is dead (kill -9, a lost host): any live receiver
  deletes its lease and its sessions.
- `live_sessions`: each MN's one live connection (receiver, peer, since, last packet). A
  connection claiming an MN (`Receiver.point_online`) writes its row at once; the newest claim
  wins (an upsert keeps the later `since`). Every `poll_s` each receiver reads the claims other
  receivers made and closes its own connection of an MN claimed there later: the unit moved,
  and its old connection is stale. So two receivers never both hold an MN for longer than
  `poll_s` (plus one query), and the hourly back-fill of an MN, which each receiver runs over
  the MNs it holds (`Receiver.online`), is asked by one receiver only. Who may claim is the
  guard's takeover policy, across receivers too: a claim with no live connection here first
  reads the MN's row (`session_elsewhere`, one lookup by key, on a claim only) and the guard
  judges it as it judges a live connection here (its peer; silent since its `last_seen`,
  written every `touch_s`); a row of a receiver whose lease ran out is no session.
- `job_leases`: the jobs run once per platform, by the receiver holding the `jobs` lease
  (renewed every `poll_s`, taken over `lease_s` after its holder stopped renewing): offline
  detection (alarms) and the periodic jobs. The runner learns when every other receiver last
  heard from each MN from `live_sessions.last_seen` (`on_seen_elsewhere`).

Clocks: `since` and the heartbeats are wall-clock times of the receivers' hosts, which a
province keeps in step (NTP); `lease_s` is far longer than any skew worth having.

On DuckDB (one process) the same code runs and always finds itself alone: it holds every MN
and the jobs lease. The coordinator has its own thread (PostgreSQL: its own connection), so a
slow heartbeat never delays a commit, and it writes only these tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from envmon.timeutil import now_beijing

log = logging.getLogger("envmon.ingest.coordination")

JOBS = "jobs"
_CHUNK = 500  # MNs per statement (parameters stay far below either engine's limits)


@dataclass
class CoordinationSettings:
    """The [coordination] bounds of several receivers on one store."""

    poll_s: float = 1.0
    """Heartbeat and look at the other receivers' claims this often: a unit that moved to
    another receiver has its old connection here closed within about this long."""
    lease_s: float = 15.0
    """A receiver whose heartbeat is this old is dead (its sessions free, its jobs lease
    taken over): 15 heartbeats, so that a busy database or a long pause of the process
    (garbage collection, a swap storm) is not taken for a death."""
    touch_s: float = 10.0
    """Write the last packet time of the MNs held here this often (offline detection reads
    it; its thresholds are minutes, `alarms.offline_after_s`)."""

    def __post_init__(self) -> None:
        for name in ("poll_s", "lease_s", "touch_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{name} must be more than 0 seconds, not {value!r}")
        if not self.lease_s >= 3 * self.poll_s:
            raise ValueError(f"lease_s must be at least 3 × poll_s ({3 * self.poll_s:g} s), so "
                             f"that one slow heartbeat is not taken for a death, not "
                             f"{self.lease_s!r}")


class Coordinator:
    """One receiver's part in the coordination; attach to a `Receiver` before it listens."""

    def __init__(self, receiver, store, settings: CoordinationSettings | None = None, *,
                 clock: Callable[[], datetime] = now_beijing) -> None:
        self.receiver = receiver
        self.store = store
        self.settings = settings or CoordinationSettings()
        self.clock = clock
        self.receiver_id = ""
        self.takeovers = 0  # connections closed here: their MN was claimed at another receiver
        self.expired_receivers = 0  # dead receivers' leases removed by this one
        self.poll_failures = 0
        # The jobs runner only, on the loop: (MN, seconds since its last packet at another
        # receiver), every poll (offline detection: `AlarmEngine.seen_elsewhere`).
        self.on_seen_elsewhere: list[Callable[[str, float], None]] = []
        self._claims: dict[str, tuple[str, datetime]] = {}  # MN -> (peer, since) to publish
        self._released: set[str] = set()
        self._held_since: dict[str, datetime] = {}  # MN -> when its connection here claimed it
        self._runner_until = 0.0  # monotonic: the jobs lease is ours until then
        self._last_touch = 0.0
        self._executor = ThreadPoolExecutor(max_workers=1,
                                            thread_name_prefix="envmon-coordination")
        # Claims' look-ups: a thread (and connection) of their own, never behind a heartbeat.
        self._lookups = ThreadPoolExecutor(max_workers=1,
                                           thread_name_prefix="envmon-claim-lookup")
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._failing = False
        self._stopped = False

    # ------------------------------------------------------------------ wiring
    def attach(self) -> None:
        self.receiver.on_point_online.append(self._claimed)
        self.receiver.on_point_offline.append(self._offline)
        if getattr(self.store, "engine", "") != "duckdb":  # a DuckDB file has one receiver
            self.receiver.session_elsewhere = self.session_elsewhere

    @property
    def is_jobs_runner(self) -> bool:
        """This process runs the once-per-platform jobs now (its lease not yet run out)."""
        return time.monotonic() < self._runner_until

    async def start(self) -> None:
        """Register this receiver (its first heartbeat, the jobs lease if free), then poll."""
        port = getattr(self.receiver, "port", 0)
        host = socket.gethostname()
        self.receiver_id = f"{host}:{port}:{os.getpid()}:{secrets.token_hex(3)}"
        self._address = f"{getattr(self.receiver, 'host', host)}:{port}"
        self._started_at = self.clock()
        await self._in_thread(self._poll_once, [], set(), {}, True)
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="coordination")

    async def stop(self) -> None:
        """Hand over at once: our sessions and our lease (and the jobs lease) are deleted."""
        if self._stopped:
            return
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            await self._in_thread(self._leave)
        except Exception as error:  # the lease runs out by itself
            log.warning("leaving the receivers' leases failed: %s", error)
        self._executor.shutdown(wait=True)
        self._lookups.shutdown(wait=True)

    # ------------------------------------------------------------------ hooks (loop)
    def _claimed(self, mn: str, protocol) -> None:
        since = self.clock()
        self._held_since[mn] = since
        self._claims[mn] = (protocol.peer, since)
        self._released.discard(mn)
        # Its unit may have sent through another receiver meanwhile: judge its next records
        # against what the store holds, not this writer's memory (envmon.store.recordkeys).
        self.store.forget_point(mn)
        self._wake.set()  # others learn of the claim now, not at the next heartbeat

    def _offline(self, mn: str) -> None:
        self._held_since.pop(mn, None)
        self._claims.pop(mn, None)
        self._released.add(mn)

    async def session_elsewhere(self, mn: str
                                ) -> tuple[tuple[str, float] | None, list[str]]:
        """The MN's live session at another live receiver ((peer, seconds silent), or None),
        and its usual addresses as stored (learned at any receiver)."""
        return await asyncio.get_running_loop().run_in_executor(
            self._lookups, self._session_elsewhere, mn)

    def _session_elsewhere(self, mn: str) -> tuple[tuple[str, float] | None, list[str]]:
        now = self.clock()
        usual = [a for (a,) in self.store.query(
            "SELECT address FROM guard_usual_addresses WHERE mn = ?", [mn])]
        rows = self.store.query(
            "SELECT s.peer, s.last_seen FROM live_sessions s JOIN receiver_leases r "
            "ON r.receiver_id = s.receiver_id WHERE s.mn = ? AND s.receiver_id <> ? "
            "AND r.heartbeat >= ?",
            [mn, self.receiver_id, now - timedelta(seconds=self.settings.lease_s)])
        if not rows:
            return None, usual
        peer, last_seen = rows[0]
        return (peer, max((now - last_seen).total_seconds(), 0.0)), usual

    # ------------------------------------------------------------------ the loop
    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_s)
            self._wake.clear()
            claims, self._claims = list(self._claims.items()), {}
            released, self._released = self._released, set()
            touch = {}
            if time.monotonic() - self._last_touch >= self.settings.touch_s:
                touch = self._last_packets()
            try:
                lost, seen = await self._in_thread(self._poll_once, claims, released, touch,
                                                   False)
            except Exception as error:
                self.poll_failures += 1
                if not self._failing:  # once per outage
                    log.warning("receivers' coordination: the store is unreachable (%s); "
                                "retrying every %g s", error, self.settings.poll_s)
                self._failing = True
                for mn, claim in claims:  # publish them next time
                    self._claims.setdefault(mn, claim)
                self._released |= released
                continue
            if self._failing:
                log.warning("receivers' coordination: the store is back")
                self._failing = False
            if touch:
                self._last_touch = time.monotonic()
            self._close_stale(lost)
            for mn, age in seen:
                for hook in self.on_seen_elsewhere:
                    try:
                        hook(mn, age)
                    except Exception:
                        log.exception("seen-elsewhere hook failed")

    def _last_packets(self) -> dict[str, datetime]:
        """The MNs held here with the wall time of their connection's last packet."""
        now_wall, now_mono = self.clock(), time.monotonic()
        return {mn: now_wall - timedelta(seconds=max(now_mono - protocol.last_activity, 0.0))
                for mn, protocol in list(self.receiver.online.items())}

    def _close_stale(self, lost: list[tuple[str, datetime]]) -> None:
        """MNs claimed at another receiver after our connection claimed them: close ours."""
        online = self.receiver.online
        for mn, since in lost:
            mine = self._held_since.get(mn)
            protocol = online.get(mn)
            if protocol is None or mine is None or since <= mine:
                continue
            log.info("MN %s moved to another receiver: closing its connection from %s",
                     mn, protocol.peer)
            self.takeovers += 1
            del online[mn]
            self._held_since.pop(mn, None)
            protocol.mns.discard(mn)
            if protocol.transport is not None and not protocol.transport.is_closing():
                protocol.transport.close()

    async def _in_thread(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    # ------------------------------------------------------------------ SQL (own thread)
    def _poll_once(self, claims: list, released: set[str], touch: dict[str, datetime],
                   first: bool) -> tuple[list[tuple[str, datetime]], list[tuple[str, float]]]:
        """Heartbeat, publish claims, expire the dead, renew the jobs lease, read the others'
        claims; returns (MNs claimed elsewhere since the last look, (MN, seconds since its last
        packet elsewhere) for the jobs runner)."""
        store, rid, now = self.store, self.receiver_id, self.clock()
        lease = timedelta(seconds=self.settings.lease_s)
        with store.transaction():
            if first:
                store.execute("INSERT INTO receiver_leases (receiver_id, address, pid, "
                              "started_at, heartbeat) VALUES (?, ?, ?, ?, ?)",
                              [rid, self._address, os.getpid(), self._started_at, now])
            else:
                store.execute("UPDATE receiver_leases SET heartbeat = ? WHERE receiver_id = ?",
                              [now, rid])
                if not store.query("SELECT 1 FROM receiver_leases WHERE receiver_id = ?",
                                   [rid]):  # taken for dead (a long pause): register again
                    store.execute("INSERT INTO receiver_leases (receiver_id, address, pid, "
                                  "started_at, heartbeat) VALUES (?, ?, ?, ?, ?)",
                                  [rid, self._address, os.getpid(), self._started_at, now])
            dead = [r for (r,) in store.query(
                "SELECT receiver_id FROM receiver_leases WHERE heartbeat < ?", [now - lease])]
            for gone in dead:
                store.execute("DELETE FROM live_sessions WHERE receiver_id = ?", [gone])
                store.execute("DELETE FROM receiver_leases WHERE receiver_id = ?", [gone])
            self.expired_receivers += len(dead)
            for mn, (peer, since) in claims:
                store.execute(
                    "INSERT INTO live_sessions (mn, receiver_id, peer, since, last_seen) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (mn) DO UPDATE SET "
                    "receiver_id = excluded.receiver_id, peer = excluded.peer, "
                    "since = excluded.since, last_seen = excluded.last_seen "
                    "WHERE live_sessions.since <= excluded.since", [mn, rid, peer, since, since])
            for chunk in _chunks(sorted(released)):
                marks = ", ".join("?" for _ in chunk)
                store.execute(f"DELETE FROM live_sessions WHERE receiver_id = ? "
                              f"AND mn IN ({marks})", [rid, *chunk])
            for mn, last in touch.items():
                store.execute("UPDATE live_sessions SET last_seen = ? "
                              "WHERE mn = ? AND receiver_id = ?", [last, mn, rid])
            store.execute(
                "INSERT INTO job_leases (job, holder, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, "
                "expires_at = excluded.expires_at "
                "WHERE job_leases.holder = excluded.holder OR job_leases.expires_at < ?",
                [JOBS, rid, now + lease, now])
            holder = store.query("SELECT holder FROM job_leases WHERE job = ?", [JOBS])
        runner = bool(holder) and holder[0][0] == rid
        # A lease renewed now holds for lease_s; we stop acting a third of it earlier.
        self._runner_until = time.monotonic() + self.settings.lease_s * 2 / 3 if runner else 0.0
        # Claims of the last lease_s: one written late (its receiver's store was slow) is
        # still seen; one seen twice is judged twice, the same way.
        look_from = now - lease
        lost = [(mn, since) for mn, since in store.query(
            "SELECT mn, since FROM live_sessions WHERE receiver_id <> ? AND since >= ?",
            [rid, look_from])]
        seen: list[tuple[str, float]] = []
        if runner:
            seen = [(mn, max((now - last).total_seconds(), 0.0)) for mn, last in store.query(
                "SELECT mn, last_seen FROM live_sessions WHERE receiver_id <> ?", [rid])]
        return lost, seen

    def _leave(self) -> None:
        store, rid = self.store, self.receiver_id
        with store.transaction():
            store.execute("DELETE FROM live_sessions WHERE receiver_id = ?", [rid])
            store.execute("DELETE FROM job_leases WHERE holder = ?", [rid])
            store.execute("DELETE FROM receiver_leases WHERE receiver_id = ?", [rid])
        self._runner_until = 0.0


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[k:k + _CHUNK] for k in range(0, len(items), _CHUNK)]


def live_sessions(store) -> dict[str, tuple[str, str]]:
    """MN -> (receiver id, peer) of every live session the receivers published."""
    return {mn: (rid, peer) for mn, rid, peer in store.query(
        "SELECT mn, receiver_id, peer FROM live_sessions")}
