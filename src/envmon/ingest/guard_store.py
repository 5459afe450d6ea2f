"""The guard's tables in the store (`ingest.tables`): usual addresses and lockouts.

The receiver writes them through its writer thread (`writer.run_in_writer`), never from the
event loop; `envmon receiver lockouts` reads them from another process and lifts a lockout by
stamping `lifted_at`, which a running receiver picks up on its registry refresh
(`lifted_since`).
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from envmon.ingest.guard import Lockout
from envmon.store import Store

__all__ = ["active_lockouts", "lift_lockouts", "lifted_since", "load_guard", "save_guard",
           "usual_addresses"]


def save_guard(store: Store, pending: list[tuple[str, tuple]]) -> None:
    """Persist what `Guard.take_pending()` returned, in one transaction. Usual addresses go
    in one statement: thousands of units connecting at once must not queue thousands of
    statements on the writer thread in front of their own data's commits."""
    seen: dict[tuple[str, str], datetime] = {}
    locks: list[Lockout] = []
    for kind, item in pending:
        if kind == "usual":
            mn, address, at = item
            seen[(mn, address)] = max(at, seen.get((mn, address), at))
        else:
            locks.append(item)
    with store.transaction():
        if seen:
            rows = pa.table({
                "mn": [mn for mn, _ in seen], "address": [address for _, address in seen],
                "seen": pa.array(list(seen.values()), pa.timestamp("us", tz="UTC")),
            })
            with store.staged("_envmon_usual", rows):
                store.execute(
                    "INSERT INTO guard_usual_addresses (mn, address, first_seen, last_seen) "
                    "SELECT mn, address, seen, seen FROM _envmon_usual "
                    "ON CONFLICT (mn, address) DO UPDATE SET last_seen = EXCLUDED.last_seen")
        for lock in locks:
            store.execute(
                "INSERT INTO guard_lockouts (address, mn, locked_at, locked_until, failures)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (address, mn, locked_at) DO NOTHING",
                [lock.address, lock.mn, lock.locked_at, lock.until, lock.failures])


def load_guard(store: Store) -> tuple[list[tuple[str, str]], list[Lockout]]:
    """(MN, address) usual pairs and the lockouts still in force, for a starting receiver."""
    usual = [(mn, address) for mn, address in store.query(
        "SELECT mn, address FROM guard_usual_addresses")]
    return usual, active_lockouts(store)


def active_lockouts(store: Store) -> list[Lockout]:
    """Lockouts not lifted and not yet over, oldest first."""
    return [Lockout(address, mn, locked_at, until, failures)
            for address, mn, locked_at, until, failures in store.query(
                "SELECT address, mn, locked_at, locked_until, failures FROM guard_lockouts "
                "WHERE lifted_at IS NULL AND locked_until > now() ORDER BY locked_at, address")]


def lifted_since(store: Store, since: datetime) -> list[tuple[str, str, datetime]]:
    """(address, mn, locked_at) of lockouts lifted at or after `since`."""
    return [tuple(row) for row in store.query(
        "SELECT address, mn, locked_at FROM guard_lockouts WHERE lifted_at >= ?", [since])]


def usual_addresses(store: Store, mn: str | None = None) -> list[tuple[str, str, datetime,
                                                                        datetime]]:
    """(MN, address, first_seen, last_seen), by MN and address."""
    where, params = ("WHERE mn = ?", [mn]) if mn else ("", [])
    return [tuple(row) for row in store.query(
        f"SELECT mn, address, first_seen, last_seen FROM guard_usual_addresses {where} "
        "ORDER BY mn, address", params)]


def lift_lockouts(store: Store, *, address: str | None = None, mn: str | None = None,
                  by: str = "cli") -> list[Lockout]:
    """Lift the active lockouts of `address` (an address lockout) or of `mn` (its lockout of
    new addresses); returns those lifted."""
    key = (address, "") if address else ("*", mn)
    with store.transaction():
        lifted = [lock for lock in active_lockouts(store) if (lock.address, lock.mn) == key]
        store.execute(
            "UPDATE guard_lockouts SET lifted_at = now(), lifted_by = ? WHERE address = ? "
            "AND mn = ? AND lifted_at IS NULL AND locked_until > now()", [by, *key])
    return lifted
