"""Store tables of envmon.ingest's guard (schema version 7): who speaks for an MN.

- `guard_usual_addresses`: each MN's usual addresses (its first one, and any that held its
  live connection for `GuardSettings.learn_after_s`), which a lockout of other addresses
  never touches, kept across restarts;
- `guard_lockouts`: every lockout the receiver imposed (an address, `mn` ''; or an MN for new
  addresses, `address` '*'), and when and by whom it was lifted (`envmon receiver lockouts
  --unlock`); a running receiver picks lifts up on its registry refresh.

Read and written by `envmon.ingest.guard_store`.

Schema version 10 (issue 16, HJ 212-2025 SM4): `sm4_keys`, each MN's data-region key sealed
with the platform master key (AES-GCM; never in clear), and `key_audit`, one row per key set or
rotated (who, when, what; never the key). Read and written by `envmon.ingest.keystore`.

Schema version 13 (issue 14, several receivers on one store), read and written by
`envmon.ingest.coordination`: `receiver_leases`, one row per running receiver process with its
heartbeat (a receiver whose heartbeat is older than the lease is dead, and its sessions with
it); `live_sessions`, each MN's one live connection (which receiver, since when, last packet);
`job_leases`, who runs the once-per-platform jobs (offline detection) until when.
"""

from __future__ import annotations

from envmon.store.ddl import Migration

MIGRATIONS = [
    Migration(7, "receiver guard", [
        """
        CREATE TABLE guard_usual_addresses (
            mn          TEXT NOT NULL,
            address     TEXT NOT NULL,       -- IP (no port)
            first_seen  TIMESTAMPTZ NOT NULL,
            last_seen   TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (mn, address)
        )
        """,
        """
        CREATE TABLE guard_lockouts (
            address       TEXT NOT NULL,     -- IP, or '*' (an MN locked for new addresses)
            mn            TEXT NOT NULL,     -- '' for an address lockout
            locked_at     TIMESTAMPTZ NOT NULL,
            locked_until  TIMESTAMPTZ NOT NULL,
            failures      INTEGER NOT NULL,
            lifted_at     TIMESTAMPTZ,
            lifted_by     TEXT,
            PRIMARY KEY (address, mn, locked_at)
        )
        """,
    ]),
    Migration(10, "SM4 keys of HJ 212-2025 units", [
        """
        CREATE TABLE sm4_keys (
            mn          TEXT PRIMARY KEY,
            sealed      BYTEA NOT NULL,      -- nonce + AES-GCM(master key, key, aad = MN)
            created_at  TIMESTAMPTZ NOT NULL,
            rotated_at  TIMESTAMPTZ,         -- last key change (set again or rotate)
            pending     BYTEA,               -- a rotation's new key sent in 1014, not yet
            pending_qn  TEXT                 -- confirmed by the unit (its QN)
        )
        """,
        """
        CREATE TABLE key_audit (
            happened_at TIMESTAMPTZ NOT NULL,
            who         TEXT NOT NULL,       -- the OS user
            action      TEXT NOT NULL,       -- set | replaced | rotate_requested | rotate_done …
            mn          TEXT NOT NULL,
            detail      TEXT
        )
        """,
    ]),
    Migration(13, "receivers coordinated through the store", [
        """
        CREATE TABLE receiver_leases (
            receiver_id TEXT PRIMARY KEY,    -- host:port:pid:random, new at each start
            address     TEXT NOT NULL,       -- host:port it listens on
            pid         INTEGER NOT NULL,
            started_at  TIMESTAMPTZ NOT NULL,
            heartbeat   TIMESTAMPTZ NOT NULL
        )
        """,
        """
        CREATE TABLE live_sessions (
            mn          TEXT PRIMARY KEY,
            receiver_id TEXT NOT NULL,       -- the receiver holding the MN's live connection
            peer        TEXT NOT NULL,       -- the unit's ip:port there
            since       TIMESTAMPTZ NOT NULL,  -- when that connection claimed the MN
            last_seen   TIMESTAMPTZ NOT NULL   -- its last accepted packet (at the heartbeat)
        )
        """,
        """
        CREATE TABLE job_leases (
            job         TEXT PRIMARY KEY,    -- e.g. 'jobs' (offline detection)
            holder      TEXT NOT NULL,       -- a receiver_id
            expires_at  TIMESTAMPTZ NOT NULL
        )
        """,
    ]),
]  # fmt: skip
