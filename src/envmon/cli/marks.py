"""CLI: `envmon marks types|file|list|approve|reject|withdraw` (数据标记 with review). The use
cases are in `envmon.marks.api`; this module parses, calls and prints.

Until users exist, the person is `--by` (default: the login name) and "from where" is
``cli <host>``.

While `envmon serve` holds the store, every command goes through it (`remote.serve_holding`,
with the local operator token; `list` also takes `--url`): the writes as the marks page makes
them (`POST /api/v1/marks/file|approve|reject|withdraw`, each proof file then
`POST /api/v1/marks/{id}/proofs`), so the signed-in operator is who acts once users exist."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.access.audit import cli_audited
from envmon.cli.common import CONFIG_HELP, DB_HELP, fail, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import remote_command

marks_app = typer.Typer(name="marks", help="Data marks (数据标记): file with proofs, review "
                        "(approve, reject), withdraw, list.", no_args_is_help=True)

LIST_FORMATS = ("json", "csv", "table", "xlsx", "html")
ACTION_FORMATS = ("text", "json")
BY_HELP = "Who does it (default: the login name)."


def _settings(config: Path | None):
    from envmon.config import ConfigError, load_config
    from envmon.marks.settings import marks_settings_of

    try:
        return marks_settings_of(load_config(config))
    except (ConfigError, ValueError) as error:
        raise fail(str(error)) from None


def _who(by: str | None) -> str:
    import getpass

    if by is not None:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _from() -> str:
    import socket

    return f"cli {socket.gethostname()}"


def _read_proof(path: Path, limit: int) -> tuple[str, bytes]:
    """A proof file, read no further than the per-file limit (+1 to see it is over)."""
    try:
        with path.open("rb") as handle:
            return path.name, handle.read(limit + 1)
    except OSError as error:
        raise fail(f"--proof: cannot read {path}: {error.strerror or error}") from None


def _serve(db: str | None, config: Path | None) -> str | None:
    from envmon.cli.remote import serve_holding

    return serve_holding(db, config)


def _post(url: str, path: str, body: dict, db: str | None, config: Path | None) -> dict:
    """One write through the running serve; its refusal is the CLI's one line."""
    from envmon.cli.remote import call, error_line, operator_token

    status, answer = call(url, "POST", path, body=body, token=operator_token(db, config))
    if status not in (200, 201):
        error = answer.get("error") if isinstance(answer, dict) else None
        if isinstance(error, dict) and error.get("field") == "mark_id":  # the argument ID
            raise fail(f"ID: {error.get('reason')}")
        raise error_line(status, answer)
    return answer


def _file_through_serve(url: str, settings, body: dict, proofs: tuple, db: str | None,
                        config: Path | None):
    """File the mark, then upload each proof (all checked here first, as the local command
    checks them before it stores anything)."""
    from envmon.cli.remote import error_line, operator_token, post_file
    from envmon.marks.api import MarkDone
    from envmon.marks.proofs import check_size, media_type_of

    used = 0
    with user_errors():
        for count, (_, content) in enumerate(proofs):
            media_type_of(content, "--proof")
            check_size(len(content), used, count, settings, "--proof")
            used += len(content)
    mark = _post(url, "/api/v1/marks/file", body, db, config)
    token = operator_token(db, config)
    uploaded = []
    for name, content in proofs:
        status, answer = post_file(url, f"/api/v1/marks/{mark['id']}/proofs", "proof", name,
                                   content, {"by": body["by"]}, token)
        if status != 201:
            raise error_line(status, answer)
        uploaded.append({k: v for k, v in answer.items() if k != "mark_id"})
    if uploaded:
        mark = {**mark, "proofs": [*mark.get("proofs", []), *uploaded]}
    return MarkDone(mark, "filed")


def _step_through_serve(path: str, body: dict, step: str, db: str | None,
                       config: Path | None, fmt: str, output: Path | None) -> bool:
    """One review step through the running serve, printed as the local command prints it;
    False when no serve holds the store (the caller then opens it itself)."""
    from envmon.marks.api import MarkDone

    url = _serve(db, config)
    if url is None:
        return False
    emit(MarkDone(_post(url, path, body, db, config), step), fmt, output)
    return True


@marks_app.command("types")
def types_command(
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("table", LIST_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """The mark types and what an approved mark of each does to the figures."""
    from envmon.marks.api import mark_types

    emit(mark_types(_settings(config)), fmt, output)


@marks_app.command("file")
def file_command(
    mn: str = typer.Option(..., "--mn", help="Monitoring point."),
    mark_type: str = typer.Option(..., "--type", help="Type key or name, with its subtype as "
                                  "TYPE/SUB (e.g. production/shutdown, 生产设施工况/停产)."),
    start: str = typer.Option(..., "--from", help="ISO time on the hour, inclusive."),
    end: str = typer.Option(..., "--to", help="ISO time on the hour, exclusive."),
    unit: str | None = typer.Option(None, "--unit", help="The point's unit (checked)."),
    factor: str | None = typer.Option(None, "--factor", help="One factor (default: all)."),
    note: str | None = typer.Option(None, "--note", help="What happened."),
    proof: list[Path] = typer.Option([], "--proof", help="A proof file (PDF, JPEG, PNG); "
                                     "repeat for more."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("text", ACTION_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """File a mark for review (submitted; it changes nothing until approved)."""
    from envmon.marks.api import FileOptions, file_mark
    from envmon.period import Period

    settings = _settings(config)
    url = _serve(db, config)
    if url is not None:
        proofs = tuple(_read_proof(p, settings.max_proof_bytes) for p in proof)
        body = {"mn": mn, "type": mark_type, "from": start, "to": end, "by": _who(by),
                "unit": unit, "factor": factor, "note": note}
        emit(_file_through_serve(url, settings, body, proofs, db, config), fmt, output)
        return
    with user_errors():
        period = Period.parse(start, end, allow_future=True)
        proofs = tuple(_read_proof(p, settings.max_proof_bytes) for p in proof)
        options = FileOptions(mn, mark_type, _who(by), _from(), unit=unit, factor=factor,
                              note=note, proofs=proofs)
        with open_cli_store(db, config) as store, cli_audited(
                store, "mark.file", mn, {"type": mark_type, "proofs": len(proofs)}) as facts:
            done = file_mark(store, settings, period, options)
            facts["id"] = done.as_json().get("id")
    emit(done, fmt, output)


@marks_app.command("list")
@remote_command()
def list_command(
    status: str | None = typer.Option(None, "--status", help="submitted, approved, rejected "
                                      "or withdrawn."),
    month: str | None = typer.Option(None, "--month", help="Marks overlapping this month "
                                     "(YYYY-MM)."),
    unit: str | None = typer.Option(None, "--unit", help="Only this unit."),
    mn: str | None = typer.Option(None, "--mn", help="Only this point."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("json", LIST_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """Marks by id, with their review and proofs (JSON lines)."""
    from envmon.marks.api import ListOptions, list_marks

    settings = _settings(config)
    with user_errors():
        options = ListOptions(status, month, unit, mn)
        with open_cli_store(db, config, read_only=True) as store:
            result = list_marks(store, settings, options)
    emit(result, fmt, output)


@marks_app.command("approve")
def approve_command(
    mark_id: int = typer.Argument(..., help="Mark id."),
    accept_late: bool = typer.Option(False, "--accept-late", help="Approve a mark filed after "
                                     "its deadline (an explicit review)."),
    note: str | None = typer.Option(None, "--note", help="Review note."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("text", ACTION_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """Approve a submitted mark: from now on it changes the figures by its type."""
    from envmon.marks.api import approve

    settings = _settings(config)
    if _step_through_serve("/api/v1/marks/approve", {
            "mark_id": mark_id, "by": _who(by), "accept_late": accept_late, "note": note},
            "approved", db, config, fmt, output):
        return
    with user_errors(), open_cli_store(db, config) as store, cli_audited(
            store, "mark.approve", mark_id, {"accept_late": accept_late}):
        done = approve(store, settings, mark_id, _who(by), _from(), accept_late, note)
    emit(done, fmt, output)


@marks_app.command("reject")
def reject_command(
    mark_id: int = typer.Argument(..., help="Mark id."),
    reason: str = typer.Option(..., "--reason", help="Why it is rejected."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("text", ACTION_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """Reject a submitted mark, saying why; it changes nothing."""
    from envmon.marks.api import reject

    settings = _settings(config)
    if _step_through_serve("/api/v1/marks/reject", {
            "mark_id": mark_id, "by": _who(by), "reason": reason},
            "rejected", db, config, fmt, output):
        return
    with user_errors(), open_cli_store(db, config) as store, cli_audited(
            store, "mark.reject", mark_id, {"reason": reason}):
        done = reject(store, settings, mark_id, _who(by), reason, _from())
    emit(done, fmt, output)


@marks_app.command("withdraw")
def withdraw_command(
    mark_id: int = typer.Argument(..., help="Mark id."),
    by: str | None = typer.Option(None, "--by", help="Who (its filer; default: the login "
                                  "name)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("text", ACTION_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """The filer takes back a mark before it is reviewed."""
    from envmon.marks.api import withdraw

    settings = _settings(config)
    if _step_through_serve("/api/v1/marks/withdraw", {"mark_id": mark_id, "by": _who(by)},
                           "withdrawn", db, config, fmt, output):
        return
    with user_errors(), open_cli_store(db, config) as store, cli_audited(
            store, "mark.withdraw", mark_id):
        done = withdraw(store, settings, mark_id, _who(by))
    emit(done, fmt, output)


def register(app: typer.Typer) -> None:
    app.add_typer(marks_app, name="marks")
