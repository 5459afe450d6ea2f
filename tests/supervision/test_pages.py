"""The 督办 and 分级分类 pages (server-rendered): counts by stage, a case's timeline and its
buttons, the grades with reasons and a unit's history; the alarm list's 督办 button."""

from __future__ import annotations

from datetime import timedelta

from envmon.alarms import store as alarm_store
from envmon.grading.api import grade_month
from envmon.supervision import api
from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.assess.conftest import GAS, NOV
from tests.web.clients import local_client

UNIT = "91140100MA0GAS0001"


def test_supervision_page(store):
    first = api.open_case(store, actor=api.Actor("王"), unit_id=UNIT, reason="检查甲",
                          now=NOV).case
    second = api.open_case(store, actor=api.Actor("王"), unit_id=UNIT, reason="检查乙",
                           now=NOV).case
    api.notify(store, second.id, actor=api.Actor("王"), action="补登停产", now=NOV)
    client = local_client(create_app(WebContext(store=store, now=lambda: NOV + timedelta(
        days=10))))
    html = client.get("/supervision").text
    assert '事前预警 <b class="count">1</b>' in html
    assert '事中调度 <b class="count">1</b>' in html
    assert "逾期" in html  # the notice's three days have passed
    assert f'data-sup="notify" data-case="{first.id}"' in html
    only = client.get("/supervision?stage=during").text
    assert "检查乙" in only and "检查甲" not in only
    case = client.get(f"/supervision?case={second.id}").text
    assert 'id="timeline"' in case and "补登停产" in case and 'data-sup="answer"' in case
    assert client.get("/supervision?case=999").status_code == 404


def test_grades_page(store):
    grade_month(store, "2026-11", now=NOV + timedelta(days=40))
    client = local_client(create_app(WebContext(store=store)))
    html = client.get("/grades?month=2026-11").text
    assert 'id="grades"' in html and "甲电厂" in html and "有效传输率" in html
    history = client.get(f"/grades?month=2026-11&unit={UNIT}").text
    assert 'id="history"' in history
    assert client.get("/grades?month=2026-13").status_code == 400


def test_alarm_list_has_a_supervise_button(store):
    alarm = alarm_store.open_alarm(store, mn=GAS, unit_id=UNIT, factor="a21026",
                                   rule="exceedance", data_time=NOV, value=50, limit=35,
                                   detail="超标")
    html = local_client(create_app(WebContext(store=store))).get("/alarms").text
    assert f'data-supervise="{alarm.id}"' in html
