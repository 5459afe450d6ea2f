"""Issue 11 items 24–25: a ranking of readings imported but not matched yet matches them
first (or refuses naming the days); an empty list says why; the dirty and clean lists never
share a segment, and are shortened (saying so) when fewer than 2 × top are eligible."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.period import Period
from envmon.roads import api
from envmon.roads.stats import Eligibility
from envmon.store import open_store

ANY = Eligibility(1, 1, 1)
OCTOBER = Period.month("2026-10")


@pytest.fixture
def imported(tmp_path):
    """Two simulated taxis over one day of the synthetic grid: imported, never matched."""
    db = tmp_path / "r.duckdb"
    with open_store(db) as store:
        api.simulate_taxis(store, OCTOBER, api.SimulateOptions(
            out=tmp_path / "t.csv", taxis=2, days=1, minutes=20, do_import=True))
    return db


def test_rank_matches_the_days_not_matched_yet(imported):
    steps = []
    with open_store(imported) as store:
        result = api.rank(store, OCTOBER, api.RankOptions(top=3, eligibility=ANY),
                          progress=lambda d, t: steps.append((d, t)))
        ranking = result.as_json()
        assert ranking["matched_days"] == ["2026-10-01"] and steps == [(1, 1)]
        assert len(ranking["dirty"]) == len(ranking["clean"]) == 3
        again = api.rank(store, OCTOBER, api.RankOptions(top=3, eligibility=ANY))
        assert again.matched_days == []  # matched once, not again
        assert again.as_json()["dirty"] == ranking["dirty"]


def test_rank_without_matching_refuses_naming_the_days(imported):
    result = CliRunner().invoke(app, ["roads", "rank", "--db", str(imported), "--month",
                                      "2026-10", "--no-match"])
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert "not map-matched yet (2026-10-01)" in line and "envmon roads match" in line


def test_an_empty_ranking_says_why(imported):
    with open_store(imported) as store:
        empty = api.rank(store, Period.month("2026-09"), api.RankOptions(top=3)).as_json()
        assert empty["dirty"] == empty["clean"] == []
        assert "no readings in" in empty["note"] and "envmon roads import" in empty["note"]
        strict = api.rank(store, OCTOBER, api.RankOptions(
            top=3, eligibility=Eligibility(30, 1, 1))).as_json()
        assert strict["dirty"] == [] and "none of the" in strict["note"]
        assert "--min-days" in strict["note"]
    cli = CliRunner().invoke(app, ["roads", "rank", "--db", str(imported), "--month", "2026-09",
                                   "--format", "json"])
    assert cli.exit_code == 0 and "note: no readings in" in cli.stderr


def test_lists_are_disjoint_and_shortened_when_few_are_eligible(imported):
    with open_store(imported) as store:
        result = api.rank(store, OCTOBER, api.RankOptions(top=500, eligibility=ANY))
    ranking = result.as_json()
    eligible = sum(1 for v in result.values if v.eligible)
    assert 2 <= eligible < 1000
    dirty = {i["segment_id"] for i in ranking["dirty"]}
    clean = {i["segment_id"] for i in ranking["clean"]}
    assert not dirty & clean
    assert len(dirty) == len(clean) == eligible // 2 == ranking["list_length"]
    assert ranking["eligible"] == eligible
    assert f"only {eligible} segments meet" in ranking["note"]
    assert "fewer than 2 × --top 500" in ranking["note"]
