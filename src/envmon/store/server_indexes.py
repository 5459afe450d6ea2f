"""The b-tree indexes the PostgreSQL engine needs beyond those declared with each table
(schema version 13): id lookups of tables whose ids come from a sequence without a primary
key, and the filters the assessment, alarms, roads, marks and pages run.

They are `Index` steps, so the DuckDB engine skips them (see `envmon.store.schema`: its
zonemaps serve the time-range filters, and an ART index costs insert throughput). Gathered
here rather than in each domain's `tables` module because they are one decision about one
engine, measured on the province-size benchmark (benchmarks/bench_scale.py). A new index for a
server-engine query goes in a new migration here.
"""

from __future__ import annotations

from envmon.store.ddl import Index, Migration

_BY_ID = ("marks", "mark_proofs", "supervision_cases", "supervision_events",
          "supervision_deliveries", "emergency_alerts", "emergency_list_imports", "alarms",
          "alarm_events", "notifications", "point_assessed_periods", "exemptions",
          "corrections", "backfill_requests", "alarm_answers", "alarm_answer_files")

MIGRATIONS = [
    Migration(13, "indexes of the server engine", [
        *(Index(f"{table}_id", table, ("id",), unique=True) for table in _BY_ID),
        Index("alarms_opened_at", "alarms", ("opened_at",)),
        Index("alarms_status", "alarms", ("status",)),
        Index("marks_mn_status", "marks", ("mn", "status")),
        Index("commands_mn_state", "commands", ("mn", "state")),
        Index("audit_log_happened_at", "audit_log", ("happened_at",)),
        Index("supervision_cases_unit", "supervision_cases", ("unit_id", "state")),
        Index("supervision_cases_source_key", "supervision_cases", ("source_key",)),
        Index("unit_grades_month", "unit_grades", ("month",)),
        Index("road_readings_time", "road_readings", ("time",)),
        Index("road_readings_device_time", "road_readings", ("device_id", "time")),
        Index("road_passes_segment", "road_passes",
              ("network_version", "segment_id", "start_time")),
        # the receiver's password directory looks each point's password up (a correlated
        # subquery per point): without it a 10 000-point registry took 75 s to load
        Index("registry_history_mn_field", "registry_history", ("mn", "field", "factor")),
        # the assessment reads one cn of a week (hourly 2061; minutes 2051 for the 45-minute
        # rule) and records_mn_cn_time leads with mn: without it each 7-day chunk read the
        # whole month's partition, minute rows (60 per hourly one) included, for each cn
        Index("records_cn_time", "records", ("cn", "data_time")),
    ]),
]
