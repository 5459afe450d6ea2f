"""Store tables of envmon.marks (schema version 11), collected by `envmon.store.schema`.

A new table or column of this domain goes here, as a new numbered `Migration`.
"""

from __future__ import annotations

from envmon.store.ddl import Migration

# Version 11 (issue 13 item 4): data marks with review, and their proof documents (stored with
# the record, bounded by [marks]). Ids are max + 1, allocated by the one writer, so that the
# copied old marks keep one id space without a sequence that starts at a computed value.
#
# The old exemptions and corrections (version 3) are copied in as APPROVED marks with their
# authors, times and revocations; each copy points at its row (source_table, source_id), the
# row that carries its effect, so nothing is counted twice.
_COPY_OLD = """
INSERT INTO marks (id, unit_id, mn, factor, type, subtype, effect, start_time, end_time, note,
                   status, filed_by, filed_at, filed_from, deadline, late, reviewed_by,
                   reviewed_at, reviewed_from, review_reason, withdrawn_at, value, proof_ref,
                   source_table, source_id, revoked_by, revoked_at, revoke_reason)
SELECT ROW_NUMBER() OVER (ORDER BY o.created_at, o.source_table, o.source_id), o.unit_id,
       o.mn, o.factor, o.type, o.subtype, o.effect, o.start_time, o.end_time, o.reason,
       'approved', o.created_by, o.created_at, 'entered before marks had review',
       CAST(NULL AS TIMESTAMPTZ), FALSE, o.created_by, o.created_at, CAST(NULL AS TEXT),
       CAST(NULL AS TEXT), CAST(NULL AS TIMESTAMPTZ), o.value, o.proof, o.source_table,
       o.source_id, o.revoked_by, o.revoked_at, o.revoke_reason
FROM (
    SELECT 'exemptions' AS source_table, e.id AS source_id, e.unit_id, e.mn,
           CAST(NULL AS TEXT) AS factor, 'production' AS type,
           CASE e.kind WHEN '停运' THEN 'stopped' WHEN '停排' THEN 'no_discharge'
                       ELSE 'shutdown' END AS subtype,
           'exempt' AS effect, e.start_time, e.end_time, e.reason,
           CAST(NULL AS DOUBLE PRECISION) AS value, e.proof, e.created_by, e.created_at,
           e.revoked_by, e.revoked_at, e.revoke_reason
    FROM exemptions e
    UNION ALL
    SELECT 'corrections', c.id, COALESCE(p.unit_id, ''), c.mn, c.factor, 'correction',
           c.action, CASE c.action WHEN 'repair' THEN 'repair' ELSE 'invalid' END,
           c.start_time, c.end_time, c.reason, c.value, c.proof, c.created_by, c.created_at,
           c.revoked_by, c.revoked_at, c.revoke_reason
    FROM corrections c LEFT JOIN points p ON p.mn = c.mn
) o
"""

MIGRATIONS = [
    Migration(11, "data marks with review and their proofs", [
        """
        CREATE TABLE marks (
            id            BIGINT NOT NULL,
            unit_id       TEXT NOT NULL,
            mn            TEXT,                   -- NULL: every point of the unit (old marks)
            factor        TEXT,                   -- NULL: every factor of the point
            type          TEXT NOT NULL,          -- envmon.marks.types key
            subtype       TEXT,
            effect        TEXT NOT NULL,          -- exempt | invalid | repair | none, at filing
            start_time    TIMESTAMPTZ NOT NULL,   -- hours whose start is in [start, end)
            end_time      TIMESTAMPTZ NOT NULL,
            note          TEXT,
            status        TEXT NOT NULL,          -- submitted | approved | rejected | withdrawn
            filed_by      TEXT NOT NULL,
            filed_at      TIMESTAMPTZ NOT NULL,
            filed_from    TEXT,                   -- client address or "cli"
            deadline      TIMESTAMPTZ,            -- filed after it: late
            late          BOOLEAN NOT NULL,
            reviewed_by   TEXT,
            reviewed_at   TIMESTAMPTZ,
            reviewed_from TEXT,
            review_reason TEXT,                   -- why rejected (or why a late one passed)
            withdrawn_at  TIMESTAMPTZ,
            value         DOUBLE PRECISION,       -- a repair's hourly value (old corrections)
            proof_ref     TEXT,                   -- the old marks' proof reference
            source_table  TEXT,                   -- exemptions | corrections: the effect's row
            source_id     BIGINT,
            revoked_by    TEXT,                   -- revoked through the old commands
            revoked_at    TIMESTAMPTZ,
            revoke_reason TEXT
        )
        """,
        """
        CREATE TABLE mark_proofs (
            id            BIGINT NOT NULL,
            mark_id       BIGINT NOT NULL,
            filename      TEXT NOT NULL,          -- as uploaded, for the download's name only
            media_type    TEXT NOT NULL,          -- from the content's magic bytes
            size          BIGINT NOT NULL,
            sha256        TEXT NOT NULL,
            content       BYTEA NOT NULL,
            uploaded_by   TEXT NOT NULL,
            uploaded_at   TIMESTAMPTZ NOT NULL,
            uploaded_from TEXT
        )
        """,
        _COPY_OLD,
    ]),
]  # fmt: skip
