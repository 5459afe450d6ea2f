"""The national batch: monthly jobs over partitioned Parquet, on Spark or on DuckDB.

A province's store (DuckDB or PostgreSQL) is exported nightly to hive-style Parquet
(`export`: DIR/<table>/province=14/month=2026-11/part-0.parquet); the jobs read it back as
tables of the same names and run the single-machine path's own SQL over them, so a batch
result is the same rows as `envmon assess` / `envmon roads rank` on the store:

- `layout`: the partitioned folder (tables, partition paths, months present);
- `export`: store → Parquet, one partition at a time (bounded memory, idempotent);
- `sources`: the Parquet as a read-only source with the store's `query(sql, params)`, on
  DuckDB (`ParquetDuckDB`) or Spark (`ParquetSpark`);
- `spark_sql`: the portable SQL of the store written in Spark's dialect;
- `session`: the one local SparkSession of a command (quiet logs, a clear error without Java);
- `assess_job`, `roads_job`: the two jobs.

A new job: a module `<name>_job.py` taking a source and a month, reusing its domain's SQL.
"""
