"""CLI: `envmon portal code UNIT_ID [--rotate]` (the unit's public code 环保码 and its card
address) and `envmon portal placard UNIT_ID --output F.pdf|.svg|.html` (the printable
placard). The use cases are `envmon.portal.codes` and `envmon.portal.placard`; the card's
address is `--base-url`, else `[portal] public_base_url`, else the web address of the serve
holding the store (both commands then ask it for the code: `GET /api/v1/portal/code`), else
serve's default web address."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, fail, open_cli_store, user_errors

portal_app = typer.Typer(name="portal", no_args_is_help=True,
                         help="The enterprise portal (环保码): unit codes and placards.")

DB = typer.Option(None, "--db", help=DB_HELP)
CONFIG = typer.Option(None, "--config", help=CONFIG_HELP)
SERVE_DEFAULT_URL = "http://127.0.0.1:8000"  # envmon serve's default --web-host/--web-port


def _settings(config: Path | None):
    from envmon.config import ConfigError, load_config
    from envmon.portal.settings import portal_settings_of

    try:
        return portal_settings_of(load_config(config))
    except ConfigError as error:
        raise fail(str(error)) from None


def _base(settings, base_url: str | None) -> str:
    base = base_url or settings.public_base_url or SERVE_DEFAULT_URL
    if not base.startswith(("http://", "https://")):
        raise fail(f"--base-url: {base!r} is not an http:// or https:// address")
    return base


BASE = typer.Option(None, "--base-url", help="The card's address base (default: [portal] "
                    "public_base_url, else the serve's web address).")


def _through_serve(unit_id: str, db: str | None, config: Path | None,
                   rotate: bool = False) -> tuple[dict, str] | None:
    """(the unit's code as `GET /api/v1/portal/code` answers it, the serve's address) when
    `envmon serve` holds the store, else None. Its address is the card's base unless
    ``--base-url`` or ``[portal] public_base_url`` says otherwise."""
    from urllib.parse import quote

    from envmon.cli.remote import ask_json, serve_holding

    url = serve_holding(db, config)
    if url is None:
        return None
    if rotate:  # a new code is a decision made on the store itself, never by a side door
        raise fail("--rotate: stop envmon serve first (it holds the store); the code is "
                   "rotated on the store itself")
    return ask_json(url, "GET", f"/api/v1/portal/code?unit={quote(unit_id, safe='')}",
                    None, db, config), url


@portal_app.command("code")
def code_command(unit_id: str = typer.Argument(..., help="The unit (统一社会信用代码)."),
                 rotate: bool = typer.Option(False, "--rotate", help="Replace the code: the "
                                             "old one stops working at once."),
                 by: str = typer.Option("cli", "--by", help="Who makes or rotates it."),
                 base_url: str | None = BASE, as_json: bool = typer.Option(
                     False, "--json", help="JSON: unit_id, code, card_url, rotated …"),
                 db: str | None = DB, config: Path | None = CONFIG) -> None:
    """The unit's public code (made on first use) and its card's address."""
    from envmon.portal.codes import code_for
    from envmon.portal.qr import card_url

    settings = _settings(config)
    served = _through_serve(unit_id, db, config, rotate)
    if served is not None:  # serve holds the store: its code, its card address
        answer, serve_url = served
        url = card_url(_base(settings, base_url or serve_url), answer["code"])
        if as_json:
            typer.echo(json.dumps({**answer, "card_url": url}, ensure_ascii=False))
        else:
            typer.echo(f"{answer['unit_name']} {answer['code']} {url}")
        return
    base = _base(settings, base_url)
    with user_errors(), open_cli_store(db, config) as store:
        code = code_for(store, unit_id, rotate=rotate, by=by)
    url = card_url(base, code.code)
    if as_json:
        typer.echo(json.dumps({**code.as_json(), "card_url": url}, ensure_ascii=False))
    else:
        typer.echo(f"{code.unit_name} {code.code} {url}")


@portal_app.command("placard")
def placard_command(unit_id: str = typer.Argument(..., help="The unit (统一社会信用代码)."),
                    output: Path = typer.Option(..., "--output", "-o", help="F.pdf, F.svg "
                                                "(the QR code) or F.html"),
                    size: str = typer.Option("A4", "--size", help="A4 or A5."),
                    base_url: str | None = BASE,
                    db: str | None = DB, config: Path | None = CONFIG) -> None:
    """The printable placard: unit name, code, QR code of its card, bureau, date."""
    from envmon.portal.codes import code_for
    from envmon.portal.placard import SIZES, write_placard
    from envmon.timeutil import now_beijing

    if size not in SIZES:
        raise fail(f"--size: {size!r} is not A4 or A5")
    settings = _settings(config)
    served = _through_serve(unit_id, db, config)
    if served is not None:
        answer, serve_url = served
        name, code, base = answer["unit_name"], answer["code"], _base(settings,
                                                                        base_url or serve_url)
    else:
        base = _base(settings, base_url)
        with user_errors(), open_cli_store(db, config) as store:
            found = code_for(store, unit_id)
        name, code = found.unit_name, found.code
    with user_errors():
        path = write_placard(output, name, code, base, settings.bureau_name,
                             now_beijing().date(), size)
    typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")
