"""`envmon export parquet`: hive layout by province and month, what is left out, re-export
replaces, unknown months refused; and the DuckDB job over the Parquet gives the rows of
`envmon assess` on the store."""

from __future__ import annotations

import json

import duckdb
import pyarrow.parquet as pq
from typer.testing import CliRunner

from envmon.batch.export import export_parquet, month_periods
from envmon.batch.layout import TABLES
from envmon.cli import app
from envmon.store import open_store
from tests.batch import dataset

runner = CliRunner()


def _count(root, table, where=""):
    files = f"{root}/{table}/province=*/month=*/*.parquet"
    sql = f"SELECT COUNT(*) FROM read_parquet('{files}', hive_partitioning = true) {where}"
    return duckdb.connect().execute(sql).fetchone()[0]


def test_hive_layout_by_province_and_month(exported, batch_store):
    for province in ("13", "14"):
        part = exported / "records" / f"province={province}" / f"month={dataset.MONTH}"
        assert [p.name for p in part.iterdir()] == ["part-0.parquet"]
    assert not (exported / "road_passes" / "province=13").exists()
    with open_store(str(batch_store), read_only=True) as store:
        for table, column in (("records", "data_time"), ("road_passes", "start_time")):
            n = store.query(f"SELECT COUNT(*) FROM {table} WHERE {column} >= ? AND "
                            f"{column} < ?", [dataset.START, dataset.END])[0][0]
            assert _count(exported, table) == n > 0
    hebei = _count(exported, "records", f"WHERE province = '13' AND mn <> '{dataset.HEBEI}'")
    assert hebei == 0 and _count(exported, "records", "WHERE province = '13'") > 0
    # passwords and raw bytes never leave the store
    assert "pw" not in pq.read_schema(next((exported / "points").rglob("*.parquet"))).names
    assert "raw" not in pq.read_schema(
        next((exported / "raw_packets").rglob("*.parquet"))).names
    # an exemption running into the next month is in the month it overlaps
    assert _count(exported, "exemptions") == 3


def test_re_export_replaces_the_month_and_drops_stale_provinces(batch_store, tmp_path):
    stale = tmp_path / "records" / "province=99" / f"month={dataset.MONTH}"
    stale.mkdir(parents=True)
    (stale / "part-0.parquet").write_bytes(b"old")
    with open_store(str(batch_store), read_only=True) as store:
        first = export_parquet(store, tmp_path, month_periods([dataset.MONTH]),
                               roads_province="14")
        again = export_parquet(store, tmp_path, month_periods([dataset.MONTH]),
                               roads_province="14")
    assert first.rows == again.rows
    assert not stale.exists()
    for table in TABLES:
        assert _count(tmp_path, table) == first.rows[table], table
    assert not list(tmp_path.rglob(".month=*"))  # no staging folder left behind


def test_cli_export_refuses_an_unknown_month_and_bad_options(batch_store, tmp_path):
    out = tmp_path / "pq"
    result = runner.invoke(app, ["export", "parquet", "--db", str(batch_store), "--out",
                                 str(out), "--month", "2025-01", "--roads-province", "14"])
    assert result.exit_code == 1
    assert "--month" in result.output and "2025-01" in result.output
    assert not out.exists() or not list(out.rglob("*.parquet"))
    result = runner.invoke(app, ["export", "parquet", "--db", str(batch_store), "--out",
                                 str(out), "--month", "2026-13"])
    assert result.exit_code == 2 and "--month" in result.output
    result = runner.invoke(app, ["export", "parquet", "--db", str(batch_store), "--out",
                                 str(out), "--roads-province", "shanxi"])
    assert result.exit_code == 2 and "--roads-province" in result.output
    result = runner.invoke(app, ["export", "parquet", "--db", str(batch_store), "--out",
                                 str(out)])  # roads, two provinces: which one?
    assert result.exit_code == 1 and "--roads-province" in result.output


def test_cli_batch_refuses_a_month_not_exported(exported):
    for engine in ("duckdb", "spark"):  # refused before any JVM starts
        result = runner.invoke(app, ["batch", "assess", "--engine", engine, "--parquet",
                                     str(exported), "--month", "2026-09"])
        assert result.exit_code == 1, result.output
        assert "2026-09" in result.output and dataset.MONTH in result.output
    result = runner.invoke(app, ["batch", "roads", "--engine", "hadoop", "--parquet",
                                 str(exported), "--month", dataset.MONTH])
    assert result.exit_code == 2 and "--engine" in result.output


def test_batch_on_duckdb_equals_assess_on_the_store_row_by_row(batch_store, tmp_path):
    out = tmp_path / "pq"
    result = runner.invoke(app, ["export", "parquet", "--db", str(batch_store), "--out",
                                 str(out), "--from", "2026-10-03T00:00:00", "--to",
                                 "2026-10-04T00:00:00", "--roads-province", "14"])
    assert result.exit_code == 0, result.output
    written = json.loads(result.output)
    assert written["months"] == [dataset.MONTH] and written["rows"]["records"] > 0
    as_of = dataset.AS_OF.isoformat()
    common = ["--month", dataset.MONTH, "--as-of", as_of, "--format", "json"]
    store = runner.invoke(app, ["assess", "--db", str(batch_store), "--level", "point",
                                *common])
    batch = runner.invoke(app, ["batch", "assess", "--engine", "duckdb", "--parquet",
                                str(out), *common])
    assert store.exit_code == 0 and batch.exit_code == 0, batch.output
    expected, got = json.loads(store.output), json.loads(batch.output)
    assert len(got["rows"]) == 4
    for want, row in zip(expected["rows"], got["rows"], strict=True):
        assert row == want
    assert got == expected


def test_a_damaged_partition_is_one_line_not_a_traceback(exported, tmp_path):
    import shutil

    copy = tmp_path / "pq"
    shutil.copytree(exported, copy)
    part = copy / "records" / "province=13" / f"month={dataset.MONTH}" / "part-0.parquet"
    part.write_bytes(b"PAR1 not parquet")
    result = runner.invoke(app, ["batch", "assess", "--engine", "duckdb", "--parquet",
                                 str(copy), "--month", dataset.MONTH, "--as-of",
                                 dataset.AS_OF.isoformat()])
    assert result.exit_code == 2, result.output
    assert "duckdb job failed" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_export_from_postgresql_gives_the_rows_of_the_duckdb_export(pg_url, exported,
                                                                      tmp_path):
    from envmon.assess.api import AssessOptions
    from envmon.batch import assess_job, roads_job
    from envmon.batch.sources import ParquetDuckDB
    from envmon.period import Period

    dataset.build(pg_url)  # the same seeded data set, on the server engine
    with open_store(pg_url, read_only=True) as store:
        written = export_parquet(store, tmp_path, month_periods([dataset.MONTH]),
                                 roads_province="14")
    assert written.rows["records"] == _count(exported, "records") > 0
    month, options = Period.month(dataset.MONTH), AssessOptions("point", as_of=dataset.AS_OF)

    def jobs(root):
        return (assess_job.run_assess(ParquetDuckDB(root, dataset.MONTH, assess_job.TABLES),
                                      month, options).as_json(),
                roads_job.run_roads(ParquetDuckDB(root, dataset.MONTH, roads_job.TABLES),
                                    month).as_json())

    assert jobs(tmp_path) == jobs(exported)
