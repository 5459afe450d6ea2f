"""`envmon replay`: the raw log rebuilds the same records, with the original received times."""

from __future__ import annotations

import asyncio
import socket

from typer.testing import CliRunner

from envmon.cli import app
from envmon.ingest.server import Receiver
from envmon.registry.importer import import_rows
from envmon.store import open_store
from tests.ingest.conftest import GAS_MN, hour, hourly_packet, read_answers, registry_rows


def test_replay_into_rebuilds_records(store, tmp_path):
    async def receive():
        # received "at" the data's day: replay judges DataTime against the original receipt
        receiver = Receiver(store, "127.0.0.1", 0, clock=lambda: hour(23))
        await receiver.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        for h in range(5):
            writer.write(hourly_packet(hour(h)))
        writer.write(hourly_packet(hour(6), pw="000000"))  # rejected: stays rejected
        writer.write(b"noise between packets")
        writer.write(hourly_packet(hour(7)))
        await read_answers(reader, 6)
        writer.close()
        await receiver.stop()

    asyncio.run(receive())
    source_db = tmp_path / "envmon.duckdb"
    store.close()
    target_db = tmp_path / "rebuilt.duckdb"
    with open_store(target_db) as target:
        import_rows(target, registry_rows())
    result = CliRunner().invoke(
        app, ["replay", "--db", str(source_db), "--into", str(target_db),
              "--from", "2000-01-01T00:00", "--to", "2100-01-01T00:00"],
    )
    assert result.exit_code == 0, result.output
    assert '"accepted": 6' in result.output and '"rejected": 1' in result.output
    with open_store(source_db) as source, open_store(target_db) as target:
        original = source.query_records(GAS_MN, "2061", hour(0), hour(23))
        rebuilt = target.query_records(GAS_MN, "2061", hour(0), hour(23))
        assert rebuilt == original  # same values, same data and received times
        assert len(rebuilt) == 6 * 3


def test_replay_judges_with_the_receivers_accept_path(store, tmp_path):
    """A packet an older receiver accepted is judged again: the DataTime rule applies too."""
    from envmon.hj212 import codec
    from envmon.ingest.replay import replay_into
    from envmon.store import RawPacketRow
    from tests.ingest.conftest import PW

    no_time = codec.build_packet(qn="20261101090000124", st="31", cn="2011", pw=PW, mn=GAS_MN,
                                 flag=5, cp="RtdInterval=30")
    rows = [RawPacketRow(hour(9), "1.2.3.4:5", "accepted", None, GAS_MN, "2011", None, no_time),
            RawPacketRow(hour(9), "1.2.3.4:5", "accepted", None, GAS_MN, "2061", None,
                         hourly_packet(hour(8), pw="000000")),
            RawPacketRow(hour(9), "1.2.3.4:5", "accepted", None, GAS_MN, "2061", None,
                         hourly_packet(hour(8)))]
    store.write_batch(rows, [])
    with open_store(tmp_path / "rebuilt.duckdb") as target:
        import_rows(target, registry_rows())
        counts = replay_into(store, target)
        reasons = target.query(
            "SELECT reason FROM raw_packets WHERE verdict = 'rejected' ORDER BY id")
    assert counts == {"accepted": 1, "rejected": 2}
    assert [r[0] for r in reasons] == ["DataTime: missing in a data upload",
                                       f"PW: wrong password for MN {GAS_MN}"]


def test_replay_use_case_takes_a_period_open_on_either_side(store, tmp_path):
    import pytest

    from envmon.errors import OptionError, PeriodError
    from envmon.ingest.api import LOG_END, LOG_START, ReplayOptions, replay, replay_period
    from envmon.store import RawPacketRow

    store.write_batch([RawPacketRow(hour(h), "1.2.3.4:5", "accepted", None, GAS_MN, "2061",
                                    None, hourly_packet(hour(h))) for h in (8, 9, 10)], [])
    target_db = tmp_path / "rebuilt.duckdb"
    with open_store(target_db) as target:
        import_rows(target, registry_rows())
    options = ReplayOptions(into=target_db)

    whole = replay_period(None, None)
    assert (whole.start, whole.end) == (LOG_START, LOG_END)
    assert replay(store, replay_period("2026-11-01T09:00", None), options).counts == {
        "accepted": 2}  # 09:00 and 10:00, --from inclusive
    assert replay(store, replay_period(None, "2026-11-01T09:00"), options).counts == {
        "accepted": 1}  # 08:00, --to exclusive
    with pytest.raises(OptionError) as neither:
        ReplayOptions()
    assert neither.value.option == "--into"
    with pytest.raises(OptionError):
        ReplayOptions(into=target_db, host="127.0.0.1")
    with pytest.raises(PeriodError) as bad:
        replay_period("yesterday", None)
    assert bad.value.option == "--from"


def test_replay_cli_names_the_missing_target(tmp_path):
    result = CliRunner().invoke(app, ["replay", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "--into" in result.stderr and "--host" in result.stderr


def test_replay_cli_names_host_and_port_when_nothing_listens(tmp_path):
    db = tmp_path / "log.duckdb"
    open_store(db).close()
    with socket.socket() as closed:  # bound, not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        result = CliRunner().invoke(app, ["replay", "--db", str(db), "--host", "127.0.0.1",
                                          "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: --host/--port: cannot replay to 127.0.0.1:{port}: ")


def test_replay_cli_refuses_a_port_out_of_range(tmp_path):
    for port in ("70000", "0", "-1"):
        result = CliRunner().invoke(app, ["replay", "--db", str(tmp_path / "x.duckdb"),
                                          "--host", "127.0.0.1", "--port", port])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: --port: must be a port from 1 to 65535")
