"""The national batch on this machine: export a province-month to Parquet, then the monthly
assessment over it on DuckDB and on Spark (local[2]), in the same run.

Run: ``.venv/bin/python benchmarks/bench_batch.py [--points 300]``.

A DuckDB store is filled like benchmarks/bench_assess.py (N points × 3 factors × 31 days of
hourly data with gaps, late and flagged hours, duplicates, exemptions), then timed:
`envmon.batch.export.export_parquet` (rows/s), the assessment job over the Parquet on DuckDB
(`ParquetDuckDB`) and on Spark (`ParquetSpark`: the session start apart, the job cold and
warm). The per-point rows of both engines are compared with the store's own `envmon assess`
counts: a benchmark that drifts from the single-machine path fails. Not a test: numbers
depend on the machine (figures in docs/scale.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from benchmarks.bench_assess import MONTH, NEXT, fill  # noqa: E402
from envmon.assess.api import AssessOptions, assess_period  # noqa: E402
from envmon.batch import assess_job  # noqa: E402
from envmon.batch.export import export_parquet  # noqa: E402
from envmon.batch.session import java_binary, spark_session  # noqa: E402
from envmon.batch.sources import ParquetDuckDB, ParquetSpark  # noqa: E402
from envmon.period import Period  # noqa: E402
from envmon.store import open_store  # noqa: E402

LABEL = f"{MONTH:%Y-%m}"

# `python -m benchmarks --smoke` (and .ci/run): proves the benchmark and its cross-check run.
SMOKE_ARGS = ["--points", "20"]


def _timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=300, help="monitoring points "
                        "(default 300)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="envmon-bench-batch-"))
    month = Period.month(LABEL)
    options = AssessOptions("point", as_of=NEXT + timedelta(days=20))
    try:
        path = workdir / "store.duckdb"
        with open_store(path) as store:
            records = fill(store, args.points)
        with open_store(path, read_only=True) as store:
            expected, store_s = _timed(lambda: assess_period(store, month, options).as_json())
            written, export_s = _timed(
                lambda: export_parquet(store, workdir / "pq", [month]))
        rows = sum(written.rows.values())
        print(f"points {args.points}, records {records:,}: export {rows:,} rows in "
              f"{export_s:.2f} s ({rows / export_s:,.0f} rows/s, {written.partitions} "
              f"partitions); envmon assess on the store {store_s:.2f} s")
        duck, duck_s = _timed(lambda: assess_job.run_assess(
            ParquetDuckDB(workdir / "pq", LABEL, assess_job.TABLES), month, options).as_json())
        assert duck == expected, "DuckDB over Parquet differs from the store"
        print(f"duckdb job: {duck_s:.2f} s")
        if java_binary() is None:
            print("spark: skipped (no Java: apt-get install default-jre-headless)")
            return
        spark, start_s = _timed(spark_session)
        try:
            source = ParquetSpark(spark, workdir / "pq", LABEL, assess_job.TABLES)
            cold, cold_s = _timed(lambda: assess_job.run_assess(source, month, options))
            warm, warm_s = _timed(lambda: assess_job.run_assess(source, month, options))
        finally:
            spark.stop()
        assert cold.as_json() == expected == warm.as_json(), "Spark differs from the store"
        print(f"spark job (local[2]): session start {start_s:.1f} s, cold {cold_s:.2f} s, "
              f"warm {warm_s:.2f} s; Spark/DuckDB = {warm_s / duck_s:.1f}× warm "
              f"({cold_s / duck_s:.1f}× cold); {len(expected['rows'])} point rows equal")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
