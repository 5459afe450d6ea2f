"""Simulated units against the real receiver over TCP: the store must hold exactly what the
units had answered, and every injected fault must show up as the ground truth says."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from envmon.ingest.server import Receiver
from envmon.sim.fleet import FaultRates, Fleet, plan_faults, sim_points_from_store
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

START = datetime(2026, 11, 2, 0, 0, 30, tzinfo=BEIJING_FIXED)


def registry(n: int) -> list[dict]:
    rows = []
    for k in range(n):
        kind = "gas" if k % 2 == 0 else "water"
        rows.append({
            "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
            "county_code": "140105", "unit_id": f"91140100MA0GSIM{k:03d}"[:18],
            "unit_name": f"模拟单位{k}", "must_network": "1", "assessed": "1",
            "outlet_id": f"OUT{k:03d}", "outlet_name": f"排口{k}", "kind": kind,
            "mn": f"SIM{k:021d}", "pw": f"{100000 + k}",
            "factors": "a21026:35;a21002:50;a34013:10" if kind == "gas" else "w01018:50;w21003:5",
            "o2_ref": "6" if kind == "gas" else "", "standard": "",
        })
    return rows


def test_fleet_ground_truth(tmp_path):
    from envmon.registry.importer import import_rows

    store = open_store(tmp_path / "sim.duckdb")
    import_rows(store, registry(8))
    points = sim_points_from_store(store)
    rates = FaultRates(offline=0.15, late=0.0, invalid=0.15, exceed=0.1, corrupt_crc=0.1,
                       wrong_pw=0.2)

    async def scenario():
        receiver = Receiver(store, "127.0.0.1", 0)
        await receiver.start()
        fleet = Fleet(points, "127.0.0.1", receiver.port, seed=7, speed=3600.0, start=START,
                      rates=rates, history_hours=6, ack_timeout_s=0.5, realtime=False,
                      minute_data=False)
        summary = await fleet.run(until=START + timedelta(hours=2))
        await receiver.stop()
        return fleet, summary

    fleet, summary = asyncio.run(scenario())
    hours = [START.replace(minute=0, second=0) - timedelta(hours=6) + timedelta(hours=k)
             for k in range(6 + 24 * 31)]
    plans = plan_faults(points, hours, rates, seed=7)
    assert any(p.wrong_pw for p in plans.values()), "seed must exercise a wrong password"
    day_from, day_to = START - timedelta(days=1), START + timedelta(days=1)
    checked_flags = 0
    for unit in fleet.units:
        mn, plan = unit.point.mn, plans[unit.point.mn]
        assert unit.faults == plan  # the plan is reproducible from the seed
        rows = store.query_records(mn, "2061", day_from, day_to)
        stored_hours = {r["data_time"] for r in rows}
        acked = {s.data_time for s in unit.sent if s.cn == "2061" and s.acked}
        if plan.wrong_pw:
            assert stored_hours == set() and acked == set()
            reasons = store.query(
                "SELECT reason FROM raw_packets WHERE mn = ? AND verdict = 'rejected'", [mn])
            # Every packet is refused: for its password, or first for a corrupt CRC.
            assert any(r[0].startswith("PW") for r in reasons)
            assert all(r[0].startswith(("PW", "CRC")) for r in reasons)
            continue
        sent_hours = {s.data_time for s in unit.sent if s.cn == "2061"}
        assert acked == sent_hours  # every upload of a good unit was answered
        assert stored_hours == acked  # and exactly those are stored
        assert not stored_hours & plan.offline_hours
        for r in rows:
            expected = plan.invalid_hours.get(r["data_time"], "N")
            assert r["flag"] == expected
            checked_flags += expected != "N"
        crc_rejections = store.query(
            "SELECT count(*) FROM raw_packets WHERE verdict = 'rejected' AND reason LIKE 'CRC%'"
            " AND mn = ?", [mn])[0][0]
        assert crc_rejections == len(plan.corrupt_crc_hours & sent_hours)
    assert checked_flags > 0
    assert summary.unacked == sum(
        1 for u in fleet.units for s in u.sent if not s.acked)


def test_sim_points_from_a_registry_file(tmp_path):
    import csv

    from envmon.sim.fleet import sim_points_from_file
    from tests.ingest.conftest import registry_rows

    rows = registry_rows()
    path = tmp_path / "registry.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    points = sim_points_from_file(path)
    assert sorted(p.mn for p in points) == sorted(r["mn"] for r in rows)
    assert {p.kind for p in points} == {"gas", "water"}


def test_fleet_summary_renders_compact_json_and_a_table(tmp_path):
    import json
    from collections import Counter

    from envmon.render import formats_for, render
    from envmon.sim.fleet import FleetSummary

    summary = FleetSummary(2, Counter({"2061": 6, "2011": 4}), 9, 1, 0)
    assert summary.as_json() == {"units": 2, "uploads_by_cn": {"2061": 6, "2011": 4},
                                 "acked": 9, "unacked": 1, "requests_answered": 0}
    assert {"json", "table"} <= set(formats_for(FleetSummary))
    render(summary, "json", tmp_path / "summary.json")
    text = (tmp_path / "summary.json").read_text(encoding="utf-8")
    assert text.count("\n") == 1  # one line, as simulate always printed
    assert json.loads(text) == summary.as_json()
    rows = dict(summary.as_table().rows)
    assert rows["uploads CN=2061"] == 6 and rows["unacked"] == 1
