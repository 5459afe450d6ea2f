"""The public card: reachable by its code only, with the unit's name, outlets, states, the
month's rates, open alarms by kind and its grade — and nothing else (no MN, password, value,
other unit); a bad code is a 404 page; too many requests from one address are 429."""

from __future__ import annotations

from envmon.alarms.store import open_alarm
from envmon.portal.codes import code_for
from tests.assess.conftest import GAS, HOUR, NOV, rec, write
from tests.portal.conftest import GAS_UNIT, NOW, make_app
from tests.web.clients import local_client


def _month_of_data(store):
    # 11-01 00:00 … 11-03 02:00 on time for GAS, hours 10-11 of 11-02 missing; GAS2 silent
    hours = [NOV + i * HOUR for i in range(51) if i not in (34, 35)]
    write(store, [rec(GAS, f, h) for h in hours for f in ("a21026", "a21002", "a34013")])


def test_the_card_shows_what_it_should_and_nothing_else(store):
    from envmon.grading.api import grade_month

    _month_of_data(store)
    open_alarm(store, mn=GAS, unit_id=GAS_UNIT, factor="a21026", rule="exceedance",
               data_time=NOV + 40 * HOUR, value=512.25, limit=35.0, detail="test")
    grade_month(store, "2026-10", now=NOW)
    code = code_for(store, GAS_UNIT).code
    client = local_client(make_app(store))
    page = client.get(f"/card/{code}")
    assert page.status_code == 200
    text = page.text
    assert "甲电厂" in text and "1号炉" in text and "2号炉" in text
    assert 'id="card-alarms">1<' in text and 'data-rule="exceedance"' in text
    assert 'id="card-grade" data-grade=' in text
    # the month's 补全 rate: of the 51 elapsed hours, GAS sent 49, received 65 min after
    # each hour's start, so 48 are in by 03:00 (the 02:00 hour is not); GAS2 sent none:
    # 48 × 3 factors / (2 points × 51 hours × 3 factors) = 47.06 %
    assert 'id="card-complete">47.06%' in text
    for secret in (GAS, "111111", "111112", "512.25", "乙水厂", "丁钢铁", GAS_UNIT,
                   '<a href', "<nav"):  # no link into the platform
        assert secret not in text, secret
    assert page.headers["X-Frame-Options"] == "DENY"


def test_a_bad_code_is_a_404_page(store):
    code_for(store, GAS_UNIT)
    client = local_client(make_app(store))
    for bad in ("AAAAAAAAAAAAAAAA", "x", "%27%20OR%201%3D1", GAS_UNIT):
        answer = client.get(f"/card/{bad}")
        assert answer.status_code == 404, bad
        assert 'id="card-missing"' in answer.text and "Traceback" not in answer.text


def test_the_card_is_rate_limited_per_address(store):
    from envmon.config import Config
    from envmon.portal.settings import PortalSettings

    code = code_for(store, GAS_UNIT).code
    config = Config(portal=PortalSettings(card_requests_per_minute=3))
    client = local_client(make_app(store, config))
    assert [client.get(f"/card/{code}").status_code for _ in range(4)] == [200, 200, 200,
                                                                           429]
    other = local_client(make_app(store, config), client=("127.0.0.2", 1))
    assert other.get(f"/card/{code}").status_code == 200  # another address


def test_the_card_is_public_once_users_exist(store):
    from tests.access.conftest import make_user

    code = code_for(store, GAS_UNIT).code
    make_user(store, "alice")
    client = local_client(make_app(store))
    assert client.get(f"/card/{code}").status_code == 200
    assert client.get("/portal", follow_redirects=False).status_code == 303  # login first
