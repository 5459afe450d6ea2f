"""The back-fill planner: missing hours of a point → coalesced BeginTime/EndTime ranges."""

from __future__ import annotations

from datetime import timedelta

import pytest

from envmon.assess.marks import add_exemption
from envmon.ingest.backfill import missing_hours, plan_ranges

from .conftest import GAS, HOUR, NOV, rec, write


def test_plan_ranges_coalesces_consecutive_hours_and_caps_their_length():
    hours = [NOV + k * HOUR for k in (0, 1, 2, 5, 7, 8)]
    assert plan_ranges(hours) == [(NOV, NOV + 2 * HOUR), (NOV + 5 * HOUR, NOV + 5 * HOUR),
                                  (NOV + 7 * HOUR, NOV + 8 * HOUR)]
    day = [NOV + k * HOUR for k in range(50)]
    assert plan_ranges(day, max_hours=24) == [
        (NOV, NOV + 23 * HOUR), (NOV + 24 * HOUR, NOV + 47 * HOUR),
        (NOV + 48 * HOUR, NOV + 49 * HOUR)]
    assert plan_ranges([]) == []
    with pytest.raises(ValueError):
        plan_ranges(day, max_hours=0)


def test_missing_hours_needs_every_assessed_factor_and_skips_exemptions(store):
    write(store, [rec(GAS, f, NOV + k * HOUR) for k in range(6) if k != 2
                  for f in ("a21026", "a21002", "a34013") if (k, f) != (4, "a21002")])
    add_exemption(store, mn=GAS, kind="停运", start=NOV + 7 * HOUR, end=NOV + 9 * HOUR,
                  by="x", reason="检修")
    got = missing_hours(store, GAS, NOV, NOV + 10 * HOUR)
    assert got == [NOV + k * HOUR for k in (2, 4, 6, 9)]
    assert missing_hours(store, GAS, NOV, NOV) == []
    assert missing_hours(store, GAS, NOV + timedelta(hours=1), NOV + 2 * HOUR) == []


def test_missing_hours_of_many_points_in_one_query(store):
    from envmon.ingest.backfill import missing_hours_many

    from .conftest import OTHER, WATER

    write(store, [rec(OTHER, "a21026", NOV + k * HOUR) for k in (0, 2)]
          + [rec(WATER, f, NOV + HOUR) for f in ("w01018", "w21003")])
    got = missing_hours_many(store, [OTHER, WATER, GAS], NOV, NOV + 3 * HOUR)
    assert got == {OTHER: [NOV + HOUR], WATER: [NOV, NOV + 2 * HOUR],
                   GAS: [NOV, NOV + HOUR, NOV + 2 * HOUR]}
    assert missing_hours_many(store, [], NOV, NOV + HOUR) == {}
