"""The role rules for writes (`access.policy.SCOPE`): each role writes what its rule names,
on targets inside its scope only (404 outside, like a nonexistent id; 403 for a role the
rule does not name)."""

from __future__ import annotations

import pytest

from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.access.conftest import PASSWORD
from tests.assess.conftest import GAS, OTHER, WATER
from tests.web.clients import local_client
from tests.web.isolation_store import PRINCIPALS, UNIT_A, UNIT_D, build

MARK = {"type": "comm_interrupt", "from": "2026-11-02T00:00:00+08:00",
        "to": "2026-11-02T02:00:00+08:00", "by": "甲电厂值班员"}


@pytest.fixture
def world(tmp_path):
    store, ids = build(tmp_path / "envmon.duckdb")
    client = local_client(create_app(WebContext(store=store, settings={})))

    def as_role(role):
        answer = client.post("/api/v1/auth/token", json={"username": PRINCIPALS[role][0],
                                                         "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    yield client, as_role, ids
    store.close()


def test_an_enterprise_marks_and_answers_for_its_own_unit_only(world):
    client, as_role, ids = world
    jia = as_role("enterprise")
    filed = client.post("/api/v1/marks/file", json={**MARK, "mn": GAS}, headers=jia)
    assert filed.status_code == 201, filed.text
    mark_id = filed.json()["id"]
    for mn in (OTHER, WATER, "NOSUCHMN0000000000000001"):
        refused = client.post("/api/v1/marks/file", json={**MARK, "mn": mn}, headers=jia)
        assert refused.status_code == 404 and refused.json()["error"]["reason"] == \
            f"no point with id {mn}"
    foreign = client.post("/api/v1/marks/withdraw", json={
        "mark_id": ids["mark"][OTHER], "by": "x"}, headers=jia)
    assert foreign.status_code == 404
    assert client.post("/api/v1/marks/approve", json={"mark_id": mark_id, "by": "x"},
                       headers=jia).status_code == 403  # reviews are the bureau's
    own_alarm = client.post(f"/api/v1/alarms/{ids['alarm'][GAS]}/acknowledge",
                            json={"by": "甲电厂"}, headers=jia)
    assert own_alarm.status_code == 200, own_alarm.text
    assert client.post(f"/api/v1/alarms/{ids['alarm'][OTHER]}/acknowledge",
                       json={"by": "甲电厂"}, headers=jia).status_code == 404
    assert client.post(f"/api/v1/alarms/{ids['alarm'][GAS]}/close",
                       json={"by": "甲电厂", "note": "x"}, headers=jia).status_code == 403
    assert client.post("/api/v1/supervision/open", json={"unit": UNIT_A, "reason": "x",
                                                         "by": "x"},
                       headers=jia).status_code == 403
    assert client.post(f"/api/v1/supervision/{ids['case'][UNIT_D]}/answer", json={
        "by": "x", "note": "已整改"}, headers=jia).status_code == 404
    bureau = as_role("bureau")
    approved = client.post("/api/v1/marks/approve", json={"mark_id": mark_id, "by": "局"},
                           headers=bureau)
    assert approved.status_code == 200, approved.text
    assert client.post("/api/v1/marks/approve", json={"mark_id": ids["mark"][OTHER],
                                                      "by": "局"},
                       headers=bureau).status_code == 404  # 大同: outside 太原's bureau


def test_officer_supervises_and_district_writes_in_scope(world):
    client, as_role, ids = world
    officer = as_role("officer")
    opened = client.post("/api/v1/supervision/open", json={"unit": UNIT_A, "reason": "复查",
                                                           "by": "执法"}, headers=officer)
    assert opened.status_code == 200, opened.text
    assert client.post("/api/v1/supervision/open", json={"unit": UNIT_D, "reason": "复查",
                                                         "by": "执法"},
                       headers=officer).status_code == 404
    assert client.post(f"/api/v1/alarms/{ids['alarm'][GAS]}/close", json={
        "by": "执法", "note": "x"}, headers=officer).status_code == 403
    district = as_role("district")
    closed = client.post(f"/api/v1/alarms/{ids['alarm'][GAS]}/close",
                         json={"by": "小店分局", "note": "已核实"}, headers=district)
    assert closed.status_code == 200, closed.text
    assert client.post(f"/api/v1/alarms/{ids['alarm'][WATER]}/close",
                       json={"by": "小店分局", "note": "x"},
                       headers=district).status_code == 404  # 迎泽区: not its county
    assert client.post("/api/v1/supervision/sweep", json={},
                       headers=district).status_code == 403  # the whole city at once
    reader = as_role("readonly")
    assert client.post(f"/api/v1/alarms/{ids['alarm'][WATER]}/acknowledge",
                       json={"by": "x"}, headers=reader).status_code == 403
