"""Honest units next to attackers: answer throughput and p99 with and without each attack.

    python benchmarks/bench_attack.py [--units 40] [--seconds 10] [--attackers 3]

Each scenario starts `envmon serve --no-alarms --no-backfill` (a real process, uvloop) on
a fresh copy of one DuckDB store with the units registered. N honest units, each from its
own loopback address (127.0.1.k), send hourly uploads in a closed loop (the next after the
9014 of the last), first alone (the baseline of this run), then while an attacker process
runs, from other addresses (127.0.0.2 …):

- garbage: connections of random bytes, reconnecting whenever they are cut off;
- brute force: wrong-password uploads for a registered MN, pipelined, several connections;
- slow reader: connections of a registered unit that send uploads and never read answers.

Printed: honest answers/s, p50 and p99 answer latency, and the ratio to the baseline (the
goal of issue 10: >= 80 % of the unattacked throughput, p99 < 1 s), plus what the attacker
got through. Every honest answer must be in the store afterwards.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvloop

try:
    from benchmarks.bench_receiver import (
        PW,
        LoadClient,
        _cpu_seconds,
        bench_config,
        free_port,
        import_registry,
        mns,
        packets_for,
        stop_serve,
        wait_port,
    )
except ImportError:  # run as a script: python benchmarks/bench_attack.py
    from bench_receiver import (
        PW,
        LoadClient,
        _cpu_seconds,
        bench_config,
        free_port,
        import_registry,
        mns,
        packets_for,
        stop_serve,
        wait_port,
    )
from envmon.hj212 import codec
from envmon.store import open_store

SLOW_READERS = 20  # registered points the slow-reader attack speaks for


def honest_address(k: int) -> str:
    return f"127.0.1.{k % 250 + 1}"


def attacker_address(k: int) -> str:
    return f"127.0.0.{k % 250 + 2}"


# -- honest load ----------------------------------------------------------------------------
async def honest_load(port: int, units: int, seconds: float) -> dict:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    futures = []
    all_packets = [packets_for(mn, k, int(seconds * 250) + 10) for k, mn in enumerate(mns(units))]
    stop_at = time.monotonic() + seconds
    t0 = time.monotonic()
    for k, packets in enumerate(all_packets):
        done = loop.create_future()
        futures.append(done)
        await loop.create_connection(
            lambda p=packets, d=done: LoadClient(p, stop_at, d, latencies),  # closed loop
            "127.0.0.1", port, local_addr=(honest_address(k), 0))
    try:
        answered = await asyncio.wait_for(asyncio.gather(*futures), seconds + 60)
    except TimeoutError:
        answered = [len(latencies)]
    elapsed = time.monotonic() - t0
    latencies.sort()
    return {
        "answered": sum(answered), "rate": sum(answered) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else float("nan"),
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else float("nan"),
    }


# -- attacks (each in its own process, so it does not steal the load's event loop) -------
async def _garbage(port: int, k: int, stop_at: float, sent: list[int]) -> None:
    rng = random.Random(k)
    chunk = rng.randbytes(64 * 1024)
    while time.monotonic() < stop_at:
        try:
            _, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(attacker_address(k), 0))
            while time.monotonic() < stop_at:
                writer.write(chunk)
                await asyncio.wait_for(writer.drain(), max(0.01, stop_at - time.monotonic()))
                sent[0] += len(chunk)
            writer.transport.abort()
        except (OSError, RuntimeError, TimeoutError):  # refused, reset, closed under us
            await asyncio.sleep(0.01)


async def _brute_force(port: int, k: int, stop_at: float, sent: list[int]) -> None:
    mn = mns(1)[0]
    guess = 0
    while time.monotonic() < stop_at:
        try:
            _, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(attacker_address(k), 0))
            while time.monotonic() < stop_at:
                batch = []
                for _ in range(100):
                    guess += 1
                    pw = f"{(guess * 7919 + k) % 1_000_000:06d}"
                    if pw == PW:
                        continue
                    batch.append(codec.build_packet(
                        qn=f"{20260101000000000 + guess}", st="31", cn="2061", pw=pw, mn=mn,
                        flag=5, cp="DataTime=20260101000000;a21026-Avg=1.0,a21026-Flag=N"))
                writer.write(b"".join(batch))
                await asyncio.wait_for(writer.drain(), max(0.01, stop_at - time.monotonic()))
                sent[0] += len(batch)
            writer.transport.abort()
        except (OSError, RuntimeError, TimeoutError):  # refused, reset, closed under us
            await asyncio.sleep(0.01)


async def _slow_reader(port: int, k: int, stop_at: float, sent: list[int],
                       units: int) -> None:
    mn = mns(units + SLOW_READERS)[units + k % SLOW_READERS]
    packets = [p for _, p in packets_for(mn, 10_000 + k, 2000)]
    while time.monotonic() < stop_at:
        try:
            _, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(attacker_address(k), 0))
            for j in range(0, len(packets), 50):
                if time.monotonic() >= stop_at:
                    break
                writer.write(b"".join(packets[j:j + 50]))
                await asyncio.wait_for(writer.drain(), max(0.01, stop_at - time.monotonic()))
                sent[0] += 50
            await asyncio.sleep(max(0.0, stop_at - time.monotonic()))  # never reads
            writer.transport.abort()
        except (OSError, RuntimeError, TimeoutError):  # refused, reset, closed under us
            await asyncio.sleep(0.01)


ATTACKS = {"garbage": _garbage, "brute force": _brute_force, "slow reader": _slow_reader}
UNITS_SENT = {"garbage": "bytes", "brute force": "guesses", "slow reader": "uploads"}


async def _attack(name: str, port: int, connections: int, seconds: float, units: int) -> int:
    stop_at = time.monotonic() + seconds
    sent = [0]
    extra = (units,) if name == "slow reader" else ()
    await asyncio.gather(*(ATTACKS[name](port, k, stop_at, sent, *extra)
                           for k in range(connections)))
    return sent[0]


def attack_main(name: str, port: int, connections: int, seconds: float, units: int,
                result) -> None:
    result.value = uvloop.run(_attack(name, port, connections, seconds, units))


# -- one scenario ---------------------------------------------------------------------------
def run_scenario(name: str, db: Path, args) -> dict:
    port = free_port()
    argv = ["envmon", "serve", "--host", "127.0.0.1", "--log-level", "error",
            "--config", str(bench_config(db.parent)), "--no-alarms", "--no-backfill"]
    stats_log = db.with_suffix(".log")  # the receiver's closing line: its own counters
    proc = subprocess.Popen(
        [sys.executable, "-c",
         "import logging,sys;from envmon.cli import main;"
         "h=logging.FileHandler(sys.argv[3]);h.setLevel(logging.INFO);"
         "g=logging.getLogger('envmon.ingest');g.setLevel(logging.INFO);g.addHandler(h);"
         f"sys.argv={argv!r}+['--db',sys.argv[1],'--hj212-port',sys.argv[2]];main()",
         str(db), str(port), str(stats_log)],
        stderr=subprocess.DEVNULL)
    attacker = None
    try:
        wait_port(port, proc)
        cpu0 = _cpu_seconds(proc.pid)
        if name in ATTACKS:
            context = multiprocessing.get_context("spawn")
            sent = context.Value("q", 0)
            attacker = context.Process(
                target=attack_main,
                args=(name, port, args.attackers, args.seconds + 2, args.units, sent))
            attacker.start()
            time.sleep(1.0)  # the attack is under way before the honest units start
        t0 = time.monotonic()
        result = uvloop.run(honest_load(port, args.units, args.seconds))
        result["server_cpu"] = (_cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0)
        if attacker is not None:
            attacker.join(args.seconds + 30)
            if attacker.is_alive():
                attacker.kill()
            result["attack_sent"] = sent.value
    finally:
        stop_serve(proc)
    with open_store(db, read_only=True) as store:
        counts = store.raw_counts()
        result["stored"] = counts.get("accepted", 0)
        result["raw_rows"] = counts
        result["db_mb"] = db.stat().st_size / 1e6
    result["receiver"] = receiver_stats(stats_log)
    result["name"] = name
    return result


def receiver_stats(path: Path) -> dict:
    """The counters the receiver logs when it stops ("receiver stopped: {...}")."""
    for line in reversed(path.read_text(errors="replace").splitlines()):
        if line.startswith("receiver stopped: "):
            return ast.literal_eval(line.removeprefix("receiver stopped: "))
    return {}


def attack_note(r: dict) -> str:
    """What the attacker sent, what the receiver processed of it, what the raw log kept."""
    name, took = r["name"], r["receiver"]
    if name.startswith("alone"):
        return ""
    sent = f"{r['attack_sent']:,} {UNITS_SENT[name]}"
    rows = r["raw_rows"]
    if name == "garbage":
        return (f"{sent} → {took.get('discarded_bytes', 0):,} bytes discarded, "
                f"{rows.get('discarded', 0):,} raw rows")
    if name == "brute force":
        return (f"{sent} → {took.get('rejected', 0):,} judged, "
                f"{rows.get('rejected', 0):,} raw rows")
    return f"{sent} → {took.get('accepted', 0) - r['answered']:,} accepted"


# `python -m benchmarks --smoke` (and .ci/run): the tiny size that proves the benchmark still
# runs and its cross-checks still hold, in seconds; no figure of it means anything.
SMOKE_ARGS = ["--units", "3", "--seconds", "1", "--attackers", "1"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=40, help="honest units")
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario")
    parser.add_argument("--attackers", type=int, default=3, help="attacking connections")
    parser.add_argument("--attacks", nargs="+", default=list(ATTACKS), choices=list(ATTACKS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        import_registry(db, args.units + SLOW_READERS)
        results = []
        for k, name in enumerate(["alone", *args.attacks, "alone again"]):
            case_db = Path(tmp) / f"case{k}.duckdb"
            shutil.copy(db, case_db)
            results.append(run_scenario(name, case_db, args))
    alone = [r for r in results if r["name"].startswith("alone")]
    base_rate = sum(r["rate"] for r in alone) / len(alone)  # before and after the attacks
    print(f"{args.units} honest units (closed loop, hourly uploads, one address each), "
          f"{args.seconds:g} s per scenario, {args.attackers} attacking connections, loopback, "
          "`envmon serve --no-alarms --no-backfill`:")
    print(f"  {'scenario':12s} {'answers/s':>10s} {'p50 ms':>8s} {'p99 ms':>8s} "
          f"{'vs alone':>8s}  {'store':>8s}  attacker sent → receiver took")
    for r in results:
        print(f"  {r['name']:12s} {r['rate']:>10,.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
              f"{r['rate'] / base_rate:>8.0%}  {r['db_mb']:>5.1f} MB  {attack_note(r)}")
    print("  (vs alone: against the mean of the two unattacked runs; goal >= 80 %, p99 < 1 s)")
    lost = sum(max(0, r["answered"] - r["stored"]) for r in results)
    print(f"  honest answers not in the store: {lost} (must be 0)")
    if lost > 0:
        sys.exit(1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
