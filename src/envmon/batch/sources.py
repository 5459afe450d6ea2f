"""One month of the exported Parquet as a read-only source with the store's
`query(sql, params) -> list[tuple]`, on DuckDB or on Spark, so the single-machine use cases
(`envmon.assess.compute.assess`, `envmon.roads.rank.segment_values`) run unchanged over it.

Each exported table becomes a view of the same name over its month's partitions (the
partition columns `province`/`month` left out: the store's tables have no such columns), and
the registry views `point_registry`/`unit_registry` are made from the store's own definitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from envmon.batch.layout import check_month, month_glob
from envmon.registry.tables import POINT_REGISTRY_VIEW, UNIT_REGISTRY_VIEW
from envmon.store.duckdb_engine import TIMEZONE

PARTITION_COLUMNS = ("province", "month")
# Registry and marks: small (a row per point, unit or mark), read by many CTEs of a query.
SMALL_TABLES = ("regions", "units", "outlets", "points", "point_factors",
                "point_assessed_periods", "exemptions", "corrections", "road_networks",
                "road_segments")


class ParquetDuckDB:
    """The month on an in-memory DuckDB (the single-machine engine of the batch)."""

    engine = "duckdb"

    def __init__(self, root: Path, month: str, tables: tuple[str, ...]) -> None:
        import duckdb

        check_month(root, month, tables)
        self.con = duckdb.connect()
        self.con.execute(f"SET TimeZone = '{TIMEZONE}'")
        for table in tables:
            files = month_glob(root, table, month).replace("'", "''")
            self.con.execute(
                f"CREATE VIEW {table} AS SELECT * EXCLUDE ({', '.join(PARTITION_COLUMNS)}) "
                f"FROM read_parquet('{files}', hive_partitioning = true, "
                "hive_types_autocast = false)")
        if "units" in tables:
            self.con.execute(POINT_REGISTRY_VIEW)
            self.con.execute(UNIT_REGISTRY_VIEW)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return self.con.execute(sql, list(params or [])).fetchall()

    def close(self) -> None:
        self.con.close()


class ParquetSpark:
    """The month as temporary views of a SparkSession; queries are the store's SQL written
    in Spark's dialect (`envmon.batch.spark_sql`)."""

    engine = "spark"

    def __init__(self, spark, root: Path, month: str, tables: tuple[str, ...]) -> None:
        from envmon.batch.spark_sql import to_spark

        check_month(root, month, tables)
        self.spark = spark
        for table in tables:
            frame = (spark.read.option("basePath", str(root / table))
                     .parquet(month_glob(root, table, month))).drop(*PARTITION_COLUMNS)
            if table in SMALL_TABLES:  # read once, not once per use in the query's CTEs
                frame = frame.cache()
            frame.createOrReplaceTempView(table)
        if "units" in tables:
            spark.sql(to_spark(POINT_REGISTRY_VIEW))
            spark.sql(to_spark(UNIT_REGISTRY_VIEW))

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        from envmon.batch.spark_sql import to_spark

        return [tuple(row) for row in self.spark.sql(to_spark(sql, params)).collect()]

    def close(self) -> None:
        """Views only: the session belongs to the command."""
