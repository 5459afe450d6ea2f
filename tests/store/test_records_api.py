"""envmon.records.api (`envmon data`) without the CLI: periods, options, unknown MN."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from envmon.errors import OptionError, PeriodError
from envmon.period import Period
from envmon.records.api import RecordsOptions, point_records, records_period
from envmon.timeutil import BEIJING_FIXED

from .conftest import MN, raw_row, record

H0 = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)


def test_records_first_received_wins(store):
    store.write_batch([raw_row()], [record("a21026", data_time=H0, avg=10.0),
                                    record("a21026", data_time=H0 + timedelta(hours=1),
                                           avg=11.0)])
    store.write_batch([], [record("a21026", data_time=H0, avg=99.0,
                                  received_at=H0 + timedelta(days=2))])
    result = point_records(store, Period(H0, H0 + timedelta(hours=1)), RecordsOptions(MN))
    (only,) = result.as_json()
    assert (only["data_time"], only["avg"]) == ("2026-11-01T00:00:00+08:00", 10.0)
    assert result.rows()[0][:4] == (MN, "2061", "2026-11-01T00:00:00+08:00", "a21026")
    assert result.default_stem == f"data-{MN}-2061-2026110100-2026110101"
    with pytest.raises(OptionError) as err:
        point_records(store, Period(H0, H0 + timedelta(hours=1)), RecordsOptions("NOPE"))
    assert err.value.option == "--mn" and "unknown MN 'NOPE'" in err.value.reason


def test_records_period_defaults_and_errors():
    now = datetime(2026, 11, 20, 12, tzinfo=BEIJING_FIXED)
    assert records_period(None, None, now=now) == Period(now - timedelta(days=1), now)
    p = records_period("2026-11-01", None, now=now)
    assert (p.start, p.end) == (H0, now)
    with pytest.raises(PeriodError) as err:
        records_period("yesterday", None, now=now)
    assert err.value.option == "--from" and "not an ISO 8601 time" in err.value.reason
    with pytest.raises(PeriodError, match="is not before"):
        records_period("2026-11-02", "2026-11-01", now=now)


def test_invalid_cn_names_the_option():
    with pytest.raises(OptionError) as err:
        RecordsOptions(MN, cn="hour")
    assert err.value.option == "--cn" and "four-digit" in err.value.reason
