"""The batch data set (tests/batch/dataset.py) built once, exported once, and one
SparkSession for the whole run (the JVM start is the slow part)."""

from __future__ import annotations

import pytest

from tests.batch import dataset


@pytest.fixture(scope="session")
def batch_store(tmp_path_factory):
    """Path of the DuckDB store of the data set."""
    return dataset.build(tmp_path_factory.mktemp("batch") / "store.duckdb")


@pytest.fixture(scope="session")
def exported(batch_store, tmp_path_factory):
    """The Parquet folder of the data set's month (roads under province 14)."""
    from envmon.batch.export import export_parquet, month_periods
    from envmon.store import open_store

    out = tmp_path_factory.mktemp("parquet")
    with open_store(str(batch_store), read_only=True) as store:
        export_parquet(store, out, month_periods([dataset.MONTH]), roads_province="14")
    return out


@pytest.fixture(scope="session")
def spark():
    from envmon.batch.session import java_binary, spark_session

    if java_binary() is None:  # .ci/run installs a JRE; a bare machine says why it skips
        pytest.skip("no Java: apt-get install default-jre-headless")
    session = spark_session()
    yield session
    session.stop()
