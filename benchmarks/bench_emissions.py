"""Emission-accounting and alarm-rule benchmark.

    .venv/bin/python -m benchmarks.bench_emissions [--points 40] [--baseline-points 2]

1. **Monthly accounting** (`envmon.emissions.accounting.emissions`): a DuckDB store holding a
   month (720 h) of simulated hourly data (CN 2061, 9 factors) for N gas points, 2 % of hours
   flagged invalid; per point one range query (first received copy per hour and factor), the
   hourly kg from the measured concentration, HJ 75 substitution, α, the tax inputs. The
   **baseline, measured in the same run**, is the naive shape of public platform code: one SQL
   query per point-hour (the hour's factors), the kg summed in Python, run on a subset of
   points and scaled linearly. Both must agree on the measured kg of every subset point.
2. **Alarm rules** (`RuleEvaluator.evaluate`, what the receiver's `after_commit` hook costs):
   µs per minute packet (9 factors) on the event loop, against the receiver's per-packet
   budget measured by `bench_receiver` (about 88 µs at 11 300 packets/s).
3. **Alarm storm**: 10 000 offline alarms opened and auto-closed through the engine's batched
   writes, against one statement per alarm (baseline in the same run, scaled).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from envmon.alarms import AlarmConfig, PointRules, RuleEvaluator
from envmon.emissions.accounting import emissions
from envmon.sim.values import SimPoint, period_values
from envmon.store import RawPacketRow, RecordRow, open_store
from envmon.timeutil import BEIJING_FIXED

MONTH = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
NEXT = datetime(2026, 12, 1, tzinfo=BEIJING_FIXED)
LIMITS = {"a21026": 35.0, "a21002": 100.0, "a34013": 10.0}


def registry_rows(n: int) -> list[dict]:
    return [{
        "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
        "county_code": "140105", "unit_id": f"91140100MA0BENCH{k:02d}"[:18],
        "unit_name": f"基准单位{k}", "must_network": "1", "assessed": "1",
        "outlet_id": "DA001", "outlet_name": "烟囱", "kind": "gas", "mn": f"BEN{k:021d}",
        "pw": "123456", "factors": "a21026:35;a21002:100;a34013:10", "o2_ref": "6",
        "standard": "",
    } for k in range(n)]


def fill(store, n_points: int) -> None:
    import random

    rng = random.Random(5)
    for k in range(n_points):
        mn = f"BEN{k:021d}"
        point = SimPoint(mn, "123456", "gas", dict(LIMITS), 6.0)
        records = []
        for h in range(720):
            hour = MONTH + timedelta(hours=h)
            flag = rng.choice("DMC") if rng.random() < 0.02 else "N"
            for code, f in period_values(point, hour, 3600, 9, flag=flag).items():
                records.append(RecordRow(
                    mn, "2061", hour, code, code, None, f.get("Avg"), f.get("Min"),
                    f.get("Max"), f.get("Cou"), None, f.get("ZsAvg"), f.get("Flag"), None,
                    None, hour + timedelta(minutes=61), None))
        store.write_batch([RawPacketRow(NEXT, "bench", "accepted", None, mn, "2061", None,
                                        b"")], records)


def naive_measured_kg(store, mn: str) -> dict[str, float]:
    """Baseline: one query per hour, Python sums (measured hours only)."""
    totals = dict.fromkeys(LIMITS, 0.0)
    hour = MONTH
    while hour < NEXT:
        rows = store.query(
            "SELECT factor, avg, cou, flag FROM records WHERE mn = ? AND cn = '2061' "
            "AND data_time = ? ORDER BY received_at, id", [mn, hour])
        seen: dict[str, tuple] = {}
        for factor, avg, cou, flag in rows:
            seen.setdefault(factor, (avg, cou, flag))
        flow = seen.get("a00000")
        if flow and flow[2] == "N":
            for factor in LIMITS:
                value = seen.get(factor)
                if value and value[2] == "N":
                    totals[factor] += value[0] * flow[1] * 1e-6
        hour += timedelta(hours=1)
    return totals


def bench_accounting(n_points: int, n_baseline: int) -> None:
    from envmon.registry.importer import import_rows

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.duckdb")
        import_rows(store, registry_rows(n_points))
        t0 = time.perf_counter()
        fill(store, n_points)
        fill_s = time.perf_counter() - t0
        n_records = store.query("SELECT count(*) FROM records")[0][0]
        print(f"store: {n_points} gas points × 720 h, {n_records:,} records "
              f"(written in {fill_s:.1f} s)")
        t0 = time.perf_counter()
        results = emissions(store, MONTH, NEXT)
        fast_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        subset = [f"BEN{k:021d}" for k in range(n_baseline)]
        naive = {mn: naive_measured_kg(store, mn) for mn in subset}
        naive_s = (time.perf_counter() - t0) / n_baseline * n_points
        for r in results:
            if r.mn in naive:
                expected = naive[r.mn][r.factor]
                assert abs(r.measured_kg - expected) <= 1e-9 * max(1.0, expected), (
                    r.mn, r.factor, r.measured_kg, expected)
        substituted = sum(r.substituted_hours for r in results)
        print(f"monthly accounting (kg, α, HJ 75 substitution of {substituted} hours, tax "
              f"inputs): {fast_s:.2f} s = {fast_s / n_points * 1e3:.0f} ms per point")
        print(f"baseline (one query per point-hour, {n_baseline} points scaled to "
              f"{n_points}): {naive_s:.2f} s → {naive_s / fast_s:.1f}× "
              "(measured kg agree)")
        store.close()


def bench_rules(packets: int = 20_000) -> None:
    evaluator = RuleEvaluator(AlarmConfig(), {"MN": PointRules("gas", dict(LIMITS), 6.0)})
    point = SimPoint("MN", "123456", "gas", dict(LIMITS), 6.0)
    batches = []
    for k in range(packets):
        t = MONTH + timedelta(minutes=k)
        values = period_values(point, t, 60, 3)
        batches.append([SimpleNamespace(mn="MN", cn="2051", data_time=t, factor=code,
                                        rtd=None, avg=f.get("Avg"), zs_avg=f.get("ZsAvg"),
                                        flag=f.get("Flag")) for code, f in values.items()])
    t0 = time.perf_counter()
    for batch in batches:
        evaluator.evaluate(batch)
    elapsed = time.perf_counter() - t0
    per = elapsed / packets * 1e6
    print(f"alarm rules on minute packets (9 factors): {per:.1f} µs per packet "
          f"({packets / elapsed:,.0f} packets/s on one core); receiver budget ≈ 88 µs per "
          f"packet → {per / 88 * 100:.0f} % of it")


def bench_storm(n: int = 10_000, baseline_n: int = 400) -> None:
    """An alarm storm (every point offline after a network cut, then back): the engine writes
    chunks of APPLY_CHUNK transitions, one transaction and a few set statements each, on the
    writer thread that also commits the receiver's packets. Baseline: one INSERT/UPDATE per
    alarm (open_alarm / auto_close), as a straightforward implementation does."""
    from envmon.alarms import AlarmEngine
    from envmon.alarms import store as alarm_store
    from envmon.alarms.engine import APPLY_CHUNK
    from envmon.alarms.rules import Clear, Raise

    store = open_store(":memory:")
    engine = AlarmEngine(store)
    raises = [Raise(f"MN{k}", "", "offline", None, 3600.0, 1800.0, "离线") for k in range(n)]
    clears = [Clear(f"MN{k}", "", "offline", None, "恢复") for k in range(n)]
    t0 = time.perf_counter()
    for k in range(0, n, APPLY_CHUNK):
        engine.apply(raises[k:k + APPLY_CHUNK])
    for k in range(0, n, APPLY_CHUNK):
        engine.apply(clears[k:k + APPLY_CHUNK])
    fast = time.perf_counter() - t0
    assert store.query("SELECT count(*) FROM alarms WHERE status = 'closed'")[0][0] == n
    t0 = time.perf_counter()
    for r in raises[:baseline_n]:
        alarm_store.open_alarm(store, mn=r.mn + "b", unit_id=None, factor="", rule="offline",
                               data_time=None, value=r.value, limit=r.limit, detail=r.detail)
    for c in clears[:baseline_n]:
        alarm_store.auto_close(store, mn=c.mn + "b", factor="", rule="offline", note="恢复")
    slow = (time.perf_counter() - t0) / baseline_n * n
    chunks = 2 * n / APPLY_CHUNK
    print(f"alarm storm, {n:,} offline alarms opened and closed: {fast:.2f} s, "
          f"{fast / chunks * 1e3:.0f} ms per writer-thread chunk of {APPLY_CHUNK}; baseline "
          f"(statements per alarm, {baseline_n} scaled): {slow:.1f} s → {slow / fast:.0f}×")
    store.close()


# `python -m benchmarks --smoke` (and .ci/run): the tiny size that proves the benchmark still
# runs and its cross-checks still hold, in seconds; no figure of it means anything.
SMOKE_ARGS = ["--points", "2", "--baseline-points", "1", "--rule-packets", "500",
              "--storm", "200"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=40)
    parser.add_argument("--baseline-points", type=int, default=2)
    parser.add_argument("--rule-packets", type=int, default=20_000)
    parser.add_argument("--storm", type=int, default=10_000, help="alarms raised at once")
    args = parser.parse_args()
    bench_accounting(args.points, min(args.baseline_points, args.points))
    bench_rules(args.rule_packets)
    bench_storm(args.storm, min(400, args.storm))


if __name__ == "__main__":
    main()
