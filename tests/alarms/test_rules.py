"""Alarm rules (pure), the lifecycle in the store, and the webhook against a real HTTP server."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from envmon.alarms import AlarmConfig, AlarmEngine, PointRules, RuleEvaluator, WebhookNotifier
from envmon.alarms import store as alarm_store
from envmon.alarms.rules import Clear, Raise
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=BEIJING_FIXED)
MN = "GAS0000000000000000001"
WATER = "WAT0000000000000000001"


def rec(factor, avg, *, cn="2061", t=T0, flag="N", zs=None, mn=MN):
    return SimpleNamespace(mn=mn, cn=cn, data_time=t, factor=factor, rtd=None, avg=avg,
                           zs_avg=zs, flag=flag)


def hour(k, so2=20.0, *, o2=8.0, flow=100.0, flag="N", zs=None, cn="2061", extra=()):
    t = T0 + (timedelta(hours=k) if cn == "2061" else timedelta(minutes=k))
    return [rec("a21026", so2, t=t, flag=flag, zs=zs, cn=cn), rec("a19001", o2, t=t, cn=cn),
            rec("a00000", flow + k * 0.01, t=t, cn=cn), *extra]


def evaluator(**cfg):
    return RuleEvaluator(AlarmConfig(**cfg), {
        MN: PointRules("gas", {"a21026": 35.0}, 6.0),
        WATER: PointRules("water", {"w01018": 50.0}),
    })


def kinds(transitions):
    return [(type(t).__name__, t.factor, t.rule) for t in transitions]


def test_exceedance_on_corrected_hourly_value_raises_once_and_clears():
    ev = evaluator()
    # 30 mg/m3 at 9 % O2, O2_ref 6 % → 37.5 > 35 (computed when ZsAvg is absent)
    out = ev.evaluate(hour(0, 30.0, o2=9.0))
    assert kinds(out) == [("Raise", "a21026", "exceedance")]
    assert out[0].value == pytest.approx(37.5) and out[0].limit == 35.0
    assert ev.evaluate(hour(1, 31.0, o2=9.0)) == []  # still exceeding: no second alarm
    assert kinds(ev.evaluate(hour(2, 20.0, o2=9.0))) == [("Clear", "a21026", "exceedance")]
    # ZsAvg wins when the unit sends it; invalid data is never evidence
    assert kinds(ev.evaluate(hour(3, 20.0, zs=40.0))) == [("Raise", "a21026", "exceedance")]
    assert ev.evaluate(hour(4, 99.0, zs=99.0, flag="M")) == []
    # the measured value 30 at 6 % O2 does not exceed; minute data is not judged
    ev2 = evaluator()
    assert ev2.evaluate(hour(0, 34.0, o2=6.0)) == []
    assert ev2.evaluate(hour(0, 99.0, cn="2051")) == []


def test_water_exceedance_is_daily():
    ev = evaluator()
    day = [rec("w01018", 60.0, cn="2031", mn=WATER)]
    assert kinds(ev.evaluate(day)) == [("Raise", "w01018", "exceedance")]
    assert ev.evaluate([rec("w01018", 80.0, cn="2061", mn=WATER)]) == []  # one hour


def test_water_daily_mean_from_hourly_data():
    ev = evaluator(water_min_hours=16)  # the second day has 16 valid hours

    def feed(k: int, value: float) -> list:
        out = ev.evaluate([rec("w01018", value, t=T0 + timedelta(hours=k), mn=WATER)])
        return [t for t in out if t.rule == "exceedance"]  # constant runs are not the point

    out = []
    for k in range(24):  # 20 hours at 40 and 4 at 100: the daily mean 48.3 ≤ 50
        out += feed(k, 100.0 if k < 4 else 40.0)
    assert out == []
    for k in range(24, 40):  # the next day: mean 60 > 50, judged when the day is over
        out += feed(k, 60.0)
    assert out == []
    out = feed(48, 10.0)
    assert kinds(out) == [("Raise", "w01018", "exceedance")]
    assert out[0].value == pytest.approx(60.0) and out[0].data_time == T0 + timedelta(days=1)
    out = []
    for k in range(49, 72):
        out += feed(k, 10.0 + k / 100)
    assert kinds(out) == [("Clear", "w01018", "exceedance")]  # at 23:00 of the third day


def test_water_days_are_beijing_days_whatever_the_zone_of_the_input():
    """Records handed over in UTC (as a store may return them) are cut at Beijing midnight:
    the day 2026-11-02 (Beijing) runs 2026-11-01T16:00Z .. 2026-11-02T16:00Z."""
    from datetime import UTC

    ev = evaluator()
    out = []
    for k in range(24):  # one Beijing day at 60 > 50, given in UTC
        t = (T0 + timedelta(hours=k)).astimezone(UTC)
        out += [x for x in ev.evaluate([rec("w01018", 60.0, t=t, mn=WATER)])
                if x.rule == "exceedance"]
    assert kinds(out) == [("Raise", "w01018", "exceedance")]  # judged at 23:00 Beijing
    assert out[0].data_time == T0 and out[0].value == pytest.approx(60.0)
    assert "2026-11-02 日均值" in out[0].detail


def test_constant_zero_negative():
    ev = evaluator()
    out = []
    for k in range(5):
        out += ev.evaluate(hour(k, 12.345))
    assert kinds(out) == [("Raise", "a21026", "constant")]  # on the 4th equal hour
    assert kinds(ev.evaluate(hour(5, 12.0))) == [("Clear", "a21026", "constant")]
    assert kinds(ev.evaluate(hour(6, 0.0))) == [("Raise", "a21026", "zero")]
    assert kinds(ev.evaluate(hour(7, -1.0))) == [("Clear", "a21026", "zero"),
                                                 ("Raise", "a21026", "negative")]
    assert kinds(ev.evaluate(hour(8, 5.0))) == [("Clear", "a21026", "negative")]
    # zero with no flow is not an anomaly of the analyser
    assert ev.evaluate(hour(9, 0.0, flow=-0.09)) == []  # flow exactly 0


def test_flags_o2_and_range():
    ev = evaluator(instrument_range={"a21026": 100.0})
    assert kinds(ev.evaluate(hour(0, 5.0, flag="D"))) == [("Raise", "a21026", "fault_flag")]
    assert kinds(ev.evaluate(hour(1, 5.0))) == [("Clear", "a21026", "fault_flag")]
    assert ev.evaluate(hour(2, 5.0, flag="M")) == []  # 1 hour of maintenance: fine
    assert kinds(ev.evaluate(hour(3, 5.0, flag="C"))) == [("Raise", "a21026", "maintenance")]
    assert kinds(ev.evaluate(hour(4, 5.0))) == [("Clear", "a21026", "maintenance")]
    assert kinds(ev.evaluate(hour(5, 5.0, flag="T"))) == [("Raise", "a21026", "out_of_range")]
    assert kinds(ev.evaluate(hour(6, 5.0))) == [("Clear", "a21026", "out_of_range")]
    assert kinds(ev.evaluate(hour(7, 150.0, zs=30.0))) == [("Raise", "a21026", "out_of_range")]
    assert kinds(ev.evaluate(hour(8, 5.0, o2=20.6))) == [("Clear", "a21026", "out_of_range"),
                                                        ("Raise", "a19001", "o2_high")]
    assert kinds(ev.evaluate(hour(9, 5.0, o2=9.0))) == [("Clear", "a19001", "o2_high")]
    # minute fault flags need a run of 5 minutes
    ev2 = evaluator()
    out = []
    for k in range(5):
        out += ev2.evaluate(hour(k, 5.0, flag="B", cn="2051"))
    assert kinds(out) == [("Raise", "a21026", "fault_flag")]


def test_flow_anomaly():
    ev = evaluator()
    assert kinds(ev.evaluate(hour(0, 20.0, flow=0.0))) == [("Raise", "a00000", "flow_anomaly")]
    assert ev.evaluate(hour(1, 20.0, flow=-0.01)) == []  # still no flow: one alarm
    assert kinds(ev.evaluate(hour(2, 20.0))) == [("Clear", "a00000", "flow_anomaly")]


def test_late_data_never_clears():
    ev = evaluator()
    ev.evaluate(hour(5, 50.0, zs=50.0))
    assert ev.evaluate(hour(2, 10.0, zs=10.0)) == []  # an old hour (补遗) clears nothing
    assert kinds(ev.evaluate(hour(6, 10.0, zs=10.0))) == [("Clear", "a21026", "exceedance")]


class _Hook(BaseHTTPRequestHandler):
    received: list = []
    fail_first = 0

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        if cls.fail_first > 0:
            cls.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        cls.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Hook.received = []
    _Hook.fail_first = 2
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hook
    server.shutdown()
    server.server_close()


def _registry(store):
    from envmon.registry.importer import import_rows

    import_rows(store, [{
        "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
        "county_code": "140105", "unit_id": "91140100MA0GTEST01", "unit_name": "测试电厂",
        "must_network": "1", "assessed": "1", "outlet_id": "DA001", "outlet_name": "1号排口",
        "kind": "gas", "mn": MN, "pw": "123456", "factors": "a21026:35", "o2_ref": "6",
        "standard": "",
    }])


def test_lifecycle_in_store_and_webhook_with_retries(tmp_path, webhook, caplog):
    url, hook = webhook
    store = open_store(tmp_path / "a.duckdb")
    _registry(store)

    async def scenario():
        engine = AlarmEngine(store, notifiers=[WebhookNotifier(url, backoff_s=0.05,
                                                               timeout_s=2)])
        await engine.start()
        engine.on_commit(SimpleNamespace(mn=MN), hour(0, 50.0, zs=50.0))
        engine.on_commit(SimpleNamespace(mn=MN), hour(1, 51.0, zs=51.0))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if hook.received:
                break
        await engine.stop()
        return engine

    with caplog.at_level("WARNING", logger="envmon.alarms"):
        engine = asyncio.run(scenario())
    assert engine.stats["raised"] == 1
    assert any("ALARM #1 exceedance" in r.getMessage() for r in caplog.records)
    assert len(hook.received) == 1
    payload = hook.received[0]
    assert set(payload) == set(alarm_store.LIST_FIELDS)
    assert payload["rule"] == "exceedance" and payload["unit_id"] == "91140100MA0GTEST01"
    attempts = store.query("SELECT channel, attempt, ok, http_status FROM notifications "
                           "ORDER BY id")
    assert ("webhook", 1, False, 503) in attempts and ("webhook", 3, True, 200) in attempts
    assert ("log", 1, True, None) in attempts
    # lifecycle: open → acknowledged → closed, with the audit trail
    (alarm,) = alarm_store.list_alarms(store, status="open")
    acked = alarm_store.acknowledge(store, alarm.id, "张三", "已电话通知企业")
    assert acked.status == "acknowledged" and acked.acknowledged_by == "张三"
    with pytest.raises(alarm_store.AlarmError):
        alarm_store.acknowledge(store, alarm.id, "李四")
    closed = alarm_store.close(store, alarm.id, "张三", "企业已整改")
    assert closed.status == "closed" and closed.closed_by == "张三"
    assert [e[1:3] for e in alarm_store.events(store, alarm.id)] == [
        ("open", "engine"), ("acknowledge", "张三"), ("close", "张三")]
    with pytest.raises(alarm_store.AlarmError):
        alarm_store.close(store, alarm.id, "张三")
    store.close()


def test_batch_mode_auto_close_and_offline(tmp_path):
    store = open_store(tmp_path / "b.duckdb")
    _registry(store)
    engine = AlarmEngine(store, AlarmConfig(offline_after_s=10))
    engine.load()
    assert [a.rule for a in engine.process(hour(0, 50.0, zs=50.0))] == ["exceedance"]
    engine.process(hour(1, 10.0, zs=10.0))
    (alarm,) = alarm_store.list_alarms(store)
    assert alarm.status == "closed" and alarm.closed_by == "auto"
    engine.last_seen[MN] = 0.0
    out = engine.check_offline(now_mono=11.0)
    assert [(t.rule, t.factor) for t in out] == [("offline", "")]
    assert engine.check_offline(now_mono=20.0) == []  # one open alarm per point and rule
    assert isinstance(out[0], Raise) and not isinstance(out[0], Clear)
    # a point under a 停产 exemption is expected to be silent
    from envmon.assess.marks import add_exemption
    from envmon.timeutil import now_beijing

    add_exemption(store, kind="停产", start=now_beijing() - timedelta(hours=1),
                  end=now_beijing() + timedelta(hours=1), by="测试", reason="停产检修",
                  mn=MN)
    engine2 = AlarmEngine(store, AlarmConfig(offline_after_s=10))
    engine2.load()
    engine2.evaluator.active.clear()
    engine2.last_seen[MN] = 0.0
    assert engine2.check_offline(now_mono=11.0) == []
    store.close()


def test_engine_from_settings():
    from envmon.alarms.engine import engine_from_settings

    store = open_store(":memory:")
    engine = engine_from_settings(store, {"webhook_url": "http://127.0.0.1:9/x",
                                          "webhook_retries": 2, "offline_after_s": 60})
    assert engine.config.offline_after_s == 60.0
    assert [(n.url, n.retries) for n in engine.notifiers] == [("http://127.0.0.1:9/x", 2)]
    for n in engine.notifiers:
        n.close()
    store.close()
