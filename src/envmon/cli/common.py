"""What every command shares: the store options, one-line errors, ISO time options.

A command parses its options, calls a use case (`envmon/<domain>/api.py`) inside
`user_errors()`, and renders the result (`envmon.cli.options`): no SQL and no orchestration here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from envmon.errors import EnvmonError, MissingDataError

DB_HELP = ("DuckDB file of the store, or a postgresql://user@host:port/db URL (default: "
           "$ENVMON_DB, else [store] path of the configuration, envmon.duckdb). Keep a "
           "password out of the URL: ~/.pgpass or $PGPASSWORD.")
DB_ENV = "ENVMON_DB"
"""The store (a DuckDB file or a PostgreSQL URL) when --db is not given: a URL with a password
there stays out of the command line and the shell history (better still: ~/.pgpass)."""
CONFIG_HELP = "Configuration file (default: $ENVMON_CONFIG, else ./envmon.toml if present)."


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, soft_wrap=True, highlight=False, emoji=False)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error to stderr; returns the Exit to raise."""
    _console(stderr=True).print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def time_option(text: str, option: str) -> datetime:
    """An ISO 8601 command-line time (Beijing time without an offset), or a clear error."""
    from envmon.period import parse_time

    with user_errors():
        return parse_time(text, option)


def resolve_db(db: str | None, config: Path | None) -> str:
    """The store: --db, else $ENVMON_DB, else the configuration's [store] path. A DuckDB file
    path or a PostgreSQL URL, as a string (a Path would fold the URL's ``//``)."""
    import os

    from envmon.config import ConfigError, load_config

    if db is not None:
        return db
    if os.environ.get(DB_ENV, "").strip():
        return os.environ[DB_ENV].strip()
    try:
        return load_config(config).store.path
    except ConfigError as error:
        raise fail(str(error)) from None


def open_cli_store(db: str | None, config: Path | None, *, read_only: bool = False,
                   must_exist: bool = True, first: str | None = None):
    """Open the store for a command, turning store errors into a message and exit code 2.

    A DuckDB file that is not there is refused (`must_exist=True`, the default for every read or
    update command): a mistyped --db would otherwise create an empty store and fail further on.
    Only the commands that make a store (registry import, serve, the roads and air imports)
    pass `must_exist=False`. `first` names what to run first, where a registry is not it.

    A store locked by a local `envmon serve` sends a query command (`remote.remote_command`)
    through that serve's web app instead (`remote.ask_instead_of_locked_store`).
    """
    from envmon.store import StoreError, StoreLockedError, open_store

    path = resolve_db(db, config)
    if must_exist and _is_missing_file(path):
        raise fail(missing_store_message(path, first))
    if not read_only and _is_missing_file(path):
        _check_parent_folder(path, "--db" if db is not None else "[store] path")
    try:
        return open_store(path, read_only=read_only)
    except StoreLockedError as error:  # held by `envmon serve`: a query asks its web app
        from envmon.cli.remote import ask_instead_of_locked_store

        ask_instead_of_locked_store(path, error.holder)
        raise fail(str(error)) from None
    except StoreError as error:
        raise fail(str(error)) from None


def missing_store_message(path: str, first: str | None = None) -> str:
    """The store's own words for a DuckDB file that is not there."""
    first = first or "import a registry (`envmon registry import`) or run the receiver first"
    return f"no database at {path}: {first}, or check --db"


def _check_parent_folder(path: str, option: str) -> None:
    """A new store goes into a folder that is already there: a mistyped --db
    (/nonexistent/dir/x.duckdb) would otherwise make directories silently."""
    parent = Path(path).absolute().parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise fail(f"{option}: the folder {parent} {what} (make it first, or check {option})")


def _is_missing_file(path: str) -> bool:
    """A DuckDB file path (not :memory:, not a server URL) with no file behind it."""
    return path != ":memory:" and "://" not in path and not Path(path).exists()


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the application layer's errors (bad option, unknown id, …) into one line on stderr
    and exit code 2 (1 for data the store lacks, `MissingDataError`): no traceback reaches a
    user."""
    try:
        yield
    except MissingDataError as error:  # nothing wrong with the options: exit 1
        raise fail(str(error), 1) from None
    except EnvmonError as error:
        raise fail(str(error)) from None


@contextmanager
def progress_bar(label: str, shown: bool = True) -> Iterator[Any]:
    """A progress bar on stderr for long work (map matching, exports); yields
    `step(done, total)` for the use case to call (None when not `shown`)."""
    from rich.progress import Progress

    if not shown or not sys.stderr.isatty():  # a bar redrawn into a file or pipe is noise
        yield None
        return
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield step
