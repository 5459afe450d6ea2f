"""With `envmon serve --workers 2` the units' connections live in worker processes: a remote
command and a key rotation are refused with the reason (503), and a key set through the
running server reaches every worker at once (an encrypted 2025 packet is opened)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from envmon.hj212 import codec
from tests.control.live import start
from tests.ingest.conftest import GAS_MN, PW, WATER_MN, read_answers

KEY_HEX = "00112233445566778899aabbccddeeff"


@pytest.fixture(autouse=True)
def master_key_next_to_the_store(monkeypatch):
    monkeypatch.delenv("ENVMON_MASTER_KEY_FILE", raising=False)


def test_commands_and_rotation_refused_keys_pushed_to_the_workers(tmp_path):
    from envmon.registry.importer import import_rows
    from envmon.store import open_store
    from tests.ingest.conftest import registry_rows

    store = open_store(tmp_path / "envmon.duckdb")
    import_rows(store, registry_rows())
    running, stop = start(store, workers=2)
    try:
        with httpx.Client(base_url=running.base, timeout=30) as client:
            answer = client.post("/api/v1/command", json={"mn": GAS_MN, "action": "get-time"})
            assert answer.status_code == 503
            assert "--workers 1" in answer.json()["error"]["reason"]
            answer = client.post("/api/v1/keys/set", json={"mn": WATER_MN, "key": KEY_HEX})
            assert answer.status_code == 200, answer.text
            assert answer.json()["action"] == "set"
            answer = client.post("/api/v1/keys/rotate", json={"mn": WATER_MN})
            assert answer.status_code == 503
            assert "--workers 1" in answer.json()["error"]["reason"]
        hour = running.unit.clock.now().replace(minute=0, second=0, microsecond=0)
        (packet,) = codec.encode_packets(
            st="32", cn="2061", pw=PW, mn=WATER_MN, flag=9, qn=codec.make_qn(hour),
            data_time=hour, key=bytes.fromhex(KEY_HEX),
            factors={"w01018": {"Avg": 20.0, "Flag": "N"}})

        async def send():
            reader, writer = await asyncio.open_connection("127.0.0.1",
                                                           running.platform.receiver.port)
            writer.write(packet)
            answers = await read_answers(reader, 1, timeout=15)
            writer.close()
            return answers

        answers = asyncio.run(send())
        assert [a.cn for a in answers] == ["9014"]  # the workers have the key already
    finally:
        stop()
        store.close()
