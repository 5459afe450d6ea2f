"""The two batch jobs in Spark local mode over the exported data set, compared row by row
with the same jobs on DuckDB and with the single-machine path on the store itself
(`envmon assess --level point`, `envmon.roads.rank.segment_values`). One SparkSession for
the file (conftest.py)."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from typer.testing import CliRunner

from envmon.assess.api import AssessOptions, assess_period
from envmon.batch import assess_job, roads_job
from envmon.batch.sources import ParquetDuckDB, ParquetSpark
from envmon.cli import app
from envmon.period import Period
from envmon.roads.rank import segment_values
from envmon.store import open_store
from tests.batch import dataset

MONTH = Period.month(dataset.MONTH)
OPTIONS = AssessOptions("point", as_of=dataset.AS_OF)


@pytest.fixture(scope="module")
def on_store(batch_store):
    with open_store(str(batch_store), read_only=True) as store:
        assessment = assess_period(store, MONTH, OPTIONS).as_json()
        segments = segment_values(store, MONTH.start, MONTH.end, "pm10")
    return assessment, sorted(segments, key=lambda s: s.segment_id)


def test_assessment_on_spark_equals_duckdb_and_the_store(spark, exported, on_store):
    expected = on_store[0]
    on_duckdb = assess_job.run_assess(
        ParquetDuckDB(exported, dataset.MONTH, assess_job.TABLES), MONTH, OPTIONS).as_json()
    on_spark = assess_job.run_assess(
        ParquetSpark(spark, exported, dataset.MONTH, assess_job.TABLES), MONTH,
        OPTIONS).as_json()
    assert [r["code"] for r in expected["rows"]] == [r["code"] for r in on_spark["rows"]]
    assert len(expected["rows"]) == 4
    for want, duck, row in zip(expected["rows"], on_duckdb["rows"], on_spark["rows"],
                               strict=True):
        assert duck == want
        assert row == want
    assert on_spark == expected
    # the data set exercises the rules: exempt, late, invalid and short hours all show
    by_code = {r["code"]: r for r in expected["rows"]}
    water = by_code[dataset.WATER]
    assert water["should"] < 31 * 24 * 2 - 3 * 24 * 2  # 3 exempt days and the daily check
    assert all(r["instant"]["received"] < r["complete"]["received"] for r in expected["rows"])


def test_road_segments_on_spark_equal_duckdb_and_the_store(spark, exported, on_store):
    expected = [asdict(s) for s in on_store[1]]
    on_duckdb = roads_job.run_roads(
        ParquetDuckDB(exported, dataset.MONTH, roads_job.TABLES), MONTH).as_json()
    on_spark = roads_job.run_roads(
        ParquetSpark(spark, exported, dataset.MONTH, roads_job.TABLES), MONTH).as_json()
    assert len(expected) == 6 and any(s["eligible"] for s in expected)
    for want, duck, row in zip(expected, on_duckdb["segments"], on_spark["segments"],
                               strict=True):
        assert duck == want
        assert row == want
    assert on_spark["ranking"] == on_duckdb["ranking"]
    assert on_spark["ranking"]["dirty"]


def test_cli_batch_on_spark_prints_the_rows_and_keeps_a_running_session(spark, exported,
                                                                         on_store):
    result = CliRunner().invoke(app, ["batch", "roads", "--engine", "spark", "--parquet",
                                      str(exported), "--month", dataset.MONTH, "--format",
                                      "json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["engine"] == "spark"
    assert got["segments"] == [asdict(s) for s in on_store[1]]
    assert not spark.sparkContext._jsc.sc().isStopped()  # the fixture's session lives on


def test_without_java_the_command_says_how_to_get_it(exported, monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    result = CliRunner().invoke(app, ["batch", "assess", "--engine", "spark", "--parquet",
                                      str(exported), "--month", dataset.MONTH])
    assert result.exit_code == 2
    assert "JAVA_HOME" in result.output and "default-jre-headless" in result.output
    assert "Traceback" not in result.output
