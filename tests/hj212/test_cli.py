"""`envmon hj212 decode|encode` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from envmon.cli import app
from envmon.hj212.jsonform import JSON_KEYS, PROTOCOL_KEYS
from tests.hj212.helpers import MN, upload

DATA = Path(__file__).parent / "data" / "hj212_public_packets.txt"
# HJ 212-2017 Appendix A example, as stored in text files (no CR LF).
APPENDIX_A = ("##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
              "Flag=5;CP=&&RtdInterval=30&&1C80")
runner = CliRunner()


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_decode_stdin_keys_and_exit_0():
    result = runner.invoke(app, ["hj212", "decode"], input=f"# c\n\n{APPENDIX_A}\r\n")
    assert result.exit_code == 0, result.output
    [obj] = lines(result.stdout)
    assert tuple(obj) == JSON_KEYS + PROTOCOL_KEYS and JSON_KEYS == (
        "ok", "error", "crc_ok", "qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno",
        "data_time", "items", "factors", "deviations")
    assert PROTOCOL_KEYS == ("version", "resent", "encrypted", "key_error")  # issue 16
    assert obj["ok"] is True and obj["items"] == {"RtdInterval": "30"} and obj["flag"] == 5


def test_decode_values_and_exit_1_on_rejection():
    good = upload("DataTime=20160801080000;a21026-Avg=12,a21026-Flag=N;PolId=排口一")
    bad = upload("DataTime=20160801080000;a21026-Avg=12", crc="0000")
    result = runner.invoke(app, ["hj212", "decode", "-"], input=(good + bad).decode())
    assert result.exit_code == 1
    first, second = lines(result.stdout)
    assert first["data_time"] == "2016-08-01T08:00:00+08:00"
    assert first["factors"] == {"a21026": {"Avg": 12, "Flag": "N"}}
    assert isinstance(first["factors"]["a21026"]["Avg"], float)
    assert "排口一" in result.stdout  # ensure_ascii=False
    assert second["ok"] is False and second["error"].startswith("CRC: expected")


def test_decode_file_with_crc_modes():
    strict = runner.invoke(app, ["hj212", "decode", str(DATA)])
    assert strict.exit_code == 1
    objs = lines(strict.stdout)
    assert len(objs) == 40 and sum(o["ok"] for o in objs) == 25
    lenient = runner.invoke(app, ["hj212", "decode", str(DATA), "--crc-mode", "hj212",
                                  "--crc-mode", "modbus", "--crc-mode", "modbus_swapped"])
    assert sum(o["ok"] for o in lines(lenient.stdout)) == 34


def test_decode_rejects_unknown_crc_mode():
    result = runner.invoke(app, ["hj212", "decode", "--crc-mode", "crc32"], input="")
    assert result.exit_code == 2
    assert "--crc-mode" in result.stderr and "modbus_swapped" in result.stderr
    assert result.stdout == ""


def test_encode_then_decode_round_trip():
    spec = {"qn": "20160801090000001", "st": "31", "cn": "2061", "pw": "123456", "mn": MN,
            "flag": 5, "data_time": "2016-08-01T08:00:00+08:00",
            "items": {"PolId": "排口一"},
            "factors": {"a21026": {"Avg": 12.5, "Flag": "N"}, "a00000": {"Cou": 1000}}}
    enc = runner.invoke(app, ["hj212", "encode"], input=json.dumps(spec) + "\n")
    assert enc.exit_code == 0, enc.output
    [packet] = enc.stdout.splitlines()
    assert packet.startswith("##") and "\r" not in packet
    assert int(packet[2:6]) == len(packet[6:-4].encode())  # LLLL in UTF-8 bytes
    assert packet[-4:] == packet[-4:].upper()
    dec = runner.invoke(app, ["hj212", "decode"], input=packet + "\n")
    assert dec.exit_code == 0
    [obj] = lines(dec.stdout)
    for key, value in spec.items():
        assert obj[key] == value, key


def test_encode_minimal_and_decode_output_fed_back():
    enc = runner.invoke(app, ["hj212", "encode"],
                        input=json.dumps({"st": "32", "cn": "1062", "pw": "100000", "mn": MN,
                                          "qn": "20160801085857223", "flag": 5,
                                          "items": {"RtdInterval": "30"}}))
    assert enc.stdout.strip() == APPENDIX_A
    # decode output (with its verdict keys) encodes back to the same packet.
    dec = runner.invoke(app, ["hj212", "decode"], input=APPENDIX_A)
    again = runner.invoke(app, ["hj212", "encode"], input=dec.stdout)
    assert again.exit_code == 0 and again.stdout.strip() == APPENDIX_A


def test_encode_errors_name_the_line():
    bad = "\n".join([
        json.dumps({"st": "32", "cn": "2011", "pw": "123456"}),  # no mn
        "{not json",
        json.dumps({"st": "32", "cn": "2011", "pw": "123456", "mn": MN, "colour": 1}),
        json.dumps({"st": "32", "cn": "2011", "pw": "123456", "mn": MN, "flag": 4}),
    ])
    result = runner.invoke(app, ["hj212", "encode"], input=bad)
    assert result.exit_code == 1
    assert "line 1: mn" in result.stderr and "line 2:" in result.stderr
    assert "line 3: unknown keys: colour" in result.stderr
    assert len(result.stdout.splitlines()) == 1  # the valid line still encoded


def test_decode_and_encode_name_a_file_that_cannot_be_read(tmp_path):
    missing = tmp_path / "nosuch.txt"
    for args in (["decode", str(missing)], ["decode", str(tmp_path)], ["encode", str(missing)]):
        result = runner.invoke(app, ["hj212", *args])
        assert result.exit_code == 2, (args, result.output)
        assert not isinstance(result.exception, OSError)
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: FILE: cannot read ")
        assert args[1] in line
        assert ("No such file" in line) if args[1] == str(missing) else ("directory" in line)
