"""CLI: `envmon audit list|verify`: the audit log (`access.audit`), as `GET /api/v1/audit/list`
gives it (`--url`, and through a running serve that holds the store)."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, fail, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import remote_command

audit_app = typer.Typer(name="audit", help="The audit log: who changed what, when, from "
                        "where.", no_args_is_help=True)


@audit_app.command("list")
@remote_command()
def list_command(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    start: str | None = typer.Option(None, "--from", help="From this time (ISO, Beijing time "
                                     "if no offset), inclusive."),
    end: str | None = typer.Option(None, "--to", help="Before this time (ISO), exclusive."),
    user: str | None = typer.Option(None, "--user", help="Only this user's rows."),
    action: str | None = typer.Option(None, "--action", help="Only this action (alarm.close),"
                                      " or a family ending in a dot (alarm.)."),
    fmt: str = format_option("table", ("table", "json", "csv", "xlsx")),
    output: Path | None = output_option(),
) -> None:
    """Audit rows, oldest first: id, happened_at, who, role, action, target, detail, address
    (an IP, or cli:<OS user>), result."""
    from envmon.access.audit import list_audit
    from envmon.web.api.audit import audit_options

    with user_errors():
        options = audit_options(start, end, user, action)
    with open_cli_store(db, config, read_only=True) as store, user_errors():
        result = list_audit(store, options)
    emit(result, fmt, output)


@audit_app.command("verify")
def verify_command(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Check that no audit row was changed, removed or slipped in (each row holds the hash of
    the one before it); exit 1 naming the first broken row."""
    from envmon.access.audit import check_chain
    from envmon.cli.remote import ask_json, serve_holding

    url = serve_holding(db, config)
    if url is not None:  # serve holds the store: its own read of the chain
        answer = ask_json(url, "GET", "/api/v1/audit/verify", None, db, config)
        broken, count = answer["broken_at"], answer["rows"]
    else:
        with open_cli_store(db, config, read_only=True) as store:
            check = check_chain(store)
        broken, count = check.broken_at, check.rows
    if broken is not None:
        raise fail(f"the audit log is broken at row {broken}: changed, removed or added "
                   "outside envmon", 1)
    typer.echo(f"audit log intact: {count} rows")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
