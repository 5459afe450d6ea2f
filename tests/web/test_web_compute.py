"""The bounds of the web platform's work (review of issue 12, items 3, 4, 6, 7, 10): one
`compute()` for endpoints and pages (a query slot held until the thread ends, the overview
page sharing the API's result), default paging read as a page from the store, a maximum
period span, one ranking at a time answered 409 at once, the drill-down as the use case's
`parent=`, and the live point states reconciled without losing newer live changes."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import urllib.error
import urllib.request
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.web.clients import local_client


def _get(served, path: str) -> tuple[int, dict, bytes]:
    """(status, headers by lower-case name, body)."""
    try:
        with urllib.request.urlopen(served.url(path), timeout=60) as answer:
            headers = {k.lower(): v for k, v in answer.headers.items()}
            return answer.status, headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


# ------------------------------------------------------------------ compute / query slots
def test_a_cancelled_request_keeps_its_slot_until_its_thread_ends():
    from envmon.web.compute import run_blocking

    async def main():
        slots = asyncio.Semaphore(1)
        request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
            query_slots=slots)))
        release, started = threading.Event(), threading.Event()

        def slow():
            started.set()
            release.wait(10)
            return "done"

        first = asyncio.create_task(run_blocking(request, slow))
        await asyncio.to_thread(started.wait, 10)
        first.cancel()  # the client hung up; its query still runs in its thread
        with pytest.raises(asyncio.CancelledError):
            await first
        second = asyncio.create_task(run_blocking(request, lambda: "second"))
        await asyncio.sleep(0.05)
        assert not second.done(), "a second query ran while the first still held the cores"
        release.set()
        assert await asyncio.wait_for(second, 10) == "second"

    asyncio.run(main())


def test_every_page_route_is_async(web):
    """Pages run their work through `compute` (query slots), never anyio's thread pool."""
    from fastapi import APIRouter

    from envmon.web import pages
    from envmon.web.pages import air, alarms, assess, emissions, overview, points, roads
    from envmon.web.pages.render import Pages

    router = APIRouter()
    shown = Pages(web.context, pages.TEMPLATES_DIR, pages.STATIC_DIR)
    for module in (overview, points, alarms, assess, emissions, air, roads):
        module.add_routes(router, shown)
    assert len(router.routes) >= 9
    for route in router.routes:
        assert inspect.iscoroutinefunction(route.endpoint), route.path


def test_the_overview_page_shares_the_api_result(web):
    app = create_app(WebContext(store=web.context.store))
    with local_client(app) as client:
        assert client.get("/api/v1/overview").status_code == 200
        results = app.state.shared_results
        assert (results.computed, results.shared) == (1, 0)
        assert client.get("/").status_code == 200
        assert client.get("/overview/data").status_code == 200
        assert (results.computed, results.shared) == (1, 2)


def test_the_overview_lists_the_newest_open_alarms_only(web, monkeypatch):
    from envmon.web.pages import overview

    monkeypatch.setattr(overview, "OPEN_ALARMS_SHOWN", 2)
    store = web.context.store
    (open_count,) = store.query("SELECT COUNT(*) FROM alarms WHERE status <> 'closed'")[0]
    assert open_count > 2
    newest = [i for (i,) in store.query(
        "SELECT id FROM alarms WHERE status <> 'closed' ORDER BY id DESC LIMIT 2")]
    with local_client(create_app(WebContext(store=store))) as client:
        data = client.get("/overview/data").json()
    assert [a["id"] for a in data["open_alarms"]] == newest
    assert data["counts"]["alarms_open"] == open_count


# ------------------------------------------------------------------ paging and spans
def _busiest(store) -> tuple[str, str, str]:
    mn, cn, first = store.query(
        "SELECT mn, cn, MIN(data_time) FROM records GROUP BY mn, cn "
        "ORDER BY COUNT(*) DESC LIMIT 1")[0]
    return mn, cn, first.strftime("%Y-%m-%dT%H:00")


def test_a_list_is_one_page_by_default_with_the_total(web, monkeypatch):
    from envmon.web.api import usecase

    mn, cn, first = _busiest(web.context.store)
    query = f"/api/v1/data?mn={mn}&cn={cn}&from={first}"
    status, headers, body = _get(web, query + "&limit=10000")
    assert status == 200
    everything = json.loads(body)
    total = int(headers["x-total-count"])
    assert total == len(everything) > 6
    monkeypatch.setattr(usecase, "MAX_LIMIT", 4)  # the default page, small here
    status, headers, body = _get(web, query)
    assert status == 200
    assert json.loads(body) == everything[:4]
    assert int(headers["x-total-count"]) == total
    assert "ask for the next with offset=4" in unquote(headers["x-envmon-note"])
    status, headers, body = _get(web, query + "&offset=3&limit=3")  # read as a page
    assert json.loads(body) == everything[3:6]
    assert int(headers["x-total-count"]) == total


def test_raw_packets_are_paged_in_the_store(web):
    mn = web.context.store.query(
        "SELECT mn FROM raw_packets GROUP BY mn ORDER BY COUNT(*) DESC LIMIT 1")[0][0]
    (first,) = web.context.store.query(
        "SELECT MIN(received_at) FROM raw_packets WHERE mn = ?", [mn])[0]
    query = f"/api/v1/data/raw?mn={mn}&from={first.strftime('%Y-%m-%dT%H:%M:%S%z')}"
    query = query.replace("+", "%2B")
    status, headers, body = _get(web, query)
    assert status == 200
    everything = [p["id"] for p in json.loads(body)]
    status, headers, body = _get(web, query + "&offset=1&limit=2")
    assert [p["id"] for p in json.loads(body)] == (
        everything[1:3])
    assert int(headers["x-total-count"]) == len(everything)


@pytest.mark.parametrize("path", [
    "/api/v1/assess?level=point&from=1990-01-01T00:00&to=2026-01-01T00:00",
    "/api/v1/data?mn={mn}&cn=2061&from=2015-01-01T00:00",
])
def test_a_period_longer_than_max_period_days_is_a_400_naming_from(web, path):
    mn, _, _ = _busiest(web.context.store)
    status, _, body = _get(web, path.format(mn=mn))
    assert status == 400, body
    error = json.loads(body)["error"]
    assert error["field"] == "from" and "366 days" in error["reason"]


# ------------------------------------------------------------------ the drill-down
def test_the_drill_down_is_the_assess_use_case_parent(web):
    month = web.context.now().strftime("%Y-%m")
    status, _, body = _get(web, f"/api/v1/assess?level=city&month={month}")
    cities = json.loads(body)["rows"]
    city = cities[0]["code"]
    status, _, body = _get(web, f"/api/v1/assess?level=county&month={month}")
    counties = json.loads(body)["rows"]
    status, _, body = _get(web, f"/api/v1/assess?level=county&month={month}&parent={city}")
    assert status == 200, body
    under = json.loads(body)["rows"]
    assert under and len(under) < len(counties)
    assert all(str(r["code"]).startswith(str(city)[:4]) for r in under)
    status, _, page = _get(web, f"/assess?level=county&month={month}&parent={city}")
    assert status == 200
    for row in under:
        assert f"parent={row['code']}" in page.decode()
    status, _, body = _get(web, f"/api/v1/assess?level=county&month={month}&parent=abc")
    assert status == 400 and json.loads(body)["error"]["field"] == "parent"


# ------------------------------------------------------------------ roads: one ranking
def test_a_ranking_while_one_runs_is_a_409_at_once(roads_web):
    from envmon.web.api.roads import ONE_RANKING
    from tests.web.conftest import ROADS_MONTH

    assert ONE_RANKING.acquire(timeout=60)
    try:
        status, _, body = _get(roads_web, f"/api/v1/roads/rank?month={ROADS_MONTH}")
        assert status == 409, body
        assert "a ranking is running" in json.loads(body)["error"]["reason"]
        status, _, page = _get(roads_web, f"/roads?month={ROADS_MONTH}")
        assert status == 200 and "a ranking is running" in page.decode()
    finally:
        ONE_RANKING.release()
    status, _, _ = _get(roads_web, f"/api/v1/roads/rank?month={ROADS_MONTH}")
    assert status == 200
