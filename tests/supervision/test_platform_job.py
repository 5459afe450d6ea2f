"""The running platform's supervision job: an overdue notice escalates by itself, with a
`supervision` event, and the escalation reaches a real webhook; the month just ended is
graded."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from envmon.app import Platform, PlatformOptions
from envmon.config import Config
from envmon.supervision import api
from envmon.supervision import store as case_store
from envmon.supervision.settings import SupervisionSettings
from envmon.timeutil import now_beijing

UNIT = "91140100MA0GAS0001"


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        type(self).received.append(json.loads(self.rfile.read(
            int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_overdue_notice_escalates_in_the_running_platform(store):
    _Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = SupervisionSettings(sweep_every_s=0.05, webhook_retries=0,
                                   webhook_urls=(f"http://127.0.0.1:{server.server_port}/",))
    case = api.open_case(store, actor=api.Actor("王"), unit_id=UNIT, reason="检查").case
    api.notify(store, case.id, actor=api.Actor("王"), action="整改",
               deadline=(now_beijing() + timedelta(seconds=0.3)).isoformat(),
               settings=SupervisionSettings())
    platform = Platform(store, PlatformOptions(
        host="127.0.0.1", hj212_port=0, backfill=False, alarms=False, supervision=True,
        config=Config(supervision=settings)))

    async def scenario():
        await platform.start()
        job = next(s for s in platform.services if s.name == "supervision")
        deadline = time.monotonic() + 10
        while not _Hook.received and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await platform.stop()
        return job

    try:
        job = asyncio.run(scenario())
    finally:
        server.shutdown()
        server.server_close()
    assert case_store.get_case(store, case.id).state == "escalated"
    assert _Hook.received and _Hook.received[0]["event"] == "escalate"
    assert _Hook.received[0]["case"]["id"] == case.id
    last_month = (now_beijing().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert job.graded_month == last_month
    assert store.query("SELECT COUNT(*) FROM unit_grades WHERE month = ?", [last_month])[0][0] \
        == 4
