"""The assessment tests' small registry (tests/assess/conftest.py), a store over it, and a
month of hourly records for one gas point with a gap to mark."""

from __future__ import annotations

import pytest

from tests.assess.conftest import GAS, HOUR, NOV, rec, registry_rows, write  # noqa: F401


@pytest.fixture
def store(tmp_path):
    from envmon.registry.importer import import_rows
    from envmon.store import open_store

    s = open_store(tmp_path / "marks.duckdb")
    assert import_rows(s, registry_rows()).ok
    yield s
    s.close()


@pytest.fixture
def settings():
    from envmon.marks.settings import MarksSettings

    return MarksSettings()
