"""Fixtures for the whole suite: the throwaway PostgreSQL server (see tests/pgcluster.py), and
the engine switch (see tests/engine_switch/envmon_test_engine.py).

`pg_url` is the URL of a new database with the current schema, on a server started once per
test session (or on `ENVMON_TEST_PG_URL`'s server). The server starts only when a test asks,
or at once when `ENVMON_TEST_ENGINE=postgresql` runs the whole suite on PostgreSQL: then every
store a test opens by a DuckDB path is a database on that server, and tests marked
`duckdb_only` (DuckDB's own behaviour: file locks, file formats, file copies) are deselected.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import pytest

from tests.pgcluster import Cluster, Databases

SWITCH_DIR = Path(__file__).parent / "engine_switch"
sys.path.insert(0, str(SWITCH_DIR))

import envmon_test_engine as engine_switch  # noqa: E402


def pytest_collection_modifyitems(config, items):
    if not engine_switch.enabled():
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("duckdb_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def pg_databases():
    url = os.environ.get("ENVMON_TEST_PG_URL")
    if url:
        yield Databases(url)
        return
    cluster = Cluster()
    try:
        yield Databases(cluster.url())
    finally:
        cluster.remove()


@pytest.fixture(scope="session", autouse=True)
def _engine_switch(request):
    """On the PostgreSQL pass: every DuckDB path is a database (this process and, through
    PYTHONPATH's sitecustomize, its subprocesses)."""
    if not engine_switch.enabled():
        yield
        return
    databases = request.getfixturevalue("pg_databases")
    token = secrets.token_hex(3)
    template = databases.migrated_template()
    saved = {name: os.environ.get(name) for name in (
        engine_switch.SERVER_ENV, engine_switch.TEMPLATE_ENV, engine_switch.TOKEN_ENV,
        "PYTHONPATH")}
    os.environ[engine_switch.SERVER_ENV] = databases.server_url
    os.environ[engine_switch.TEMPLATE_ENV] = template
    os.environ[engine_switch.TOKEN_ENV] = token
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(SWITCH_DIR), saved["PYTHONPATH"]) if p)
    engine_switch.install(databases.server_url, template, token)
    try:
        yield
    finally:
        if os.environ.get("ENVMON_TEST_PG_URL"):
            engine_switch.drop_all(databases.server_url, token)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def pg_url(pg_databases) -> str:
    """A fresh PostgreSQL database, migrated to the current schema."""
    return pg_databases.fresh()


@pytest.fixture
def pg_empty_url(pg_databases) -> str:
    """A fresh PostgreSQL database with no envmon schema yet."""
    return pg_databases.fresh(migrated=False)
