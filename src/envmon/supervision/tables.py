"""Store tables of envmon.supervision (schema version 11), collected by
`envmon.store.schema`.

A new table or column of these domains goes here, as a new numbered `Migration` (never an
edit of a released one); see `envmon.store`.
"""

from __future__ import annotations

from envmon.store.ddl import Migration

# Version 11 (issue 13 items 5 and 6): supervision cases (督办) with the national system's
# three stages, every transition with who/when/from where/note (append-only events), and the log
# of notice deliveries. The sequences are plain SQL (what an `IdSequence` renders): ids are
# taken one at a time by nextval(), never by `Store.append`. No server `Index` yet: a few
# rows a unit a month (an index also goes into the store tests' frozen list).
MIGRATIONS = [
    Migration(11, "supervision cases, events, deliveries", [
        "CREATE SEQUENCE supervision_cases_id_seq START 1",
        """
        CREATE TABLE supervision_cases (
            id               BIGINT NOT NULL,
            unit_id          TEXT NOT NULL,
            mn               TEXT,                  -- NULL: the unit as a whole
            source           TEXT NOT NULL,         -- warnings.RULES, alarm, manual
            source_key       TEXT,                  -- de-duplicates warnings of the same finding
            alarm_id         BIGINT,                -- the alarm a case was opened from
            reason           TEXT NOT NULL,
            evidence         TEXT,                  -- JSON: the figures behind the case
            state            TEXT NOT NULL,         -- envmon.supervision.states.STATES
            deadline         TIMESTAMPTZ,           -- of the current notice
            requested_action TEXT,
            answer_note      TEXT,
            penalty_note     TEXT,
            created_at       TIMESTAMPTZ NOT NULL,
            created_by       TEXT NOT NULL,
            updated_at       TIMESTAMPTZ NOT NULL
        )
        """,
        "CREATE SEQUENCE supervision_events_id_seq START 1",
        """
        CREATE TABLE supervision_events (
            id          BIGINT NOT NULL,
            case_id     BIGINT NOT NULL,
            event_at    TIMESTAMPTZ NOT NULL,
            action      TEXT NOT NULL,              -- open, notify, answer, verify …
            from_state  TEXT,
            to_state    TEXT NOT NULL,
            actor       TEXT NOT NULL,              -- the person, or 'platform'
            origin      TEXT NOT NULL,              -- cli | web ADDRESS | platform
            note        TEXT
        )
        """,
        "CREATE SEQUENCE supervision_deliveries_id_seq START 1",
        """
        CREATE TABLE supervision_deliveries (
            id          BIGINT NOT NULL,
            case_id     BIGINT NOT NULL,
            event       TEXT NOT NULL,              -- notify | escalate
            target      TEXT,
            attempt     INTEGER NOT NULL,
            sent_at     TIMESTAMPTZ NOT NULL,
            ok          BOOLEAN NOT NULL,
            http_status INTEGER,
            error       TEXT
        )
        """,
    ]),
]  # fmt: skip
