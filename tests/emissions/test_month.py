"""A month of simulated data over TCP into a real receiver → emission totals and tax, checked
against an independent computation from the simulator's own values (sim.values is a pure
function of seed, MN, factor and hour, so the test knows exactly what each unit sent)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from envmon.emissions.accounting import emissions, monthly_tax, totals
from envmon.ingest.server import Receiver
from envmon.sim.fleet import FaultRates, Fleet, sim_points_from_store
from envmon.sim.values import period_values
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

MONTH = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
NEXT = datetime(2026, 12, 1, tzinfo=BEIJING_FIXED)
SEED = 11
EQ = {"a21026": 0.95, "a21002": 0.95, "a34013": 2.18, "w01018": 1.0, "w21003": 0.8,
      "w21011": 0.25}  # 环境保护税法 Annex 2; TN (w21001) is not taxable
RATE = {"gas": 1.8, "water": 2.1}  # Shanxi


def registry() -> list[dict]:
    rows = []
    for k in range(4):
        kind = "gas" if k < 2 else "water"
        rows.append({
            "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
            "county_code": "140105", "unit_id": f"91140100MA0GMON{k:03d}",
            "unit_name": f"月度单位{k}", "must_network": "1", "assessed": "1",
            "outlet_id": "DA001" if kind == "gas" else "DW001", "outlet_name": "总排口",
            "kind": kind, "mn": f"MON{k:021d}", "pw": f"{300000 + k}",
            "factors": ("a21026:35;a21002:100;a34013:10" if kind == "gas"
                        else "w01018:50;w21003:5;w21011:0.5;w21001:15"),
            "o2_ref": "6" if kind == "gas" else "", "standard": "",
        })
    return rows


def reference(point, faults) -> dict[str, dict]:
    """Independent computation: per factor the month's kg, mean concentration, exceedance."""
    hours = [MONTH + timedelta(hours=k) for k in range(720)]
    out = {}
    for factor, limit in point.factors.items():
        kgs: list[float | None] = []
        corrected: dict[datetime, float] = {}
        for h in hours:
            if h in faults.offline_hours:
                kgs.append(None)
                continue
            flag = faults.invalid_hours.get(h, "N")
            values = period_values(point, h, 3600, SEED, exceed=h in faults.exceed_hours,
                                   flag=flag)
            if flag != "N":
                kgs.append(None)
                continue
            c = values[factor]["Avg"]
            if point.kind == "gas":
                kgs.append(c * values["a00000"]["Cou"] * 1e-6)
                corrected[h] = values[factor]["ZsAvg"]
            else:
                kgs.append(c * values["w00000"]["Cou"] * 1e-3)
                corrected[h] = c
        valid = sum(k is not None for k in kgs)
        alpha = valid / len(kgs) * 100
        total = 0.0
        substituted = 0
        for i, kg in enumerate(kgs):
            if kg is not None:
                total += kg
            elif point.kind == "gas" and alpha >= 90:
                # HJ 75 (emissions.md §4): max of the 180 valid hours before the gap
                gap_start = i
                while gap_start > 0 and kgs[gap_start - 1] is None:
                    gap_start -= 1
                before = [k for k in kgs[:gap_start] if k is not None][-180:]
                if before:
                    total += max(before)
                    substituted += 1
        if point.kind == "gas":
            mean = sum(corrected.values()) / len(corrected)
            exceeded = any(v > limit for v in corrected.values())
        else:
            days: dict = {}
            for h, v in corrected.items():
                days.setdefault(h.date(), []).append(v)
            daily = [sum(v) / len(v) for v in days.values()]
            mean = sum(daily) / len(daily)
            exceeded = any(v > limit for v in daily)
        out[factor] = {"kg": total, "mean": mean, "exceeded": exceeded, "limit": limit,
                       "substituted": substituted}
    return out


def test_month_of_simulated_data_gives_totals_and_tax(tmp_path):
    from envmon.registry.importer import import_rows

    store = open_store(tmp_path / "month.duckdb")
    import_rows(store, registry())
    points = sim_points_from_store(store)
    rates = FaultRates(offline=0.01, invalid=0.02)
    start = NEXT + timedelta(seconds=30)

    async def scenario():
        receiver = Receiver(store, "127.0.0.1", 0)
        await receiver.start()
        fleet = Fleet(points, "127.0.0.1", receiver.port, seed=SEED, speed=1.0, start=start,
                      rates=rates, history_hours=720, ack_timeout_s=2.0, realtime=False,
                      minute_data=False)
        # one exceeding hour at the first gas point: no reduction for it (§9.3 step 4)
        fleet.units[0].faults.exceed_hours.add(MONTH + timedelta(days=10, hours=3))
        await fleet.run(until=start + timedelta(seconds=0.5))
        await receiver.stop()
        return fleet

    fleet = asyncio.run(scenario())
    results = emissions(store, MONTH, NEXT)
    lines = monthly_tax(store, MONTH, NEXT, results=results)
    by_key = {(r.mn, r.factor): r for r in results}
    tax_by_key = {(t.unit_id, t.factor): t for t in lines}
    checked_substitution = 0
    for unit in fleet.units:
        point = unit.point
        ref = reference(point, unit.faults)
        for factor, expected in ref.items():
            got = by_key[(point.mn, factor)]
            assert got.kg == pytest.approx(expected["kg"], rel=1e-9), (point.mn, factor)
            assert got.substituted_hours == expected["substituted"]
            checked_substitution += expected["substituted"]
            assert got.mean_concentration == pytest.approx(expected["mean"], rel=1e-9)
            assert got.exceeded == expected["exceeded"]
            if factor not in EQ:
                assert (point.unit_id, factor) not in tax_by_key  # TN is not taxable
                continue
            eq = expected["kg"] / EQ[factor]
            mean, limit = expected["mean"], expected["limit"]
            factor_paid = (1.0 if expected["exceeded"] else 0.5 if mean < 0.5 * limit
                           else 0.75 if mean < 0.7 * limit else 1.0)
            line = tax_by_key[(point.unit_id, factor)]
            assert line.equivalents == pytest.approx(eq, rel=1e-9)
            assert line.reduction == factor_paid
            assert line.tax_yuan == pytest.approx(eq * RATE[point.kind] * factor_paid,
                                                  rel=1e-9)
    assert checked_substitution > 0
    assert tax_by_key[(fleet.units[0].point.unit_id, "a21026")].reduction == 1.0
    assert {t.reduction for t in lines} >= {0.5, 1.0}
    # totals: month = Σ days, per unit and per city
    unit_totals = totals(results, "unit", "month")
    first = fleet.units[0].point
    so2 = next(t for t in unit_totals if t["unit"] == first.unit_id and t["factor"] == "a21026")
    assert so2["kg"] == pytest.approx(by_key[(first.mn, "a21026")].kg)
    city = totals(results, "city", "all")
    assert sum(t["kg"] for t in city if t["factor"] == "a21026") == pytest.approx(
        sum(r.kg for r in results if r.factor == "a21026"))
    store.close()
