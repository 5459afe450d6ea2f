"""Bad input to the API on a small real store served on loopback: every mistake is a 400
naming the field (an unknown parameter, a month before the store's first record, a format an
endpoint cannot give), no reason shows the store's file path, and the heavy emission and tax
results are computed once for identical requests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from envmon.store import open_store
from envmon.web.context import WebContext
from tests.ingest.conftest import GAS_MN
from tests.test_cli_remote import HOUR, _feed
from tests.web.conftest import serve


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    db = tmp_path_factory.mktemp("badinput") / "secret-folder.duckdb"
    _feed(db)  # a registry, four hours of one point's data, an alarm
    store = open_store(db)
    context = WebContext(store=store, settings={"result_cache_s": 600})
    with serve(context) as served:
        yield served, db
    store.close()


def get(served, path: str, **query) -> tuple[int, bytes]:
    url = served.url(path) + ("?" + urlencode(query) if query else "")
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def error_of(body: bytes) -> dict:
    return json.loads(body)["error"]


def test_an_unknown_or_misspelt_parameter_is_named(small):
    served, _ = small
    status, body = get(served, "/api/v1/alarms", statsu="open")
    assert status == 400, body
    error = error_of(body)
    assert error["field"] == "statsu"
    assert error["reason"].startswith("unknown parameter 'statsu' (known: ")
    assert "status" in error["reason"] and "limit" in error["reason"]
    status, body = get(served, "/api/v1/data", mn=GAS_MN, bogus="1")
    assert status == 400 and error_of(body)["field"] == "bogus"
    # the declared ones, aliases included, still answer
    status, _ = get(served, "/api/v1/data", mn=GAS_MN, **{"from": HOUR.isoformat()},
                    limit="2")
    assert status == 200
    status, body = get(served, "/api/v1/receiver/connections", bogus="1")
    assert status == 400 and error_of(body)["field"] == "bogus"


def test_a_bad_format_of_connections_is_refused_like_the_others(small):
    served, _ = small
    status, body = get(served, "/api/v1/receiver/connections", format="../../etc/passwd")
    assert status == 400, body
    assert error_of(body)["field"] == "format"


def test_an_unknown_mn_does_not_reveal_the_store_path(small):
    served, db = small
    status, body = get(served, "/api/v1/data", mn="NOPE")
    assert status == 400
    error = error_of(body)
    assert error["field"] == "mn" and "no such monitoring point" in error["reason"]
    assert str(db.parent) not in body.decode() and db.name not in body.decode()


@pytest.mark.parametrize("path", ["/api/v1/emissions-totals", "/api/v1/tax",
                                  "/api/v1/emissions"])
def test_a_month_before_the_first_record_is_refused_naming_month(small, path):
    served, _ = small
    query = {"month": "1999-01"}
    if path == "/api/v1/emissions":
        query["unit"] = "91140100MA0GTEST01"
    status, body = get(served, path, **query)
    assert status == 400, body
    error = error_of(body)
    assert error["field"] == "month" and "before the first record" in error["reason"]


def test_identical_emission_requests_share_one_computation(small):
    served, _ = small
    results = served.app.state.shared_results
    month = f"{HOUR:%Y-%m}"
    for path in ("/api/v1/emissions-totals", "/api/v1/tax"):
        before = (results.computed, results.shared)
        first = get(served, path, month=month)
        second = get(served, path, month=month)
        assert first[0] == 200 and first == second, first
        assert (results.computed, results.shared) == (before[0] + 1, before[1] + 1), path
