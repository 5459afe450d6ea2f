"""`envmon serve` with options that make no sense: one line naming the option, exit code 2,
no traceback and no store file created; the checks live in `PlatformOptions`."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from envmon.app import PlatformOptions
from envmon.cli import app
from envmon.errors import OptionError
from envmon.ingest.addresses import check_http_url, check_port
from envmon.ingest.server import ReceiverLimits

runner = CliRunner()


@pytest.mark.parametrize(("args", "option"), [
    (["--log-level", "chatty"], "--log-level"),
    (["--hj212-port", "70000"], "--hj212-port"),
    (["--hj212-port", "-1"], "--hj212-port"),
    (["--roads-port", "65536"], "--roads-port"),
    (["--webhook", "notaurl"], "--webhook"),
    (["--webhook", "ftp://example.org/hook"], "--webhook"),
    (["--webhook", "https://"], "--webhook"),
    (["--commit-interval-ms", "-5"], "--commit-interval-ms"),
    (["--idle-timeout", "0"], "--idle-timeout"),
    (["--idle-timeout", "-3"], "--idle-timeout"),
])
def test_serve_refuses_an_option_that_makes_no_sense(tmp_path, args, option):
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["serve", "--db", str(db), *args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {option}: "), line
    assert not db.exists()  # refused before the store is opened


def test_serve_names_the_port_it_cannot_listen_on_without_emoji(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", "--db", str(tmp_path / "s.duckdb"), "--host",
                                     "127.0.0.1", "--hj212-port", str(port), "--no-backfill"])
    assert result.exit_code == 2, result.output
    assert f"error: cannot listen on 127.0.0.1:{port}: " in result.stderr


def test_serve_messages_print_emoji_codes_as_written():
    from envmon.cli.serve import console

    with console.capture() as captured:
        console.print("0.0.0.0:-1: refused :smile:")
    assert captured.get().strip() == "0.0.0.0:-1: refused :smile:"


def test_platform_options_check_every_field():
    assert PlatformOptions(hj212_port=0, roads_port=0).hj212_port == 0  # 0 = any free port
    PlatformOptions(hj212_port=65535, webhooks=("https://hooks.example.org/a?b=1",),
                    limits=ReceiverLimits(commit_interval_s=0))
    for bad, option in (({"hj212_port": 70000}, "--hj212-port"),
                        ({"roads_port": -1}, "--roads-port"),
                        ({"workers": 0}, "--workers"),
                        ({"webhooks": ("localhost:8080",)}, "--webhook"),
                        ({"limits": ReceiverLimits(idle_timeout_s=0)}, "--idle-timeout"),
                        ({"limits": ReceiverLimits(commit_interval_s=-0.005)},
                         "--commit-interval-ms")):
        with pytest.raises(OptionError) as raised:
            PlatformOptions(**bad)
        assert raised.value.option == option


def test_port_and_url_checks():
    assert check_port(1, "--port") == 1
    with pytest.raises(OptionError, match="from 1 to 65535"):
        check_port(0, "--port")
    with pytest.raises(OptionError):
        check_port(True, "--port")
    assert check_http_url("http://127.0.0.1:9/x", "--webhook")
    with pytest.raises(OptionError, match="not a usable URL"):
        check_http_url("http://h:99999/", "--webhook")
