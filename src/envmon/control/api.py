"""Use cases of remote commands (反控): send one, list them, get one. The web API
(`web.api.command`) and `envmon command` (through the web API of a running serve) are the
doors; the sending itself is `envmon.control.dispatcher`'s, in the process that holds the
units' connections.
"""

from __future__ import annotations

from typing import Any

from envmon.control.dispatcher import QueueFull
from envmon.control.storage import CommandList, CommandRow, get_command, list_commands
from envmon.errors import EnvmonError, OptionError

__all__ = ["CommandsUnavailable", "QueueFull", "command_get", "command_list", "send_command"]

MAX_LIST = 1000


class CommandsUnavailable(EnvmonError):
    """No dispatcher in this process: the reason, for the caller to show (503)."""


async def send_command(platform: Any, mn: str, action: str, params: dict, by: str,
                       source: str) -> CommandRow:
    """Queue `action` for `mn` on the running platform's dispatcher; the stored row."""
    if platform is None:
        raise CommandsUnavailable("no receiver runs in this process: the app serves a store "
                                  "alone (start it with envmon serve)")
    dispatcher = getattr(platform, "commands", None)
    if dispatcher is None:
        workers = getattr(platform.options, "workers", 1)
        if workers > 1:
            raise CommandsUnavailable(
                f"remote commands need envmon serve --workers 1: with --workers {workers} "
                "each unit's connection lives in one of the receiver worker processes, "
                "which take no commands from the process that owns the store")
        raise CommandsUnavailable("remote commands are not running on this platform")
    return await dispatcher.submit(mn, action, params, by, source)


def command_list(store: Any, mn: str | None = None, limit: int = 100) -> CommandList:
    if not 1 <= limit <= MAX_LIST:
        raise OptionError("limit", f"must be 1…{MAX_LIST}, not {limit}")
    return list_commands(store, mn, limit)


def command_get(store: Any, command_id: int) -> CommandRow:
    row = get_command(store, command_id)
    if row is None:
        raise LookupError(f"no command {command_id}")
    return row
