"""The monthly transmission assessment as a batch job over the exported Parquet.

The counting is `envmon.assess.sql` itself (every rule of its docstring), run over the month's
views (`envmon.batch.sources`) on Spark or on DuckDB, and rolled up by
`envmon.assess.compute.assess`: the per-point rows are those of `envmon assess --level point`
on the store the Parquet came from. The whole month is one query (no day chunks: every rule is
per hour or per Beijing day, so the sums are the same, and a distributed engine is better fed
one big query than five small ones).
"""

from __future__ import annotations

from envmon.assess.api import AssessmentResult, AssessOptions
from envmon.assess.compute import assess
from envmon.batch.layout import ASSESS_TABLES
from envmon.period import Period
from envmon.reports.provisional import provisional_as_of

TABLES = ASSESS_TABLES


def run_assess(source, month: Period, options: AssessOptions | None = None
               ) -> AssessmentResult:
    """Assess `month` over `source` (a `ParquetDuckDB` or `ParquetSpark` of that month)."""
    options = options or AssessOptions("point")
    result = assess(source, month.start, month.end, options.settings.config,
                    as_of=options.as_of, chunk_days=None)
    return AssessmentResult(result, options.level, month,
                            provisional_as_of(month, result.as_of))
