"""Every query command has its endpoint in the web app by the naming rule (`cli.remote`), or
is listed in AWAITING_ENDPOINTS: the list must shrink as endpoints appear (the test fails on
a listed command whose endpoint exists, so the list never hides one that is done)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer

from envmon.cli import app as cli_app
from envmon.cli.remote import endpoint_for

# The query commands (reads, and the writes they make through POST): each takes --url.
QUERY_COMMANDS = {
    ("data",), ("assess",), ("assess", "backfill-log"),
    ("assess", "exemption", "add"), ("assess", "exemption", "list"),
    ("assess", "exemption", "revoke"),
    ("assess", "correction", "add"), ("assess", "correction", "list"),
    ("assess", "correction", "revoke"),
    ("alarms", "list"), ("alarms", "ack"), ("alarms", "close"),
    ("emissions",), ("emissions-totals",), ("tax",),
    ("air", "aqi"), ("air", "summary"), ("air", "rank"),
    ("roads", "rank"), ("roads", "coverage"),
    ("report", "transmission"), ("report", "air"),
    ("registry", "history"), ("registry", "points"), ("receiver", "lockouts"),
    ("emergency", "check"), ("emergency", "alert", "add"), ("emergency", "alert", "list"),
    ("emergency", "alert", "import"), ("emergency", "alert", "cancel"),
    ("emergency", "list", "import"), ("emergency", "list", "show"),
    ("audit", "list"), ("marks", "list"),
    ("supervise", "list"), ("supervise", "show"), ("supervise", "open"),
    ("supervise", "notify"), ("supervise", "answer"), ("supervise", "verify"),
    ("supervise", "close"), ("supervise", "escalate"), ("supervise", "sweep"),
    ("screen",),
}

# Commands whose endpoint is not in the app yet (being added by the naming rule). Remove a
# command here when its endpoint is merged: the test says which.
AWAITING_ENDPOINTS: set[tuple[str, ...]] = set()


def _name(info) -> str:
    from typer.main import get_command_name

    return info.name or get_command_name(info.callback.__name__)


def remote_commands(app: typer.Typer, words: tuple[str, ...] = ()
                    ) -> Iterator[tuple[tuple[str, ...], object]]:
    """(command words, writes) of every command decorated with `remote_command`."""
    callback = app.registered_callback.callback if app.registered_callback else None
    if words and callback is not None and hasattr(callback, "remote_writes"):
        yield words, callback.remote_writes
    for command in app.registered_commands:
        if hasattr(command.callback, "remote_writes"):
            yield (*words, _name(command)), command.callback.remote_writes
    for group in app.registered_groups:
        name = group.name or group.typer_instance.info.name
        yield from remote_commands(group.typer_instance, (*words, name))


@pytest.fixture(scope="module")
def schema():
    from envmon.web.app import create_app
    from envmon.web.context import WebContext

    return create_app(WebContext(store=None)).openapi()


def test_every_query_command_takes_url():
    assert {words for words, _ in remote_commands(cli_app)} == QUERY_COMMANDS


def test_every_query_command_has_its_endpoint_or_awaits_it(schema):
    missing = set()
    for words, writes in remote_commands(cli_app):
        method, path = endpoint_for(words, False if callable(writes) else writes)
        if method.lower() not in schema["paths"].get(path, {}):
            missing.add(words)
    assert missing == AWAITING_ENDPOINTS, (
        f"endpoints now there (remove from AWAITING_ENDPOINTS): "
        f"{sorted(AWAITING_ENDPOINTS - missing)}; missing and not listed: "
        f"{sorted(missing - AWAITING_ENDPOINTS)}")
