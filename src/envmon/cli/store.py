"""CLI: `envmon store …`: the store itself (here: the monthly partitions of PostgreSQL).

Other `envmon store` commands (backup, restore) register on the same group: `store_group(app)`
finds it or makes it, so each module adds its commands without knowing the others.
"""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option

GROUP_HELP = "The store itself: partitions, backups."


def store_group(app: typer.Typer) -> typer.Typer:
    """The `envmon store` group of `app` (made on first use)."""
    for group in app.registered_groups:
        if group.name == "store" and group.typer_instance is not None:
            return group.typer_instance
    group = typer.Typer(name="store", help=GROUP_HELP, no_args_is_help=True)
    app.add_typer(group, name="store")
    return group


def partitions_command(
    ahead: int | None = typer.Option(
        None, "--ahead", help="Create the partitions of this month and the N months after it "
        "(serve keeps 2 ahead by itself)."),
    detach_before: str | None = typer.Option(
        None, "--detach-before", help="Detach the partitions of the months before YYYY-MM "
        "(they stay as plain tables: archive them, then drop them)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("table", ("table", "json", "csv")),
    output: Path | None = output_option(),
) -> None:
    """List the monthly partitions of records and raw_packets (PostgreSQL); make months
    ahead, detach old ones."""
    from envmon.period import Period
    from envmon.store.partitions_api import manage_partitions

    with user_errors():
        before = (Period.month(detach_before, option="--detach-before", allow_future=True)
                  .start.date() if detach_before is not None else None)
    with open_cli_store(db, config) as store, user_errors():
        result = manage_partitions(store, ahead, before)
    emit(result, fmt, output)


def register(app: typer.Typer) -> None:
    store_group(app).command("partitions")(partitions_command)
