"""The JSON form of a packet lives in the protocol package: keys, round trip, errors."""

from __future__ import annotations

import pytest

from envmon.hj212.codec import decode
from envmon.hj212.jsonform import JSON_KEYS, PROTOCOL_KEYS, packet_from_json, packet_json


def _frame() -> bytes:
    return packet_from_json({
        "qn": "20261101090000123", "st": "31", "cn": "2061", "pw": "123456",
        "mn": "010000A8900016F000169DC0", "flag": 5, "data_time": "2026-11-01T08:00:00",
        "factors": {"a21026": {"Avg": 12.5, "Flag": "N"}},
    })


def test_packet_json_keys_and_round_trip():
    packet = decode(_frame())
    obj = packet_json(packet)
    assert tuple(obj) == JSON_KEYS + PROTOCOL_KEYS
    assert (obj["version"], obj["resent"], obj["encrypted"]) == (2017, False, False)
    assert obj["ok"] and obj["data_time"] == "2026-11-01T08:00:00+08:00"
    assert obj["factors"] == {"a21026": {"Avg": 12.5, "Flag": "N"}}
    assert packet_from_json(obj) == packet.raw  # verdict keys are ignored on the way back


@pytest.mark.parametrize(("obj", "message"), [
    ([], "JSON object"),
    ({"st": "31", "cn": "2061", "pw": "1", "mn": "M", "colour": 1}, "unknown keys: colour"),
    ({"st": "31", "cn": "2061", "pw": "1"}, "mn: missing"),
    ({"st": "31", "cn": "2061", "pw": "1", "mn": "M", "data_time": "2026"}, "data_time"),
])
def test_packet_from_json_names_the_wrong_key(obj, message):
    with pytest.raises(ValueError, match=message):
        packet_from_json(obj)
