"""The assessment tests' registry (units 甲电厂 with two gas points, 乙水厂 with a water
point, …), a store over it, and an app over the store at a fixed "now"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.assess.conftest import NOV

GAS_UNIT = "91140100MA0GAS0001"  # 甲电厂, 小店区 140105
WATER_UNIT = "91140100MA0WAT0001"  # 乙水厂, 迎泽区 140106
NOW = NOV + timedelta(days=2, hours=3)  # 2026-11-03 03:00 Beijing: D-1 is 11-02
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def store(tmp_path):
    from envmon.registry.importer import import_rows
    from envmon.store import open_store
    from tests.assess.conftest import registry_rows

    s = open_store(tmp_path / "portal.duckdb")
    assert import_rows(s, registry_rows()).ok
    yield s
    s.close()


def make_app(store, config=None):
    from envmon.web.app import create_app
    from envmon.web.context import WebContext

    return create_app(WebContext(store=store, config=config, now=lambda: NOW))
