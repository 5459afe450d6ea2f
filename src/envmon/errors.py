"""Errors that the application layer raises and both doors (CLI, web) show as they are.

`OptionError` names the option and the reason; the CLI prints it as one line on stderr (exit
code 2), the web app answers 422 with the same two fields. Use cases raise it from the one
place that validates their options, so Typer and FastAPI get the same choices and words.
"""

from __future__ import annotations


class EnvmonError(Exception):
    """Base of the errors meant for a user: the message says what to fix, no traceback."""


class OptionError(EnvmonError, ValueError):
    """An option (command-line option, API parameter or setting) with a bad value."""

    def __init__(self, option: str, reason: str) -> None:
        super().__init__(f"{option}: {reason}")
        self.option = option
        self.reason = reason


class MissingDataError(EnvmonError):
    """The store lacks what the request needs (no road network, no city stations): nothing
    wrong with the options, so the CLI exits 1, not the bad-option code 2."""


class PeriodError(OptionError):
    """A month or time range that cannot be used (malformed, reversed, in the future)."""
