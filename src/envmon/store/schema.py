"""The one schema: every domain's numbered migrations, collected in order.

Each domain declares its tables next to its code, in a `tables` module holding a list
`MIGRATIONS` of `envmon.store.ddl.Migration`s; `OWNERS` lists those modules. A store file keeps
in `schema_version` one row per migration applied; opening a store read-write applies the
missing ones in order, in one transaction (`Store.upgrade_schema`).

    version  owner                        what
    1        envmon.store.core_tables     raw_packets, records, records_first
             envmon.registry.tables       regions, units, outlets, points, point_factors, views
    2        envmon.air.tables            air_stations, air_hourly, air_daily, air_published
    3        envmon.assess.tables         exemptions, corrections, backfill_requests
    4        envmon.alarms.tables         alarms, alarm_events, notifications
    5        envmon.roads.tables          road network, devices, readings, passes, coverage
    6        envmon.roads.tables          road_pois, road_segment_stats (IF NOT EXISTS)
    7        envmon.store.core_tables     records.peer/trusted/conflict, records_first policy
             envmon.registry.tables       points.allow_networks, units.allow_networks
             envmon.roads.tables          road_intake_tokens
             envmon.ingest.tables         guard_usual_addresses, guard_lockouts
             envmon.registry.tables       point_factors.range_min/range_max (instrument range)
    8        envmon.air.tables            air_stations.type nullable (untyped), active_from/to
             envmon.registry.tables       registry_history (limits, o2_ref, standard, pw by date)
             envmon.registry.tables       point_assessed_periods (assessed-from/to dates)
             envmon.alarms.tables         alarms.data_from/data_to, alarm_point_state
    9        envmon.registry.tables       units.longitude/latitude, points.expected_interval_s
    10       envmon.registry.tables       points.protocol (auto | 2017 | 2025)
             envmon.store.core_tables     records.resent/st, records_first: live before re-sent
             envmon.ingest.tables         sm4_keys, key_audit (SM4 keys encrypted at rest)
    11       envmon.control.tables        commands (remote commands 反控: state, answer)
             envmon.marks.tables          marks, mark_proofs (old exemptions/corrections copied)
             envmon.emergency.tables      emergency_alerts, emergency_list, list imports
             envmon.access.tables         users, api_tokens, web_sessions, login_failures,
                                          audit_log (issue 13: who may do what, and who did)
             envmon.supervision.tables    supervision_cases, supervision_events, _deliveries
             envmon.grading.tables        unit_grades (monthly grades with reasons)
    12       envmon.portal.tables         unit_codes, alarm_answers, alarm_answer_files (环保码)
             envmon.emergency.tables      emergency_alerts.cancelled_at/_by, cancel_reason
    13       envmon.store.server_indexes  b-tree indexes of the PostgreSQL engine (ids, filters)

A new table: add it to the owning domain's `tables` module as `Migration(SCHEMA_VERSION + 1,
…)` and raise `SCHEMA_VERSION` here (a new domain also adds its module to `OWNERS`).

Portable SQL. Steps are SQL strings that run unchanged on DuckDB and PostgreSQL, except
sequences and indexes, which the engine renders (`Store.ddl`). Timestamps are TIMESTAMPTZ
(instants); the engines set the session time zone to Asia/Shanghai, so `date_trunc('month',
data_time)` and interval arithmetic cut in Beijing time.

Indexes. `Index` steps are b-tree indexes for a row store (PostgreSQL). The DuckDB engine does
not create them: DuckDB only uses an ART index for point lookups of a few rows (not for
`mn = ? AND data_time BETWEEN …` ranges, checked with EXPLAIN), the index costs about 20 % of
insert throughput and must live in memory, while its per-row-group min/max statistics
(zonemaps) already skip most of a table for time-range filters, because records arrive roughly
in time order.

The domains' modules are imported when a store first needs the list (not when this module is
imported), so a domain package may itself import `envmon.store`.
"""

from __future__ import annotations

import importlib
from functools import cache

from envmon.store.ddl import IdSequence, Migration

SCHEMA_VERSION = 13

OWNERS = (
    "envmon.store.core_tables",
    "envmon.registry.tables",
    "envmon.air.tables",
    "envmon.assess.tables",
    "envmon.alarms.tables",
    "envmon.roads.tables",
    "envmon.ingest.tables",
    "envmon.control.tables",
    "envmon.marks.tables",
    "envmon.emergency.tables",
    "envmon.access.tables",
    "envmon.supervision.tables",
    "envmon.grading.tables",
    "envmon.portal.tables",
    "envmon.store.server_indexes",
)

SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    applied_at  TIMESTAMPTZ NOT NULL
)
"""


@cache
def migrations() -> tuple[Migration, ...]:
    """Migrations 1 … SCHEMA_VERSION, each with the steps of every owner (in `OWNERS` order)."""
    by_version: dict[int, list[Migration]] = {}
    for owner in OWNERS:
        for migration in importlib.import_module(owner).MIGRATIONS:
            by_version.setdefault(migration.version, []).append(migration)
    expected = list(range(1, SCHEMA_VERSION + 1))
    if sorted(by_version) != expected:
        raise AssertionError(
            f"migrations {sorted(by_version)} declared; expected exactly {expected} "
            "(a new migration raises envmon.store.schema.SCHEMA_VERSION)"
        )
    return tuple(
        Migration(
            version,
            "; ".join(part.title for part in parts),
            tuple(step for part in parts for step in part.steps),
        )
        for version, parts in sorted(by_version.items())
    )


@cache
def id_sequences() -> dict[str, str]:
    """Table → the sequence numbering its `id` column, for every table that has one."""
    return {
        step.table: step.name
        for migration in migrations()
        for step in migration.steps
        if isinstance(step, IdSequence)
    }
