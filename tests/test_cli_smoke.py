from typer.testing import CliRunner

from envmon.cli import app


def test_help_lists_commands():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "envmon" in result.output


def test_usage_errors_are_plain_and_help_keeps_bracketed_text():
    from typer.testing import CliRunner

    from envmon.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["tax"])
    assert result.exit_code == 2
    assert "Missing option '--month'" in result.output and "╭" not in result.output
    helped = runner.invoke(app, ["serve", "--help"])
    assert helped.exit_code == 0 and "[config: store.path]" in " ".join(helped.output.split())


def test_console_script_turns_os_errors_into_one_line(tmp_path):
    import subprocess
    import sys

    # A command that lets an OSError escape (hj212 decode now names its FILE itself).
    script = ("from pathlib import Path\nfrom envmon.cli import app, main\n"
              "app.command('read-file')(lambda path: Path(path).read_bytes())\nmain()")
    result = subprocess.run(
        [sys.executable, "-c", script, "read-file", str(tmp_path / "nosuch.txt")],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nosuch.txt'}: No such file or directory"


def test_errors_print_user_text_as_written():
    from typer.testing import CliRunner

    from envmon.cli import app

    result = CliRunner().invoke(app, ["data", "--db", "x:smile:-1:.duckdb", "--mn", "M"])
    assert result.exit_code == 2 and "x:smile:-1:.duckdb" in result.output
