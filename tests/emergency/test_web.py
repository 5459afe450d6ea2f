"""`GET /api/v1/emergency/alerts`, `/api/v1/emergency/check` and the 应急管控 page over the
scenario's store (the real app, in process)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from envmon.sim.emergency import EXPECTED
from envmon.store import open_store
from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.web.clients import local_client


@pytest.fixture(scope="module")
def client(scenario_db):
    path, _ = scenario_db
    store = open_store(path, read_only=True)
    try:
        with local_client(create_app(WebContext(store)),
                          raise_server_exceptions=False) as c:
            yield c
    finally:
        store.close()


def test_alerts(client, scenario_db):
    _, alert_id = scenario_db
    answer = client.get("/api/v1/emergency/alerts")
    assert answer.status_code == 200
    assert [a["id"] for a in answer.json()["alerts"]] == [alert_id]


def test_check_answers_the_bytes_the_cli_prints(client, scenario_db):
    path, alert_id = scenario_db
    answer = client.get("/api/v1/emergency/check", params={"alert": alert_id})
    assert answer.status_code == 200
    body = answer.json()
    assert {u["unit_id"]: u["verdict"] for u in body["units"]} == EXPECTED
    cli = subprocess.run([sys.executable, "-m", "envmon", "emergency", "check", "--alert",
                          str(alert_id), "--format", "json", "--db", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert json.loads(cli.stdout) == body


@pytest.mark.parametrize(("query", "status", "field"), [
    ({"alert": "x"}, 400, "alert"), ({"alert": "0"}, 400, "alert"),
    ({"alert": "42"}, 404, None), ({"alert": "1", "format": "pdf"}, 400, "format"),
    ({"alert": "1", "unit": "x"}, 400, "unit"),
])
def test_bad_queries_are_4xx_naming_the_field(client, query, status, field):
    answer = client.get("/api/v1/emergency/check", params=query)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["field"] == field


def test_page_shows_alerts_verdicts_region_and_the_worst_units_hours(client, scenario_db):
    _, alert_id = scenario_db
    page = client.get("/emergency")
    assert page.status_code == 200
    html = page.text
    assert "应急管控" in html and "区域减排效果" in html
    for verdict in ("落实", "未落实", "数据不足"):
        assert f'data-verdict="{verdict}"' in html
    # the worst unit (ignored the alert) is the one charted, 48 hours
    data = html.split('<script id="emergency-data" type="application/json">')[1]
    chart = json.loads(data.split("</script>")[0])
    assert len(chart["hours"]) == 48
    assert [s["code"] for s in chart["series"]] == ["a21026", "a21002", "a34013"]
    assert 'data-unit="91140100MA0EMGC002"' in html.split('id="units"')[1].split("</tr>")[1]
    english = client.get(f"/emergency?alert={alert_id}&unit=91140100MA0EMGC000&lang=en")
    assert english.status_code == 200
    assert "Emergency control" in english.text and "Complied" in english.text


def test_page_bad_and_unknown_alert(client):
    assert client.get("/emergency?alert=abc").status_code == 400
    missing = client.get("/emergency?alert=77")
    assert missing.status_code == 404 and "no alert with id 77" in missing.text
