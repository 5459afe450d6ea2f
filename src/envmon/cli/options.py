"""The options every command shares for its output, and `emit`, the last line of a command.

    @app.command()
    def alarms_list(...,
                    fmt: str = format_option("table", ("json", "table", "csv")),
                    output: Path | None = output_option()):
        result = list_alarms(store, options)          # a use case: envmon/<domain>/api.py
        emit(result, fmt, output)                     # through envmon.render

A new output format goes in `envmon.render`, not here; a command only lists the formats it
offers in `format_option`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from envmon.cli.common import fail, user_errors

OUTPUT_HELP = ("Output file (json, csv, table: default stdout; xlsx, html, pdf: default "
               "<name>.<format> in the working folder, or in this folder if it is one).")


def check_choice(value: str, choices: Sequence[str], option: str = "--format") -> str:
    """`value` if it is one of `choices`, else the one-line error and exit code 2."""
    if value not in choices:
        raise fail(f"{option}: {value!r} is not available here; choose one of "
                   f"{', '.join(choices)}")
    return value


def format_option(default: str, choices: Sequence[str], help: str | None = None) -> Any:
    """`--format`, checked against `choices` before the command runs."""
    allowed = tuple(choices)
    if default not in allowed:
        raise ValueError(f"default format {default!r} is not among {allowed}")
    return typer.Option(
        default, "--format",
        help=help or f"Output format: {', '.join(allowed)} (default {default}).",
        callback=lambda value: check_choice(value, allowed),
    )


def output_option(*extra_names: str, help: str | None = None) -> Any:
    """`--output/-o` (plus `extra_names`, e.g. "--out" where a command had it), default None."""
    return typer.Option(None, "--output", "-o", *extra_names, help=help or OUTPUT_HELP)


def emit(result: Any, fmt: str, output: Path | None = None, *, announce: bool = True
         ) -> Path | None:
    """Render `result` (see `envmon.render.render`); a bad format or output, or a bulletin
    that cannot be rendered, is one line on stderr and exit code 2. The path of a file written
    for xlsx/html/pdf is printed unless `announce` is False. Returns the path written."""
    from envmon.render import FILE_FORMATS, render

    with user_errors():
        path = render(result, fmt, output)
    if announce and path is not None and fmt in FILE_FORMATS:
        typer.echo(str(path))
    return path
