"""The README's first command: `envmon demo` starts everything on the embedded store."""

from __future__ import annotations

import subprocess
import sys

import pytest

from envmon.store import open_store


def test_demo_runs_the_province_live(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "envmon", "demo", "--db", "demo.duckdb", "--points", "40",
         "--hj212-port", "0", "--duration", "6"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    output = proc.stdout + proc.stderr
    assert "envmon demo running" in output and "envmon data --db demo.duckdb" in output
    with open_store(tmp_path / "demo.duckdb") as store:
        cities = {name for (name,) in store.query(
            "SELECT name FROM regions WHERE level = 'city'")}
        assert {"太原市", "大同市", "吕梁市"} <= cities  # the demo province's real cities
        assert len(store.list_points()) == 40
        accepted = store.raw_counts()["accepted"]
        assert accepted >= 40 * 5  # the units upload their last 24 hours first
        units_with_hours = store.query(
            "SELECT count(DISTINCT mn) FROM records WHERE cn = '2061'")[0][0]
        assert units_with_hours >= 36  # all but a unit or two with an injected wrong password


def test_demo_refuses_options_that_make_no_sense(tmp_path):
    from typer.testing import CliRunner

    from envmon.cli import app

    db = tmp_path / "demo.duckdb"
    for args, option in ((["--points", "0"], "--points"), (["--points", "-5"], "--points"),
                         (["--points", "2001"], "--points"),
                         (["--hj212-port", "70000"], "--hj212-port"),
                         (["--hj212-port", "-1"], "--hj212-port"),
                         (["--duration", "-1"], "--duration")):
        result = CliRunner().invoke(app, ["demo", "--db", str(db), *args])
        assert result.exit_code == 2, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"error: {option}: "), line
    assert not db.exists()  # refused before the store is created


def test_demo_options_accept_the_bounds():
    from envmon.demo import MAX_POINTS, DemoOptions
    from envmon.registry.demo import demo_registry

    assert DemoOptions(points=1, hj212_port=0).points == 1
    assert DemoOptions(points=MAX_POINTS, hj212_port=65535).hj212_port == 65535
    assert len([row for row in demo_registry(points=MAX_POINTS) if row.get("mn")]) == MAX_POINTS


def test_demo_stops_on_sigterm_like_ctrl_c_and_prints_plain_lines(tmp_path):
    """Issue 11 item 28: SIGTERM drains and closes the store (exit 0, the data kept), and with
    output to a pipe (not a terminal) the progress is plain lines, not an invisible table."""
    import os
    import selectors
    import signal
    import time

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "envmon", "demo", "--db", "demo.duckdb", "--points", "10",
         "--hj212-port", "0"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    seen = b""
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + 90
            while b"envmon demo running" not in seen and time.monotonic() < deadline:
                if sel.select(timeout=1.0):
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    seen += chunk
        assert b"envmon demo running" in seen, seen.decode(errors="replace")[-2000:]
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = (seen + rest).decode(errors="replace")
    assert proc.returncode == 0, output[-2000:]
    assert "stopped; the data is in demo.duckdb" in output
    assert "demo: " in output and "packets accepted" in output  # a plain progress line
    assert "━" not in output and "┃" not in output  # no table drawn into the pipe
    with open_store(tmp_path / "demo.duckdb") as store:
        assert len(store.list_points()) == 10


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """One short demo run on a new store (free ports), shared by the tests below."""
    folder = tmp_path_factory.mktemp("demodata")
    proc = subprocess.run(
        [sys.executable, "-m", "envmon", "demo", "--db", "demo.duckdb", "--points", "40",
         "--hj212-port", "0", "--web-port", "0", "--duration", "1"],
        cwd=folder, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return folder, proc.stdout + proc.stderr


def test_demo_has_roads_and_air_and_no_reading_from_the_future(demo_store):
    """Trial item 3: the demo's 道路颗粒物 and 空气质量 pages had nothing to show. The roads
    page opens on the month `default_month` picks (the previous one once it has readings),
    which ranks 20 + 20; air ranks the 11 cities; no taxi reading is dated after now."""
    from envmon.air.api import city_ranking
    from envmon.period import Period
    from envmon.roads import api as roads_api
    from envmon.timeutil import now_beijing

    folder, _ = demo_store
    with open_store(folder / "demo.duckdb") as store:
        month = Period.month(roads_api.default_month(store))
        ranking = roads_api.rank(store, month).as_json()
        assert len(ranking["dirty"]) == 20 and len(ranking["clean"]) == 20, ranking["sentence"]
        (latest,) = store.query("SELECT max(time) FROM road_readings")[0]
        assert latest <= now_beijing()
        air = city_ranking(store, month).as_json()
        assert len(air["cities"]) == 11


def test_demo_starts_as_a_running_platform_not_a_backlog(demo_store):
    """Trial item 23: the last day arrived as a start-up backlog, 即时 ≈ 6 %."""
    from envmon.overview.api import overview

    folder, output = demo_store
    with open_store(folder / "demo.duckdb") as store:
        instant = overview(store).instant
    if instant is not None:  # None before 01:00: no hour of today has ended
        assert instant["effective_rate"] >= 80, instant
    assert "then look at the data" not in output  # trial item 18: it is live now
    assert "Open http://127.0.0.1:" in output and "The CLI works while the demo runs" in output


def test_demo_refuses_a_taken_web_port_it_was_asked_for(demo_store):
    """Trial item 19: an explicit --web-port that is taken moved silently to another port."""
    import shutil
    import socket

    folder, _ = demo_store
    copy = folder.parent / "demodata-port"
    shutil.copytree(folder, copy)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "envmon", "demo", "--db", "demo.duckdb", "--points", "40",
             "--hj212-port", "0", "--web-port", str(port), "--duration", "1"],
            cwd=copy, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if "error" in line]
    assert len(lines) == 1 and "--web-port" in lines[0] and str(port) in lines[0], lines
