"""Store tables of envmon.alarms (schema versions 4 and 8), collected by `envmon.store.schema`.

A new table or column of this domain goes here, as a new numbered `Migration` (never an edit of
a released one); see `envmon.store`.
"""

from __future__ import annotations

from envmon.store.ddl import IdSequence, Index, Migration

# Version 4 (envmon.alarms, emissions.md §8): alarms with their lifecycle (open → acknowledged →
# closed; at most one not-closed alarm per point, factor and rule, kept by the engine), the
# audit trail of every transition (who, when, note), and the log of notification attempts.
# `factor` is '' for point-level rules (offline).
MIGRATIONS = [
    Migration(4, "alarms", [
        IdSequence("alarms"),
        """
        CREATE TABLE alarms (
            id              BIGINT NOT NULL,
            mn              TEXT NOT NULL,
            unit_id         TEXT,
            factor          TEXT NOT NULL,
            rule            TEXT NOT NULL,          -- exceedance | offline | constant | zero | …
            status          TEXT NOT NULL,          -- open | acknowledged | closed
            opened_at       TIMESTAMPTZ NOT NULL,   -- platform time the alarm was raised
            data_time       TIMESTAMPTZ,            -- data time of the evidence
            value           DOUBLE PRECISION,
            limit_value     DOUBLE PRECISION,
            detail          TEXT,
            acknowledged_at TIMESTAMPTZ,
            acknowledged_by TEXT,
            ack_note        TEXT,
            closed_at       TIMESTAMPTZ,
            closed_by       TEXT,                   -- 'auto' when the condition cleared
            close_note      TEXT
        )
        """,
        IdSequence("alarm_events"),
        """
        CREATE TABLE alarm_events (
            id        BIGINT NOT NULL,
            alarm_id  BIGINT NOT NULL,
            event_at  TIMESTAMPTZ NOT NULL,
            action    TEXT NOT NULL,                -- open | acknowledge | close
            actor     TEXT NOT NULL,                -- 'engine' or the person
            note      TEXT
        )
        """,
        IdSequence("notifications"),
        """
        CREATE TABLE notifications (
            id          BIGINT NOT NULL,
            alarm_id    BIGINT NOT NULL,
            channel     TEXT NOT NULL,              -- webhook | log
            target      TEXT,
            attempt     INTEGER NOT NULL,
            sent_at     TIMESTAMPTZ NOT NULL,
            ok          BOOLEAN NOT NULL,
            http_status INTEGER,
            error       TEXT
        )
        """,
        Index("alarms_mn_status", "alarms", ("mn", "status")),
        Index("alarm_events_alarm", "alarm_events", ("alarm_id",)),
    ]),
    # Version 8 (issue 11): the data-time span of the evidence beside the platform times, so
    # that alarms are judged, shown and de-duplicated on data time: a re-sent hour inside the
    # span of an alarm of the same point, factor and rule is the same evidence, not a new
    # alarm. Offline keeps its state per point (last data time and the cadence learned).
    Migration(8, "alarms: evidence data span, offline state", [
        "ALTER TABLE alarms ADD COLUMN data_from TIMESTAMPTZ",
        "ALTER TABLE alarms ADD COLUMN data_to TIMESTAMPTZ",
        "UPDATE alarms SET data_from = data_time, data_to = data_time",
        """
        CREATE TABLE alarm_point_state (
            mn           TEXT PRIMARY KEY,
            cadence_s    DOUBLE PRECISION,          -- expected seconds between packets
            last_seen_at TIMESTAMPTZ                -- platform time of the last packet
        )
        """,
    ]),
]  # fmt: skip
