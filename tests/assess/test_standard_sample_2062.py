"""HJ 212-2025 uploads the automatic standard-sample check as CN 2062 (issue 16): the first
hour of a day holding a 2062 record of a water factor leaves the should-count as a C-flagged
hour does, whatever the hourly flag; `standard_sample_cn=None` judges by the flag only."""

from __future__ import annotations

from envmon.assess import AssessConfig, assess

from .conftest import DEC, HOUR, NOV, WATER, rec, write

AS_OF = DEC + 10 * 24 * HOUR


def test_a_2062_check_hour_leaves_the_should_count(store):
    store.execute("DELETE FROM point_factors WHERE mn = ? AND factor <> 'w01018'", [WATER])
    hours = [NOV + k * HOUR for k in range(48)]
    records = [rec(WATER, "w01018", h) for h in hours]
    for day in (0, 1):  # one check a day at 03:10, its hour flagged N by the unit
        check = rec(WATER, "w01018", NOV + (24 * day + 3) * HOUR)
        records.append(check._replace(cn="2062", data_time=check.data_time + HOUR / 6))
    write(store, records)

    def should(config: AssessConfig) -> int:
        result = assess(store, NOV, NOV + 48 * HOUR, config, as_of=AS_OF)
        (row,) = [r for r in result.level("point") if r.code == WATER]
        return row.counts.should

    assert should(AssessConfig()) == 46
    assert should(AssessConfig(standard_sample_cn=None)) == 48
    assert should(AssessConfig(standard_sample_exemption=False)) == 48
