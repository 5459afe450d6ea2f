"""Fixtures of the access tests: a store with the registry of tests/ingest (a unit in
太原市小店区 140105), and users made through the real use cases."""

from __future__ import annotations

import pytest

from envmon.access.settings import AccessSettings
from envmon.access.users import NewUser, add_user
from tests.ingest.conftest import store  # noqa: F401

UNIT = "91140100MA0GTEST01"
PASSWORD = "correct horse battery"
SETTINGS = AccessSettings()


def make_user(store, name: str, role: str = "admin", *, region: str | None = None,  # noqa: F811
              unit: str | None = None, password: str = PASSWORD) -> dict:
    return add_user(store, NewUser(name, role, region, unit), password, by="tests",
                    address="cli:tests", min_password_length=SETTINGS.min_password_length)


@pytest.fixture
def admin(store):  # noqa: F811
    make_user(store, "alice")
    return "alice"
