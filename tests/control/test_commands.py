"""Remote commands (反控) through the real receiver to a simulated unit (issue 13 item 7):
each action answered and done, a silent unit timed out, an offline one refused, an encrypted
HJ 212-2025 unit, a second command queued behind the first; real DuckDB file, loopback TCP."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from envmon.app import Platform, PlatformOptions
from envmon.control.dispatcher import CommandSettings, QueueFull
from envmon.control.storage import get_command
from envmon.errors import OptionError
from envmon.ingest.server import ReceiverLimits
from envmon.sim.clock import SimClock
from envmon.sim.dau import DataAcquisitionUnit
from envmon.sim.values import SimPoint
from envmon.timeutil import now_beijing
from tests.ingest.conftest import GAS_MN, PW, WATER_MN

KEY = bytes.fromhex("00112233445566778899aabbccddeeff")


@pytest.fixture(autouse=True)
def master_key_next_to_the_store(monkeypatch):
    monkeypatch.delenv("ENVMON_MASTER_KEY_FILE", raising=False)


async def until(condition, deadline_s: float = 10.0):
    end = time.monotonic() + deadline_s
    while not (value := condition()):
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
    return value


def run_platform(store, scenario, *, protocol: int = 2017, key: bytes | None = None,
                 settings: CommandSettings | None = None, connect: bool = True):
    """A platform on loopback with one simulated unit (GAS_MN) online; `scenario(platform,
    dau, finished)` where `finished(row)` waits for the row's final state."""

    async def main():
        options = PlatformOptions(host="127.0.0.1", hj212_port=0, backfill=False,
                                  alarms=False, limits=ReceiverLimits(),
                                  command_settings=settings)
        platform = Platform(store, options)
        await platform.start()
        seen: dict[int, object] = {}
        platform.commands.on_change.append(lambda row: seen.__setitem__(row.id, row))
        clock = SimClock(now_beijing())
        point = SimPoint(GAS_MN, PW, "gas", {"a21026": 35.0}, protocol=protocol, key=key)
        dau = DataAcquisitionUnit(point, "127.0.0.1", platform.receiver.port, clock=clock,
                                  realtime=False, minute_data=False)

        async def finished(row):
            return await until(lambda: (r := seen.get(row.id)) is not None and r.final and r)

        try:
            if connect:
                await dau.connect()
                last_hour = clock.now().replace(minute=0, second=0, microsecond=0)
                last_hour -= timedelta(hours=1)
                assert await dau.send_upload("2061", last_hour, dau.period_data("2061",
                                                                               last_hour))
                await until(lambda: GAS_MN in platform.receiver.online)
            return await scenario(platform, dau, finished)
        finally:
            await dau.close()
            await platform.stop()

    return asyncio.run(main())


def send(platform, action, mn=GAS_MN, **params):
    return platform.commands.submit(mn, action, params, "值班员 (test)", "test")


ACTIONS = [
    ("get-time", {}, lambda a, dau: "SystemTime" in a),
    ("set-time", {"time": "2026-05-01T08:00:00+08:00"},
     lambda a, dau: dau.unit_time().strftime("%Y%m%d") == "20260501"),
    ("get-interval", {}, lambda a, dau: a == {"MinInterval": "1"}),
    ("set-interval", {"minutes": "5"}, lambda a, dau: dau.min_interval_min == 5),
    ("get-rtd-interval", {}, lambda a, dau: a == {"RtdInterval": "30"}),
    ("set-rtd-interval", {"seconds": "60"},
     lambda a, dau: dau.rtd_interval == timedelta(seconds=60)),
    ("set-timeout", {"over_time": "10", "re_count": "3"}, lambda a, dau: a is None),
    ("zero-calibration", {"factor": "a21026"}, lambda a, dau: a is None),
    ("span-calibration", {"factor": "a21026"}, lambda a, dau: a is None),
    ("sample-now", {}, lambda a, dau: a is None),
    ("device-id", {"factor": "a21026"}, lambda a, dau: a["a21026-SN"].startswith("SIM")),
    ("site-info", {"factor": "a21026"},
     lambda a, dau: a["PolId"] == "a21026" and a["i12001-Info"] == "0"),
    ("start-realtime", {}, lambda a, dau: dau.realtime is True),
    ("stop-realtime", {}, lambda a, dau: dau.realtime is False),
    ("start-status", {}, lambda a, dau: dau.status_upload is True),
    ("raw", {"cn": "1063", "cp": ""}, lambda a, dau: a == {"MinInterval": "1"}),
]


@pytest.mark.parametrize("action, params, check", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_action_reaches_the_unit_and_ends_done_with_its_answer(store, action, params,
                                                                    check):
    async def scenario(platform, dau, finished):
        row = await send(platform, action, **params)
        assert row.state == "queued" and row.requested_by == "值班员 (test)"
        done = await finished(row)
        return done, dau

    done, dau = run_platform(store, scenario)
    assert done.state == "done", done
    assert check(done.answer, dau), done.answer
    assert dau.commands_seen[-1][0] == done.cn
    stored = get_command(store, done.id)
    assert stored.state == "done" and stored.answer == done.answer
    assert stored.finished_at is not None and stored.sent_at is not None


def test_retrieve_counts_the_records_the_unit_sends_again(store):
    async def scenario(platform, dau, finished):
        now = dau.clock.now()
        begin = (now - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
        end = begin + timedelta(hours=1)
        row = await send(platform, "retrieve", cn="2061", **{"from": begin.isoformat(),
                                                              "to": end.isoformat()})
        return await finished(row)

    done = run_platform(store, scenario)
    assert done.state == "done" and done.exe_rtn == "1"
    assert done.answer["records"] == 2


def test_a_unit_that_never_answers_times_out(store):
    settings = CommandSettings(answer_timeout_s=0.2, retries=3)

    async def scenario(platform, dau, finished):
        dau.answers_commands = False
        row = await send(platform, "get-time")
        return await finished(row), dau

    done, dau = run_platform(store, scenario, settings=settings)
    assert done.state == "timed_out"
    assert "3 tries" in done.reason
    assert [cn for cn, _ in dau.commands_seen] == ["1011"] * 3  # sent 3 times, one QN


def test_an_offline_unit_is_refused_at_once(store):
    async def scenario(platform, dau, finished):
        return await send(platform, "get-time", mn=WATER_MN)

    row = run_platform(store, scenario)
    assert row.state == "refused" and row.reason.startswith("offline")
    assert get_command(store, row.id).state == "refused"


def test_bad_parameters_and_unknown_mns_are_named(store):
    async def scenario(platform, dau, finished):
        errors = []
        for mn, action, params in [("NOPE", "get-time", {}),
                                   (GAS_MN, "launch", {}),
                                   (GAS_MN, "set-interval", {"minutes": "x"}),
                                   (GAS_MN, "get-time", {"minutes": "5"}),
                                   (GAS_MN, "raw", {"cn": "9014"}),
                                   (GAS_MN, "raw", {"cn": "1014"}),
                                   (GAS_MN, "raw", {"cn": "1011", "cp": "a=b&&c"})]:
            with pytest.raises(OptionError) as caught:
                await platform.commands.submit(mn, action, params, "x", "test")
            errors.append(caught.value.option)
        return errors

    assert run_platform(store, scenario) == ["mn", "action", "minutes", "minutes", "cn",
                                                "cn", "cp"]


def test_an_encrypted_2025_unit_gets_its_command_encrypted_and_answers(store):
    from envmon.ingest.keys_api import keys_set

    keys_set(store, GAS_MN, KEY)

    async def scenario(platform, dau, finished):
        row = await send(platform, "get-time")
        return await finished(row)

    done = run_platform(store, scenario, protocol=2025, key=KEY)
    assert done.state == "done" and "SystemTime" in done.answer
    raw = store.query("SELECT raw FROM raw_packets WHERE cn = '1011'")
    assert raw and all(b"CP=&&{0x" in bytes(r) for (r,) in raw)  # encrypted on the wire


def test_a_second_command_waits_until_the_first_is_finished(store):
    async def scenario(platform, dau, finished):
        first = await send(platform, "get-time")
        second = await send(platform, "get-interval")
        assert second.state == "queued"
        assert len(platform.commands.queues[GAS_MN]) == 2
        done = [await finished(first), await finished(second)]
        return done, dau

    (first, second), dau = run_platform(store, scenario)
    assert first.state == second.state == "done"
    assert second.sent_at >= first.finished_at
    assert [cn for cn, _ in dau.commands_seen] == ["1011", "1063"]


def test_the_queues_are_bounded(store):
    settings = CommandSettings(max_queued_per_mn=2, answer_timeout_s=5)

    async def scenario(platform, dau, finished):
        dau.answers_commands = False
        await send(platform, "get-time")
        await send(platform, "get-time")
        with pytest.raises(QueueFull):
            await send(platform, "get-time")
        await until(lambda: (f := platform.commands.flights.get(GAS_MN)) is not None
                    and f.row.state == "sent")
        return True

    assert run_platform(store, scenario, settings=settings)
    states = [s for (s,) in store.query("SELECT state FROM commands")]
    assert sorted(states) == ["failed", "refused"]  # stopped: in flight failed, queued refused


def test_the_commands_section_of_the_configuration(tmp_path):
    from envmon.config import ConfigError, load_config

    path = tmp_path / "envmon.toml"
    path.write_text("[commands]\nanswer_timeout_s = 5.0\nmax_queued_per_mn = 2\n")
    settings = load_config(path).commands
    assert (settings.answer_timeout_s, settings.retries, settings.max_queued_per_mn) == (5.0, 3,
                                                                                        2)
    path.write_text("[commands]\nretries = 0\n")
    with pytest.raises(ConfigError, match=r"\[commands\]: retries: must be"):
        load_config(path)
