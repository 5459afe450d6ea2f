"""Hourly values formed from minute data in the store (HJ 75-2017: ≥ 45 valid minutes;
emissions.md §1.1), with the O2 correction (§2) and the mass from the measured value (§3)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from envmon.emissions.accounting import emissions, hours_from_minutes
from envmon.store import RawPacketRow, RecordRow, open_store
from envmon.timeutil import BEIJING_FIXED

T0 = datetime(2026, 11, 3, 8, tzinfo=BEIJING_FIXED)
MN = "MIN000000000000000000001"


def row(cn, t, factor, avg, flag="N", zs=None):
    return RecordRow(MN, cn, t, factor, factor, None, avg, None, None, None, None, zs, flag,
                     None, None, t + timedelta(minutes=1), None)


def test_hours_from_minutes(tmp_path):
    from envmon.registry.importer import import_rows

    store = open_store(tmp_path / "m.duckdb")
    import_rows(store, [{
        "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
        "county_code": "140105", "unit_id": "91140100MA0GMIN001", "unit_name": "分钟单位",
        "must_network": "1", "assessed": "1", "outlet_id": "DA001", "outlet_name": "烟囱",
        "kind": "gas", "mn": MN, "pw": "123456", "factors": "a21026:35", "o2_ref": "6",
        "standard": "",
    }])
    records = []
    for k in range(60):  # hour 1: 45 valid SO2 minutes (15 in calibration) → valid
        t = T0 + timedelta(minutes=k)
        records += [row("2051", t, "a21026", 30.0 if k % 2 else 34.0, "N" if k < 45 else "C"),
                    row("2051", t, "a19001", 9.0), row("2051", t, "a00000", 100.0)]
    for k in range(60):  # hour 2: 44 valid minutes → invalid
        t = T0 + timedelta(hours=1, minutes=k)
        records += [row("2051", t, "a21026", 30.0, "N" if k < 44 else "D"),
                    row("2051", t, "a19001", 9.0), row("2051", t, "a00000", 100.0)]
    records.append(row("2061", T0, "a21026", 32.5, zs=40.6))
    store.write_batch([RawPacketRow(T0, "t", "accepted", None, MN, "2051", None, b"")],
                      records)
    (point,) = store.list_points()
    first, second = hours_from_minutes(store, point, T0, T0 + timedelta(hours=2))
    mean = (23 * 34.0 + 22 * 30.0) / 45  # minutes 0…44: 23 even (34), 22 odd (30)
    assert first.status == "valid" and first.valid_minutes == 45
    assert first.avg == pytest.approx(mean)
    assert first.corrected == pytest.approx(mean * 15 / 12)  # (21 − 6)/(21 − 9)
    assert first.flow_m3_h == pytest.approx(360_000.0)
    assert first.kg == pytest.approx(mean * 360_000 * 1e-6)  # measured, never corrected
    assert first.reported_avg == 32.5 and first.reported_corrected == 40.6
    assert first.difference_pct == pytest.approx((32.5 - mean) / 32.5 * 100)
    assert second.status == "invalid" and second.valid_minutes == 44 and second.kg is None
    # accounting uses the unit's 2061 where it exists and the minutes where it does not
    (so2,) = emissions(store, T0, T0 + timedelta(hours=2))
    # hour 1: SO2 from the 2061 upload, flow (absent there) from the minutes; hour 2: minutes
    assert [h.source for h in so2.hours] == ["2061", "2051"]
    assert [h.status for h in so2.hours] == ["valid", "invalid"]
    assert so2.hours[0].kg == pytest.approx(32.5 * 360_000 * 1e-6)
    assert so2.hours[0].corrected == 40.6
    store.close()


def test_nox_from_no_and_no2(tmp_path):
    """A unit reporting NO (a21003) and NO2 (a21004) instead of NOx: NOx as NO2 =
    NO·46/30 + NO2 (HJ 212-2017 Appendix D), then the mass from it."""
    from envmon.registry.importer import import_rows

    store = open_store(tmp_path / "nox.duckdb")
    import_rows(store, [{
        "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
        "county_code": "140105", "unit_id": "91140100MA0GNOX001", "unit_name": "氮氧化物单位",
        "must_network": "1", "assessed": "1", "outlet_id": "DA001", "outlet_name": "烟囱",
        "kind": "gas", "mn": MN, "pw": "123456", "factors": "a21002:100", "o2_ref": "6",
        "standard": "",
    }])
    records = [row("2061", T0, "a21003", 30.0), row("2061", T0, "a21004", 5.0),
               row("2061", T0, "a19001", 9.0),
               RecordRow(MN, "2061", T0, "a00000", "a00000", None, 100.0, None, None,
                         360_000.0, None, None, "N", None, None, T0, None)]
    store.write_batch([RawPacketRow(T0, "t", "accepted", None, MN, "2061", None, b"")],
                      records)
    (nox,) = emissions(store, T0, T0 + timedelta(hours=1))
    (hour,) = nox.hours
    assert hour.conc == pytest.approx(51.0)  # 30 · 46/30 + 5
    assert hour.corrected == pytest.approx(51.0 * 15 / 12)
    assert hour.kg == pytest.approx(51.0 * 360_000 * 1e-6)
    store.close()
