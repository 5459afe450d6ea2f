"""CLI commands: `envmon assess` (联网率, 即时/补全有效传输率 at one level), the marks that
change it (`envmon assess exemption …`, `envmon assess correction …`, with who and why), the
back-fill log (`envmon assess backfill-log`) and `envmon report transmission` (the 通报).
The use cases are in `envmon.assess.api`; this module parses, calls and prints."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import (
    CONFIG_HELP,
    DB_HELP,
    fail,
    open_cli_store,
    time_option,
    user_errors,
)
from envmon.cli.options import (
    BULLETIN_FORMATS,
    check_choice,
    emit,
    emit_many,
    format_option,
    output_option,
    split_formats,
)
from envmon.cli.remote import remote_command

LIST_FORMATS = ("json", "csv", "table", "xlsx", "html")
ACTION_FORMATS = ("text", "json")  # "text": the layout registered in envmon.assess.api

assess_app = typer.Typer(
    name="assess",
    help="Transmission assessment: 联网率, 即时/补全有效传输率 per point, unit, county, city, "
    "province; exemption periods and manual corrections.",
    invoke_without_command=True,
)
exemption_app = typer.Typer(help="Exemption periods (停产/停运/停排): add, list, revoke.",
                            no_args_is_help=True)
correction_app = typer.Typer(help="Manual corrections (修约): add, list, revoke.",
                             no_args_is_help=True)
assess_app.add_typer(exemption_app, name="exemption")
assess_app.add_typer(correction_app, name="correction")


def base_config(config_file: Path | None = None):
    """The [assess] section of the configuration file (defaults without one)."""
    from envmon.config import ConfigError, load_config

    try:
        return load_config(config_file).assess
    except ConfigError as error:
        raise fail(str(error)) from None


DEFAULT_FORMATS = "xlsx,html"


def _networked_by_option():
    """--networked-by, the same for `assess` and `report transmission`."""
    return typer.Option(
        None, "--networked-by", help="data_time (default: data of the period received by "
        "--as-of, however late) or received_at (packets received in the period).")


def _pass_compare_option():
    """--pass-compare, the same for `assess` and `report transmission`."""
    return typer.Option(
        None, "--pass-compare", help="full (default: the exact rate, GB/T 8170-2008 4.3.1) "
        "or rounded (the two-decimal rate, 4.3.2).")


def _as_of(as_of: str | None):
    """--as-of, refused when in the future (see assess.api.checked_as_of)."""
    from envmon.assess.api import checked_as_of

    with user_errors():
        return checked_as_of(time_option(as_of, "--as-of") if as_of else None)


@assess_app.callback()
@remote_command()
def assess_command(
    ctx: typer.Context,
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (Beijing time)."),
    start: str | None = typer.Option(None, "--from", help="ISO time on the hour, inclusive."),
    end: str | None = typer.Option(None, "--to", help="ISO time on the hour, exclusive."),
    level: str = typer.Option("city", "--level", help="point|unit|county|city|province."),
    instant_hours: float | None = typer.Option(
        None, "--instant-hours", help="即时: received by DataTime + H hours (default 2)."),
    complete_days: float | None = typer.Option(
        None, "--complete-days", help="补全: received by DataTime + D days (default 10)."),
    valid_flags: str | None = typer.Option(
        None, "--valid-flags", help="Comma-separated flags counted valid (default N)."),
    aggregate: str | None = typer.Option(None, "--aggregate", help="sum (default) or "
                                         "mean_of_units."),
    networked_rule: str | None = typer.Option(
        None, "--networked-rule", help="all_points (default) or any_point."),
    pass_mark: float | None = typer.Option(None, "--pass-mark", help="Percent (default 90)."),
    networked_by: str | None = _networked_by_option(),
    pass_compare: str | None = _pass_compare_option(),
    rank_by: str | None = typer.Option(
        None, "--rank-by", help="complete (default: 补全) or instant (即时) effective rate."),
    marks_without_proof: bool = typer.Option(
        False, "--marks-without-proof", help="Count exemptions and repairs without a proof."),
    mark_deadline_day: int | None = typer.Option(
        None, "--mark-deadline-day", help="Exemptions entered by this day of the next month "
        "count (default 10; 0: no deadline)."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Assess as known at this time, not in the future "
        "(default now)."),
    region: str | None = typer.Option(
        None, "--region", help="Only this region's units (GB/T 2260 code or prefix: 14, "
        "1401, 140105), ranked among themselves."),
    unit: str | None = typer.Option(
        None, "--unit", help="Only this unit and its points (levels point and unit)."),
    fmt: str = format_option("json", ("json", "csv", "table", "xlsx", "html", "pdf")),
    output: Path | None = output_option(
        help="Output file (json, csv, table: default stdout; xlsx/html/pdf: default "
        "assess-<period>-<level>.<format>)."),
) -> None:
    """Assess a period and print (or write) one level's rows, best first, ranked.

    JSON: {"from", "to", "instant_hours", "complete_days", "rows": [...], "provisional"};
    rates are percent with two decimals (GB/T 8170), null when nothing was due; provisional
    is true while the period has not ended (the table and bulletin say 初步统计 too).
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"db": db, "config": config}
        return
    from envmon.assess.api import AssessOptions, AssessSettings, assess_period
    from envmon.period import Period

    with user_errors():
        options = AssessOptions(level, AssessSettings(
            base_config(config), instant_hours=instant_hours, complete_days=complete_days,
            valid_flags=valid_flags, aggregate=aggregate, networked_rule=networked_rule,
            pass_mark=pass_mark, rank_by=rank_by, networked_by=networked_by,
            pass_compare=pass_compare,
            marks_require_proof=False if marks_without_proof else None,
            mark_deadline_day=mark_deadline_day), _as_of(as_of), region, unit)
    with user_errors():
        period = Period.from_options(month, start, end, on_the_hour=True)
        with open_cli_store(db, config, read_only=True) as store:
            result = assess_period(store, period, options)
    emit(result, fmt, output)


def _store(ctx: typer.Context, db: str | None, config: Path | None, *,
           read_only: bool = False):
    parent = ctx.obj or {}
    return open_cli_store(db or parent.get("db"), config or parent.get("config"),
                          read_only=read_only)


def _print_added(added, fmt: str, output: Path | None) -> None:
    emit(added, fmt, output)
    if added.note:
        typer.echo(f"note: {added.note}", err=True)


@exemption_app.command("add")
@remote_command(writes=True)
def exemption_add(
    ctx: typer.Context,
    kind: str = typer.Option(..., "--kind", help="停产, 停运 or 停排."),
    start: str = typer.Option(..., "--from", help="ISO time, inclusive (hour starts)."),
    end: str = typer.Option(..., "--to", help="ISO time, exclusive."),
    by: str = typer.Option(..., "--by", help="Who enters the mark."),
    reason: str = typer.Option(..., "--reason", help="Why."),
    unit: str | None = typer.Option(None, "--unit", help="Unit (统一社会信用代码): all points."),
    mn: str | None = typer.Option(None, "--mn", help="One monitoring point."),
    proof: str | None = typer.Option(None, "--proof", help="Reference of the proof document."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("text", ACTION_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """Register an exemption period; its hours leave the should-count."""
    from envmon.access.audit import record_cli
    from envmon.assess.api import ExemptionOptions, add_exemption
    from envmon.period import Period

    with user_errors():
        period = Period.parse(start, end, allow_future=True)  # planned stops are marks too
        options = ExemptionOptions(kind, by, reason, unit=unit, mn=mn, proof=proof)
        with _store(ctx, db, config) as store:
            added = add_exemption(store, period, options)
            record_cli(store, "exemption.add", mn or unit, {
                "id": added.id, "kind": kind, "from": start, "to": end, "by": by,
                "reason": reason, "proof": proof})
    _print_added(added, fmt, output)


@exemption_app.command("list")
@remote_command()
def exemption_list(
    ctx: typer.Context,
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("json", LIST_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """Every exemption, revoked ones included (JSON lines)."""
    from envmon.assess.api import MarkKind, MarkListOptions, list_marks

    with _store(ctx, db, config, read_only=True) as store:
        result = list_marks(store, MarkListOptions(MarkKind.EXEMPTION))
    emit(result, fmt, output)


def _revoke(ctx, table: str, mark_id: int, by: str, reason: str, db, config,
            fmt: str = "text", output: Path | None = None) -> None:
    from envmon.access.audit import record_cli
    from envmon.assess.api import RevokeOptions, revoke_mark

    with user_errors():
        options = RevokeOptions(table, mark_id, by, reason)
        with _store(ctx, db, config) as store:
            revoked = revoke_mark(store, options)
            record_cli(store, "exemption.revoke" if table == "exemptions" else
                       "correction.revoke", str(mark_id), {"by": by, "reason": reason})
    emit(revoked, fmt, output)


@exemption_app.command("revoke")
@remote_command(writes=True)
def exemption_revoke(
    ctx: typer.Context,
    mark_id: int = typer.Argument(..., help="Exemption id."),
    by: str = typer.Option(..., "--by", help="Who revokes."),
    reason: str = typer.Option(..., "--reason", help="Why."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("text", ACTION_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """Revoke an exemption (the row stays, stamped with who, when and why)."""
    _revoke(ctx, "exemptions", mark_id, by, reason, db, config, fmt, output)


@correction_app.command("add")
@remote_command(writes=True)
def correction_add(
    ctx: typer.Context,
    mn: str = typer.Option(..., "--mn", help="Monitoring point."),
    action: str = typer.Option(..., "--action", help="invalidate or repair."),
    start: str = typer.Option(..., "--from", help="ISO time, inclusive (hour starts)."),
    end: str = typer.Option(..., "--to", help="ISO time, exclusive."),
    by: str = typer.Option(..., "--by", help="Who enters the correction."),
    reason: str = typer.Option(..., "--reason", help="Why."),
    factor: str | None = typer.Option(None, "--factor", help="One factor (default: all)."),
    value: float | None = typer.Option(None, "--value", help="Repaired hourly value."),
    proof: str | None = typer.Option(None, "--proof", help="Reference of the proof document."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("text", ACTION_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """Register a manual correction (修约); the stored records are never changed."""
    from envmon.access.audit import record_cli
    from envmon.assess.api import CorrectionOptions, add_correction
    from envmon.period import Period

    with user_errors():
        period = Period.parse(start, end, allow_future=True)
        options = CorrectionOptions(mn, action, by, reason, factor=factor, value=value,
                                    proof=proof)
        with _store(ctx, db, config) as store:
            added = add_correction(store, period, options)
            record_cli(store, "correction.add", mn, {
                "id": added.id, "action": action, "from": start, "to": end, "by": by,
                "reason": reason, "factor": factor, "value": value, "proof": proof})
    _print_added(added, fmt, output)


@correction_app.command("list")
@remote_command()
def correction_list(
    ctx: typer.Context,
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("json", LIST_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """Every correction, revoked ones included (JSON lines)."""
    from envmon.assess.api import MarkKind, MarkListOptions, list_marks

    with _store(ctx, db, config, read_only=True) as store:
        result = list_marks(store, MarkListOptions(MarkKind.CORRECTION))
    emit(result, fmt, output)


@correction_app.command("revoke")
@remote_command(writes=True)
def correction_revoke(
    ctx: typer.Context,
    mark_id: int = typer.Argument(..., help="Correction id."),
    by: str = typer.Option(..., "--by", help="Who revokes."),
    reason: str = typer.Option(..., "--reason", help="Why."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("text", ACTION_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """Revoke a correction (the row stays, stamped with who, when and why)."""
    _revoke(ctx, "corrections", mark_id, by, reason, db, config, fmt, output)


@assess_app.command("backfill-log")
@remote_command()
def backfill_log(
    ctx: typer.Context,
    mn: str | None = typer.Option(None, "--mn", help="Only this point."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("json", LIST_FORMATS),
    output: Path | None = output_option(),
) -> None:
    """The back-fill (补遗) requests sent to units and how each ended (JSON lines)."""
    from envmon.assess.api import BackfillLogOptions, backfill_log

    with _store(ctx, db, config, read_only=True) as store, user_errors():
        result = backfill_log(store, BackfillLogOptions(mn))
    emit(result, fmt, output)


@remote_command(formats_default=DEFAULT_FORMATS)
def report_transmission(
    month: str = typer.Option(..., "--month", help="YYYY-MM (Beijing time)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    output: Path | None = output_option("--out", help="Folder (or, with --format, file) for "
                                        "the bulletin (default: the working folder)."),
    instant_hours: float | None = typer.Option(
        None, "--instant-hours", help="即时: received by DataTime + H hours (default 2)."),
    complete_days: float | None = typer.Option(
        None, "--complete-days", help="补全: received by DataTime + D days (default 10)."),
    pass_mark: float | None = typer.Option(None, "--pass-mark", help="Percent (default 90)."),
    networked_by: str | None = _networked_by_option(),
    pass_compare: str | None = _pass_compare_option(),
    as_of: str | None = typer.Option(
        None, "--as-of", help="As known at this time, not in the future (default now)."),
    formats: str | None = typer.Option(
        None, "--formats", help="Comma-separated: xlsx, html, pdf (default xlsx,html; PDF "
        "through WeasyPrint, skipped with a message if unavailable — print the HTML to PDF "
        "from a browser)."),
    fmt: str | None = typer.Option(None, "--format", help="One format instead of --formats: "
                                   "json, xlsx, html or pdf."),
) -> None:
    """The monthly 通报 of 联网率 and 即时/补全有效传输率 (XLSX + HTML, Chinese)."""
    from envmon.assess.api import (
        AssessSettings,
        TransmissionReportOptions,
        transmission_report,
    )
    from envmon.period import Period

    # every format is checked before the assessment runs and before anything is written
    if fmt is not None and formats is not None:
        raise fail("--formats: give --format (one) or --formats (several), not both")
    if fmt is not None:
        check_choice(fmt, ("json", *BULLETIN_FORMATS))
    wanted = split_formats(DEFAULT_FORMATS if formats is None else formats) if fmt is None else []
    with user_errors():
        period = Period.month(month)
        options = TransmissionReportOptions(AssessSettings(
            base_config(config), instant_hours=instant_hours, complete_days=complete_days,
            pass_mark=pass_mark, networked_by=networked_by, pass_compare=pass_compare),
            _as_of(as_of))
        with open_cli_store(db, config, read_only=True) as store:
            report = transmission_report(store, period, options)
    if fmt is not None:
        emit(report, fmt, output)
    else:
        emit_many(report, wanted, output)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app (and to cli.report.report_app)."""
    from envmon.cli.report import report_app

    app.add_typer(assess_app, name="assess")
    report_app.command("transmission")(report_transmission)
