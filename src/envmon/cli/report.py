"""`envmon report …`: the bulletins. Each domain adds its own command to `report_app`
(`envmon report transmission`, `envmon report air`, …) from its own CLI module."""

from __future__ import annotations

import typer

report_app = typer.Typer(help="Bulletins (通报) as XLSX and HTML/PDF, in Chinese.",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
