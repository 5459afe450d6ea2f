"""The store's own tables: the packet log every receiver writes (schema versions 1 and 7).

- `raw_packets`: every packet received, with the verdict (accepted | rejected | discarded) and
  the reason, re-sent ones included; `records`: one row per factor per upload, long format.
  Both are append-only: nothing updates or deletes them.
- `records_first`: the copy the figures use of each (mn, cn, data_time, factor), with the end
  of its period, the number of stored copies and of conflicting copies.

Idempotency and provenance (version 7). (mn, cn, data_time, factor) is the record's key,
enforced when `Store.write_batch` writes (not by a unique index: see `envmon.store.recordkeys`):

- a re-sent copy with the same values (every numeric column, Flag, EFlag, extra) is not stored
  again; the packet stays in the raw log and is answered. It is stored only when it improves
  on every identical stored copy (trusted where they are not, or received earlier: a replay of
  an older log), which changes no figure.
- a copy with other values is stored as a second row marked `conflict` (never dropped, never
  silently winning); `envmon data --conflicts` lists both copies and the `conflict` alarm
  rule raises on it.
- each row keeps `peer` (the sender's address) and `trusted` (the receiver's judgement that
  it came from the unit's live session at its usual address; NULL in rows written before
  version 7 counts as trusted).

The copy policy (which copy the figures use, `records_first`, `Store.query_records`, the
assessment and the emissions accounting alike): **a trusted copy beats an untrusted one;
among copies equally trusted a live copy beats a re-sent one (HJ 212-2025 RF=1, version 10),
then the first received wins** (then the lowest id). So a copy from
an address that is not the unit's usual one never replaces the unit's own copy, whatever the
order they arrived in, but it fills an hour the unit has not sent until the unit's copy comes;
a later copy from the unit itself (a 补遗 answer, a re-send) fills a missing hour and never
replaces a stored one: it is a conflict, and the first copy stays. A copy marked re-sent
(`resent`, RF=1) fills a missing hour, and a live copy of the unit arriving after it takes
over (recorded as a conflict when the values differ), never the other way round.

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

RECORDS_FIRST_POLICY = (
    "COALESCE(trusted, TRUE) DESC, COALESCE(resent, FALSE), received_at, id")
"""ORDER BY of the copies of one record key, best first: the copy policy above."""

RECORDS_FIRST_POLICY_V7 = "COALESCE(trusted, TRUE) DESC, received_at, id"

RECORDS_FIRST_VIEW_V7 = f"""
CREATE VIEW records_first AS
SELECT id, mn, cn, data_time,
       CASE cn
           WHEN '2061' THEN data_time + INTERVAL '1 hour'
           WHEN '2031' THEN data_time + INTERVAL '1 day'
           WHEN '2041' THEN data_time + INTERVAL '1 day'  -- daily running hours (C.23)
       END AS period_end,
       factor, factor_raw, rtd, avg, min, max, cou, zs_rtd, zs_avg, flag, eflag, extra,
       received_at, qn, copies, conflicts, peer, trusted
FROM (
    SELECT r.*,
           ROW_NUMBER() OVER (PARTITION BY mn, cn, data_time, factor
                              ORDER BY {RECORDS_FIRST_POLICY_V7}) AS rn,
           COUNT(*) OVER (PARTITION BY mn, cn, data_time, factor) AS copies,
           SUM(CASE WHEN conflict THEN 1 ELSE 0 END)
               OVER (PARTITION BY mn, cn, data_time, factor) AS conflicts
    FROM records r
) ranked
WHERE rn = 1
"""

RECORDS_FIRST_VIEW_V10 = f"""
CREATE VIEW records_first AS
SELECT id, mn, cn, data_time,
       CASE cn
           WHEN '2061' THEN data_time + INTERVAL '1 hour'
           WHEN '2031' THEN data_time + INTERVAL '1 day'
           WHEN '2041' THEN data_time + INTERVAL '1 day'  -- daily running hours (C.23)
       END AS period_end,
       factor, factor_raw, rtd, avg, min, max, cou, zs_rtd, zs_avg, flag, eflag, extra,
       received_at, qn, copies, conflicts, peer, trusted, resent, st
FROM (
    SELECT r.*,
           ROW_NUMBER() OVER (PARTITION BY mn, cn, data_time, factor
                              ORDER BY {RECORDS_FIRST_POLICY}) AS rn,
           COUNT(*) OVER (PARTITION BY mn, cn, data_time, factor) AS copies,
           SUM(CASE WHEN conflict THEN 1 ELSE 0 END)
               OVER (PARTITION BY mn, cn, data_time, factor) AS conflicts
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
    Migration(7, "record provenance and conflicting copies", [
        "DROP VIEW records_first",
        "ALTER TABLE records ADD COLUMN peer TEXT",          # the sender's address
        "ALTER TABLE records ADD COLUMN trusted BOOLEAN",    # NULL (older rows): trusted
        "ALTER TABLE records ADD COLUMN conflict BOOLEAN",   # other values than a stored copy
        RECORDS_FIRST_VIEW_V7,
    ]),
    Migration(10, "HJ 212-2025 re-sent copies and system codes of records", [
        "DROP VIEW records_first",
        "ALTER TABLE records ADD COLUMN resent BOOLEAN",     # RF=1; NULL (older rows): live
        "ALTER TABLE records ADD COLUMN st TEXT",            # the packet's ST (44, 45 …)
        RECORDS_FIRST_VIEW_V10,
    ]),
]  # fmt: skip
