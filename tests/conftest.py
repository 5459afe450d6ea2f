"""Fixtures for the whole suite: the throwaway PostgreSQL server (see tests/pgcluster.py).

`pg_url` is the URL of a new database with the current schema, on a server started once per
test session (or on `ENVMON_TEST_PG_URL`'s server). The server starts only when a test asks.
"""

from __future__ import annotations

import os

import pytest

from tests.pgcluster import Cluster, Databases


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


@pytest.fixture
def pg_url(pg_databases) -> str:
    """A fresh PostgreSQL database, migrated to the current schema."""
    return pg_databases.fresh()


@pytest.fixture
def pg_empty_url(pg_databases) -> str:
    """A fresh PostgreSQL database with no envmon schema yet."""
    return pg_databases.fresh(migrated=False)
