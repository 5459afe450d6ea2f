"""CLI: `envmon store backup|restore`, on either engine (`ops.backup` says how and why); the
`store` group itself is `cli.store`'s.

`--db` is a DuckDB file or a ``postgresql://`` URL. While `envmon serve` holds a DuckDB
store, `backup` asks that serve to make the copy (its loopback endpoint
``POST /api/v1/store/backup``, found by the discovery file); `restore` never goes through a
serve: replacing the store a running receiver writes into is refused (stop it first).
"""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, fail, resolve_db, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.store import store_group

DB_HELP = ("The store: a DuckDB file or a postgresql:// URL (default: [store] path of the "
           "configuration).")


def backup_command(
    out: Path = typer.Option(..., "--out", help="The new backup file (never overwritten): "
                             "a DuckDB file, or pg_dump's custom format for PostgreSQL."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("json", ("json", "table")),
    output: Path | None = output_option(),
) -> None:
    """Back the store up into a new file: a consistent snapshot, also while serve runs."""
    from envmon.cli.remote import ask_json, serve_holding
    from envmon.ops.backup import BackupResult, StoreInUse, backup

    target = resolve_db(db, config)
    try:
        with user_errors():
            result = backup(target, out)
    except StoreInUse:
        url = serve_holding(Path(target), config)
        if url is None:
            raise fail(f"{target} is held by another process; stop it, or run envmon serve "
                       "with its web app (the backup then goes through it)") from None
        answer = ask_json(url, "POST", "/api/v1/store/backup",
                          {"out": str(out.absolute())}, Path(target), config)
        result = BackupResult(**answer)
    emit(result, fmt, output)


def restore_command(
    source: Path = typer.Option(..., "--from", help="A backup made by `envmon store backup`."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    force: bool = typer.Option(False, "--force", help="Replace a store that holds tables."),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("json", ("json", "table")),
    output: Path | None = output_option(),
) -> None:
    """Restore a backup into the store (refused over a store with tables without --force,
    and a backup from a newer envmon); an older backup is brought up to date."""
    from envmon.ops.backup import StoreInUse, restore

    target = resolve_db(db, config)
    try:
        with user_errors():
            result = restore(target, source, force)
    except StoreInUse as error:
        raise fail(str(error)) from None
    emit(result, fmt, output)


def register(app: typer.Typer) -> None:
    group = store_group(app)
    group.command("backup")(backup_command)
    group.command("restore")(restore_command)
