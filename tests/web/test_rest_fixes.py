"""Smaller bounds and shapes of the web app: writes without a platform leave the loop free,
one client address cannot take every live stream, the receiver's connections answer compact
JSON like every endpoint, a page's errors are pages (the API keeps its JSON shape), every
value put into a link is URL-encoded, and the Makefile's apt-get goes through sudo for a
user."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
from pathlib import Path

from envmon.web.app import create_app
from envmon.web.context import WebContext
from envmon.web.events import EventHub, HubFull
from envmon.web.pages import TEMPLATES_DIR
from envmon.web.service import WebSettings
from tests.ingest.conftest import store  # noqa: F401
from tests.web.clients import local_client
from tests.web.test_server_bounds import raw_exchange, running, until

ROOT = Path(__file__).resolve().parents[2]


def test_a_write_without_a_platform_runs_off_the_event_loop(store):  # noqa: F811
    context = WebContext(store=store)

    async def main():
        loop_thread = threading.get_ident()
        ran_in = await context.run_in_writer(threading.get_ident)
        return loop_thread, ran_in

    loop_thread, ran_in = asyncio.run(main())
    assert ran_in != loop_thread


def test_one_address_cannot_take_every_live_stream(store):  # noqa: F811
    hub = EventHub(max_subscribers=10, max_per_owner=2)
    for _ in range(2):
        hub.subscribe(owner="10.0.0.7")
    try:
        hub.subscribe(owner="10.0.0.7")
        raise AssertionError("a third stream of one address was accepted")
    except HubFull as error:
        assert "10.0.0.7" in str(error)
    hub.subscribe(owner="10.0.0.8")  # another client still gets one

    async def scenario():
        async with running(store, WebSettings(max_streams_per_address=1)) as (  # noqa: SIM117
                _, web, client):
            async with client.stream("GET", "/api/v1/events") as first:
                assert first.status_code == 200
                await until(lambda: web.context.events.subscribers == 1)
                return await raw_exchange(web.port, b"GET /api/v1/events HTTP/1.1\r\n"
                                          b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")

    answer = asyncio.run(scenario())
    assert answer.startswith(b"HTTP/1.1 503 ") and b"retry-after: 5" in answer.lower()
    reason = json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["reason"]
    assert "127.0.0.1" in reason


def test_the_receiver_connections_answer_compact_json(store):  # noqa: F811
    async def scenario():
        async with running(store) as (_, _web, client):
            return await client.get("/api/v1/receiver/connections")

    answer = asyncio.run(scenario())
    assert answer.status_code == 200
    assert answer.content.count(b"\n") <= 1 and b"\n " not in answer.content  # one line
    assert isinstance(answer.json(), (list, dict))


def test_page_errors_are_pages_and_api_errors_stay_json(store):  # noqa: F811
    client = local_client(create_app(WebContext(store=store)))
    unknown = client.get("/no/such/page")
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith(
        "text/html")
    assert 'id="not-found"' in unknown.text and "/no/such/page" in unknown.text
    bad = client.get("/points/X", params={"days": "many"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/html")
    assert "days" in bad.text
    api = client.get("/api/v1/no/such/endpoint")
    assert api.status_code == 404 and api.json()["error"]["field"] is None
    api_bad = client.get("/api/v1/alarms", params={"limit": "many"})
    assert api_bad.status_code == 400 and api_bad.json()["error"]["field"] == "limit"


def test_every_value_in_a_link_is_url_encoded():
    """A template value inside an href (a city 太原&x=1, a month, a code) goes through
    |urlencode: never a raw value that could add or change query parameters."""
    raw = []
    for template in sorted(TEMPLATES_DIR.glob("*.html")):
        for href in re.findall(r'href="([^"]*)"', template.read_text(encoding="utf-8")):
            for expression in re.findall(r"\{\{(.*?)\}\}", href):
                if "urlencode" not in expression and expression.strip() != "href":
                    raw.append(f"{template.name}: {href}")
    assert raw == []


def test_the_air_page_encodes_a_city_with_query_characters(store):  # noqa: F811
    from envmon.web.pages import STATIC_DIR
    from envmon.web.pages.render import Pages

    pages = Pages(WebContext(store=store), TEMPLATES_DIR, STATIC_DIR)
    template = pages.templates.get_template("air.html")
    from envmon.web.i18n import Translator

    html = template.render(t=Translator("zh"), nav=(), active="/air", vendor=True,
                           settings={}, month="2025-11", city="", notice=None, summary=None,
                           ranking={"cities": [{"rank": 1, "city": "太原&x=1", "yoy": None,
                                                "composite_index": 1, "good_rate": 1,
                                                "primary": ""}]})
    assert "city=%E5%A4%AA%E5%8E%9F%26x%3D1" in html


def test_the_makefile_uses_sudo_for_apt_get_when_not_root():
    makefile = (ROOT / "Makefile").read_text()
    for line in makefile.splitlines():
        for call in re.findall(r"(\S*)\s+apt-get (?:update|install)", line):
            assert call == "$(SUDO)" or "run 'sudo" in line, line
    show = ["make", "-s", "-C", "/tmp", "-f", str(ROOT / "Makefile"), "--eval",
            'show-sudo: ; @echo "[$(SUDO)]"', "show-sudo"]
    as_root = subprocess.run(show, capture_output=True, text=True, timeout=30)
    as_user = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534",
                              "--clear-groups", *show], capture_output=True, text=True,
                             timeout=30)
    assert as_root.stdout.strip() == "[]", as_root.stderr
    assert as_user.stdout.strip() == "[sudo]", as_user.stderr
