"""`Store.write_batch` of a province's top-of-hour burst on each engine (issue 14).

Run: ``.venv/bin/python benchmarks/bench_pg_write.py --pg-url postgresql://… [--points 3667]
[--group 200] [--profile]``.

The burst (one hourly packet of each point, 5 factors each) is written in groups of `--group`
packets, as the receiver's group commit hands them over when packets arrive faster than a
commit takes; each group is one `write_batch` (raw packets and records, one transaction).
Timed on a fresh PostgreSQL database (the server behind `--pg-url`, or a throwaway cluster)
and on a fresh DuckDB file, in the same run: the write path alone, without sockets or parsing,
so a change to the engine's write path shows here first (bench_scale measures the receiver).
Not a test: numbers depend on the machine.

Measured 2026-12-01 on the loaded 2-core machine (3 runs each, same cluster): PostgreSQL
0.30–0.42 s with COPY written row by row, 0.23–0.38 s with Arrow's CSV (DuckDB 0.15–0.42 s).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from envmon.store import open_store  # noqa: E402
from envmon.store.models import RawPacketRow, RecordRow  # noqa: E402
from envmon.timeutil import BEIJING_FIXED  # noqa: E402

FACTORS = ("a21026", "a21002", "a34013", "a21005", "a19001")
HOUR = datetime(2026, 11, 20, 10, tzinfo=BEIJING_FIXED)


def burst(points: int, hour: datetime = HOUR) -> list[tuple[RawPacketRow, list[RecordRow]]]:
    """One hourly packet per point: its raw log row and its records."""
    out = []
    received = hour + timedelta(hours=1, seconds=5)
    for p in range(points):
        mn = f"MN{p:022d}"
        raw = RawPacketRow(received, f"127.0.0.1:{10000 + p % 50000}", "accepted", None, mn,
                           "2061", f"{p:020d}", b"##" + bytes(300))
        records = [RecordRow(mn, "2061", hour, f, f, None, 20.0 + k, 19.0, 21.0, None, None,
                             None, "N", None, None, received, f"{p:020d}",
                             raw.peer, True, False, "31")
                   for k, f in enumerate(FACTORS)]
        out.append((raw, records))
    return out


def write(target: str, packets, group: int) -> float:
    """Seconds to write `packets` in groups of `group` (the store opened before timing)."""
    with open_store(target) as store:
        store.write_batch(*_group(packets[:1]))  # opens the connection, makes the partitions
        t0 = time.perf_counter()
        for k in range(1, len(packets), group):
            store.write_batch(*_group(packets[k:k + group]))
        return time.perf_counter() - t0


def _group(packets):
    return [raw for raw, _ in packets], [r for _, records in packets for r in records]


SMOKE_ARGS = ["--points", "20", "--group", "5", "--repeat", "1"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", help="a server where this role may create databases")
    parser.add_argument("--points", type=int, default=3667)
    parser.add_argument("--group", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile the PostgreSQL run")
    args = parser.parse_args(argv)
    from tests.pgcluster import Cluster, Databases

    cluster = None if args.pg_url else Cluster()
    databases = Databases(args.pg_url or cluster.url())
    packets = burst(args.points)
    records = args.points * len(FACTORS)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(args.repeat):
                duck_s = write(str(Path(tmp) / f"w{n}.duckdb"), packets, args.group)
                url = databases.fresh("write")
                if args.profile and n == 0:
                    profile = cProfile.Profile()
                    pg_s = profile.runcall(write, url, packets, args.group)
                    pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
                else:
                    pg_s = write(url, packets, args.group)
                print(f"{args.points} packets, {records} records in groups of {args.group}: "
                      f"DuckDB {duck_s:.2f} s ({records / duck_s:,.0f} records/s), "
                      f"PostgreSQL {pg_s:.2f} s ({records / pg_s:,.0f} records/s), "
                      f"×{duck_s / pg_s:.2f}", flush=True)
    finally:
        if cluster is not None:
            cluster.remove()


if __name__ == "__main__":
    main()
