"""CLI: `envmon keys set|list|rotate`: the SM4 keys of HJ 212-2025 units (`ingest.keys_api`).

A key is read from a file or stdin, never from the command line (it would sit in the shell
history and the process list), and is never printed.

While `envmon serve` holds the store (DuckDB admits one process), each command goes through
that serve's loopback-only endpoints (`web.api.keys`, found by its discovery file): the key
crosses only the loopback interface, in a request body, and the running receiver takes it
at once. On PostgreSQL nothing is held: the command writes the database, and every receiver
reads the keys and pending rotations at its registry refresh (`RECEIVERS_NOTE`).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import typer

from envmon.cli.common import (
    CONFIG_HELP,
    DB_HELP,
    fail,
    open_cli_store,
    user_errors,
)
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import ask_json, read_through_serve, serve_holding

RECEIVERS_NOTE = ("note: running receivers take it at their next registry refresh "
                  "(within a minute)")


def _note_for_receivers(db: str | None, config: Path | None) -> None:
    """On a server database the receivers are other processes: say when they take it."""
    from envmon.cli.common import resolve_db
    from envmon.store import is_server_url

    if is_server_url(resolve_db(db, config)):
        typer.echo(RECEIVERS_NOTE, err=True)


keys_app = typer.Typer(name="keys", help="SM4 keys of HJ 212-2025 units (sealed at rest).",
                       no_args_is_help=True)


@keys_app.command("set")
def set_command(
    mn: str = typer.Argument(..., help="The MN of a registered monitoring point."),
    key_file: Path | None = typer.Option(None, "--key-file",
                                         help="File holding the key (32 hex digits)."),
    key_stdin: bool = typer.Option(False, "--key-stdin", help="Read the key from stdin."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Store an MN's SM4 key, sealed under the master key ($ENVMON_MASTER_KEY_FILE, else
    <db>.master.key, created 0600 on first use; its path is printed when created)."""
    from envmon.access.audit import record_cli
    from envmon.ingest.keys_api import key_from_text, keys_set

    if (key_file is None) == (not key_stdin):
        raise fail("--key-file / --key-stdin: give exactly one")
    if key_file is not None:
        from envmon.cli.keyfiles import read_key_file

        with user_errors():
            text, source = read_key_file(key_file), "--key-file"
    else:
        text, source = sys.stdin.read(), "--key-stdin"
    with user_errors():
        key = key_from_text(text, source)
    url = serve_holding(db, config)
    if url is not None:
        answer = ask_json(url, "POST", "/api/v1/keys/set", {"mn": mn, "key": key.hex()}, db,
                      config)
        created, action = answer["master_key_created"], answer["action"]
    else:
        with open_cli_store(db, config) as store, user_errors():
            result = keys_set(store, mn, key)
            record_cli(store, "key.set", mn, {"action": result.action})  # never the key
        created, action = result.master_key_created, result.action
        _note_for_receivers(db, config)
    if created:
        typer.echo(f"master key created: {created} (keep it safe and apart "
                   "from the store's backups)", err=True)
    typer.echo(f"{mn}: key {action}")


@keys_app.command("list")
def list_command(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("table", ("table", "json", "csv")),
    output: Path | None = output_option(),
) -> None:
    """MNs with a key: when set and last rotated (never the key)."""
    from envmon.ingest.keys_api import KeyList, keys_list
    from envmon.ingest.keystore import KeyInfo

    result = read_through_serve(db, config, "/api/v1/keys/list", lambda rows: KeyList(tuple(
        KeyInfo(row["mn"], datetime.fromisoformat(row["created_at"]),
                datetime.fromisoformat(row["rotated_at"]) if row["rotated_at"] else None,
                row["rotation_pending"], row.get("last_change", "set"),
                datetime.fromisoformat(row["replaced_at"]) if row.get("replaced_at") else None)
        for row in rows)), keys_list)
    emit(result, fmt, output)


@keys_app.command("rotate")
def rotate_command(
    mn: str = typer.Argument(..., help="The MN whose key is replaced."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Make a new random key for MN and send it to the unit in CN 1014 (encrypted with the
    current key): the receiver sends it when the unit is online after its next registry
    refresh; the new key takes over once the unit confirms (9012 ExeRtn=1)."""
    from envmon.access.audit import record_cli
    from envmon.ingest.keys_api import keys_rotate

    url = serve_holding(db, config)
    if url is not None:
        qn = ask_json(url, "POST", "/api/v1/keys/rotate", {"mn": mn}, db, config)["qn"]
    else:
        with open_cli_store(db, config) as store, user_errors():
            qn = keys_rotate(store, mn).qn
            record_cli(store, "key.rotate", mn, {"qn": qn})
        _note_for_receivers(db, config)
    typer.echo(f"{mn}: rotation pending (CN 1014 QN={qn})")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
