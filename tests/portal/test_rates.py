"""The portal's D-1 rates are the assessment's for that day, checked against a count made
here from the packets written; the lowering list names the missing, invalid and late hours."""

from __future__ import annotations

from datetime import timedelta

from envmon.assess import assess
from envmon.assess.config import AssessConfig
from tests.assess.conftest import GAS, GAS2, HOUR, NOV, rec, write
from tests.portal.conftest import GAS_UNIT, NOW, make_app
from tests.web.clients import local_client

D1 = NOV + timedelta(days=1)  # 2026-11-02, the day before NOW
FACTORS = ("a21026", "a21002", "a34013")
MISSING, INSTANT_LATE, INVALID = {10, 11}, {5}, {7}


def _packets():
    """(hour, flag, delay) of GAS's hourly packets of D-1; GAS2 sends nothing."""
    out = []
    for i in range(24):
        if i in MISSING:
            continue
        delay = timedelta(hours=3) if i in INSTANT_LATE else timedelta(minutes=65)
        out.append((D1 + i * HOUR, "D" if i in INVALID else "N", delay))
    return out


def _write(store):
    write(store, [rec(GAS, f, hour, flag=flag, delay=delay)
                  for hour, flag, delay in _packets() for f in FACTORS])


def _expected():
    """The rates counted here: valid = flag N; 即时 within instant_hours of the hour's start,
    补全 within complete_days (transmission.md §2-3); should = 2 points × 24 h × 3 factors."""
    config = AssessConfig()
    instant = sum(3 for hour, flag, delay in _packets()
                  if flag == "N" and delay <= timedelta(hours=config.instant_hours)
                  and hour + delay <= NOW)
    complete = sum(3 for hour, flag, delay in _packets()
                   if flag == "N" and delay <= timedelta(days=config.complete_days)
                   and hour + delay <= NOW)
    should = 2 * 24 * 3
    return round(100 * instant / should, 2), round(100 * complete / should, 2)


def test_d1_rates_equal_the_assessment_and_the_count_from_the_packets(store):
    _write(store)
    client = local_client(make_app(store))
    answer = client.get("/api/v1/portal/rates", params={"unit": GAS_UNIT}).json()
    assert answer["from"].startswith("2026-11-02T00:00")
    instant, complete = _expected()
    assert (instant, complete) == (41.67, 43.75)  # 20 and 21 valid hours of 48 (× 3)
    assert answer["unit"]["instant"]["effective_rate"] == instant
    assert answer["unit"]["complete"]["effective_rate"] == complete
    day = assess(store, D1, D1 + timedelta(days=1), as_of=NOW)
    unit = next(u for u in day.units if u.code == GAS_UNIT)
    assert float(unit.rate("instant")) == instant and float(unit.rate("complete")) == complete
    same = client.get("/api/v1/portal/rates", params={"unit": GAS_UNIT,
                                                      "day": "2026-11-02"}).json()
    assert same["unit"] == answer["unit"]
    points = {p["code"]: p for p in answer["points"]}
    assert points[GAS2]["complete"]["effective_rate"] == 0.0
    bad = client.get("/api/v1/portal/rates", params={"unit": GAS_UNIT, "day": "2026-13-01"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "day"
    future = client.get("/api/v1/portal/rates", params={"unit": GAS_UNIT, "day": "2026-12-01"})
    assert future.status_code == 400 and future.json()["error"]["field"] == "day"


def test_the_lowering_list_names_the_hours_and_why(store):
    _write(store)
    client = local_client(make_app(store))
    answer = client.get("/api/v1/portal/lowering", params={"unit": GAS_UNIT}).json()
    assert answer["day"] == "2026-11-02"
    rows = {(h["mn"], int(h["hour"][11:13]), h["reason"]): h for h in answer["hours"]}
    assert {hour for mn, hour, reason in rows if mn == GAS and reason == "missing"} == MISSING
    assert {hour for mn, hour, reason in rows if mn == GAS and reason == "invalid_flag"
            } == INVALID
    assert {hour for mn, hour, reason in rows if mn == GAS and reason == "instant_late"
            } == INSTANT_LATE
    assert {hour for mn, hour, reason in rows if mn == GAS2} == set(range(24))
    missing = rows[(GAS, 10, "missing")]
    assert missing["factors"] == sorted(FACTORS) and missing["reason_zh"].startswith("缺失")
    assert missing["mark_link"].startswith(f"/portal?unit={GAS_UNIT}&mark_mn={GAS}")
    page = client.get(f"/portal?unit={GAS_UNIT}")
    assert page.status_code == 200 and 'data-reason="missing"' in page.text
    assert "41.67%" in page.text and "43.75%" in page.text
    filled = client.get(missing["mark_link"].split("#")[0])
    assert 'value="2026-11-02T10:00"' in filled.text
