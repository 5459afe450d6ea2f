"""benchmarks/bench_scale.py (issue 14, point 3): its schedule sends what the units of a province
send, and a tiny run on one DuckDB receiver holds every connection and stores every answered
packet (the PostgreSQL cases run in `python -m benchmarks --smoke`, from .ci/run)."""

from __future__ import annotations

import importlib
import sys
from datetime import datetime
from pathlib import Path

import pytest

from envmon.hj212 import codec
from envmon.timeutil import BEIJING_FIXED

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("benchmarks.bench_scale")


def test_the_steady_schedule_spreads_real_time_and_minute_data_over_the_units(bench):
    start = datetime(2026, 12, 1, 10, 0, 30, tzinfo=BEIJING_FIXED)
    schedule = bench.steady_schedule(4, 60.0, 30.0, 60.0, start)
    offsets = [at for at, _, _ in schedule]
    assert offsets == sorted(offsets) and max(offsets) < 60
    packets = [codec.decode(data) for _, _, data in schedule]
    assert all(p.ok and p.flag == 5 for p in packets)  # every packet asks for its answer
    by_cn = {cn: [p for p in packets if p.cn == cn] for cn in ("2011", "2051")}
    assert len(by_cn["2011"]) == 4 * 2 and len(by_cn["2051"]) == 4  # 30 s and 60 s intervals
    assert len({p.qn for p in packets}) == len(packets)  # answers are matched by QN
    assert {p.mn for p in by_cn["2051"]} == set(bench.mns(4))


def test_a_tiny_run_on_one_duckdb_receiver_stores_every_answered_packet(bench, capsys,
                                                                         monkeypatch):
    monkeypatch.setattr(sys, "argv", ["bench_scale"])
    bench.main(["--cases", "duckdb1", "--units", "4", "--burst", "3", "--duration", "1",
                "--rt-interval", "0.5", "--minute-interval", "1", "--max-connections", "8",
                "--assess-points", "0"])
    out = capsys.readouterr().out
    assert "duckdb ×1: 4 of 4 connections held" in out
    assert "burst  sent       3 answered       3" in out
    assert "8 connected, 8 answered, 8 held" in out
    assert "answered but not stored, all cases: 0 (must be 0)" in out
