"""Store tables of envmon.emergency (schema versions 11, 12), collected by `envmon.store.schema`.

- `emergency_alerts`: one row per alert (预警): level yellow | orange | red, the period
  [starts_at, ends_at), the region (GB/T 2260 code), who entered it and when; a cancelled
  alert is kept, stamped with who cancelled it, when and why (version 12).
- `emergency_list`: the emission-reduction list (应急减排清单): per unit and alert level the
  unit's performance grade (A–D), the measure (停产 | 限产 | 错峰 | 减排), the required
  reduction in percent and the pollutants it applies to. An import replaces the rows of the
  (unit, level) pairs it names.
- `emergency_list_imports`: each import of a list or alert file: when, the file, rows read,
  imported, rejected.

A new table or column of this domain goes here, as a new numbered `Migration`.
"""

from __future__ import annotations

from envmon.store.ddl import IdSequence, Migration

MIGRATIONS = [
    Migration(11, "emergency: alerts, emission-reduction list, imports", [
        IdSequence("emergency_alerts"),
        """
        CREATE TABLE emergency_alerts (
            id          BIGINT NOT NULL,
            level       TEXT NOT NULL,              -- yellow | orange | red
            starts_at   TIMESTAMPTZ NOT NULL,
            ends_at     TIMESTAMPTZ NOT NULL,       -- exclusive
            region      TEXT NOT NULL,              -- GB/T 2260 code (140100)
            created_by  TEXT,
            created_at  TIMESTAMPTZ NOT NULL
        )
        """,
        """
        CREATE TABLE emergency_list (
            unit_id        TEXT NOT NULL,
            level          TEXT NOT NULL,           -- yellow | orange | red
            grade          TEXT,                    -- A | B | C | D (绩效分级)
            measure        TEXT NOT NULL,           -- 停产 | 限产 | 错峰 | 减排
            reduction_pct  DOUBLE PRECISION NOT NULL,
            pollutants     TEXT NOT NULL,           -- comma-separated factor codes
            imported_at    TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (unit_id, level)
        )
        """,
        IdSequence("emergency_list_imports"),
        """
        CREATE TABLE emergency_list_imports (
            id             BIGINT NOT NULL,
            kind           TEXT NOT NULL,           -- list | alerts
            source         TEXT,
            imported_at    TIMESTAMPTZ NOT NULL,
            rows_read      INTEGER NOT NULL,
            rows_imported  INTEGER NOT NULL,
            rows_rejected  INTEGER NOT NULL
        )
        """,
    ]),
    Migration(12, "emergency: a cancelled alert is kept and stamped", [
        "ALTER TABLE emergency_alerts ADD COLUMN cancelled_at TIMESTAMPTZ",
        "ALTER TABLE emergency_alerts ADD COLUMN cancelled_by TEXT",
        "ALTER TABLE emergency_alerts ADD COLUMN cancel_reason TEXT",
    ]),
]
