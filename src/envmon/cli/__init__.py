"""`envmon` command line. Each sub-module registers its own commands on the one Typer app."""

from __future__ import annotations

import typer

from envmon.cli import air, alarms, assess, data, emissions, hj212, registry, report, roads, serve

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


for module in (hj212, registry, data, serve, assess, air, report, roads, alarms, emissions):
    module.register(app)


def main() -> None:
    app()
