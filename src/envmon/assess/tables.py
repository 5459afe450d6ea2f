"""Store tables of envmon.assess (schema version 3), collected by `envmon.store.schema`.

A new table or column of this domain goes here, as a new numbered `Migration` (never an edit of
a released one); see `envmon.store`.
"""

from __future__ import annotations

from envmon.store.ddl import IdSequence, Index, Migration

# Version 3 (envmon.assess, transmission.md): what changes the assessment without touching the
# append-only records: exemption periods (停产/停运/停排) and manual corrections (修约), each
# with who, when, why and proof, revoked by stamping (never deleted, never overwritten); and the
# log of back-fill (补遗, hj212.md §7) requests the platform sent and how each ended.
MIGRATIONS = [
    Migration(3, "assessment marks and back-fill log", [
        IdSequence("exemptions"),
        """
        CREATE TABLE exemptions (
            id            BIGINT NOT NULL,
            unit_id       TEXT NOT NULL,
            mn            TEXT,                   -- NULL: every point of the unit
            kind          TEXT NOT NULL,          -- 停产 | 停运 | 停排
            start_time    TIMESTAMPTZ NOT NULL,   -- hours whose start is in [start, end) are exempt
            end_time      TIMESTAMPTZ NOT NULL,
            reason        TEXT NOT NULL,
            proof         TEXT,                   -- reference of the document that backs the mark
            created_by    TEXT NOT NULL,
            created_at    TIMESTAMPTZ NOT NULL,
            revoked_by    TEXT,
            revoked_at    TIMESTAMPTZ,
            revoke_reason TEXT
        )
        """,
        IdSequence("corrections"),
        """
        CREATE TABLE corrections (
            id            BIGINT NOT NULL,
            mn            TEXT NOT NULL,
            factor        TEXT,                   -- NULL: every assessed factor of the point
            start_time    TIMESTAMPTZ NOT NULL,   -- hours whose start is in [start, end)
            end_time      TIMESTAMPTZ NOT NULL,
            action        TEXT NOT NULL,          -- invalidate | repair
            value         DOUBLE PRECISION,       -- repaired hourly value, if one was supplied
            reason        TEXT NOT NULL,
            proof         TEXT,
            created_by    TEXT NOT NULL,
            created_at    TIMESTAMPTZ NOT NULL,
            revoked_by    TEXT,
            revoked_at    TIMESTAMPTZ,
            revoke_reason TEXT
        )
        """,
        IdSequence("backfill_requests"),
        """
        CREATE TABLE backfill_requests (
            id            BIGINT NOT NULL,
            mn            TEXT NOT NULL,
            cn            TEXT NOT NULL,          -- 2061: hourly data
            qn            TEXT NOT NULL,          -- QN of the request (answers carry it)
            begin_time    TIMESTAMPTZ NOT NULL,   -- BeginTime, inclusive
            end_time      TIMESTAMPTZ NOT NULL,   -- EndTime, inclusive
            hours         INTEGER NOT NULL,       -- missing hours the request asks for
            trigger       TEXT NOT NULL,          -- online | schedule | manual
            requested_at  TIMESTAMPTZ NOT NULL,
            qn_rtn        TEXT,                   -- 9011 QnRtn
            exe_rtn       TEXT,                   -- 9012 ExeRtn (1 done, 100 no data …)
            finished_at   TIMESTAMPTZ,
            outcome       TEXT NOT NULL           -- pending | completed | no_data | refused
                                                  -- | failed | timeout | not_sent
        )
        """,
        Index("exemptions_unit", "exemptions", ("unit_id", "start_time")),
        Index("corrections_mn", "corrections", ("mn", "start_time")),
        Index("backfill_requests_mn", "backfill_requests", ("mn", "requested_at")),
    ]),
]  # fmt: skip
