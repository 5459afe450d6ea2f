"""CLI: `envmon command MN ACTION [options]`: a remote command (反控) to a unit, through the
running `envmon serve` (`--url`, else the serve announced for the store) — only the process
holding the units' connections can send one (`envmon.control`).

It posts the command (`POST /api/v1/command`), waits for its end (`GET
/api/v1/command/{id}`, every `POLL_S`; `--no-wait` prints the queued row at once) and prints
the row. `envmon command MN history` lists the MN's commands. Exit codes: 0 done (or queued
with --no-wait), 2 a bad option or no server, 3 failed (the unit's QnRtn/ExeRtn), 4 timed
out, 5 refused (the unit offline, a full queue).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP
from envmon.cli.options import emit, format_option

POLL_S = 0.5
EXIT_BY_STATE = {"done": 0, "failed": 3, "timed_out": 4, "refused": 5}
FINAL = frozenset(EXIT_BY_STATE)
# Wait at most the dispatcher's worst case (3 × 10 s for the 9011, 120 s for the 9012) and a
# margin for the queue before it; then the row as it stands is printed (exit 4).
MAX_WAIT_S = 300.0


def command_command(
    mn: str = typer.Argument(..., help="The unit's MN."),
    action: str = typer.Argument(..., help="get-time, set-time, get-interval, set-interval, "
                                 "get-rtd-interval, set-rtd-interval, set-timeout, "
                                 "set-password, start-realtime, stop-realtime, start-status, "
                                 "stop-status, zero-calibration, span-calibration, "
                                 "sample-now, device-id, site-info, retrieve, raw; or "
                                 "history (the MN's commands)."),
    time_: str | None = typer.Option(None, "--time", help="set-time: ISO time (default: "
                                     "now, the platform's clock)."),
    minutes: int | None = typer.Option(None, "--minutes", help="set-interval: MinInterval."),
    seconds: int | None = typer.Option(None, "--seconds",
                                       help="set-rtd-interval: RtdInterval."),
    over_time: int | None = typer.Option(None, "--over-time", help="set-timeout: OverTime "
                                         "(s, 1–99)."),
    re_count: int | None = typer.Option(None, "--re-count", help="set-timeout: ReCount."),
    new_password: str | None = typer.Option(None, "--new-password",
                                            help="set-password: NewPW (6 characters)."),
    factor: str | None = typer.Option(None, "--factor", help="PolId: the factor code "
                                      "(calibration, sampling, site-info)."),
    cn: str | None = typer.Option(None, "--cn", help="retrieve: 2031/2041/2051/2061; raw: "
                                  "any CN."),
    start: str | None = typer.Option(None, "--from", help="retrieve: BeginTime (ISO)."),
    end: str | None = typer.Option(None, "--to", help="retrieve: EndTime (ISO)."),
    cp: str | None = typer.Option(None, "--cp", help='raw: the data area, "k=v;k=v".'),
    by: str | None = typer.Option(None, "--by", help="Who sends it (default: your login)."),
    no_wait: bool = typer.Option(False, "--no-wait", help="Print the queued command and "
                                 "return."),
    url: str | None = typer.Option(None, "--url", help="The envmon server (default: the "
                                   "serve holding the store)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("table", ("table", "json")),
) -> None:
    """Send a remote command (反控) to a unit over its live connection and print the result."""
    from envmon.cli.remote import call as call_server
    from envmon.cli.remote import error_line, operator_token, running_serve_url
    from envmon.control.storage import CommandList

    base = running_serve_url(url, db, config)
    token = None if url else operator_token(db, config)

    def call(base: str, method: str, path: str, **kwargs):
        return call_server(base, method, path, token=token, **kwargs)

    if action == "history":
        status, answer = call(base, "GET", "/api/v1/command/list", params={"mn": mn})
        if status != 200:
            raise error_line(status, answer)
        emit(CommandList(tuple(_row(r) for r in answer)), fmt, None)
        return
    parameters = {"time": time_, "minutes": minutes, "seconds": seconds,
                  "over_time": over_time, "re_count": re_count,
                  "new_password": new_password, "factor": factor, "from": start, "to": end,
                  "cp": cp}
    body = {"mn": mn, "action": action, "by": by or _login(),
            "parameters": {k: str(v) for k, v in parameters.items() if v is not None}}
    if cn is not None:
        body["cn"] = cn
    status, row = call(base, "POST", "/api/v1/command", body=body)
    if status == 429:
        typer.echo(f"error: refused: {row.get('error', {}).get('reason')}", err=True)
        raise typer.Exit(EXIT_BY_STATE["refused"])
    if status != 201:
        raise error_line(status, row)
    deadline = time.monotonic() + MAX_WAIT_S
    while not no_wait and row["state"] not in FINAL and time.monotonic() < deadline:
        time.sleep(POLL_S)
        status, row = call(base, "GET", f"/api/v1/command/{row['id']}")
        if status != 200:
            raise error_line(status, row)
    emit(_row(row), fmt, None)
    if no_wait and row["state"] not in FINAL:
        return
    raise typer.Exit(EXIT_BY_STATE.get(row["state"], EXIT_BY_STATE["timed_out"]))


def _login() -> str:
    import getpass
    import socket

    try:
        return f"{getpass.getuser()} (cli {socket.gethostname()})"
    except Exception:
        return "cli"


def _row(data: dict):
    from datetime import datetime

    from envmon.control.storage import CommandRow

    data = dict(data)
    for name in ("requested_at", "sent_at", "finished_at"):
        if data.get(name):
            data[name] = datetime.fromisoformat(data[name])
    return CommandRow(**data)


def register(app: typer.Typer) -> None:
    app.command("command")(command_command)
