"""The web API under load while the receiver takes a fleet's traffic, in one process.

    python benchmarks/bench_web.py [--connections 2000] [--seconds 20] [--web-clients 8]

`envmon serve` (receiver, web app on the same event loop; no alarms or back-fill, as
bench_receiver's "receiver alone") runs as its own process on a fresh DuckDB file per case.
The HJ 212 load is bench_receiver's (`load`: N connections, closed loop, an hourly packet
then wait for its 9014). The web load runs in a process of its own (so it shares neither
the receiver's loop nor the load's GIL): `--web-clients` HTTP/1.1 keep-alive connections,
each asking in turn for

* the overview (`GET /api/v1/overview`),
* a point's day (`GET /api/v1/data?mn=&from=&to=`, 2026-01-01, the day the load fills first),
* the month's assessment (`GET /api/v1/assess?month=2026-01&level=city`),

with no pause (closed loop): a stress, far above what a wall of screens asks. Cases, each
with the same HJ 212 load, in this order:

1. ``--no-web``: the receiver without the web app (without its publishers);
2. ``receiver alone``: the web app idle — the named baseline of the ratios;
3. ``+ N SSE streams``: `--streams` live event streams (`/api/v1/events?kinds=packet`) read
   by the web load process: what the per-packet ``packet`` publisher costs;
4. ``+ API load``: the web clients' requests during the receiver load; then, on the same
   server and the store the load filled, the web clients alone (``API alone``).

Every answered packet must be stored and every web request answered 200 (else exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import uvloop

try:
    from benchmarks.bench_receiver import (
        _cpu_seconds,
        bench_config,
        free_port,
        import_registry,
        load,
        mns,
        stop_serve,
        wait_port,
    )
except ImportError:  # run as a script: python benchmarks/bench_web.py
    from bench_receiver import (
        _cpu_seconds,
        bench_config,
        free_port,
        import_registry,
        load,
        mns,
        stop_serve,
        wait_port,
    )
from envmon.store import open_store

DAY = {"from": "2026-01-01T00:00:00+08:00", "to": "2026-01-02T00:00:00+08:00"}
MONTH = "2026-01"


def targets(first_mn: str) -> list[tuple[str, str]]:
    return [
        ("overview", "/api/v1/overview"),
        ("point day", "/api/v1/data?" + urlencode({"mn": first_mn, **DAY})),
        ("month assess", "/api/v1/assess?" + urlencode({"month": MONTH, "level": "city"})),
    ]


# --- the web load (its own process) -------------------------------------------------------

async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int]:
    """Status and body length of one HTTP/1.1 response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
        return status, len(body)
    size = 0
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(chunk + 2)
            size += chunk
            if chunk == 0:
                return status, size
    return status, size


async def _client(port: int, paths: list[tuple[str, str]], offset: int, stop: asyncio.Event,
                  latencies: dict[str, list[float]], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    k = offset
    try:
        while not stop.is_set():
            name, path = paths[k % len(paths)]
            k += 1
            t0 = time.monotonic()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            try:
                status, _ = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                errors.append(f"{name}: {error!r}")
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            if status != 200:
                errors.append(f"{name}: HTTP {status}")
                continue
            latencies[name].append(time.monotonic() - t0)
    finally:
        writer.close()


async def _stream(port: int, stop: asyncio.Event, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /api/v1/events?kinds=packet HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise SystemExit(f"event stream refused: {head[:200]!r}")
    counts[1] += 1
    try:
        while not stop.is_set():
            try:
                data = await asyncio.wait_for(reader.read(65536), 0.2)
            except TimeoutError:
                continue
            if not data:
                return
            counts[0] += data.count(b"event: packet")
    finally:
        writer.close()


async def _web_load(port: int, clients: int, streams: int, first_mn: str, stop_flag,
                    ready_flag) -> dict:
    paths = targets(first_mn) if clients else []
    latencies: dict[str, list[float]] = {name: [] for name, _ in paths}
    errors: list[str] = []
    counts = [0, 0]  # packet events read, streams open
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_stream(port, stop, counts)) for _ in range(streams)]
    while counts[1] < streams:
        await asyncio.sleep(0.01)
    t0 = time.monotonic()
    tasks += [asyncio.create_task(_client(port, paths, k, stop, latencies, errors))
              for k in range(clients)]
    ready_flag.set()
    while not stop_flag.is_set():
        await asyncio.sleep(0.02)
    stop.set()
    elapsed = time.monotonic() - t0
    await asyncio.gather(*tasks)
    summary = {}
    for name, values in latencies.items():
        values.sort()
        summary[name] = {
            "count": len(values), "rate": len(values) / elapsed,
            "p50_ms": values[len(values) // 2] * 1000 if values else None,
            "p99_ms": values[min(len(values) - 1, int(len(values) * 0.99))] * 1000
            if values else None}
    return {"endpoints": summary, "errors": errors, "events": counts[0],
            "cpu": time.process_time() / max(elapsed, 1e-9)}


def web_load_main(port: int, clients: int, streams: int, first_mn: str, stop_flag,
                  ready_flag, results) -> None:
    results.put(uvloop.run(_web_load(port, clients, streams, first_mn, stop_flag, ready_flag)))


class WebLoad:
    """The web load process: started, waited on until its clients run, then stopped."""

    def __init__(self, port: int, clients: int, streams: int, first_mn: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.stop_flag, self.ready_flag = context.Event(), context.Event()
        self.results = context.Queue()
        self.process = context.Process(target=web_load_main, args=(
            port, clients, streams, first_mn, self.stop_flag, self.ready_flag, self.results))

    def __enter__(self) -> WebLoad:
        self.process.start()
        deadline = time.monotonic() + 60
        while not self.ready_flag.wait(0.1):
            if not self.process.is_alive() or time.monotonic() > deadline:
                raise SystemExit("the web load did not start")
        return self

    def finish(self) -> dict:
        self.stop_flag.set()
        result = self.results.get(timeout=120)
        self.process.join(30)
        return result

    def __exit__(self, *exc: object) -> None:
        if self.process.is_alive():
            self.stop_flag.set()
            self.process.join(30)


# --- the cases -----------------------------------------------------------------------------

def serve_command(config: Path, db: Path, hj212_port: int, web_port: int | None) -> list[str]:
    argv = ["envmon", "serve", "--host", "127.0.0.1", "--log-level", "error",
            "--config", str(config), "--no-alarms", "--no-backfill", "--db", str(db),
            "--hj212-port", str(hj212_port),
            *(["--no-web"] if web_port is None else ["--web-port", str(web_port)])]
    return [sys.executable, "-c", f"import sys;from envmon.cli import main;sys.argv={argv!r};"
            "main()"]


def run_case(name: str, db: Path, config: Path, args, per_conn: int, web: bool = True,
             streams: int = 0, clients: int = 0) -> dict:
    port, web_port = free_port(), free_port() if web else None
    log = db.with_suffix(".log")
    with log.open("wb") as sink:  # a pipe nobody reads could fill and stall the server
        proc = subprocess.Popen(serve_command(config, db, port, web_port),
                                stdout=subprocess.DEVNULL, stderr=sink)
    result: dict = {"name": name}
    try:
        wait_port(port, proc)
        if web_port is not None:
            wait_port(web_port, proc)
        first_mn = mns(1)[0]
        web_load = WebLoad(web_port, clients, streams, first_mn) if streams or clients else None
        with web_load or _nothing():
            cpu0, wall0 = _cpu_seconds(proc.pid), time.monotonic()
            result.update(uvloop.run(load(port, args.connections, args.seconds, per_conn)))
            # over the whole load, connecting included (its `seconds` start once connected)
            result["server_cpu"] = ((_cpu_seconds(proc.pid) - cpu0)
                                    / (time.monotonic() - wall0))
            if web_load is not None:
                result["web"] = web_load.finish()
        if clients:  # the same clients on the store the load filled, the receiver idle
            with WebLoad(web_port, clients, 0, first_mn) as alone:
                time.sleep(args.seconds)
                result["web_alone"] = alone.finish()
    finally:
        stop_serve(proc)
    if proc.returncode not in (0, -signal.SIGTERM):
        raise SystemExit(f"{name}: serve exited {proc.returncode}: "
                         f"{log.read_text(errors='replace')[-2000:]}")
    with open_store(db, read_only=True) as store:
        result["stored"] = store.raw_counts().get("accepted", 0)
    return result


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc: object) -> None:
        return None


CASES = ("no-web", "idle", "sse", "api")

# `python -m benchmarks --smoke`: the tiny size that proves it runs and its checks hold.
SMOKE_ARGS = ["--connections", "10", "--seconds", "1", "--web-clients", "2", "--streams", "2"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--web-clients", type=int, default=8,
                        help="concurrent keep-alive HTTP clients of the web load")
    parser.add_argument("--streams", type=int, default=10, help="live event streams")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES),
                        help="cases to run (idle, the baseline, always runs)")
    args = parser.parse_args()
    per_conn = int(args.seconds * 30) + 10  # more than any connection can send in time
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "bench.duckdb"
        import_registry(fresh, args.connections)
        config = bench_config(Path(tmp))
        cases = {"no-web": ("--no-web", {"web": False}),
                 "idle": ("receiver alone", {}),
                 "sse": (f"+ {args.streams} SSE streams", {"streams": args.streams}),
                 "api": ("+ API load", {"clients": args.web_clients})}
        wanted = {*args.cases, "idle"}
        results = []
        for k, (name, options) in enumerate(c for key, c in cases.items() if key in wanted):
            db = Path(tmp) / f"case{k}.duckdb"
            shutil.copy(fresh, db)
            results.append(run_case(name, db, config, args, per_conn, **options))
    report_results(args, results)


def report_results(args, results: list[dict]) -> None:
    base = next(r for r in results if r["name"] == "receiver alone")
    print(f"receiver: {args.connections} connections, closed loop, `envmon serve "
          "--no-alarms --no-backfill`; ratios against \"receiver alone\" (web app idle):")
    for r in results:
        print(f"  {r['name']:17s} {r['rate']:>9,.0f} packets/s ({r['rate'] / base['rate']:.2f}x)"
              f"  answer p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms"
              f" ({r['p99_ms'] / base['p99_ms']:.2f}x)  answered {r['answered']:,}  stored "
              f"{r['stored']:,}  CPU: serve {r['server_cpu']:.0%}")
    failures = [f"{r['name']}: {r['answered'] - r['stored']} answered packets not stored"
                for r in results if r["answered"] != r["stored"]]
    for r in results:
        web = r.get("web")
        if web and "SSE" in r["name"]:
            print(f"  {r['name']}: {web['events'] / args.streams:,.0f} packet events read "
                  "per stream (at most one a point a second; a slow stream drops its oldest)")
            if web["events"] == 0:
                failures.append(f"{r['name']}: no packet event arrived")
    loaded = next((r for r in results if r["name"] == "+ API load"), None)
    if loaded is None:
        report_failures(failures)
        return
    print(f"web API, {args.web_clients} keep-alive clients in their own process, closed loop"
          f" (overview; a point's day {DAY['from'][:10]}; assessment {MONTH} by city):")
    for label, web in (("with the receiver load", loaded["web"]),
                       ("API alone (receiver idle)", loaded["web_alone"])):
        for endpoint, s in web["endpoints"].items():
            if not s["count"]:
                failures.append(f"{label}: no answer from {endpoint}")
                continue
            print(f"  {label:26s} {endpoint:13s} {s['rate']:>7.1f}/s  p50 {s['p50_ms']:7.1f} ms"
                  f"  p99 {s['p99_ms']:7.1f} ms  ({s['count']:,} requests)")
        failures += [f"{label}: {error}" for error in web["errors"][:5]]
    report_failures(failures)


def report_failures(failures: list[str]) -> None:
    print(f"  answered but not stored, web errors: {len(failures)} (must be 0)")
    if failures:
        print("\n".join(f"  {failure}" for failure in failures))
        sys.exit(1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
