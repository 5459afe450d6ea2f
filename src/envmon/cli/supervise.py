"""CLI: `envmon supervise warnings|open|notify|answer|verify|close|escalate|list|show|sweep`
and `envmon grade`. The use cases are in `envmon.supervision.api` and `envmon.grading.api`.

Every `supervise` command but `warnings` takes `--url` and goes through a running server's
`/api/v1/supervision/…` (automatically when `envmon serve` holds the store: `cli.remote`), so
a notice can be sent and cron's `supervise sweep` runs while the platform runs; `warnings`
goes through the serve holding the store too (`POST /api/v1/supervision/warnings`, with the
local operator token), and `grade` (`GET /api/v1/grade/unit/{unit_id}` for `--unit`, else
`POST /api/v1/grade/run`)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import remote_command

supervise_app = typer.Typer(name="supervise", no_args_is_help=True,
                            help="Supervision (督办): warnings, notices, answers, "
                                 "verification, closing and escalation.")

BY = typer.Option("cli", "--by", help="Who acts (kept with the event).")
DB = typer.Option(None, "--db", help=DB_HELP)
CONFIG = typer.Option(None, "--config", help=CONFIG_HELP)


def _config(config: Path | None):
    from envmon.config import ConfigError, load_config

    try:
        return load_config(config)
    except ConfigError as error:
        from envmon.cli.common import fail

        raise fail(str(error)) from None


def _run(db, config, fmt, output, fn, *, read_only=False, audit_as: str | None = None,
         target=None) -> None:
    """Run ``fn(store, settings)``; a write (`audit_as`) leaves its audit row."""
    import contextlib

    from envmon.access.audit import cli_audited

    with user_errors():
        settings = _config(config)
        with open_cli_store(db, config, read_only=read_only) as store, (
                cli_audited(store, audit_as, target) if audit_as
                else contextlib.nullcontext()):
            result = fn(store, settings)
    emit(result, fmt, output)


def _actor(by: str):
    from envmon.supervision.api import Actor

    with user_errors():
        return Actor(by, "cli")


@supervise_app.command("warnings")
def warnings_command(month: str | None = typer.Option(None, "--month",
                     help="YYYY-MM (default: the month so far)."),
                     db: str | None = DB, config: Path | None = CONFIG,
                     fmt: str = format_option("table", ("table", "json", "csv")),
                     output: Path | None = output_option()) -> None:
    """Run the warning rules (事前预警) and list the month's warnings. JSON: {opened,
    warnings}."""
    from envmon.cli.remote import serve_holding
    from envmon.supervision.api import generate_warnings

    url = serve_holding(db, config)
    if url is not None:  # serve holds the store: its POST /api/v1/supervision/warnings
        emit(_warnings_through_serve(url, month, db, config), fmt, output)
        return
    _run(db, config, fmt, output, lambda s, c: generate_warnings(
        s, c.supervision, month=month, assess_config=c.assess),
         audit_as="supervision.warnings", target=month)


def _warnings_through_serve(url: str, month: str | None, db: str | None,
                            config: Path | None):
    """The server's run of the rules, as the local command's result (for its formats)."""
    from dataclasses import fields
    from datetime import datetime
    from types import SimpleNamespace

    from envmon.cli.remote import ask_json
    from envmon.supervision.api import WarningsRun
    from envmon.supervision.store import Case
    from envmon.timeutil import now_beijing

    answer = ask_json(url, "POST", "/api/v1/supervision/warnings",
                      {"by": "cli", "month": month}, db, config)

    def case(row: dict) -> Case:
        values = {f.name: row.get(f.name) for f in fields(Case)}
        for name in ("deadline", "created_at", "updated_at"):
            if values[name] is not None:
                values[name] = datetime.fromisoformat(values[name])
        if values["evidence"] is not None:
            values["evidence"] = json.dumps(values["evidence"], ensure_ascii=False)
        return Case(**values)

    cases = tuple(case(row) for row in answer["warnings"])
    by_id = {c.id: c for c in cases}
    opened = tuple(by_id.get(i) or SimpleNamespace(id=i) for i in answer["opened"])
    return WarningsRun(opened, cases, now_beijing())


@supervise_app.command("open")
@remote_command(writes=True)
def open_command(alarm: int | None = typer.Option(None, "--alarm", help="The alarm's id."),
                 unit: str | None = typer.Option(None, "--unit", help="Unit id."),
                 reason: str | None = typer.Option(None, "--reason", help="Why."),
                 by: str = BY, db: str | None = DB, config: Path | None = CONFIG,
                 fmt: str = format_option("json", ("json",)),
                 output: Path | None = output_option()) -> None:
    """Open a case from an alarm (its evidence carried) or for a unit with a reason."""
    from envmon.supervision.api import open_case

    actor = _actor(by)
    _run(db, config, fmt, output, lambda s, c: open_case(
        s, actor=actor, alarm_id=alarm, unit_id=unit, reason=reason),
         audit_as="supervision.open", target=alarm or unit)


@supervise_app.command("notify")
@remote_command(writes=True)
def notify_command(case_id: int = typer.Argument(..., metavar="ID"),
                   deadline: str | None = typer.Option(None, "--deadline", help="ISO time "
                                                       "(default: [supervision] notice_days)."),
                   action: str = typer.Option(..., "--action", help="What the unit must do."),
                   by: str = BY, db: str | None = DB, config: Path | None = CONFIG,
                   fmt: str = format_option("json", ("json",)),
                   output: Path | None = output_option()) -> None:
    """事中调度: a notice to the unit (delivered to the webhooks)."""
    from envmon.supervision.api import notify

    actor = _actor(by)
    _run(db, config, fmt, output, lambda s, c: notify(
        s, case_id, actor=actor, action=action, deadline=deadline, settings=c.supervision),
         audit_as="supervision.notify", target=case_id)


@supervise_app.command("answer")
@remote_command(writes=True)
def answer_command(case_id: int = typer.Argument(..., metavar="ID"),
                   note: str = typer.Option(..., "--note", help="The unit's answer."),
                   by: str = BY, db: str | None = DB, config: Path | None = CONFIG,
                   fmt: str = format_option("json", ("json",)),
                   output: Path | None = output_option()) -> None:
    """The unit's answer to the notice."""
    from envmon.supervision.api import answer

    actor = _actor(by)
    _run(db, config, fmt, output, lambda s, c: answer(s, case_id, actor=actor, note=note),
         audit_as="supervision.answer", target=case_id)


@supervise_app.command("verify")
@remote_command(writes=True)
def verify_command(case_id: int = typer.Argument(..., metavar="ID"),
                   result: str = typer.Option(..., "--result", help="pass or fail."),
                   note: str = typer.Option(..., "--note", help="What was found."),
                   by: str = BY, db: str | None = DB, config: Path | None = CONFIG,
                   fmt: str = format_option("json", ("json",)),
                   output: Path | None = output_option()) -> None:
    """The bureau's verification of the answer."""
    from envmon.supervision.api import verify

    actor = _actor(by)
    _run(db, config, fmt, output, lambda s, c: verify(
        s, case_id, actor=actor, result=result, note=note),
         audit_as="supervision.verify", target=case_id)


@supervise_app.command("close")
@remote_command(writes=True)
def close_command(case_id: int = typer.Argument(..., metavar="ID"),
                  note: str | None = typer.Option(None, "--note", help="Why (required for a "
                                                  "warning)."),
                  by: str = BY, db: str | None = DB, config: Path | None = CONFIG,
                  fmt: str = format_option("json", ("json",)),
                  output: Path | None = output_option()) -> None:
    """Close a verified or escalated case (or dismiss a warning with a note)."""
    from envmon.supervision.api import close

    actor = _actor(by)
    _run(db, config, fmt, output, lambda s, c: close(s, case_id, actor=actor, note=note),
         audit_as="supervision.close", target=case_id)


@supervise_app.command("escalate")
@remote_command(writes=True)
def escalate_command(case_id: int = typer.Argument(..., metavar="ID"),
                     penalty_note: str = typer.Option(..., "--penalty-note",
                                                      help="The penalty notes (立案)."),
                     by: str = BY, db: str | None = DB, config: Path | None = CONFIG,
                     fmt: str = format_option("json", ("json",)),
                     output: Path | None = output_option()) -> None:
    """Escalate to a case (立案) with penalty notes."""
    from envmon.supervision.api import escalate

    actor = _actor(by)
    _run(db, config, fmt, output, lambda s, c: escalate(
        s, case_id, actor=actor, penalty_note=penalty_note, settings=c.supervision),
         audit_as="supervision.escalate", target=case_id)


@supervise_app.command("list")
@remote_command()
def list_command(state: str | None = typer.Option(None, "--state", help="A state (warning, "
                                                  "notified, …) or a stage (pre, during, "
                                                  "after, done)."),
                 unit: str | None = typer.Option(None, "--unit", help="Only this unit."),
                 overdue: bool = typer.Option(False, "--overdue", help="Only overdue notices."),
                 db: str | None = DB, config: Path | None = CONFIG,
                 fmt: str = format_option("table", ("table", "json", "csv", "xlsx")),
                 output: Path | None = output_option()) -> None:
    """List cases, oldest first."""
    from envmon.supervision.api import list_cases

    _run(db, config, fmt, output, lambda s, c: list_cases(
        s, state=state, unit_id=unit, overdue=overdue), read_only=True)


@supervise_app.command("show")
@remote_command()
def show_command(case_id: int = typer.Argument(..., metavar="ID"),
                 db: str | None = DB, config: Path | None = CONFIG,
                 fmt: str = format_option("table", ("table", "json")),
                 output: Path | None = output_option()) -> None:
    """One case with its timeline (who, when, from where, note)."""
    from envmon.supervision.api import show

    _run(db, config, fmt, output, lambda s, c: show(s, case_id), read_only=True)


@supervise_app.command("sweep")
@remote_command(writes=True)
def sweep_command(db: str | None = DB, config: Path | None = CONFIG,
                  fmt: str = format_option("json", ("json", "table")),
                  output: Path | None = output_option()) -> None:
    """Escalate overdue notices (for cron; the running platform does it by itself)."""
    from envmon.supervision.api import sweep

    _run(db, config, fmt, output, lambda s, c: sweep(s, c.supervision),
         audit_as="supervision.sweep")


def grade_command(month: str | None = typer.Option(None, "--month", help="YYYY-MM (default: "
                                                   "the month before this one)."),
                  unit: str | None = typer.Option(None, "--unit", help="Show this unit's "
                                                  "history instead."),
                  db: str | None = DB, config: Path | None = CONFIG,
                  fmt: str = format_option("table", ("table", "json", "csv", "xlsx")),
                  output: Path | None = output_option()) -> None:
    """Grade the units for a month (分级分类: A–D with reasons) and keep the grades."""
    from envmon.cli.remote import ask_json, serve_holding
    from envmon.grading.api import GradeList, grade_month, unit_history
    from envmon.period import month_start
    from envmon.timeutil import now_beijing

    url = serve_holding(db, config)
    if url is not None:  # serve holds the store: its grade endpoints, the same result
        from urllib.parse import quote

        answer = (ask_json(url, "GET", f"/api/v1/grade/unit/{quote(unit, safe='')}", None,
                           db, config) if unit is not None else
                  ask_json(url, "POST", "/api/v1/grade/run", {"month": month}, db, config))
        emit(GradeList(answer["month"], tuple(answer["grades"])), fmt, output)
        return
    if unit is not None:
        _run(db, config, fmt, output, lambda s, c: unit_history(s, unit), read_only=True)
        return
    label = month or (month_start(now_beijing()).replace(day=1) - __import__(
        "datetime").timedelta(days=1)).strftime("%Y-%m")
    _run(db, config, fmt, output, lambda s, c: grade_month(
        s, label, c.grade, assess_config=c.assess,
        mark_deadline_hours=c.supervision.mark_deadline_hours),
         audit_as="grade.regrade", target=label)


def register(app: typer.Typer) -> None:
    app.add_typer(supervise_app, name="supervise")
    app.command("grade")(grade_command)
