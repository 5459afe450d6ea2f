"""Who may reach the app and write through it (`envmon.web.guard`): a cross-site form or
script in the operator's browser changes nothing (415 for a form or text/plain, 403 for a
foreign Origin or Sec-Fetch-Site), a DNS-rebinding Host reaches nothing (400), a write from
another machine is refused until `--web-allow-remote-writes`, and a non-browser JSON client
(the CLI's --url) still writes; the pages and the start-up note say which mode is on."""

from __future__ import annotations

import pytest

from envmon.alarms.store import get_alarm, open_alarm
from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.ingest.conftest import GAS_MN, store  # noqa: F401
from tests.web.clients import local_client

ACTION = {"by": "值班员", "note": "已核实"}  # a valid body: the guard is what is tested


def _alarm(store) -> int:  # noqa: F811
    return open_alarm(store, mn=GAS_MN, unit_id=None, factor="a21026", rule="exceedance",
                      data_time=None, value=500.0, limit=35.0, detail="test").id


def _client(store, **settings):  # noqa: F811
    return local_client(create_app(WebContext(store=store, settings=settings)))


def test_a_cross_site_form_post_changes_nothing(store):  # noqa: F811
    alarm_id = _alarm(store)
    client = _client(store)
    path = f"/api/v1/alarms/{alarm_id}/close"
    form = client.post(path, data={"by": "x"})  # application/x-www-form-urlencoded
    empty = client.post(path)
    plain = client.post(path, content=b'{"by": "x"}', headers={"Content-Type": "text/plain"})
    for answer in (form, empty, plain):
        assert answer.status_code == 415, answer.text
        assert answer.json()["error"]["field"] == "Content-Type"
    assert get_alarm(store, alarm_id).status == "open"
    no_body = client.post(path, headers={"Content-Type": "application/json"})
    assert no_body.status_code == 400  # the body is required: never a change without one
    assert get_alarm(store, alarm_id).status == "open"


@pytest.mark.parametrize("headers, field", [
    ({"Origin": "http://evil.example"}, "Origin"),
    ({"Origin": "http://127.0.0.1:9999"}, "Origin"),  # another port: another origin
    ({"Origin": "null"}, "Origin"),
    ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site"),
    ({"Sec-Fetch-Site": "same-site"}, "Sec-Fetch-Site"),
])
def test_a_write_from_another_origin_is_403(store, headers, field):  # noqa: F811
    alarm_id = _alarm(store)
    answer = _client(store).post(f"/api/v1/alarms/{alarm_id}/acknowledge", json=ACTION,
                                 headers=headers)
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["field"] == field
    assert get_alarm(store, alarm_id).status == "open"


def test_same_origin_and_non_browser_json_writes_pass(store):  # noqa: F811
    client = _client(store)
    first, second = _alarm(store), None
    same = client.post(f"/api/v1/alarms/{first}/acknowledge", json={"by": "值班员"},
                       headers={"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200 and same.json()["status"] == "acknowledged"
    cli = client.post(f"/api/v1/alarms/{first}/close", json=ACTION)  # no Origin: the CLI
    assert cli.status_code == 200 and cli.json()["status"] == "closed"
    second = _alarm(store)
    ported = local_client(client.app, base_url="http://localhost:8000")
    answer = ported.post(f"/api/v1/alarms/{second}/close", json=ACTION,
                         headers={"Origin": "http://localhost:8000"})
    assert answer.status_code == 200, answer.text


def test_a_foreign_host_name_reaches_nothing(store):  # noqa: F811
    client = _client(store)
    for host in ("evil.example", "evil.example:8000", ""):
        answer = client.get("/api/v1/alarms", headers={"Host": host})
        assert answer.status_code == 400, host
        assert answer.json()["error"]["field"] == "Host"
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000", "10.0.0.7:8000"):
        assert client.get("/api/v1/alarms", headers={"Host": host}).status_code == 200, host
    named = _client(store, allowed_hosts=("envmon.bureau.lan",))
    assert named.get("/api/v1/alarms",
                     headers={"Host": "envmon.bureau.lan:8000"}).status_code == 200


def test_writes_from_another_machine_need_the_remote_writes_option(store):  # noqa: F811
    alarm_id = _alarm(store)
    app = create_app(WebContext(store=store))
    remote = local_client(app, client=("10.0.0.7", 50000))
    assert remote.get("/api/v1/alarms").status_code == 200  # reading is open
    refused = remote.post(f"/api/v1/alarms/{alarm_id}/close", json=ACTION)
    assert refused.status_code == 403
    assert "--web-allow-remote-writes" in refused.json()["error"]["reason"]
    assert get_alarm(store, alarm_id).status == "open"
    allowed = local_client(create_app(WebContext(store=store, settings={
        "allow_remote_writes": True})), client=("10.0.0.7", 50000))
    assert allowed.post(f"/api/v1/alarms/{alarm_id}/close", json=ACTION).status_code == 200


def test_every_page_says_which_write_mode_is_on(store):  # noqa: F811
    local = _client(store).get("/alarms")
    remote = _client(store, allow_remote_writes=True).get("/alarms")
    assert 'id="write-mode" data-mode="local"' in local.text
    assert 'id="write-mode" data-mode="remote"' in remote.text


def test_serve_and_demo_take_the_remote_writes_option():
    from typer.testing import CliRunner

    from envmon.cli import app
    from envmon.cli.serve import _web_writes
    from envmon.web.service import WebApp, WebSettings

    for command in ("serve", "demo"):
        result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert "--web-allow-remote-writes" in result.output
    assert _web_writes(WebSettings(), True).allow_remote_writes
    assert not _web_writes(WebSettings(), False).allow_remote_writes
    web = WebApp("0.0.0.0", 0, _web_writes(None, True))
    web._server = object()  # as started
    assert "--web-allow-remote-writes" in web.note
    local = WebApp(settings=WebSettings())
    local._server = object()
    assert "changes from this machine only" in local.note
