"""The store's portable SQL (DuckDB and PostgreSQL) written in Spark SQL's dialect, so a job
on Spark runs the very query of the single-machine path (`envmon.assess.sql`,
`envmon.roads.rank`) instead of a second copy of its rules.

The differences that portable SQL of this code base meets, each one rewrite:
- `?` parameters → literals (Spark SQL has no positional parameters for a plain query);
  an aware datetime → `TIMESTAMP 'YYYY-MM-DD HH:MM:SS.ffffff+HH:MM'` (an instant);
- `TIMESTAMPTZ` → `TIMESTAMP` (Spark's TIMESTAMP is the instant type, shown in the session
  time zone, which `envmon.batch.session` sets to Asia/Shanghai as the stores do);
- `generate_series(a, b, step) AS g(h)` → `(SELECT explode(sequence(a, b, step)) AS h) g`;
- `EXTRACT(EPOCH FROM x)` → `unix_timestamp(x)`;
- `CREATE VIEW` → `CREATE OR REPLACE TEMPORARY VIEW`.
A query with anything else Spark refuses fails loudly (Spark's own error); a new rewrite
goes here with a test in tests/batch/test_spark_sql.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

_SERIES = re.compile(
    r"generate_series\(\s*(CAST\([^()]*\)|[^(),]+)\s*,\s*(CAST\([^()]*\)|[^(),]+)\s*,"
    r"\s*(INTERVAL '[^']*')\s*\)\s+AS\s+(\w+)\((\w+)\)", re.IGNORECASE)
_EPOCH = re.compile(r"EXTRACT\(\s*EPOCH\s+FROM\s+([\w.]+)\s*\)", re.IGNORECASE)
_TIMESTAMPTZ = re.compile(r"\bTIMESTAMPTZ\b", re.IGNORECASE)
_CREATE_VIEW = re.compile(r"^\s*CREATE\s+VIEW\b", re.IGNORECASE)


def literal(value: Any) -> str:
    """A parameter as a Spark SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} has no time zone")
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raise TypeError(f"no Spark SQL literal for {type(value).__name__}")


def bind(sql: str, params: Sequence[Any] | None) -> str:
    """Put the parameters in place of the `?` outside string literals."""
    values = list(params or [])
    pieces = sql.split("'")
    used = 0
    for i in range(0, len(pieces), 2):  # even pieces lie outside quotes
        parts = pieces[i].split("?")
        if len(parts) > 1:
            if used + len(parts) - 1 > len(values):
                raise ValueError("fewer parameters than placeholders")
            rebuilt = [parts[0]]
            for part in parts[1:]:
                rebuilt += [literal(values[used]), part]
                used += 1
            pieces[i] = "".join(rebuilt)
    if used != len(values):
        raise ValueError(f"{len(values)} parameters for {used} placeholders")
    return "'".join(pieces)


def to_spark(sql: str, params: Sequence[Any] | None = None) -> str:
    """`sql` with its parameters, as Spark SQL."""
    text = bind(sql, params)
    text = _TIMESTAMPTZ.sub("TIMESTAMP", text)
    text = _SERIES.sub(r"(SELECT explode(sequence(\1, \2, \3)) AS \5) \4", text)
    text = _EPOCH.sub(r"unix_timestamp(\1)", text)
    return _CREATE_VIEW.sub("CREATE OR REPLACE TEMPORARY VIEW", text)
