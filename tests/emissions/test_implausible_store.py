"""A store written before the plausibility rules (issue 10) may hold an hour with flag N and
a21026-Avg = 1e308: the emissions treat it as invalid and every figure stays finite, and a
figure that still came out non-finite is refused naming the point, factor and hour."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from envmon.emissions.accounting import (
    HourEmission,
    NonFiniteFigureError,
    PollutantResult,
    check_finite,
    emissions,
    monthly_tax,
)
from envmon.registry.importer import import_rows
from envmon.store import RecordRow, open_store
from envmon.timeutil import BEIJING_FIXED
from tests.ingest.conftest import GAS_MN, registry_rows

H0 = datetime(2026, 11, 3, 8, tzinfo=BEIJING_FIXED)


def row(factor: str, avg: float, at: datetime) -> RecordRow:
    return RecordRow(GAS_MN, "2061", at, factor, factor, None, avg, None, None, None, None,
                     None, "N", None, None, at + timedelta(minutes=5), None)


def test_an_old_1e308_hour_is_invalid_and_the_tax_finite(tmp_path):
    with open_store(tmp_path / "old.duckdb") as store:
        import_rows(store, registry_rows())
        rows = []
        for k, so2 in enumerate((12.0, 1e308, 13.0)):
            at = H0 + timedelta(hours=k)
            rows += [row("a21026", so2, at), row("a00000", 50.0, at), row("a19001", 8.0, at)]
        store.write_batch([], rows)
        [so2] = [r for r in emissions(store, H0, H0 + timedelta(hours=3))
                 if r.mn == GAS_MN and r.factor == "a21026"]
        assert [h.status for h in so2.hours] == ["valid", "invalid", "valid"]
        assert math.isfinite(so2.kg)
        start = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
        lines = monthly_tax(store, start, datetime(2026, 12, 1, tzinfo=BEIJING_FIXED))
        assert lines and all(math.isfinite(t.tax_yuan) for t in lines)


def test_a_non_finite_figure_is_refused_naming_point_factor_and_hour():
    hour = HourEmission(H0, 1e300, 1e300, 1e300, math.inf, math.inf, "valid", None, "2061")
    result = PollutantResult(GAS_MN, "U1", "", "DA001", "", "140105", "140100", "gas",
                             "a21026", 35.0, [hour], 100.0)
    with pytest.raises(NonFiniteFigureError) as refused:
        check_finite(result)
    assert f"{GAS_MN} a21026 at {H0.isoformat()}" in str(refused.value)
