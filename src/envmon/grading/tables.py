"""Store tables of envmon.grading (schema version 11), collected by `envmon.store.schema`.

A new table or column of this domain goes here, as a new numbered `Migration`.
"""

from __future__ import annotations

from envmon.store.ddl import Migration

# Version 11 (issue 13 item 6, 分级分类监管): one grade per unit and month with the reasons
# (each rule that fired, its figure and threshold); the months before stay: the history.
MIGRATIONS = [
    Migration(11, "unit grades", [
        """
        CREATE TABLE unit_grades (
            month        TEXT NOT NULL,             -- YYYY-MM (Beijing)
            unit_id      TEXT NOT NULL,
            grade        TEXT NOT NULL,
            reasons      TEXT NOT NULL,             -- JSON list: rule, figure, threshold, grade
            figures      TEXT NOT NULL,             -- JSON: every figure the rule looked at
            computed_at  TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (month, unit_id)
        )
        """,
    ]),
]  # fmt: skip
