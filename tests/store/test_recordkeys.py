"""One record per (mn, cn, data_time, factor): identical re-sent copies are not stored twice,
different ones are kept as conflicts, and the copy policy picks the figures' copy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from envmon.store import WriteResult, open_store

from .conftest import MN, T0, raw_row, record

LATER = T0 + timedelta(hours=2)
REAL, FORGER = "10.0.0.1:40001", "10.9.9.9:50000"


def count(store) -> int:
    return store.query("SELECT COUNT(*) FROM records")[0][0]


def used(store, factor="a21026"):
    (got,) = [g for g in store.query_records(MN, "2061", T0, T0 + timedelta(hours=1))
              if g["factor"] == factor]
    view = store.query("SELECT avg, peer, copies, conflicts FROM records_first "
                       "WHERE factor = ?", [factor])
    return got["avg"], view[0]


def test_an_identical_resent_record_is_answered_but_not_stored_twice(store):
    assert store.write_batch([raw_row()], [record(), record("a21002")]) == WriteResult(2, 0, ())
    resent = [record(received_at=LATER), record("a21002", received_at=LATER)]
    assert store.write_batch([raw_row(LATER)], resent) == WriteResult(0, 2, ())
    # twice in one group, too
    again = record("a34013")
    assert store.write_batch([], [again, again]).duplicates == 1
    assert count(store) == 3
    assert store.raw_counts()["accepted"] == 2  # the raw log keeps every packet


def test_a_different_value_is_kept_as_a_conflict_and_the_first_stays(store):
    store.write_batch([], [record(avg=10.0)])
    result = store.write_batch([], [record(avg=11.0, received_at=LATER)])
    assert (result.stored, result.duplicates) == (1, 0)
    (conflict,) = result.conflicts
    assert (conflict.record.avg, conflict.earlier.avg) == (11.0, 10.0)
    assert count(store) == 2
    assert used(store) == (10.0, (10.0, None, 2, 1))
    # a flag alone differing is a conflict too; the same copy again is not
    assert len(store.write_batch([], [record(avg=10.0, flag="D", received_at=LATER)]
                                 ).conflicts) == 1
    assert store.write_batch([], [record(avg=11.0, received_at=LATER)]).duplicates == 1


@pytest.mark.parametrize("forger_first", [True, False])
def test_the_units_own_copy_wins_over_one_from_elsewhere_in_both_orders(store, forger_first):
    real = record(avg=500.0, received_at=LATER)._replace(peer=REAL)
    forged = record(avg=0.1)._replace(peer=FORGER, trusted=False)
    first, second = (forged, real) if forger_first else (real, forged)
    store.write_batch([], [first])
    assert len(store.write_batch([], [second]).conflicts) == 1
    assert used(store) == (500.0, (500.0, REAL, 2, 1))


def test_a_copy_from_elsewhere_fills_a_missing_hour_until_the_unit_sends_it(store):
    store.write_batch([], [record(avg=0.1)._replace(peer=FORGER, trusted=False)])
    assert used(store)[0] == 0.1
    # the unit's identical copy is stored (it makes the value the unit's own), not a conflict
    result = store.write_batch([], [record(avg=0.1, received_at=LATER)._replace(peer=REAL)])
    assert result == WriteResult(1, 0, ())
    assert used(store) == (0.1, (0.1, REAL, 2, 0))


def test_a_later_copy_from_the_unit_fills_a_missing_hour_but_never_replaces_one(store):
    """A 补遗 answer or a re-send: the first copy of the unit stays, the later is a conflict."""
    store.write_batch([], [record(avg=10.0)._replace(peer=REAL)])
    backfill = record(avg=12.0, received_at=LATER)._replace(peer=REAL)
    missing = record(avg=12.0, data_time=T0 - timedelta(hours=1), received_at=LATER)
    result = store.write_batch([], [backfill, missing])
    assert (result.stored, len(result.conflicts)) == (2, 1)
    assert used(store)[0] == 10.0


def test_the_key_holds_after_reopening_and_beyond_the_recent_keys(db_path):
    with open_store(db_path) as store:
        store.record_keys.max_recent = 2  # hour 0 leaves memory: looked up in the store
        store.write_batch([], [record(data_time=T0 + timedelta(hours=h)) for h in range(4)])
        assert len(store.record_keys.recent) == 2
        assert store.write_batch([], [record(received_at=LATER)]).duplicates == 1
        assert store.record_keys.lookups == 1
    with open_store(db_path) as store:
        result = store.write_batch([], [record(received_at=LATER),
                                        record(avg=1.0, received_at=LATER),
                                        record(data_time=T0 + timedelta(hours=9))])
        assert (result.stored, result.duplicates, len(result.conflicts)) == (2, 1, 1)
        assert count(store) == 6


def test_a_rolled_back_group_leaves_no_key_behind(store):
    broken = record()._replace(mn=None)
    with pytest.raises(Exception):  # noqa: B017 - the engine's own constraint error
        store.write_batch([raw_row()], [record("a21002"), broken])
    assert store.write_batch([], [record("a21002")]).stored == 1
    with pytest.raises(RuntimeError), store.transaction():
        store.write_batch([], [record("a34013")])
        raise RuntimeError("the outer block fails")
    assert store.write_batch([], [record("a34013")]).stored == 1
    assert count(store) == 2


def test_a_write_around_write_batch_is_seen(store):
    store.write_batch([], [record()])
    store.execute("DELETE FROM records")
    assert store.write_batch([], [record()]).stored == 1
