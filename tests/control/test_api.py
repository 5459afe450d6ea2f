"""The remote-command API against a running platform: POST /api/v1/command → the row, the
row's end through GET /api/v1/command/{id} and the live `command` events, the list, bad
input named, writes kept to loopback by the RequestGuard."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.control.live import start
from tests.ingest.conftest import GAS_MN, WATER_MN


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    from envmon.registry.importer import import_rows
    from envmon.store import open_store
    from tests.ingest.conftest import registry_rows

    store = open_store(tmp_path_factory.mktemp("api") / "envmon.duckdb")
    import_rows(store, registry_rows())
    running, stop = start(store)
    yield running
    stop()
    store.close()


def wait_final(client, command_id: int, deadline_s: float = 15.0) -> dict:
    end = time.monotonic() + deadline_s
    while True:
        row = client.get(f"/api/v1/command/{command_id}").json()
        if row["state"] in ("done", "failed", "timed_out", "refused"):
            return row
        assert time.monotonic() < end, row
        time.sleep(0.05)


def test_get_time_is_sent_answered_and_its_answer_shown(running):
    with httpx.Client(base_url=running.base, timeout=10) as client:
        answer = client.post("/api/v1/command", json={"mn": GAS_MN, "action": "get-time",
                                                       "by": "值班员"})
        assert answer.status_code == 201, answer.text
        row = answer.json()
        assert row["state"] == "queued" and row["cn"] == "1011"
        assert row["requested_by"] == "值班员 (web 127.0.0.1)"
        done = wait_final(client, row["id"])
        assert done["state"] == "done" and done["exe_rtn"] == "1"
        assert "SystemTime" in done["answer"]
        listed = client.get("/api/v1/command/list", params={"mn": GAS_MN}).json()
        assert listed[0]["id"] == row["id"]


def test_command_events_reach_the_live_stream(running):
    from envmon.app import web_app

    hub = web_app(running.platform).context.events

    async def subscribe():
        return hub.subscribe(frozenset({"command"}))

    events = running.run(subscribe())
    try:
        with httpx.Client(base_url=running.base, timeout=10) as client:
            row = client.post("/api/v1/command", json={"mn": GAS_MN,
                                                       "action": "get-interval"}).json()
        states = []

        async def collect():
            while not states or states[-1] != "done":
                event = await events.get()
                if event.data["id"] == row["id"]:
                    states.append(event.data["state"])

        running.run(collect(), 15)
        assert states == ["queued", "sent", "answered", "done"]
    finally:
        running.loop.call_soon_threadsafe(events.close)


def test_an_offline_unit_is_refused_in_the_row(running):
    with httpx.Client(base_url=running.base, timeout=10) as client:
        row = client.post("/api/v1/command", json={"mn": WATER_MN, "action": "get-time"})
    assert row.status_code == 201
    assert row.json()["state"] == "refused" and "offline" in row.json()["reason"]


@pytest.mark.parametrize("body, field", [
    ({"mn": GAS_MN, "action": "warp"}, "action"),
    ({"mn": GAS_MN, "action": "set-interval", "parameters": {"minutes": "0"}}, "minutes"),
    ({"mn": "NOPE", "action": "get-time"}, "mn"),
    ({"mn": GAS_MN}, "action"),
    ({"mn": GAS_MN, "cn": "9012"}, "cn"),
    ({"mn": GAS_MN, "action": "get-time", "extra": 1}, "extra"),
])
def test_bad_input_is_a_400_naming_the_field(running, body, field):
    with httpx.Client(base_url=running.base, timeout=10) as client:
        answer = client.post("/api/v1/command", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == field


def test_unknown_command_is_404(running):
    with httpx.Client(base_url=running.base, timeout=10) as client:
        answer = client.get("/api/v1/command/99999")
    assert answer.status_code == 404 and answer.json()["error"]["reason"]


def test_a_command_from_another_site_is_refused(running):
    with httpx.Client(base_url=running.base, timeout=10) as client:
        answer = client.post("/api/v1/command", content=json.dumps(
            {"mn": GAS_MN, "action": "get-time"}), headers={
                "Content-Type": "application/json", "Origin": "http://evil.example"})
    assert answer.status_code == 403


def test_a_2025_upload_is_announced_as_a_packet_event(running):
    """Issue 16: the HJ 212-2025 uploads (here 2062, the standard-sample check) are live
    `packet` events like the 2017 ones."""
    import asyncio

    from envmon.app import web_app
    from envmon.hj212 import codec
    from tests.ingest.conftest import PW, read_answers

    hub = web_app(running.platform).context.events

    async def subscribe():
        return hub.subscribe(frozenset({"packet"}))

    events = running.run(subscribe())
    try:
        hour = running.unit.clock.now().replace(minute=0, second=0, microsecond=0)
        (packet,) = codec.encode_packets(
            st="32", cn="2062", pw=PW, mn=WATER_MN, flag=9, qn=codec.make_qn(hour),
            data_time=hour, factors={"w01018": {"Avg": 20.1, "Flag": "N"}})

        async def send():
            reader, writer = await asyncio.open_connection("127.0.0.1",
                                                           running.platform.receiver.port)
            writer.write(packet)
            answers = await read_answers(reader, 1)
            writer.close()
            return answers

        assert [a.cn for a in asyncio.run(send())] == ["9014"]

        async def next_packet():
            while True:
                event = await events.get()
                if event.data["mn"] == WATER_MN:
                    return event.data

        assert running.run(next_packet(), 15)["cn"] == "2062"
    finally:
        running.loop.call_soon_threadsafe(events.close)


def test_a_command_and_its_end_are_two_audit_rows(running):
    """The send (who, from where, the command's id) and the end (state, ExeRtn) — issue 13:
    every command and answer in the audit log."""
    with httpx.Client(base_url=running.base, timeout=10) as client:
        row = client.post("/api/v1/command", json={"mn": GAS_MN, "action": "get-time",
                                                    "by": "审计员"}).json()
        assert wait_final(client, row["id"])["state"] == "done"
        end = time.monotonic() + 15
        while True:  # the end's row follows the row's last state
            rows = [r for r in client.get("/api/v1/audit/list",
                                          params={"action": "command."}).json()
                    if r["detail"] and r["detail"].get("id", r["detail"].get("command_id"))
                    == row["id"]]
            if len(rows) == 2:
                break
            assert time.monotonic() < end, rows
            time.sleep(0.05)
    send, result = rows
    assert (send["action"], send["target"], send["result"]) == ("command.send", GAS_MN, "ok")
    assert send["address"] == "127.0.0.1" and send["detail"]["action"] == "get-time"
    assert (result["action"], result["target"], result["result"]) == (
        "command.result", GAS_MN, "done")
    assert result["who"] == "审计员" and result["detail"]["exe_rtn"] == "1"
