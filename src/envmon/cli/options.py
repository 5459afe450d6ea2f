"""The options every command shares for its output, and `emit`, the last line of a command.

    @app.command()
    def alarms_list(...,
                    fmt: str = format_option("table", ("json", "table", "csv")),
                    output: Path | None = output_option()):
        result = list_alarms(store, options)          # a use case: envmon/<domain>/api.py
        emit(result, fmt, output)                     # through envmon.render

A bulletin written in several formats at once (`--formats xlsx,html,pdf`) goes through
`emit_many`, so every such command checks, skips and announces the same way.

A new output format goes in `envmon.render`, not here; a command only lists the formats it
offers in `format_option`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from envmon.cli.common import fail, user_errors

BULLETIN_FORMATS: tuple[str, ...] = ("xlsx", "html", "pdf")
PDF_SKIPPED = ("PDF skipped: WeasyPrint is not available; open the HTML in a browser and "
               "print it to PDF (A4 is set).")
OUTPUT_HELP = ("Output file (json, csv, table: default stdout; xlsx, html, pdf: default "
               "<name>.<format> in the working folder, or in this folder if it is one).")


def check_choice(value: str, choices: Sequence[str], option: str = "--format") -> str:
    """The Typer callback of a format option: `envmon.render.registry.check_format` (the one
    format check), its error as one line on stderr and exit code 2."""
    from envmon.render.registry import check_format

    with user_errors():
        return check_format(choices, value, option)


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


def split_formats(formats: str | Sequence[str], option: str = "--formats",
                  choices: Sequence[str] = BULLETIN_FORMATS) -> list[str]:
    """`xlsx,html,pdf` (or a list) as checked format names, duplicates dropped; all are
    checked before anything is written (one line on stderr and exit code 2 naming `option`)."""
    names = formats.split(",") if isinstance(formats, str) else list(formats)
    wanted = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    if not wanted:
        raise fail(f"{option}: give at least one of {', '.join(choices)}")
    for name in wanted:
        check_choice(name, choices, option)
    return wanted


def emit_many(result: Any, formats: str | Sequence[str], out: Path | None, *,
              option: str = "--formats", choices: Sequence[str] = BULLETIN_FORMATS
              ) -> list[Path]:
    """Write `result` in each of `formats` into the folder `out` (default: the working
    folder; `out` is the file itself when one format is asked and `out` ends in it), printing
    each path. Every format is checked first, against `choices` and what the result renders
    to, so `--formats xlsx,bogus` writes nothing; pdf is skipped with a note on stderr when
    WeasyPrint cannot load. Returns the paths written."""
    from envmon.render.registry import check_format
    from envmon.reports.pdf import pdf_available

    wanted = split_formats(formats, option, choices)
    with user_errors():
        for name in wanted:
            check_format(type(result), name, option)
    if "pdf" in wanted and not pdf_available():
        wanted.remove("pdf")
        typer.echo(PDF_SKIPPED, err=True)
    out = out if out is not None else Path(".")
    one_file = len(wanted) == 1 and out.suffix == f".{wanted[0]}"
    if wanted and not one_file:
        try:  # a folder: <out>/<default_stem>.<format>
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise fail(f"--out: cannot make the folder {out}: {error.strerror or error}"
                       ) from None
    written = []
    for name in wanted:
        path = emit(result, name, out)
        if path is not None:
            written.append(path)
    return written
