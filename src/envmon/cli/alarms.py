"""CLI: `envmon alarms list|ack|close`. The use cases are in `envmon.alarms.api`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, fail, open_cli_store, user_errors

alarms_app = typer.Typer(name="alarms", help="Alarms: list, acknowledge, close.",
                         no_args_is_help=True)


@alarms_app.command("list")
def list_command(
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    status: str | None = typer.Option(None, "--status", help="open, acknowledged or closed."),
    mn: str | None = typer.Option(None, "--mn", help="Only this monitoring point."),
    rule: str | None = typer.Option(None, "--rule", help="Only this rule."),
    fmt: str = typer.Option("table", "--format", help="json or table."),
) -> None:
    """List alarms, oldest first. JSON: a list of objects with id, mn, unit_id, factor, rule,
    status, opened_at, closed_at, value, limit, detail."""
    from envmon.alarms.api import TABLE_COLUMNS, AlarmListOptions, list_alarms

    with user_errors():
        options = AlarmListOptions(status=status, mn=mn, rule=rule)
    if fmt not in ("json", "table"):
        raise fail(f"--format must be json or table, not {fmt!r}")
    with open_cli_store(db, config, read_only=True) as store:
        result = list_alarms(store, options)
    if fmt == "json":
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=1) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*(label for _, label in TABLE_COLUMNS))
    for row in result.table_rows():
        table.add_row(*row)
    Console(soft_wrap=True, highlight=False).print(table)


def _transition(action: str, alarm_id: int, by: str, note: str | None, db, config) -> None:
    from envmon.alarms.api import AlarmActionOptions, acknowledge_alarm, close_alarm

    use_case = acknowledge_alarm if action == "ack" else close_alarm
    with user_errors():
        options = AlarmActionOptions(alarm_id, by, note)
        with open_cli_store(db, config) as store:
            result = use_case(store, options)
    typer.echo(json.dumps(result.as_json(), ensure_ascii=False))


@alarms_app.command("ack")
def ack_command(
    alarm_id: int = typer.Argument(..., metavar="ID"),
    by: str = typer.Option(..., "--by", help="Who acknowledges."),
    note: str | None = typer.Option(None, "--note", help="Note."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """open → acknowledged."""
    _transition("ack", alarm_id, by, note, db, config)


@alarms_app.command("close")
def close_command(
    alarm_id: int = typer.Argument(..., metavar="ID"),
    by: str = typer.Option(..., "--by", help="Who closes."),
    note: str | None = typer.Option(None, "--note", help="Note."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """open or acknowledged → closed."""
    _transition("close", alarm_id, by, note, db, config)


def register(app: typer.Typer) -> None:
    app.add_typer(alarms_app, name="alarms")
