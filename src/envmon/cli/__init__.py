"""`envmon` command line: one thin door onto the use cases (the web app is the other).

Each sub-module registers its commands on the one Typer app. A command parses its options,
calls a use case of `envmon/<domain>/api.py` inside `common.user_errors()` (so an
`OptionError` is one line on stderr, exit code 2) and renders the result with
`options.emit` (the shared `--format` and `--output/-o`). No SQL and no orchestration here: a new
query or action is a use case first, then a few lines in the domain's command module.
"""

from __future__ import annotations

import typer

from envmon.cli import (
    air,
    alarms,
    assess,
    audit,
    batch,
    command,
    data,
    emergency,
    emissions,
    export,
    hj212,
    keys,
    marks,
    portal,
    receiver,
    registry,
    report,
    roads,
    screen,
    serve,
    store,
    store_backup,
    supervise,
    users,
    web,
)

app = typer.Typer(
    name="envmon",
    help="envmon: HJ 212 receiver, registry and monitoring data on one store.",
    no_args_is_help=True,
    add_completion=False,
)



@app.command()
def version() -> None:
    """Print the envmon version."""
    from envmon import __version__

    typer.echo(__version__)


for module in (hj212, registry, data, serve, assess, air, report, roads, alarms, emissions,
               receiver, keys, command, marks, emergency, users, audit, supervise,
               screen, portal, store, store_backup, web, export, batch):
    module.register(app)


def _plain(typer_app: typer.Typer) -> None:
    """Click's plain help and usage errors for every command: rich markup would eat help text
    in brackets ("[config: ingest.port]", "[sensors]") and box a usage error in a panel."""
    typer_app.rich_markup_mode = None
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _plain(group.typer_instance)


_plain(app)


def main() -> None:
    """The `envmon` console script. A file or network failure that escaped a command (a path
    that cannot be read, a refused connection) is one line and exit code 2, not a traceback."""
    import sys

    try:
        app()
    except OSError as error:
        where = f"{error.filename}: " if getattr(error, "filename", None) else ""
        sys.stderr.write(f"error: {where}{error.strerror or error}\n")
        sys.exit(2)
