"""Issue 11 item 30: benchmarks rot when nothing runs them. Every benchmark has a tiny size
(`SMOKE_ARGS`, run by `python -m benchmarks --smoke` from .ci/run); the assessment benchmark,
whose own cross-check broke on a schema change, runs here at that size."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMES = sorted(m.name for m in pkgutil.iter_modules([str(ROOT / "benchmarks")])
               if m.name.startswith("bench_"))


@pytest.fixture(autouse=True)
def _importable(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))


@pytest.mark.parametrize("name", NAMES)
def test_every_benchmark_has_a_tiny_size(name):
    module = importlib.import_module(f"benchmarks.{name}")
    assert list(module.SMOKE_ARGS), name


def test_ci_runs_the_benchmarks_at_their_tiny_size():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "make bench-smoke" in ci
    assert "python -m benchmarks --smoke" in makefile


@pytest.mark.duckdb_only
def test_assess_benchmark_cross_check_holds_at_its_tiny_size(monkeypatch, capsys):
    """DuckDB only: the assessment benchmark builds its DuckDB file with DuckDB's own SQL (hash(),
    list literals); the engines' same-run figures are the scale benchmark's."""
    module = importlib.import_module("benchmarks.bench_assess")
    monkeypatch.setattr(sys, "argv", ["bench_assess"])
    module.main(["--sizes", "120", "--sample", "120"])  # the SQL and naive counts agree
    assert "province" in capsys.readouterr().out
