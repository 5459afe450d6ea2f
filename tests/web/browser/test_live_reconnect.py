"""The live stream comes back after the server refused it: a 503 (too many streams) makes the
browser close an EventSource for good; live.js opens it again with back-off, and the page is
live once the server has room."""

from __future__ import annotations

from playwright.sync_api import expect

from envmon.store import open_store
from envmon.web.context import WebContext
from envmon.web.events import EventHub
from tests.web.conftest import serve


def test_the_overview_reconnects_after_a_refused_stream(tmp_path, page, shot):
    hub = EventHub(max_subscribers=0)  # every stream refused (503) until there is room
    with open_store(tmp_path / "s.duckdb") as store, serve(WebContext(store=store,
                                                                      events=hub)) as web:
        page.goto(web.url("/"))
        body = page.locator("body")
        expect(body).to_have_attribute("data-live-retry", "2000")  # refused, retry in 2 s
        expect(body).to_have_attribute("data-live", "lost")
        web.loop.call_soon_threadsafe(setattr, hub, "max_subscribers", 10)  # room now
        expect(body).to_have_attribute("data-live", "open")
        assert hub.subscribers == 1
        shot(page, "overview-reconnected")
