"""CLI: `envmon users add|list|disable|reset-password`: the platform's users (`access.users`).

A password is read from standard input (one line; asked twice, not echoed, on a terminal),
never from the command line (it would sit in the shell history and the process list), and is
never printed. The first administrator is made here: there is no default password. Each change
is in the audit log as made by the OS user from ``cli:<OS user>``.

While `envmon serve` holds the store, each command goes through it (`remote.serve_holding`):
the ``/api/v1/users/…`` endpoints with the local operator token, over loopback; the password
travels in the request's body, never on a command line nor in a log.
"""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, fail, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import ask_json, read_through_serve, serve_holding

users_app = typer.Typer(name="users", help="Users of the platform: add, list, disable, reset "
                        "a password.", no_args_is_help=True)

ROLE_HELP = ("admin (管理员), bureau (局机关), district (区县分局), officer (执法人员), "
             "enterprise (企业) or readonly (只读).")


def _access_settings(config: Path | None):
    from envmon.config import ConfigError, load_config

    try:
        return load_config(config).access
    except ConfigError as error:
        raise fail(str(error)) from None


def _cli_actor():
    from envmon.access.audit import cli_address
    from envmon.access.principal import operator

    address = cli_address()
    return operator(address.split(":", 1)[1]), address


def _password() -> str:
    from envmon.access.passwords import read_password

    with user_errors():
        return read_password(option="password (stdin)")


@users_app.command("add")
def add_command(
    name: str = typer.Argument(..., help="The user name (letters, digits, ._@-)."),
    role: str = typer.Option(..., "--role", help=ROLE_HELP),
    region: str | None = typer.Option(None, "--region", help="GB/T 2260 code of the user's "
                                      "area: a district user's county or city (required), a "
                                      "bureau's province or city, an officer's any."),
    unit: str | None = typer.Option(None, "--unit", help="An enterprise user's unit "
                                    "(统一社会信用代码 of a unit of the registry; required)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Add a user; its password is read from standard input. The first administrator:
    `envmon users add NAME --role admin`."""
    from envmon.access.users import NewUser, add_user, check_role_scope

    url = serve_holding(db, config)
    if url is not None:
        added = ask_json(url, "POST", "/api/v1/users/add", {
            "username": name, "role": role, "region": region, "unit": unit,
            "password": _password()}, db, config)
        _say_added(added)
        return
    settings = _access_settings(config)
    by, address = _cli_actor()
    user = NewUser(name, role, region, unit)
    with open_cli_store(db, config) as store:
        with user_errors():  # the options first: no password asked for a wrong role
            check_role_scope(store, user)
        password = _password()
        with user_errors():
            added = add_user(store, user, password, by=by, address=address,
                             min_password_length=settings.min_password_length)
    _say_added(added)


def _say_added(added: dict) -> None:
    """The one line of `users add`, whether the server or the store added the user."""
    scope = added["unit_id"] or added["region_code"] or "all"
    typer.echo(f"user {added['username']} added: {added['role']}, scope {scope}")


@users_app.command("list")
def list_command(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("table", ("table", "json", "csv")),
    output: Path | None = output_option(),
) -> None:
    """Users by name: role, region, unit, disabled, who made and changed them (never a
    password or its hash)."""
    from envmon.access.users import USER_COLUMNS, UserList, list_users

    result = read_through_serve(db, config, "/api/v1/users/list", lambda rows: UserList(
        tuple(tuple(row[c] for c in USER_COLUMNS) for row in rows)), list_users)
    emit(result, fmt, output)


@users_app.command("disable")
def disable_command(
    name: str = typer.Argument(..., help="The user to disable."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Disable a user: its page sessions end and its API tokens are revoked at once."""
    from envmon.access.users import disable_user

    url = serve_holding(db, config)
    if url is not None:
        ask_json(url, "POST", "/api/v1/users/disable", {"username": name}, db, config)
        typer.echo(f"user {name} disabled")
        return
    by, address = _cli_actor()
    with open_cli_store(db, config) as store, user_errors():
        disable_user(store, name, by=by, address=address)
    typer.echo(f"user {name} disabled")


@users_app.command("reset-password")
def reset_password_command(
    name: str = typer.Argument(..., help="The user whose password is replaced."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Set a new password, read from standard input; the user's sessions and tokens end and
    its failed logins are forgotten (a locked-out user can log in at once)."""
    from envmon.access.users import find_user, reset_password

    url = serve_holding(db, config)
    if url is not None:
        ask_json(url, "POST", "/api/v1/users/reset-password", {
            "username": name, "password": _password()}, db, config)
        typer.echo(f"user {name}: password changed")
        return
    settings = _access_settings(config)
    by, address = _cli_actor()
    with open_cli_store(db, config) as store:
        if find_user(store, name.strip()) is None:
            raise fail(f"NAME: no user {name!r}")
        password = _password()
        with user_errors():
            reset_password(store, name, password, by=by, address=address,
                           min_password_length=settings.min_password_length)
    typer.echo(f"user {name}: password changed")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
