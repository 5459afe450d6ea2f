"""CLI commands: assess (placeholder until implemented)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app (and to cli.report.report_app)."""
