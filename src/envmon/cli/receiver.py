"""CLI: `envmon receiver lockouts` — what the receiver's guard holds (`envmon.ingest.api`)."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import remote_command

receiver_app = typer.Typer(name="receiver", help="The HJ 212 receiver's guard: lockouts.",
                           no_args_is_help=True)


@receiver_app.command("lockouts")
@remote_command(writes=lambda params: bool({"unlock", "unlock_mn"} & params.keys()))
def lockouts_command(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    mn: str | None = typer.Option(None, "--mn", help="Only this MN's usual addresses."),
    unlock: str | None = typer.Option(
        None, "--unlock", help="Lift the lockout of this address (IP)."),
    unlock_mn: str | None = typer.Option(
        None, "--unlock-mn", help="Lift this MN's lockout of new addresses."),
    by: str = typer.Option("cli", "--by", help="Who lifts (kept with the lockout)."),
    fmt: str = format_option("table", ("table", "json", "csv")),
    output: Path | None = output_option(),
) -> None:
    """Lockouts after repeated wrong passwords (in force) and the usual addresses of the MNs.

    --unlock / --unlock-mn lift one; through a running server (--url, or the store held by
    `envmon serve`) its receiver drops the lockout at once, otherwise a running receiver
    picks it up on its next registry refresh. JSON: lockouts, usual_addresses, lifted."""
    from envmon.ingest.api import LockoutOptions, guard_report

    with user_errors():
        options = LockoutOptions(mn=mn, unlock=unlock, unlock_mn=unlock_mn, by=by)
    read_only = not options.lifts
    with open_cli_store(db, config, read_only=read_only) as store, user_errors():
        result = guard_report(store, options)
    emit(result, fmt, output)


def register(app: typer.Typer) -> None:
    app.add_typer(receiver_app, name="receiver")
