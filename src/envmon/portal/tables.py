"""Store tables of envmon.portal (schema version 12), collected by `envmon.store.schema`.

A new table or column of this domain goes here, as a new numbered `Migration`.
"""

from __future__ import annotations

from envmon.store.ddl import Migration

# Version 12 (issue 13 item 3, 环保码): each unit's public code (random, rotated by hand: the
# old code stops working at once), and the enterprises' answers to alarms with their
# attachments (stored with the record, checked like the marks' proofs). Ids by nextval(),
# one at a time, as the supervision tables'.
MIGRATIONS = [
    Migration(12, "unit public codes, alarm answers and their files", [
        """
        CREATE TABLE unit_codes (
            unit_id     TEXT NOT NULL PRIMARY KEY,
            code        TEXT NOT NULL UNIQUE,       -- secrets.token_urlsafe: unguessable
            created_at  TIMESTAMPTZ NOT NULL,
            created_by  TEXT NOT NULL,
            rotated     INTEGER NOT NULL            -- how many times replaced
        )
        """,
        "CREATE SEQUENCE alarm_answers_id_seq START 1",
        """
        CREATE TABLE alarm_answers (
            id            BIGINT NOT NULL,
            alarm_id      BIGINT NOT NULL,
            unit_id       TEXT NOT NULL,
            note          TEXT NOT NULL,
            answered_by   TEXT NOT NULL,
            answered_at   TIMESTAMPTZ NOT NULL,
            answered_from TEXT                      -- client address or "cli"
        )
        """,
        "CREATE SEQUENCE alarm_answer_files_id_seq START 1",
        """
        CREATE TABLE alarm_answer_files (
            id          BIGINT NOT NULL,
            answer_id   BIGINT NOT NULL,
            filename    TEXT NOT NULL,
            media_type  TEXT NOT NULL,              -- from the content's magic bytes
            size        BIGINT NOT NULL,
            sha256      TEXT NOT NULL,
            content     BYTEA NOT NULL
        )
        """,
    ]),
]  # fmt: skip
