"""The web app over a PostgreSQL store whose server goes away: a clear 503 that says the store
is unreachable (and passing), never the 500 of an internal error; back to 200 when the server is
back, without a restart."""

from __future__ import annotations

import time

import httpx

from envmon.registry.importer import import_rows
from envmon.store import open_store
from envmon.web.context import WebContext
from tests.pgcluster import Cluster, Databases

from .conftest import serve


def test_a_database_outage_is_a_503_and_passes(tmp_path):
    from tests.ingest.conftest import registry_rows

    cluster = Cluster()
    try:
        url = Databases(cluster.url()).fresh()
        store = open_store(url)
        import_rows(store, registry_rows())
        with serve(WebContext(store=store)) as served, httpx.Client(timeout=30) as client:
            assert client.get(served.url("/api/v1/alarms")).status_code == 200
            cluster.stop()
            away = client.get(served.url("/api/v1/alarms"))
            assert away.status_code == 503, away.text
            assert "store is unreachable" in away.json()["error"]["reason"]
            cluster.start()
            # Each worker thread finds its own connection gone at its next use (a 503 of the
            # same kind), then reconnects: the answers come back to 200 without a restart.
            deadline = time.monotonic() + 30
            answer = client.get(served.url("/api/v1/alarms"))
            while answer.status_code != 200 and time.monotonic() < deadline:
                assert answer.status_code == 503, answer.text
                assert "store is unreachable" in answer.json()["error"]["reason"]
                answer = client.get(served.url("/api/v1/alarms"))
            assert answer.status_code == 200, answer.text
        store.close()
    finally:
        cluster.remove()
