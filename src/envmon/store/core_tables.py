"""The store's own tables: the packet log every receiver writes (schema version 1).

- `raw_packets`: every packet received, with the verdict (accepted | rejected | discarded) and
  the reason; `records`: one row per factor per upload, long format. Both are append-only:
  nothing updates or deletes them; a re-sent hour is a second row, and readers pick the first
  received (`records_first`).
- `records_first`: the first received copy of each (mn, cn, data_time, factor), with the end
  of its period and the number of copies.

They sit here rather than in `ingest/` because the store's own methods (`write_batch`,
`query_records`, `iter_raw_packets`) read and write them.
"""

from __future__ import annotations

from envmon.store.ddl import IdSequence, Index, Migration

RECORDS_FIRST_VIEW = """
CREATE VIEW records_first AS
SELECT id, mn, cn, data_time,
       CASE cn
           WHEN '2061' THEN data_time + INTERVAL '1 hour'
           WHEN '2031' THEN data_time + INTERVAL '1 day'
           WHEN '2041' THEN data_time + INTERVAL '1 day'  -- daily running hours (C.23)
       END AS period_end,
       factor, factor_raw, rtd, avg, min, max, cou, zs_rtd, zs_avg, flag, eflag, extra,
       received_at, qn, copies
FROM (
    SELECT r.*,
           ROW_NUMBER() OVER (PARTITION BY mn, cn, data_time, factor
                              ORDER BY received_at, id) AS rn,
           COUNT(*) OVER (PARTITION BY mn, cn, data_time, factor) AS copies
    FROM records r
) ranked
WHERE rn = 1
"""

MIGRATIONS = [
    Migration(1, "packet log", [
        IdSequence("raw_packets"),
        """
        CREATE TABLE raw_packets (
            id          BIGINT NOT NULL,
            received_at TIMESTAMPTZ NOT NULL,
            peer        TEXT,
            verdict     TEXT NOT NULL,      -- accepted | rejected | discarded
            reason      TEXT,
            mn          TEXT,
            cn          TEXT,
            qn          TEXT,
            raw         BYTEA NOT NULL
        )
        """,
        IdSequence("records"),
        """
        CREATE TABLE records (
            id          BIGINT NOT NULL,
            mn          TEXT NOT NULL,
            cn          TEXT NOT NULL,
            data_time   TIMESTAMPTZ NOT NULL,  -- DataTime: start of the period (hj212.md §8)
            factor      TEXT NOT NULL,         -- HJ 212-2017 code
            factor_raw  TEXT NOT NULL,         -- code as sent
            rtd         DOUBLE PRECISION,
            avg         DOUBLE PRECISION,
            min         DOUBLE PRECISION,
            max         DOUBLE PRECISION,
            cou         DOUBLE PRECISION,
            zs_rtd      DOUBLE PRECISION,
            zs_avg      DOUBLE PRECISION,
            flag        TEXT,                  -- raw data flag (N, F, M, S, D, C, T, B …)
            eflag       TEXT,
            extra       TEXT,                  -- JSON text of any other suffixes
            received_at TIMESTAMPTZ NOT NULL,
            qn          TEXT
        )
        """,
        RECORDS_FIRST_VIEW,
        Index("records_mn_cn_time", "records", ("mn", "cn", "data_time")),
        Index("records_received_at", "records", ("received_at",)),
        Index("raw_packets_pkey", "raw_packets", ("id",), unique=True),
        Index("raw_packets_received_at", "raw_packets", ("received_at",)),
    ]),
]  # fmt: skip
