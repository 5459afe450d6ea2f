"""Province scale: receivers on DuckDB and PostgreSQL under a province's load (issue 14, point 3).

    python -m benchmarks scale [--units 10000] [--burst 3667] [--duration 30]
        [--max-connections 20000] [--assess-points 3667] [--pg-url postgresql://…]

Not a test: the figures depend on the machine. Cases, in one run, each on a fresh store with
the same registry and the same load (the baseline is the first, 1 receiver on DuckDB):

- `duckdb ×1`: one `envmon serve --no-web` on a DuckDB file;
- `pg ×1`: one `envmon serve --no-web` on PostgreSQL;
- `pg ×2`: two of them on one PostgreSQL database, the units split between their ports.

Each case: `--units` units connect (one TCP connection each, all from this process: asyncio
with pre-built packets, no simulator object per unit), then for `--duration` seconds each
sends real-time data (CN 2011) every `--rt-interval` s and minute data (CN 2051) every
`--minute-interval` s, spread evenly, then `--burst` of them send their hourly packet (CN 2061)
at the top of the hour, all at once (`--burst-window 0`) or spread over that many seconds.
Every packet asks for an answer (Flag=5, 9014 after commit), so each has a latency. Printed:
packets/s, answer latency p50/p99 per phase, CPU and RSS per receiver (/proc), the client's
own CPU, rows/s into the engine (rows counted in the store after the run, which must hold
every answered packet), and ratios against the DuckDB receiver.

Then `connections`: one receiver holds as many idle-but-authenticated connections as it can,
up to `--max-connections` (each unit sends one packet and keeps its connection). The
receiver's own caps: `ReceiverLimits.max_connections` (20 000, not a config knob) lowered at
start-up to the open-file limit minus `[admission] fd_reserve` (256); the per-address cap
(`[admission] max_connections_per_address`, 500) does not apply to loopback, which is in
`exempt_networks`. The benchmark raises RLIMIT_NOFILE (the receivers inherit it).

Last, `assess`: a province-month of hourly data (`--assess-points` points, 3 factors, 31 days,
made by benchmarks/bench_assess.fill in DuckDB and copied by COPY into PostgreSQL, so both hold
the same rows) and `envmon.assess.compute.assess` timed on each; both must count the same.

PostgreSQL: `--pg-url` (a role that may CREATE DATABASE), else a throwaway server started by
tests/pgcluster.Cluster and removed afterwards (needs the server binaries, see .ci/run).
`--smoke` (`python -m benchmarks --smoke scale`, CI) runs tiny sizes in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import uvloop

from benchmarks.bench_receiver import (
    PW,
    _cpu_seconds,
    free_port,
    mns,
    registry_rows,
    stop_serve,
)
from envmon.hj212 import codec
from envmon.hj212.framing import FrameBuffer
from envmon.store import open_store
from envmon.timeutil import now_beijing

REPO = Path(__file__).resolve().parents[1]
ROWS_PER_PACKET = 5  # factors in every packet below: 3 pollutants, flow, O2


# -- packets ---------------------------------------------------------------------------------
def _values(k: int, j: int) -> dict[str, float]:
    wobble = ((j * 7 + k) % 13) / 10  # values that move, as real ones do
    return {"a21026": 10.0 + wobble, "a21002": 25.5 + wobble, "a34013": 3.1 + wobble,
            "a00000": 120.5 + wobble, "a19001": 8.3 + wobble / 10}


def packet(mn: str, k: int, j: int, cn: str, data_time: datetime, qn: int) -> bytes:
    """One upload of unit k (its j-th of this kind): 2011 real-time (Rtd), 2051 minute or 2061
    hourly (Avg/Min/Max), Flag=5 so that the receiver answers 9014 after the commit."""
    if cn == "2011":
        factors = {c: {"Rtd": round(v, 2), "Flag": "N"} for c, v in _values(k, j).items()}
    else:
        factors = {c: {"Avg": round(v, 2), "Min": round(v - 0.5, 2), "Max": round(v + 0.5, 2),
                       "Flag": "N"} for c, v in _values(k, j).items()}
    cp = codec.format_cp(data_time=data_time, factors=factors)
    return codec.build_packet(qn=str(qn), st="31", cn=cn, pw=PW, mn=mn, flag=5, cp=cp)


def steady_schedule(units: int, seconds: float, rt_s: float, minute_s: float,
                    start: datetime) -> list[tuple[float, int, bytes]]:
    """(offset s, unit, packet) of the steady phase, sorted: unit k's sends are shifted by
    k/units of the interval, as real units' clocks are; DataTime follows the wall clock."""
    out = []
    names = mns(units)
    qn = 20260000000000000
    for cn, every in (("2011", rt_s), ("2051", minute_s)):
        for k, mn in enumerate(names):
            at, j = every * k / units, 0
            while at < seconds:
                when = start + timedelta(seconds=at)
                if cn == "2051":
                    when = when.replace(second=0, microsecond=0)
                    when -= timedelta(minutes=1)  # the minute just ended
                else:
                    when = when.replace(microsecond=0)
                qn += 1
                out.append((at, k, packet(mn, k, j, cn, when, qn)))
                at, j = at + every, j + 1
    out.sort(key=lambda item: item[0])
    return out


def burst_packets(units: int, burst: int, hour: datetime) -> list[tuple[int, bytes]]:
    """The top-of-hour packets (CN 2061) of the first `burst` units, for `hour`."""
    names = mns(units)
    return [(k, packet(names[k], k, 0, "2061", hour, 20269000000000000 + k))
            for k in range(min(burst, units))]


# -- the load side ---------------------------------------------------------------------------
class Unit(asyncio.Protocol):
    """One unit's connection: sends what it is given, times each answer by its QN."""

    __slots__ = ("frames", "lat", "open", "pending", "transport")

    def __init__(self, lat: dict[str, list[float]]):
        self.frames = FrameBuffer()
        self.pending: dict[bytes, tuple[float, str]] = {}
        self.lat = lat
        self.open = False
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.open = True

    def send(self, data: bytes, phase: str) -> None:
        if self.open:
            start = data.index(b"QN=") + 3
            self.pending[data[start:start + 17]] = (time.monotonic(), phase)
            self.transport.write(data)

    def data_received(self, data):
        now = time.monotonic()
        for frame in self.frames.feed(data):
            if isinstance(frame, bytes) and b"CN=9014" in frame:
                start = frame.index(b"QN=") + 3
                sent = self.pending.pop(frame[start:start + 17], None)
                if sent is not None:
                    self.lat[sent[1]].append(now - sent[0])

    def connection_lost(self, exc):
        self.open = False


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    sent: int = 0
    answered: int = 0
    client_cpu: float = 0.0
    receivers: list[dict] = field(default_factory=list)  # cpu share, rss MB per receiver

    def pct(self, lat: list[float], q: float) -> float:
        if not lat:
            return float("nan")
        lat = sorted(lat)
        return lat[min(len(lat) - 1, int(len(lat) * q))] * 1000


def proc_sample(pid: int) -> tuple[float, float, float]:
    """CPU seconds, RSS MB and peak RSS MB of a process (Linux /proc)."""
    status = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    mb = lambda key: int(status[key].split()[0]) / 1024  # noqa: E731 (kB → MB)
    return _cpu_seconds(pid), mb("VmRSS"), mb("VmHWM")


def open_sockets(pid: int) -> int:
    """Sockets the process holds: its connections, as the receiver itself sees them."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return count


class Meter:
    """Wall, client CPU and every receiver's CPU/RSS over one phase."""

    def __init__(self, pids: list[int]):
        self.pids = pids

    def __enter__(self):
        self.t0, self.c0 = time.monotonic(), time.process_time()
        self.r0 = [proc_sample(pid)[0] for pid in self.pids]
        return self

    def close(self, phase: Phase) -> None:
        phase.seconds = time.monotonic() - self.t0
        wall = max(phase.seconds, 1e-9)
        phase.client_cpu = (time.process_time() - self.c0) / wall
        for pid, cpu0 in zip(self.pids, self.r0, strict=True):
            cpu, rss, peak = proc_sample(pid)
            phase.receivers.append({"cpu": (cpu - cpu0) / wall, "rss_mb": rss, "peak_mb": peak})

    def __exit__(self, *exc):
        return False


async def connect_all(ports: list[int], units: int, lat: dict) -> list[Unit]:
    """Unit k connects to ports[k % len(ports)]; 256 connects in flight at a time."""
    loop = asyncio.get_running_loop()
    out: list[Unit] = []
    for first in range(0, units, 256):
        batch = range(first, min(units, first + 256))
        done = await asyncio.gather(*(
            loop.create_connection(lambda: Unit(lat), "127.0.0.1", ports[k % len(ports)])
            for k in batch), return_exceptions=True)
        for result in done:
            if isinstance(result, BaseException):
                raise SystemExit(f"connect failed after {len(out)} connections: {result}")
            out.append(result[1])
    return out


async def settle(units: list[Unit], deadline_s: float) -> None:
    """Wait until every sent packet is answered (or its connection closed), or the deadline."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if not any(u.pending and u.open for u in units):
            return
        await asyncio.sleep(0.05)


async def run_load(ports: list[int], pids: list[int], args) -> dict:
    lat: dict[str, list[float]] = {"steady": [], "burst": [], "connect": []}
    result: dict = {"phases": []}
    connect = Phase("connect")
    with Meter(pids) as meter:
        units = await connect_all(ports, args.units, lat)
        meter.close(connect)
    result["connect"] = connect
    start = now_beijing()
    schedule = steady_schedule(args.units, args.duration, args.rt_interval,
                               args.minute_interval, start)
    hour = start.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    burst = burst_packets(args.units, args.burst, hour)

    steady = Phase("steady")
    with Meter(pids) as meter:
        t0 = time.monotonic()
        i = 0
        while i < len(schedule):
            now = time.monotonic() - t0
            while i < len(schedule) and schedule[i][0] <= now:
                units[schedule[i][1]].send(schedule[i][2], "steady")
                i += 1
                steady.sent += 1
            if i < len(schedule):
                await asyncio.sleep(max(0.0, min(0.01, schedule[i][0] - now)))
        await settle(units, 60)
        meter.close(steady)
    steady.answered = len(lat["steady"])
    result["phases"].append((steady, lat["steady"]))

    top = Phase("burst")
    with Meter(pids) as meter:
        t0 = time.monotonic()
        for n, (k, data) in enumerate(burst):
            if args.burst_window:
                due = args.burst_window * n / len(burst)
                if due > time.monotonic() - t0:
                    await asyncio.sleep(due - (time.monotonic() - t0))
            units[k].send(data, "burst")
            top.sent += 1
        await settle(units, 120)
        meter.close(top)
    top.answered = len(lat["burst"])
    result["phases"].append((top, lat["burst"]))
    result["held"] = sum(u.open for u in units)
    result["receiver_sockets"] = [open_sockets(pid) for pid in pids]
    for u in units:
        if u.transport is not None:
            u.transport.close()
    await asyncio.sleep(0.2)
    return result


async def hold(port: int, pid: int, count: int, lat: dict) -> dict:
    """Open up to `count` connections to one receiver, each sending one real-time packet;
    how many are answered and still open at the end."""
    loop = asyncio.get_running_loop()
    names = mns(count)
    start = now_beijing().replace(microsecond=0)
    units: list[Unit] = []
    t0 = time.monotonic()
    error = ""
    for first in range(0, count, 256):
        batch = range(first, min(count, first + 256))
        done = await asyncio.gather(*(
            loop.create_connection(lambda: Unit(lat), "127.0.0.1", port) for _ in batch),
            return_exceptions=True)
        for k, result in zip(batch, done, strict=True):
            if isinstance(result, BaseException):
                error = error or f"{type(result).__name__}: {result}"
                continue
            unit = result[1]
            units.append(unit)
            unit.send(packet(names[k], k, 0, "2011", start, 20268000000000000 + k), "hold")
        if error:
            break
    await settle(units, 60)
    seconds = time.monotonic() - t0
    await asyncio.sleep(1)  # a receiver over its cap closes the connection after accepting
    held = sum(u.open for u in units)
    sockets = open_sockets(pid)
    _, rss, _ = proc_sample(pid)
    for u in units:
        if u.transport is not None:
            u.transport.close()
    return {"tried": count, "connected": len(units), "answered": len(lat["hold"]),
            "held": held, "receiver_sockets": sockets, "seconds": seconds, "rss_mb": rss,
            "error": error}


# -- receivers -------------------------------------------------------------------------------
def cli_takes_url(url: str) -> bool:
    """Whether this checkout's `envmon serve --db` keeps a PostgreSQL URL as given (a Path
    option collapses its `//`)."""
    import typer.main

    from envmon.cli import app

    command = typer.main.get_command(app).commands["serve"]
    ctx = command.make_context("serve", ["--db", url], resilient_parsing=True)
    return str(ctx.params.get("db")) == url


# Where `envmon serve --db` does not take a URL yet: the same Platform serve runs, without
# the web app (--no-web), alarms and back-fill (--no-alarms --no-backfill), the same limits.
PLATFORM_RECEIVER = r'''
import asyncio, sys
from envmon.app import Platform, PlatformOptions
from envmon.config import load_config
from envmon.ingest.accept import DataTimeWindow
from envmon.ingest.loop import run_loop
from envmon.ingest.server import ReceiverLimits, stop_signal
from envmon.store import open_store
target, port, config = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = load_config(config)
i = s.ingest
limits = ReceiverLimits(
    idle_timeout_s=i.idle_timeout_s, commit_interval_s=i.commit_interval_ms / 1000,
    max_segment=i.max_segment, max_batch=i.max_batch, guard=s.guard,
    max_failed_commits=i.max_failed_commits,
    data_time_window=DataTimeWindow(i.data_time_past_days, i.data_time_future_minutes),
    admission=s.admission, reject_unencrypted=i.reject_unencrypted)
platform = Platform(open_store(target), PlatformOptions(
    host="127.0.0.1", hj212_port=port, limits=limits, backfill=False, alarms=False,
    web_port=None, config=s))
async def main():
    stop = stop_signal()
    try:
        await platform.prepare()
        await platform.listen()
        await platform.serve_until(stop)
    finally:
        await platform.stop()
try:
    run_loop(main())
finally:
    platform.close()
'''


def start_receivers(target: str, count: int, config: Path, via_cli: bool
                    ) -> list[tuple[subprocess.Popen, int]]:
    out = []
    for _ in range(count):
        port = free_port()
        if via_cli:
            argv = [sys.executable, "-m", "envmon", "serve", "--no-web", "--no-alarms",
                    "--no-backfill", "--host", "127.0.0.1", "--hj212-port", str(port),
                    "--db", target, "--config", str(config), "--log-level", "error"]
        else:
            argv = [sys.executable, "-c", PLATFORM_RECEIVER, target, str(port), str(config)]
        log = (config.parent / f"receiver-{port}.log").open("wb")
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)
        out.append((proc, port))
    for proc, port in out:
        wait_listening(port, proc, config.parent / f"receiver-{port}.log")
    return out


def wait_listening(port: int, proc: subprocess.Popen, log: Path, deadline_s: float = 600
                   ) -> None:
    """Until the receiver accepts connections: it loads its registry first (seconds for
    20 000 points on a loaded machine); an exit or the deadline stops the benchmark with
    the end of its log."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:]
    why = f"exit {proc.returncode}" if proc.poll() is not None else "timeout"
    raise SystemExit(f"receiver on port {port} did not start ({why}):\n{tail}")


def counts(target: str) -> tuple[int, int, int]:
    """(records, raw packets, accepted raw packets) in the store."""
    with open_store(target, read_only=True) as store:
        records = store.query("SELECT count(*) FROM records")[0][0]
        raw = store.query("SELECT count(*) FROM raw_packets")[0][0]
        return records, raw, store.raw_counts().get("accepted", 0)


def run_case(name: str, target: str, receivers: int, config: Path, via_cli: bool,
             args) -> dict:
    before = counts(target)
    t0 = time.monotonic()
    procs = start_receivers(target, receivers, config, via_cli)
    started_s = time.monotonic() - t0
    try:
        result = uvloop.run(run_load([p for _, p in procs], [p.pid for p, _ in procs], args))
    finally:
        for proc, _ in procs:
            stop_serve(proc)
    after = counts(target)
    result.update(name=name, receivers=receivers, started_s=started_s,
                  records=after[0] - before[0], raw=after[1] - before[1],
                  accepted=after[2] - before[2])
    return result


# -- stores ----------------------------------------------------------------------------------
def registry_store(target: str, points: int) -> None:
    from envmon.registry.importer import import_rows

    with open_store(target) as store:
        report = import_rows(store, registry_rows(points))
        if len(store.list_points()) != points:
            raise SystemExit(f"benchmark registry did not import: {report}")


class Postgres:
    """Databases on `--pg-url`'s server, or on a throwaway cluster of our own."""

    def __init__(self, url: str | None):
        sys.path.insert(0, str(REPO))
        from tests.pgcluster import Cluster, Databases

        self.cluster = None if url else Cluster()
        self.databases = Databases(url or self.cluster.url())

    def fresh(self, prefix: str, template: str | None = None) -> str:
        """A new migrated database, or a copy of the database `template` (a URL)."""
        import psycopg
        from tests.pgcluster import with_database

        if template is None:
            return self.databases.fresh(prefix)
        name = f"{template.rsplit('/', 1)[1]}_{prefix}"
        with psycopg.connect(self.databases.server_url, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template.rsplit("/", 1)[1]}"')
        return with_database(self.databases.server_url, name)

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.remove()


ASSESS_TABLES = ("regions", "units", "points", "point_factors", "exemptions", "raw_packets",
                 "records")


def copy_store(source: str, target: str, chunk: int = 500_000) -> None:
    """Every table the assessment reads, from the DuckDB file to PostgreSQL (COPY)."""
    with open_store(source, read_only=True) as src, open_store(target) as dst:
        for table in ASSESS_TABLES:
            columns = [name for name in src.arrow(f"SELECT * FROM {table} LIMIT 0").column_names]
            top = src.query(f"SELECT count(*) FROM {table}")[0][0]
            order = "id" if "id" in columns else columns[0]
            for offset in range(0, top, chunk):
                rows: pa.Table = src.arrow(
                    f"SELECT * FROM {table} ORDER BY {order} LIMIT {chunk} OFFSET {offset}")
                dst.append(table, rows)
        dst.execute("ANALYZE")


def time_assess(target: str) -> tuple[float, list]:
    from benchmarks.bench_assess import MONTH, NEXT
    from envmon.assess import AssessConfig, assess

    with open_store(target, read_only=True) as store:
        t0 = time.perf_counter()
        result = assess(store, MONTH, NEXT, AssessConfig(), as_of=NEXT + timedelta(days=20))
        seconds = time.perf_counter() - t0
    rows = sorted((p.code, p.counts.should, p.counts.instant_received, p.counts.instant_valid,
                   p.counts.complete_received, p.counts.complete_valid) for p in result.points)
    return seconds, rows


ASSESS_CHILD = r'''
import json, sys
sys.path[:0] = [sys.argv[2]]
from benchmarks.bench_scale import time_assess
seconds, rows = time_assess(sys.argv[1])
print(json.dumps({"seconds": seconds, "rows": rows}))
'''


def time_assess_bounded(target: str, timeout_s: float) -> tuple[float | None, list]:
    """`time_assess` in a child process, given up (killed) after `timeout_s`: (None, [])."""
    import json

    child = subprocess.Popen([sys.executable, "-c", ASSESS_CHILD, target, str(REPO)],
                             stdout=subprocess.PIPE, text=True)
    try:
        out, _ = child.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return None, []
    if child.returncode:
        raise SystemExit(f"assessment failed on {target} (exit {child.returncode})")
    done = json.loads(out)
    return done["seconds"], [tuple(row) for row in done["rows"]]


def assess_case(pg: Postgres, tmp: Path, points: int, timeout_s: float) -> dict:
    from benchmarks.bench_assess import fill

    duck = str(tmp / "assess.duckdb")
    with open_store(duck) as store:
        records = fill(store, points)
    url = pg.fresh("assess")
    t0 = time.perf_counter()
    copy_store(duck, url)
    copy_s = time.perf_counter() - t0
    duck_s, duck_rows = time_assess(duck)
    pg_s, pg_rows = time_assess_bounded(url, timeout_s)
    if pg_s is not None and duck_rows != pg_rows:
        diff = next(a for a, b in zip(duck_rows, pg_rows, strict=False) if a != b)
        raise SystemExit(f"assessment differs between engines, first at {diff}")
    return {"points": points, "records": records, "copy_s": copy_s, "duckdb_s": duck_s,
            "pg_s": pg_s}


# -- report ----------------------------------------------------------------------------------
def raise_open_files(want: int) -> tuple[int, int]:
    """Lift RLIMIT_NOFILE for this process and the receivers it starts (root may raise the
    hard limit up to fs.nr_open)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for limit in ((max(want, hard), max(want, hard)), (hard, hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, limit)
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def print_case(r: dict, base: dict | None) -> None:
    c = r["connect"]
    print(f"  {r['name']}: {r['held']:,} of {r['connect_units']:,} connections held "
          f"(receiver sockets {'+'.join(f'{s:,}' for s in r['receiver_sockets'])}), "
          f"connected in {c.seconds:.1f} s; receivers listening {r['started_s']:.0f} s "
          "after their start (registry loaded)")
    for phase, lat in r["phases"]:
        rate = phase.answered / phase.seconds if phase.seconds else 0
        recv = ", ".join(f"CPU {x['cpu']:.0%} RSS {x['rss_mb']:.0f} MB (peak {x['peak_mb']:.0f})"
                         for x in phase.receivers)
        print(f"    {phase.name:6s} sent {phase.sent:>7,} answered {phase.answered:>7,} in "
              f"{phase.seconds:5.1f} s = {rate:>7,.0f} packets/s  p50 {phase.pct(lat, .5):7.1f} "
              f"ms  p99 {phase.pct(lat, .99):7.1f} ms | receiver {recv} | client CPU "
              f"{phase.client_cpu:.0%}")
    burst = r["phases"][1][0]
    rows_s = burst.answered * ROWS_PER_PACKET / burst.seconds if burst.seconds else 0
    r["burst_rows_s"] = rows_s
    load_s = sum(p.seconds for p, _ in r["phases"])
    print(f"    rows: {r['records']:,} records + {r['raw']:,} raw packets stored "
          f"({(r['records'] + r['raw']) / load_s:,.0f} rows/s over the run; the burst "
          f"{rows_s:,.0f} records/s); answered but not stored: "
          f"{r['answered'] - r['accepted']} (must be 0)")
    if base is not None and base is not r:
        b_burst = base["phases"][1]
        ratio = lambda a, b: a / b if b else float("nan")  # noqa: E731
        print(f"    vs duckdb ×1: burst packets/s ×{ratio(burst.answered / burst.seconds, b_burst[0].answered / b_burst[0].seconds):.2f}, "  # noqa: E501
              f"burst p99 ×{ratio(burst.pct(r['phases'][1][1], .99), b_burst[0].pct(b_burst[1], .99)):.2f}, "  # noqa: E501
              f"steady p99 ×{ratio(r['phases'][0][0].pct(r['phases'][0][1], .99), base['phases'][0][0].pct(base['phases'][0][1], .99)):.2f}")  # noqa: E501


SMOKE_ARGS = ["--units", "6", "--burst", "6", "--duration", "2", "--rt-interval", "1",
              "--minute-interval", "2", "--max-connections", "20", "--assess-points", "2",
              "--assess-timeout", "60"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000, help="units (connections)")
    parser.add_argument("--burst", type=int, default=3_667,
                        help="units sending their hourly packet at the top of the hour")
    parser.add_argument("--burst-window", type=float, default=0.0,
                        help="s over which the burst is spread (0: all at once)")
    parser.add_argument("--duration", type=float, default=30.0, help="steady phase, s")
    parser.add_argument("--rt-interval", type=float, default=30.0,
                        help="s between real-time packets (2011) of a unit")
    parser.add_argument("--minute-interval", type=float, default=60.0,
                        help="s between minute packets (2051) of a unit")
    parser.add_argument("--max-connections", type=int, default=20_000,
                        help="connections one receiver is asked to hold (0: skip)")
    parser.add_argument("--assess-points", type=int, default=3_667,
                        help="points of the province-month assessed on both engines (0: skip)")
    parser.add_argument("--assess-timeout", type=float, default=120.0,
                        help="s after which the PostgreSQL assessment is given up")
    parser.add_argument("--pg-url", help="PostgreSQL server (a role that may CREATE "
                        "DATABASE); default: a throwaway cluster")
    parser.add_argument("--cases", default="duckdb1,pg1,pg2",
                        help="comma-separated of duckdb1, pg1, pg2")
    args = parser.parse_args(argv)
    for name in ("units", "duration", "rt_interval", "minute_interval"):
        if not getattr(args, name) > 0:
            parser.error(f"--{name.replace('_', '-')}: must be more than 0")
    soft, hard = raise_open_files(max(args.units, args.max_connections) * 2 + 4096)
    print(f"open files: {soft:,} (hard {hard:,}); {os.cpu_count()} CPUs; load "
          f"{os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    registry_points = max(args.units, args.max_connections)
    tmp = Path(tempfile.mkdtemp(prefix="envmon-bench-scale-"))
    wanted = args.cases.split(",")
    unknown = set(wanted) - {"duckdb1", "pg1", "pg2"}
    if unknown:
        parser.error(f"--cases: no case named {', '.join(sorted(unknown))}")
    needs_pg = bool({"pg1", "pg2"} & set(wanted)) or args.assess_points > 0
    pg = Postgres(args.pg_url) if needs_pg else None
    try:
        config = tmp / "bench-envmon.toml"
        config.write_text("[ingest]\nidle_timeout_s = 3600\n", encoding="utf-8")
        t0 = time.perf_counter()
        duck_template = str(tmp / "template.duckdb")
        registry_store(duck_template, registry_points)
        # PostgreSQL gets the registry of the load cases only: a receiver on it loads its
        # registry far slower than on DuckDB (see the start times printed below).
        pg_template = pg.fresh("scale") if needs_pg else None
        if pg_template:
            registry_store(pg_template, args.units)
        via_cli = cli_takes_url(pg_template) if pg_template else True
        print(f"registry of {registry_points:,} points (DuckDB), {args.units:,} (PostgreSQL): "
              f"{time.perf_counter() - t0:.1f} s; receivers: "
              + ("`envmon serve --no-web`" if via_cli else
                 "envmon.app.Platform as `envmon serve --no-web` runs it (this checkout's "
                 "serve --db does not take a URL yet)"), flush=True)
        results = []
        for case, name, receivers in (("duckdb1", "duckdb ×1", 1), ("pg1", "pg ×1", 1),
                                      ("pg2", "pg ×2", 2)):
            if case not in wanted:
                continue
            if case == "duckdb1":
                target = str(tmp / f"{case}.duckdb")
                shutil.copy(duck_template, target)
            else:
                target = pg.fresh(case, template=pg_template)
            print(f"running {name} …", flush=True)
            r = run_case(name, target, receivers, config, via_cli or case == "duckdb1", args)
            r["connect_units"] = args.units
            r["answered"] = sum(p.answered for p, _ in r["phases"])
            results.append(r)
        print(f"\nload: {args.units:,} units on loopback, real-time every {args.rt_interval:g} s "
              f"and minute data every {args.minute_interval:g} s for {args.duration:g} s, then "
              f"{min(args.burst, args.units):,} hourly packets "
              + (f"over {args.burst_window:g} s" if args.burst_window else "at once")
              + f"; {ROWS_PER_PACKET} factors a packet, each answered after its commit")
        base = results[0] if results and results[0]["name"] == "duckdb ×1" else None
        for r in results:
            print_case(r, base)
        lost = sum(r["answered"] - r["accepted"] for r in results)
        if args.max_connections:
            lat = {"hold": []}
            target = str(tmp / "hold.duckdb")
            shutil.copy(duck_template, target)
            (proc, port), = start_receivers(target, 1, config, True)
            try:
                h = uvloop.run(hold(port, proc.pid, args.max_connections, lat))
            finally:
                stop_serve(proc)
            print(f"connections: one receiver asked to hold {h['tried']:,}: {h['connected']:,} "
                  f"connected, {h['answered']:,} answered, {h['held']:,} held "
                  f"(receiver sockets {h['receiver_sockets']:,}, RSS {h['rss_mb']:.0f} MB) in "
                  f"{h['seconds']:.1f} s" + (f"; stopped by {h['error']}" if h["error"] else "")
                  + " (goal: 10 000 held; toward 20 000)")
        if args.assess_points:
            a = assess_case(pg, tmp, args.assess_points, args.assess_timeout)
            pg_text = (f"PostgreSQL {a['pg_s']:.2f} s = ×{a['pg_s'] / a['duckdb_s']:.2f} "
                       "(goal ≤ ×3); the same counts on both" if a["pg_s"] is not None else
                       f"PostgreSQL not done in {args.assess_timeout:g} s (given up) = "
                       f"> ×{args.assess_timeout / a['duckdb_s']:.0f} (goal ≤ ×3)")
            print(f"assessment of a province-month, {a['points']:,} points, {a['records']:,} "
                  f"hourly records (copied by COPY in {a['copy_s']:.0f} s): DuckDB "
                  f"{a['duckdb_s']:.2f} s, {pg_text}")
        print(f"answered but not stored, all cases: {lost} (must be 0)")
        if lost > 0:
            sys.exit(1)
    finally:
        if pg is not None:
            pg.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
