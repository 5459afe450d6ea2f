"""A small registry (two cities, a unit without points, a unit not assessed) and helpers that
write hourly records straight into the store with chosen received times."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from envmon.store import RawPacketRow, RecordRow, open_store
from envmon.timeutil import BEIJING_FIXED

NOV = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
DEC = datetime(2026, 12, 1, tzinfo=BEIJING_FIXED)
HOUR = timedelta(hours=1)

GAS = "SIMGAS000000000000000001"
GAS2 = "SIMGAS000000000000000002"
WATER = "SIMWAT000000000000000001"
OTHER = "SIMGAS000000000000000003"  # city 2


def _row(city, city_code, county, county_code, unit_id, unit_name, **point):
    base = {
        "province": "山西省", "city": city, "city_code": city_code, "county": county,
        "county_code": county_code, "unit_id": unit_id, "unit_name": unit_name,
        "must_network": point.pop("must_network", "1"), "assessed": point.pop("assessed", "1"),
    }
    return {**base, **point}


def registry_rows() -> list[dict]:
    gas = "a21026:35;a21002:50;a34013:10"
    return [
        _row("太原市", "140100", "小店区", "140105", "91140100MA0GAS0001", "甲电厂",
             outlet_id="DA001", outlet_name="1号炉", kind="gas", mn=GAS, pw="111111",
             factors=gas, o2_ref="6"),
        _row("太原市", "140100", "小店区", "140105", "91140100MA0GAS0001", "甲电厂",
             outlet_id="DA002", outlet_name="2号炉", kind="gas", mn=GAS2, pw="111112",
             factors=gas, o2_ref="6"),
        _row("太原市", "140100", "迎泽区", "140106", "91140100MA0WAT0001", "乙水厂",
             outlet_id="DW001", outlet_name="总排口", kind="water", mn=WATER, pw="222222",
             factors="w01018:50;w21003:5"),
        _row("太原市", "140100", "迎泽区", "140106", "91140100MA0NOPT001", "丙公司"),
        _row("大同市", "140200", "平城区", "140213", "91140200MA0GAS0003", "丁钢铁",
             outlet_id="DA001", outlet_name="烧结机头", kind="gas", mn=OTHER, pw="333333",
             factors="a21026:35", o2_ref="16"),
    ]


@pytest.fixture
def store(tmp_path):
    from envmon.registry.importer import import_rows

    s = open_store(tmp_path / "assess.duckdb")
    report = import_rows(s, registry_rows())
    assert report.ok, str(report)
    yield s
    s.close()


def rec(mn, factor, hour, *, flag="N", delay=timedelta(minutes=65)):
    """One hourly record of `hour`, received `delay` after the hour's start."""
    return RecordRow(mn, "2061", hour, factor, factor, None, 1.0, None, None, None, None, None,
                     flag, None, None, hour + delay, None)


def raw(mn, at):
    return RawPacketRow(at, "127.0.0.1:1", "accepted", None, mn, "2061", None, b"##")


def write(store, records, *, online=()):
    raws = [raw(mn, at) for mn, at in online]
    for start in range(0, max(len(records), 1), 50_000):
        store.write_batch(raws if start == 0 else [], records[start:start + 50_000])
