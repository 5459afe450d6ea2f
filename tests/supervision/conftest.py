"""A store with the assessment tests' registry (units 甲电厂, 乙水厂, …) for supervision."""

from __future__ import annotations

import pytest

from tests.assess.conftest import registry_rows


@pytest.fixture
def store(tmp_path):
    from envmon.registry.importer import import_rows
    from envmon.store import open_store

    s = open_store(tmp_path / "supervise.duckdb")
    assert import_rows(s, registry_rows()).ok
    yield s
    s.close()
