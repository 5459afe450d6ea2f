"""A small store for the batch tests: two provinces (山西 14, 河北 13), a month (2026-10) of
hourly data with what the counting rules tell apart, and a road network with drive passes.

Hourly records, seeded random: gaps (missing hours), late data (after the 即时 window, and
after the 补全 window), flags D, a copy sent twice with another flag, standard-sample hours
(C) of water COD, a short-minutes hour (CN 2051 with too few valid minutes), an exemption
with proof and one without, a correction invalidating hours and a repair, a point assessed
from mid-month, a registered parameter (flow a00000) that is not assessed, one accepted
packet per point and day. Roads: 6 segments, 4 taxis, passes on most days.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pyarrow as pa

from envmon.assess.marks import add_correction, add_exemption
from envmon.registry.importer import import_rows
from envmon.store import RawPacketRow, RecordRow, open_store
from envmon.timeutil import BEIJING_FIXED

MONTH = "2026-10"
START = datetime(2026, 10, 1, tzinfo=BEIJING_FIXED)
END = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
AS_OF = datetime(2026, 11, 20, tzinfo=BEIJING_FIXED)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

GAS1, GAS2, WATER, HEBEI = ("SIMGAS000000000000000001", "SIMGAS000000000000000002",
                            "SIMWAT000000000000000001", "SIMGAS000000000000000013")
GAS_FACTORS = "a21026:35;a21002:50;a34013:10;a00000:"


def _row(province, city, city_code, county, county_code, unit_id, unit_name, **point):
    return {"province": province, "city": city, "city_code": city_code, "county": county,
            "county_code": county_code, "unit_id": unit_id, "unit_name": unit_name,
            "must_network": "1", "assessed": "1", **point}


def registry() -> list[dict]:
    return [
        _row("山西省", "太原市", "140100", "小店区", "140105", "91140100MA0GAS0001", "甲电厂",
             outlet_id="DA001", outlet_name="1号炉", kind="gas", mn=GAS1, pw="111111",
             factors=GAS_FACTORS, o2_ref="6"),
        _row("山西省", "太原市", "140100", "小店区", "140105", "91140100MA0GAS0001", "甲电厂",
             outlet_id="DA002", outlet_name="2号炉", kind="gas", mn=GAS2, pw="111112",
             factors=GAS_FACTORS, o2_ref="6", assessed_from="2026-10-12"),
        _row("山西省", "太原市", "140100", "迎泽区", "140106", "91140100MA0WAT0001", "乙水厂",
             outlet_id="DW001", outlet_name="总排口", kind="water", mn=WATER, pw="222222",
             factors="w01018:50;w21003:5"),
        _row("河北省", "石家庄市", "130100", "长安区", "130102", "91130100MA0GAS0013",
             "戊热电", outlet_id="DA001", outlet_name="锅炉", kind="gas", mn=HEBEI,
             pw="131313", factors="a21026:35;a21002:50"),
    ]


def _record(mn, cn, at, factor, flag, received):
    return RecordRow(mn, cn, at, factor, factor, None, 1.0, None, None, None, None, None,
                     flag, None, None, received, None)


def _hourly(rng: random.Random) -> tuple[list[RecordRow], list[RawPacketRow]]:
    points = {GAS1: ("a21026", "a21002", "a34013", "a00000"),
              GAS2: ("a21026", "a21002", "a34013", "a00000"),
              WATER: ("w01018", "w21003"), HEBEI: ("a21026", "a21002")}
    records, raws = [], []
    hours = int((END - START) / HOUR)
    for mn, factors in points.items():
        for k in range(hours):
            h = START + k * HOUR
            if k % 24 == 3:
                raws.append(RawPacketRow(h + 5 * 60 * timedelta(seconds=1), "127.0.0.1:1",
                                         "accepted", None, mn, "2061", None, b"##"))
            roll = rng.random()
            if roll < 0.04:
                continue  # a gap
            delay = timedelta(minutes=65)
            if roll < 0.07:
                delay = timedelta(hours=30)  # late for 即时, in time for 补全
            elif roll < 0.08:
                delay = timedelta(days=12)  # after the 补全 window
            for factor in factors:
                flag = "D" if rng.random() < 0.02 else "N"
                if mn == WATER and factor == "w01018" and k % 24 == 9:
                    flag = "C"  # the day's standard-sample check
                records.append(_record(mn, "2061", h, factor, flag, h + delay))
            if roll > 0.995:  # sent twice, the second copy flagged otherwise
                records.append(_record(mn, "2061", h, factors[0], "F", h + delay + HOUR))
    # one hour with minute data: 30 valid minutes (< 45): not valid for either variant
    h = START + 40 * HOUR
    for m in range(30):
        records.append(_record(GAS1, "2051", h + m * timedelta(minutes=1), "a21026", "N",
                               h + HOUR))
    return records, raws


def _roads(store, rng: random.Random) -> None:
    now = datetime(2026, 11, 2, tzinfo=BEIJING_FIXED)
    store.execute("INSERT INTO road_networks VALUES ('v1', 'test', 'EPSG:32649', 6, 0, ?)",
                  [now])
    for i in range(6):
        store.execute(
            "INSERT INTO road_segments (network_version, segment_id, name, road, start_label, "
            "end_label, district, highway, length_m, way_ids, start_node, end_node, geom_wkt) "
            "VALUES ('v1', ?, ?, ?, 'A', 'B', ?, 'primary', ?, '1', 1, 2, "
            "'LINESTRING (112.5 37.8, 112.6 37.9)')",
            [f"s{i}", f"路{i}A路口至B路口", f"路{i}", "小店区" if i % 2 else "迎泽区",
             300.0 + i])
    rows = {k: [] for k in ("network_version", "segment_id", "device_id", "start_time",
                            "end_time", "n_readings", "covered_m", "pm25_mean", "pm10_mean",
                            "counted")}
    for day in range(31):
        for taxi in range(4):
            for seg in range(6):
                if rng.random() < 0.3 + 0.1 * seg:
                    continue
                t = START + day * DAY + timedelta(hours=8 + taxi, minutes=seg * 5)
                values = (("v1", f"s{seg}", f"taxi{taxi}", t, t + timedelta(seconds=40),
                           rng.randint(2, 20), 120.0, rng.uniform(20, 80),
                           rng.uniform(40, 160) + 10 * seg, rng.random() > 0.1))
                for key, value in zip(rows, values, strict=True):
                    rows[key].append(value)
    ts = pa.timestamp("us", tz="UTC")
    store.append("road_passes", pa.table({
        **{k: pa.array(rows[k]) for k in ("network_version", "segment_id", "device_id")},
        "start_time": pa.array(rows["start_time"], ts),
        "end_time": pa.array(rows["end_time"], ts),
        "n_readings": pa.array(rows["n_readings"], pa.int32()),
        **{k: pa.array(rows[k], pa.float64()) for k in ("covered_m", "pm25_mean",
                                                         "pm10_mean")},
        "counted": pa.array(rows["counted"], pa.bool_()),
    }))


def build(path, seed: int = 14):
    """The store at `path` (closed). Returns its path."""
    rng = random.Random(seed)
    store = open_store(path)
    try:
        report = import_rows(store, registry())
        assert report.ok, str(report)
        records, raws = _hourly(rng)
        store.write_batch(raws, records)
        made = START + 3 * DAY
        add_exemption(store, unit_id="91140100MA0WAT0001", kind="停产", start=START + 5 * DAY,
                      end=START + 8 * DAY, by="张三", reason="检修", proof="文件1", at=made)
        add_exemption(store, mn=HEBEI, kind="停运", start=START + 2 * DAY,
                      end=START + 3 * DAY, by="张三", reason="无证明", at=made)  # no proof
        add_exemption(store, mn=GAS1, kind="停运", start=END - 2 * DAY, end=END + 2 * DAY,
                      by="张三", reason="跨月", proof="文件2", at=END - 2 * DAY)
        add_correction(store, mn=GAS1, factor="a21026", action="invalidate",
                       start=START + 50 * HOUR, end=START + 53 * HOUR, by="李四",
                       reason="校准", at=made)
        add_correction(store, mn=HEBEI, action="repair", start=START + 100 * HOUR,
                       end=START + 104 * HOUR, by="李四", reason="补录", proof="文件3",
                       at=START + 6 * DAY)
        _roads(store, rng)
    finally:
        store.close()
    return path
