"""Store table of the remote commands (反控, issue 13 item 7; schema version 11).

`commands`: one row per command a person asked the platform to send to a unit: what (MN, CN,
the action's name, the CP sent), who asked, when and from where (`web.api.actor`: "name (web
address)" or "name (cli user@host)"), its QN, its state (queued → sent → answered → done |
failed | timed_out | refused) with the unit's QnRtn/ExeRtn and their meaning, the answer's
data (JSON text: e.g. ``{"SystemTime": …}`` for 1011) and when it finished. Rows are written
only by `envmon.control.dispatcher` through the platform's writer thread
(`envmon.control.storage`), one at a time, so an id is the largest one plus one (no
sequence needed).
"""

from __future__ import annotations

from envmon.store.ddl import Migration

MIGRATIONS = [
    Migration(11, "remote commands", [
        """
        CREATE TABLE commands (
            id              BIGINT NOT NULL PRIMARY KEY,
            mn              TEXT NOT NULL,
            cn              TEXT NOT NULL,
            action          TEXT NOT NULL,
            parameters      TEXT NOT NULL,   -- the CP data area sent (k=v;k=v)
            qn              TEXT NOT NULL,
            requested_by    TEXT NOT NULL,
            requested_at    TIMESTAMPTZ NOT NULL,
            requested_from  TEXT NOT NULL,   -- web | cli, and the client's address
            state           TEXT NOT NULL,   -- queued|sent|answered|done|failed|timed_out|refused
            qn_rtn          TEXT,
            exe_rtn         TEXT,
            reason          TEXT,            -- the meaning of QnRtn/ExeRtn, or why refused
            answer          TEXT,            -- JSON object of the data the unit uploaded
            sent_at         TIMESTAMPTZ,
            finished_at     TIMESTAMPTZ
        )
        """,
    ]),
]  # fmt: skip
