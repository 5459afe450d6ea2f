"""The portal's API: an alarm answered with attachments (type, size and count refused naming
the field), answers listed and downloaded; an enterprise sees its own unit only (another
unit's portal, alarm or notice is a 404); a notice answered from the portal reaches the
supervision case; a mark filed from the portal is a submitted mark of its point."""

from __future__ import annotations

from datetime import timedelta

import pytest

from envmon.alarms.store import open_alarm
from envmon.supervision import api as supervision
from tests.access.conftest import PASSWORD, make_user
from tests.assess.conftest import GAS, NOV, WATER
from tests.portal.conftest import GAS_UNIT, NOW, PNG, WATER_UNIT, make_app
from tests.web.clients import local_client

PDF = b"%PDF-1.4\n%test\n"


def _alarm(store, mn=GAS, unit=GAS_UNIT) -> int:
    return open_alarm(store, mn=mn, unit_id=unit, factor="a21026", rule="exceedance",
                      data_time=NOV, value=99.0, limit=35.0, detail="test").id


def form(alarm_id, note, *attachments, by=None):
    """A multipart body as a browser's FormData sends it (the fields as parts, no file
    needed)."""
    parts = [("alarm_id", (None, str(alarm_id))), ("note", (None, note))]
    if by is not None:
        parts.append(("by", (None, by)))
    return parts + [("attachment", a) for a in attachments]


def _token(client, name):
    answer = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture
def users(store):
    make_user(store, "admin1")
    make_user(store, "gas", "enterprise", unit=GAS_UNIT)
    make_user(store, "water", "enterprise", unit=WATER_UNIT)
    make_user(store, "taiyuan", "district", region="140105")  # 小店区: 甲电厂 only
    make_user(store, "viewer", "readonly")


def test_answer_an_alarm_with_attachments(store):
    alarm = _alarm(store)
    client = local_client(make_app(store))
    answer = client.post(f"/api/v1/portal/alarm-answer?unit={GAS_UNIT}",
                         files=form(alarm, "已更换探头", ("照片.png", PNG, "image/png"),
                                    ("report.pdf", PDF, "application/pdf")))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["note"] == "已更换探头" and body["answered_from"] == "web 127.0.0.1"
    assert [f["media_type"] for f in body["files"]] == ["image/png", "application/pdf"]
    listed = client.get("/api/v1/portal/alarm-answers",
                        params={"alarm_id": alarm, "unit": GAS_UNIT}).json()
    assert [a["id"] for a in listed] == [body["id"]]
    file = client.get(body["files"][0]["url"] + f"?unit={GAS_UNIT}")
    assert file.status_code == 200 and file.content == PNG
    summary = client.get("/api/v1/portal/summary", params={"unit": GAS_UNIT}).json()
    assert [(a["id"], a["answers"]) for a in summary["alarms"]] == [(alarm, 1)]


def test_attachments_are_checked_and_refusals_name_the_field(store):
    from envmon.config import Config
    from envmon.portal.settings import PortalSettings

    alarm = _alarm(store)
    config = Config(portal=PortalSettings(max_answer_files=2),
                    marks={"max_proof_bytes": 1024})
    client = local_client(make_app(store, config))
    url = f"/api/v1/portal/alarm-answer?unit={GAS_UNIT}"

    def post(files, note="说明", alarm_id=alarm):
        return client.post(url, files=form(alarm_id, note, *(f for _, f in files)))

    cases = [
        (post([("attachment", ("a.exe", b"MZ\x90\x00", "application/pdf"))]), 400,
         "attachment", "not a PDF, JPEG or PNG"),
        (post([("attachment", ("big.png", PNG + b"\0" * 2048, "image/png"))]), 400,
         "attachment", "max_proof_bytes"),
        (post([("attachment", (f"{i}.png", PNG, "image/png")) for i in range(3)]), 400,
         "attachment", "at most 2"),
        (post([], note=" "), 400, "note", "say what"),
        (post([], alarm_id=99999), 404, "alarm_id", "no alarm"),
    ]
    for answer, status, field, reason in cases:
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["field"] == field and reason in answer.json()[
            "error"]["reason"], answer.text
    json_body = client.post(url, json={"alarm_id": alarm, "note": "x"})
    assert json_body.status_code == 415
    assert store.query("SELECT COUNT(*) FROM alarm_answers")[0][0] == 0


def test_an_enterprise_sees_its_own_unit_only(store, users):
    gas_alarm, water_alarm = _alarm(store), _alarm(store, WATER, WATER_UNIT)
    client = local_client(make_app(store))
    gas = _token(client, "gas")
    own = client.get("/api/v1/portal/summary", headers=gas)
    assert own.status_code == 200 and own.json()["unit_id"] == GAS_UNIT
    assert [a["id"] for a in own.json()["alarms"]] == [gas_alarm]
    for path in ("summary", "rates", "lowering", "code"):
        other = client.get(f"/api/v1/portal/{path}", params={"unit": WATER_UNIT},
                           headers=gas)
        assert other.status_code == 404 and other.json()["error"]["field"] == "unit", path
        assert "乙水厂" not in other.text
    assert client.get("/api/v1/portal/alarm-answers", params={"alarm_id": water_alarm},
                      headers=gas).status_code == 404
    refused = client.post("/api/v1/portal/alarm-answer", headers=gas,
                          files=form(water_alarm, "x"))
    assert refused.status_code == 404 and refused.json()["error"]["field"] == "alarm_id"
    assert client.get(f"/portal?unit={WATER_UNIT}", headers=gas).status_code == 404
    page = client.get("/portal", headers=gas)
    assert page.status_code == 200 and "甲电厂" in page.text and "乙水厂" not in page.text
    # the enterprise answers its own alarm; its name, not the form's, is the author
    mine = client.post("/api/v1/portal/alarm-answer", headers=gas,
                       files=form(gas_alarm, "已处理", by="冒名"))
    assert mine.status_code == 201 and mine.json()["answered_by"].startswith("gas (web ")
    # bureau roles: in scope, and a bureau user opens what the enterprise sees
    district = _token(client, "taiyuan")
    assert client.get("/api/v1/portal/summary", params={"unit": GAS_UNIT},
                      headers=district).status_code == 200
    assert client.get("/api/v1/portal/summary", params={"unit": WATER_UNIT},
                      headers=district).status_code == 404
    assert client.get("/api/v1/portal/summary", headers=district).status_code == 404
    pick = client.get("/portal", headers=district)  # a bureau user picks a unit in scope
    assert pick.status_code == 200 and "甲电厂" in pick.text and "乙水厂" not in pick.text
    admin = _token(client, "admin1")
    assert client.get(f"/portal?unit={WATER_UNIT}", headers=admin).status_code == 200
    viewer = _token(client, "viewer")
    assert client.post("/api/v1/portal/alarm-answer", headers=viewer, params={
        "unit": GAS_UNIT}, files=form(gas_alarm, "x")).status_code == 403
    assert client.get("/api/v1/portal/summary").status_code == 401  # no credential


def test_a_notice_answered_from_the_portal_reaches_the_case(store, users):
    case = supervision.open_case(store, actor=supervision.Actor("王"), unit_id=GAS_UNIT,
                                 reason="传输率偏低", now=NOV).case
    supervision.notify(store, case.id, actor=supervision.Actor("王"), action="说明原因",
                       deadline=NOW + timedelta(days=3), now=NOW, deliver=False)
    other = supervision.open_case(store, actor=supervision.Actor("王"), unit_id=WATER_UNIT,
                                  reason="抽查", now=NOV).case
    supervision.notify(store, other.id, actor=supervision.Actor("王"), action="说明",
                       deadline=NOW + timedelta(days=3), now=NOW, deliver=False)
    client = local_client(make_app(store))
    gas = _token(client, "gas")
    notices = client.get("/api/v1/portal/summary", headers=gas).json()["notices"]
    assert [n["id"] for n in notices] == [case.id]
    refused = client.post("/api/v1/portal/notice-answer", headers=gas,
                          json={"case_id": other.id, "note": "x"})
    assert refused.status_code == 404 and refused.json()["error"]["field"] == "case_id"
    answer = client.post("/api/v1/portal/notice-answer", headers=gas,
                         json={"case_id": case.id, "note": "设备检修，已恢复"})
    assert answer.status_code == 200, answer.text
    detail = supervision.show(store, case.id, now=NOW)
    assert detail.case.state == "answered" and detail.case.answer_note == "设备检修，已恢复"
    assert detail.events[-1][4].startswith("gas (web ")
    again = client.post("/api/v1/portal/notice-answer", headers=gas,
                        json={"case_id": case.id, "note": "再次"})
    assert again.status_code == 409
    audit = store.query("SELECT who, action, target FROM audit_log WHERE action = "
                        "'supervision.answer' ORDER BY id")
    assert [(a, t) for _, a, t in audit][-1] == ("supervision.answer", str(case.id))


def test_a_mark_filed_from_the_portal(store, users):
    client = local_client(make_app(store))
    gas = _token(client, "gas")
    filed = client.post("/api/v1/portal/mark", headers=gas, json={
        "mn": GAS, "type": "comm_interrupt", "from": "2026-11-02T10:00",
        "to": "2026-11-02T12:00", "note": "光缆中断"})
    assert filed.status_code == 201, filed.text
    assert filed.json()["status"] == "submitted" and filed.json()["mn"] == GAS
    foreign = client.post("/api/v1/portal/mark", headers=gas, json={
        "mn": WATER, "type": "comm_interrupt", "from": "2026-11-02T10:00",
        "to": "2026-11-02T12:00"})
    # another unit's point reads like one that does not exist (the isolation rule)
    assert foreign.status_code == 404 and foreign.json()["error"]["field"] == "mn"
    assert "乙水厂" not in foreign.text
