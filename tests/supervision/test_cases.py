"""Supervision cases: every transition allowed or refused, the timeline, overdue escalation
on a controlled clock, webhook delivery to a real local HTTP server, the unit's notices."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from envmon.alarms import store as alarm_store
from envmon.errors import OptionError
from envmon.supervision import api
from envmon.supervision import store as case_store
from envmon.supervision.settings import SupervisionSettings
from envmon.supervision.states import ACTIONS, STATES, TRANSITIONS
from tests.assess.conftest import GAS, NOV

UNIT = "91140100MA0GAS0001"
BUREAU = api.Actor("王科长", "cli")
T0 = NOV + timedelta(days=3)


def _case_in(store, state: str):
    """A case brought to `state` by allowed transitions."""
    case = api.open_case(store, actor=BUREAU, unit_id=UNIT, reason="检查", now=T0).case
    path = {"warning": [], "notified": ["notify"], "answered": ["notify", "answer"],
            "verified": ["notify", "answer", "verify_pass"],
            "rejected": ["notify", "answer", "verify_fail"],
            "escalated": ["escalate"], "closed": ["close"]}[state]
    for action in path:
        _do(store, case.id, action)
    assert case_store.get_case(store, case.id).state == state
    return case.id


def _do(store, case_id, action):
    at = T0 + timedelta(hours=1)
    if action == "notify":
        return api.notify(store, case_id, actor=BUREAU, action="整改", deadline=None, now=at)
    if action == "answer":
        return api.answer(store, case_id, actor=api.Actor("企业"), note="已整改", now=at)
    if action.startswith("verify_"):
        return api.verify(store, case_id, actor=BUREAU, result=action[7:], note="现场核查",
                          now=at)
    if action == "close":
        return api.close(store, case_id, actor=BUREAU, note="办结", now=at)
    return api.escalate(store, case_id, actor=BUREAU, penalty_note="立案处罚", now=at)


@pytest.mark.parametrize(("state", "action"), list(itertools.product(STATES, ACTIONS)))
def test_every_transition_allowed_or_refused(store, state, action):
    case_id = _case_in(store, state)
    target = TRANSITIONS.get((state, action))
    if target is None:
        with pytest.raises(case_store.CaseError, match="not allowed"):
            _do(store, case_id, action)
        assert case_store.get_case(store, case_id).state == state
    else:
        assert _do(store, case_id, action).case.state == target
        last = case_store.events(store, case_id)[-1]
        assert last[2:5] == (state, target, BUREAU.by if action != "answer" else "企业")


def test_timeline_keeps_who_when_where_note(store):
    case_id = _case_in(store, "verified")
    api.close(store, case_id, actor=api.Actor("李", "web 10.0.0.7"), now=T0 + timedelta(days=1))
    detail = api.show(store, case_id).as_json()
    assert [e["action"] for e in detail["timeline"]] == ["open", "notify", "answer", "verify",
                                                         "close"]
    assert detail["timeline"][-1]["origin"] == "web 10.0.0.7"
    assert detail["timeline"][2]["note"] == "已整改" and detail["answer_note"] == "已整改"
    assert detail["state"] == "closed" and detail["stage"] == "done"


def test_case_from_alarm_carries_its_evidence(store):
    alarm = alarm_store.open_alarm(store, mn=GAS, unit_id=UNIT, factor="a21026",
                                   rule="exceedance", data_time=T0, value=50.0, limit=35.0,
                                   detail="折算浓度 50 > 35")
    case = api.open_case(store, actor=BUREAU, alarm_id=alarm.id, now=T0).case
    assert case.alarm_id == alarm.id and case.mn == GAS and case.unit_id == UNIT
    assert case.as_json()["evidence"]["alarm"]["value"] == 50.0
    with pytest.raises(OptionError, match="--alarm"):
        api.open_case(store, actor=BUREAU, alarm_id=999)
    with pytest.raises(OptionError, match="--unit"):
        api.open_case(store, actor=BUREAU, unit_id="NOPE", reason="x")
    with pytest.raises(OptionError, match="--reason"):
        api.open_case(store, actor=BUREAU, unit_id=UNIT, reason=" ")


def test_overdue_notice_escalates_on_a_controlled_clock(store):
    case_id = _case_in(store, "warning")
    deadline = T0 + timedelta(days=2)
    api.notify(store, case_id, actor=BUREAU, action="补登停产", deadline=deadline.isoformat(),
               now=T0)
    assert api.sweep(store, now=deadline - timedelta(minutes=1)).cases == ()
    assert [c.id for c in api.list_cases(store, overdue=True,
                                         now=deadline + timedelta(minutes=1)).cases] == [case_id]
    swept = api.sweep(store, now=deadline + timedelta(minutes=1))
    assert [c.id for c in swept.cases] == [case_id]
    case = case_store.get_case(store, case_id)
    assert case.state == "escalated" and "逾期" in case.penalty_note
    assert case_store.events(store, case_id)[-1][4:6] == ("platform", "platform")
    assert api.sweep(store, now=deadline + timedelta(days=1)).cases == ()  # once


def test_deadline_must_be_in_the_future(store):
    case_id = _case_in(store, "warning")
    with pytest.raises(OptionError, match="--deadline"):
        api.notify(store, case_id, actor=BUREAU, action="x", deadline="2026-11-01T00:00",
                   now=T0)
    with pytest.raises(OptionError, match="--action"):
        api.notify(store, case_id, actor=BUREAU, action="", now=T0)


def test_unit_notices_lists_open_notices_only(store):
    notified = _case_in(store, "notified")
    _case_in(store, "warning")
    _case_in(store, "closed")
    assert [c.id for c in api.unit_notices(store, UNIT).cases] == [notified]
    assert api.unit_notices(store, "91140100MA0WAT0001").cases == ()


class _Hook(BaseHTTPRequestHandler):
    received: list = []
    statuses: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        status = type(self).statuses.pop(0) if type(self).statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_notice_goes_to_a_real_webhook_with_retry(store):
    _Hook.received, _Hook.statuses = [], [500]  # the first attempt fails
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = SupervisionSettings(
            webhook_urls=(f"http://127.0.0.1:{server.server_port}/hook",),
            webhook_retries=2, webhook_backoff_s=0.01, webhook_timeout_s=2.0)
        case_id = _case_in(store, "warning")
        api.notify(store, case_id, actor=BUREAU, action="整改", settings=settings, now=T0)
    finally:
        server.shutdown()
        server.server_close()
    assert len(_Hook.received) == 2
    assert _Hook.received[-1]["event"] == "notify"
    assert _Hook.received[-1]["case"]["id"] == case_id
    assert _Hook.received[-1]["case"]["requested_action"] == "整改"
    log = api.show(store, case_id).as_json()["deliveries"]
    assert [(d["attempt"], d["ok"], d["http_status"]) for d in log] == [(1, False, 500),
                                                                         (2, True, 200)]
