"""The store's portable SQL written in Spark's dialect (no JVM needed)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from envmon.batch.spark_sql import bind, to_spark
from envmon.timeutil import BEIJING_FIXED

T = datetime(2026, 10, 1, tzinfo=BEIJING_FIXED)


def test_parameters_become_literals_outside_quotes_only():
    sql = bind("SELECT '?' AS q, ? AS a, ? AS b, ? AS c WHERE x = ?",
               [T, "it's", date(2026, 10, 2), 3])
    assert sql == ("SELECT '?' AS q, TIMESTAMP '2026-10-01 00:00:00+08:00' AS a, "
                   "'it\\'s' AS b, DATE '2026-10-02' AS c WHERE x = 3")
    with pytest.raises(ValueError, match="2 parameters for 1"):
        bind("SELECT ?", [1, 2])
    with pytest.raises(ValueError, match="fewer"):
        bind("SELECT ?, ?", [1])
    with pytest.raises(ValueError, match="no time zone"):
        bind("SELECT ?", [datetime(2026, 10, 1)])


def test_the_rewrites_of_the_assessment_sql():
    sql = to_spark(
        "SELECT g.h FROM generate_series(CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ),\n"
        "        INTERVAL '1 hour') AS g(h) WHERE CAST(EXTRACT(EPOCH FROM r.data_time) AS "
        "BIGINT) % 3600 = 0", [T, T])
    assert "generate_series" not in sql and "TIMESTAMPTZ" not in sql
    assert ("(SELECT explode(sequence(CAST(TIMESTAMP '2026-10-01 00:00:00+08:00' AS "
            "TIMESTAMP), CAST(TIMESTAMP '2026-10-01 00:00:00+08:00' AS TIMESTAMP), "
            "INTERVAL '1 hour')) AS h) g") in sql
    assert "CAST(unix_timestamp(r.data_time) AS BIGINT)" in sql
    assert to_spark("\nCREATE VIEW v AS SELECT 1").startswith(
        "CREATE OR REPLACE TEMPORARY VIEW v")
