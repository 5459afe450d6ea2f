"""The supervision and grade API: a warning becomes a notice, is answered, verified and
closed through the endpoints; refusals are 4xx naming the field; the unit's notices."""

from __future__ import annotations

from datetime import timedelta

from envmon.supervision import api
from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.assess.conftest import NOV
from tests.web.clients import local_client

UNIT = "91140100MA0GAS0001"


def test_the_loop_through_the_api(store):
    case = api.open_case(store, actor=api.Actor("王"), unit_id=UNIT, reason="检查",
                         now=NOV).case
    context = WebContext(store=store, now=lambda: NOV + timedelta(days=1))
    client = local_client(create_app(context))
    url = f"/api/v1/supervision/{case.id}"
    r = client.post(f"{url}/answer", json={"by": "企业", "note": "x"})
    assert r.status_code == 409 and "not allowed" in r.json()["error"]["reason"]
    r = client.post(f"{url}/notify", json={"by": "王", "action": ""})
    assert r.status_code == 400 and r.json()["error"]["field"] == "action"
    r = client.post(f"{url}/notify", json={"by": "王", "action": "补登停产",
                                           "deadline": "2026-11-05T12:00"})
    assert r.status_code == 200 and r.json()["state"] == "notified"
    notices = client.get(f"/api/v1/supervision/unit/{UNIT}/notices").json()
    assert [n["id"] for n in notices] == [case.id]
    assert client.post(f"{url}/answer", json={"by": "企业", "note": "已补登"}).json()[
        "state"] == "answered"
    r = client.post(f"{url}/verify", json={"by": "王", "result": "maybe", "note": "x"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "result"
    assert client.post(f"{url}/verify", json={"by": "王", "result": "pass",
                                              "note": "核查属实"}).json()["state"] == "verified"
    assert client.post(f"{url}/close", json={"by": "王"}).json()["state"] == "closed"
    detail = client.get(url).json()
    assert [e["action"] for e in detail["timeline"]] == ["open", "notify", "answer", "verify",
                                                         "close"]
    assert detail["timeline"][-1]["actor"].startswith("王 (web ")
    assert client.get("/api/v1/supervision/999").status_code == 404
    blank = client.post("/api/v1/supervision/open", json={"unit": UNIT, "reason": "抽查",
                                                          "by": " "})
    assert blank.status_code == 200 and blank.json()["created_by"].startswith("web ")
    listed = client.get("/api/v1/supervision/list?state=done").json()
    assert [c["id"] for c in listed] == [case.id]


def test_grade_list_api(store):
    from envmon.grading.api import grade_month

    grade_month(store, "2026-11", now=NOV + timedelta(days=40))
    client = local_client(create_app(WebContext(store=store)))
    answer = client.get("/api/v1/grade/list?month=2026-11").json()
    assert answer["month"] == "2026-11" and len(answer["grades"]) == 4
    assert client.get("/api/v1/grade/list?month=2026-13").status_code == 400
    assert client.get(f"/api/v1/grade/unit/{UNIT}").json()["grades"][0]["month"] == "2026-11"


def test_warnings_through_the_api(store):
    client = local_client(create_app(WebContext(store=store, now=lambda: NOV + timedelta(
        days=40))))
    answer = client.post("/api/v1/supervision/warnings", json={"month": "2026-11"})
    assert answer.status_code == 200 and answer.json()["opened"]  # no data: every point
    again = client.post("/api/v1/supervision/warnings", json={"month": "2026-11"}).json()
    assert again["opened"] == [] and len(again["warnings"]) == len(answer.json()["opened"])
    bad = client.post("/api/v1/supervision/warnings", json={"month": "2026-13"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "month"
