"""CLI: `envmon alarms list|ack|close`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from envmon.cli.registry import CONFIG_HELP, DB_HELP, fail, open_cli_store

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
    from envmon.alarms.store import STATUSES, list_alarms

    if status is not None and status not in STATUSES:
        raise fail(f"--status must be one of {'|'.join(STATUSES)}, not {status!r}")
    if fmt not in ("json", "table"):
        raise fail(f"--format must be json or table, not {fmt!r}")
    with open_cli_store(db, config, read_only=True) as store:
        alarms = list_alarms(store, status=status, mn=mn, rule=rule)
    if fmt == "json":
        sys.stdout.write(json.dumps([a.as_json() for a in alarms], ensure_ascii=False,
                                    indent=1) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    from envmon.alarms.config import RULE_NAMES_ZH

    table = Table("ID", "MN", "单位", "因子", "规则", "状态", "报警时间", "关闭时间", "值",
                  "限值", "说明")
    for a in alarms:
        table.add_row(str(a.id), a.mn, a.unit_id or "", a.factor or "-",
                      RULE_NAMES_ZH.get(a.rule, a.rule), a.status,
                      f"{a.opened_at:%Y-%m-%d %H:%M:%S}",
                      f"{a.closed_at:%Y-%m-%d %H:%M:%S}" if a.closed_at else "",
                      "" if a.value is None else f"{a.value:g}",
                      "" if a.limit is None else f"{a.limit:g}", a.detail or "")
    Console(soft_wrap=True, highlight=False).print(table)


def _transition(action: str, alarm_id: int, by: str, note: str | None, db, config) -> None:
    from envmon.alarms import store as alarm_store

    with open_cli_store(db, config) as store:
        try:
            fn = alarm_store.acknowledge if action == "ack" else alarm_store.close
            alarm = fn(store, alarm_id, by, note)
        except alarm_store.AlarmError as error:
            raise fail(str(error)) from None
    typer.echo(json.dumps(alarm.as_json(), ensure_ascii=False))


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
