"""HJ 212-2025 beside HJ 212-2017 (issue 16): version per packet, RF, SM4, new codes.

Vectors: the standard's Appendix A.1/A.2 examples (data/hj212_2025_vectors.json, with their
source) and the 2025 packets of the shared peer set (data/peers_2025.jsonl, copied unchanged
from shared/data/peers/packets.jsonl, source Daidai52640/cems-data-pipeline).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envmon.hj212.codec import build_packet, decode, encode_packets, format_cp, make_qn
from envmon.hj212.codes import ANSWERED_CNS, CN_TABLE, ST_TABLE, must_encrypt
from envmon.hj212.encryption import (
    BAD_CIPHERTEXT,
    BAD_KEY,
    RegionError,
    decrypt_region,
    encrypt_region,
)
from envmon.hj212.framing import FrameBuffer
from envmon.hj212.session import Session, ack, time_calibration
from envmon.hj212.sm4 import decrypt_blocks, encrypt_blocks, parse_key, single_key
from envmon.timeutil import BEIJING_FIXED
from tests.hj212.helpers import MN, frame

DATA = Path(__file__).parent / "data"
VECTORS = json.loads((DATA / "hj212_2025_vectors.json").read_text(encoding="utf-8"))
A2_KEY = bytes.fromhex(VECTORS["key_hex"])  # "密钥使用16个0x30"
KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
OTHER_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")


# ---------------------------------------------------------------------------------- SM4


def test_sm4_gbt32907_example_1():
    # GB/T 32907-2016 Example 1 (as OpenSSL test/sm4_internal_test.c and nettle quote it).
    plain = bytes.fromhex("0123456789abcdeffedcba9876543210")
    cipher = bytes.fromhex("681edf34d206965e86b3e94f536e4246")
    assert encrypt_blocks(KEY, plain) == cipher
    assert decrypt_blocks(KEY, cipher) == plain


@pytest.mark.parametrize(("text", "reason"), [
    ("0123", "expected 32 hex digits"), ("z" * 32, "expected 32 hex digits"),
    ("0123456789abcdeffedcba98765432100", "expected 32 hex digits")])
def test_parse_key_refuses(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_key(text)


# ---------------------------------------------------------------------------------- A.1, A.2


def test_a1_example_decodes_as_2025_with_its_crc():
    p = decode(VECTORS["a1"].encode())
    assert p.ok and p.crc_ok and p.error is None and p.deviations == ()
    assert (p.protocol, p.flag, p.version, p.need_ack, p.split) == (2025, 9, 2, True, False)
    assert not p.resent and not p.encrypted and p.key_error is None


@pytest.mark.parametrize("name", ["a2_2", "a2_4", "a2_4_tail_inside"])
def test_a2_encrypted_examples_decrypt_to_the_printed_plaintext(name):
    p = decode(VECTORS[name].encode(), keys=single_key(A2_KEY))
    assert p.ok, p.error
    assert p.encrypted and p.crc_ok and p.protocol == 2025 and p.key_error is None
    written = p.segment.split("CP=&&", 1)[1][:-2]
    assert decrypt_region(written, A2_KEY) == VECTORS[name[:4] + "_plain_region"]
    assert p.factors["a01011"] == {"Min": 1.35, "Avg": 1.35, "Max": 1.35, "Flag": "N"}
    # The segment kept is the one received (never the plaintext).
    assert "DataTime" not in p.segment and p.segment.startswith("QN=20240520210700000")
    # A.2 prints the plaintext length: accepted, and said.
    assert any("counts the plaintext segment" in d for d in p.deviations)


def test_a2_example_region_encrypts_to_the_printed_ciphertext():
    written = encrypt_region(VECTORS["a2_4_plain_region"], A2_KEY)
    assert "{" + VECTORS["a2_4"].split("CP=&&{", 1)[1].rsplit("&&", 1)[0] == written
    inside = encrypt_region(VECTORS["a2_4_plain_region"], A2_KEY, tail="inside")
    assert inside.endswith(",0x67,0x3D,0x4E}")  # "g=N" hex-encoded inside the braces
    assert decrypt_region(inside, A2_KEY) == decrypt_region(written, A2_KEY)


@pytest.mark.parametrize("name", ["a2_2", "a2_4"])
def test_a2_without_the_key_is_no_key_and_with_another_bad_key(name):
    raw = VECTORS[name].encode()
    missing = decode(raw)
    assert not missing.ok and missing.key_error == "no_key" and missing.encrypted
    assert missing.mn == MN and missing.cn == "2051" and missing.factors == {}
    assert "no key for MN" in (missing.error or "") and missing.error_field == "CP"
    assert decode(raw, keys=lambda mn: None).key_error == "no_key"
    wrong = decode(raw, keys=single_key(OTHER_KEY))
    assert not wrong.ok and wrong.key_error == "bad_key" and not wrong.crc_ok


def test_tampered_ciphertext_is_bad_ciphertext():
    raw = VECTORS["a2_2"]
    at = raw.index("0x1A")  # third block: the first two still decrypt to text
    tampered = raw[:at] + "0x1B" + raw[at + 4 :]
    p = decode(tampered.encode(), keys=single_key(A2_KEY))
    assert not p.ok and p.key_error == BAD_CIPHERTEXT
    for broken in (raw.replace("0xE4", "0xG4"), raw.replace("}&&", "&&"),
                   raw.replace(",0x41}", "}"), raw.replace("0xE4,", "E4,")):
        assert decode(broken.encode(), keys=single_key(A2_KEY)).key_error == BAD_CIPHERTEXT


def test_how_bad_key_is_told_from_bad_ciphertext():
    region = "DataTime=20260101000000;a21026-Rtd=1.5,a21026-Flag=N;a21002-Rtd=20,a21002-Flag=N"
    written = encrypt_region(region, KEY)
    assert decrypt_region(written, KEY) == region
    with pytest.raises(RegionError) as wrong:
        decrypt_region(written, OTHER_KEY)  # no block decrypts to text
    assert wrong.value.code == BAD_KEY
    items = written[1:written.index("}")].split(",")
    items[20] = "0x00" if items[20] != "0x00" else "0x01"  # one block altered
    with pytest.raises(RegionError) as altered:
        decrypt_region("{" + ",".join(items) + "}" + written[written.index("}") + 1 :], KEY)
    assert altered.value.code == BAD_CIPHERTEXT
    with pytest.raises(RegionError) as both:  # whole blocks plus a hex tail plus a plain tail
        decrypt_region("{" + ",".join(items[:-1]) + "}x", KEY)
    assert both.value.code == BAD_CIPHERTEXT


def test_crc_is_the_plaintext_segment_s():
    raw = build_packet(st="31", cn="2011", pw="123456", mn=MN, flag=8, qn=make_qn(_T),
                       cp="DataTime=20260101000000;a21026-Rtd=1.5,a21026-Flag=N", key=KEY)
    p = decode(raw, keys=single_key(KEY))
    assert p.ok and p.crc_ok and p.encrypted
    bad_crc = raw[:-6] + (b"0000" if raw[-6:-2] != b"0000" else b"0100") + b"\r\n"
    q = decode(bad_crc, keys=single_key(KEY))
    assert not q.ok and q.error_field == "CRC" and q.key_error is None


# ---------------------------------------------------------------------------------- RF


def test_rf_1_marks_a_resent_packet():
    head = f"QN=20240601085857223;ST=31;CN=2011;PW=123456;MN={MN};Flag=9"
    p = decode(frame(f"{head};RF=1;CP=&&DataTime=20240601085857&&"))
    assert p.ok and p.resent and p.deviations == ()
    live = decode(frame(f"{head};CP=&&DataTime=20240601085857&&"))
    assert live.ok and not live.resent


@pytest.mark.parametrize("value", ["0", "2", "01", ""])
def test_other_rf_values_are_deviations_and_the_packet_is_kept(value):
    head = f"QN=20240601085857223;ST=31;CN=2011;PW=123456;MN={MN};Flag=9"
    p = decode(frame(f"{head};RF={value};CP=&&DataTime=20240601085857&&"))
    assert p.ok and not p.resent and p.data_time is not None
    assert [d for d in p.deviations if d.startswith("RF:")]


def test_rf_in_a_2017_packet_is_a_deviation():
    head = f"QN=20240601085857223;ST=31;CN=2011;PW=123456;MN={MN};Flag=5"
    p = decode(frame(f"{head};RF=1;CP=&&DataTime=20240601085857&&"))
    assert p.ok and p.resent and p.protocol == 2017
    assert any("an HJ 212-2025 field" in d for d in p.deviations)


# ---------------------------------------------------------------------------------- versions


@pytest.mark.parametrize(("flag", "protocol"), [
    (None, 2005), (0, 2005), (3, 2005), (4, 2017), (5, 2017), (7, 2017), (8, 2025), (9, 2025),
    (11, 2025), (13, None)])
def test_protocol_from_the_flag(flag, protocol):
    flag_field = "" if flag is None else f";Flag={flag}"
    p = decode(frame(f"QN=20240601085857223;ST=32;CN=1011;PW=123456;MN={MN}{flag_field};"
                     "CP=&&&&"))
    assert p.protocol == protocol


def test_answers_are_in_the_unit_s_version():
    for flag, answer_flag in ((5, b"Flag=4"), (9, b"Flag=8")):
        p = decode(frame(f"QN=20240601085857223;ST=31;CN=2061;PW=123456;MN={MN};Flag={flag};"
                         "CP=&&DataTime=20240601080000;a21026-Avg=1,a21026-Flag=N&&"))
        reply = ack(p)
        assert reply is not None and answer_flag in reply and b"CN=9014" in reply
        assert decode(reply).ok
    calibration = decode(frame(f"QN=20240601085857223;ST=31;CN=1013;PW=123456;MN={MN};Flag=9;"
                               "CP=&&&&"))
    notice, set_time, _ = time_calibration(calibration, _T)
    assert b"Flag=8" in notice and b"Flag=9" in set_time


def test_heartbeat_9015_is_answered_with_9014_of_its_qn():
    beat = decode(frame(f"QN=20260101000000123;ST=31;CN=9015;PW=123456;MN={MN};Flag=9;"
                        "CP=&&&&"))
    assert beat.ok and beat.deviations == () and "9015" in ANSWERED_CNS
    reply = ack(beat)
    assert reply is not None
    answer = decode(reply)
    assert (answer.cn, answer.qn, answer.flag) == ("9014", "20260101000000123", 8)
    assert decode(frame(f"QN=20260101000000123;ST=31;CN=9015;PW=123456;MN={MN};Flag=8;"
                        "CP=&&&&")).need_ack is False


def test_2025_codes_named():
    for cn in ("9015", "2062", "2111", "2013", "2052", "1001", "1002", "3021", "3022", "3024",
               "1014"):
        assert cn in CN_TABLE
    assert "heartbeat" in CN_TABLE["9015"].description
    assert "a01901-Avg" in CN_TABLE["2111"].description
    assert "standard-sample check" in CN_TABLE["2062"].description
    assert ST_TABLE["44"].startswith("electricity") and ST_TABLE["45"].startswith("key prod")
    assert must_encrypt("2011") and must_encrypt("1014") and must_encrypt("3020")
    assert not must_encrypt("9014") and not must_encrypt("1012")


def test_a_2025_code_in_a_2017_packet_is_a_deviation():
    p = decode(frame(f"QN=20240601085857223;ST=44;CN=2011;PW=123456;MN={MN};Flag=5;"
                     "CP=&&DataTime=20240601085857&&"))
    assert p.ok and any("HJ 212-2025 code" in d for d in p.deviations)
    q = decode(frame(f"QN=20240601085857223;ST=44;CN=2011;PW=123456;MN={MN};Flag=9;"
                     "CP=&&DataTime=20240601085857&&"))
    assert q.ok and q.deviations == ()


# ---------------------------------------------------------------------------------- peers


def _peers():
    return [json.loads(line) for line in (DATA / "peers_2025.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("case", _peers(), ids=lambda c: f"peer{c['id']}")
def test_2025_peer_packets_get_the_standard_s_verdict(case):
    p = decode(case["packet"].encode())
    verdict = case["expect"]["standard"]
    if verdict == "valid":
        assert p.ok and p.crc_ok and p.protocol == 2025
        for key, value in case["expect"].get("fields", {}).items():
            if key in ("qn", "st", "cn", "pw", "mn", "flag"):
                assert getattr(p, key) == value
    elif verdict.startswith("invalid"):
        assert not p.ok
        if "CRC" in verdict:
            assert not p.crc_ok
    else:  # frame sound, a Table 3 field off: named by an error or a deviation
        assert p.crc_ok
        named = verdict.split("fields off: ", 1)[1].split()[0].strip("'")
        named = "RF" if "RF" in verdict else named
        text = " ".join([p.error or "", *p.deviations])
        assert named in text, (named, text)
        if named == "RF":
            assert p.ok and not p.resent


# ---------------------------------------------------------------------------------- framing


def test_stream_framing_takes_the_a2_frames_whose_length_counts_the_plaintext():
    stream = b"".join(VECTORS[k].encode() + b"\r\n" for k in ("a1", "a2_2", "a2_4", "a1"))
    buffer = FrameBuffer()
    out = []
    for at in range(0, len(stream), 7):
        out += buffer.feed(stream[at : at + 7])
    assert all(isinstance(item, bytes) for item in out) and len(out) == 4
    assert buffer.pending == 0
    session = Session(keys=single_key(A2_KEY))
    events = session.receive(stream)
    assert [e.packet.ok for e in events] == [True] * 4


# ---------------------------------------------------------------------------------- encode


_T = datetime(2026, 1, 1, 8, 0, tzinfo=BEIJING_FIXED)
codes = st.from_regex(r"[a-z][0-9]{5}", fullmatch=True)
values = st.dictionaries(st.sampled_from(["Rtd", "Avg", "Min", "Max", "Cou"]),
                         st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 3)),
                         min_size=1, max_size=4).map(lambda d: {**d, "Flag": "N"})


@given(cn=st.sampled_from(sorted(CN_TABLE)), station=st.sampled_from(sorted(ST_TABLE)),
       factors=st.dictionaries(codes, values, max_size=40), flag=st.sampled_from([8, 9]),
       resent=st.booleans(), keyed=st.booleans(), items=st.dictionaries(
           st.sampled_from(["PolId", "RtdInterval", "QnRtn"]),
           st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True), max_size=2))
@settings(max_examples=150, deadline=None)
def test_encode_decode_round_trip_2025(cn, station, factors, flag, resent, keyed, items):
    key = KEY if keyed else None
    frames = encode_packets(st=station, cn=cn, pw="123456", mn=MN, flag=flag,
                            qn="20260101080000000", data_time=_T, items=items,
                            factors=factors, rf=resent, key=key)
    packets = [decode(raw, keys=single_key(KEY)) for raw in frames]
    merged: dict[str, dict] = {}
    for number, p in enumerate(packets, 1):
        assert p.ok, p.error
        assert p.protocol == 2025 and p.resent == resent and p.cn == cn and p.st == station
        assert p.encrypted == (keyed and must_encrypt(cn) and len(format_cp(
            p.data_time, p.items, p.factors).encode()) >= 16)
        assert len(p.segment.encode()) <= 9999
        if len(frames) > 1:
            assert (p.pnum, p.pno, p.flag & 2) == (len(frames), number, 2)
            assert p.qn == str(20260101080000000 + number - 1)
        merged.update(p.factors)
        assert p.data_time == _T
    assert merged == factors
    assert packets[0].items == items
    assert len({p.qn for p in packets}) == len(packets)


@given(region=st.text(st.characters(whitelist_categories=("L", "N", "P", "S"),
                                    blacklist_characters="&"), min_size=16, max_size=80)
       .filter(str.isprintable), tail=st.sampled_from(["after", "inside"]))
@settings(max_examples=200, deadline=None)
def test_region_round_trip_both_tail_renderings(region, tail):
    assert decrypt_region(encrypt_region(region, KEY, tail), KEY) == region


def test_long_2025_message_is_split_under_1024_and_950():
    factors = {f"a{k:05d}": {"Rtd": 123.456, "Flag": "N"} for k in range(60)}
    frames = encode_packets(st="31", cn="2011", pw="123456", mn=MN, flag=9,
                            qn="20260101080000000", data_time=_T, factors=factors, key=KEY)
    assert len(frames) > 1
    for raw in frames:
        p = decode(raw, keys=single_key(KEY))
        plain = format_cp(p.data_time, p.items, p.factors)
        assert p.ok and p.encrypted and len(plain) + 7 <= 950
        assert not any("> 1024" in d for d in p.deviations)


def test_a_1014_key_is_read_under_either_field_name():
    from envmon.hj212.session import new_key_of_1014

    # caoyiliang/HJ212 Test/Program.cs (peer packet 60): NewSK as 16 characters, 17-digit time
    peer = decode(b"##0140QN=20240601085857223;ST=32;CN=1014;PW=123456;"
                  b"MN=010000A8900016F000169DC0;Flag=9;CP=&&SKCreateTime=20240601085857223,"
                  b"NewSK=0000000000000000&&EA41")
    assert peer.ok and new_key_of_1014(peer.items) == b"\x30" * 16  # A.2's example key
    ours = {"SecretKey": KEY.hex().upper(), "SKCreateTime": "20260101080000"}
    assert new_key_of_1014(ours) == KEY
    for bad in ({"SecretKey": "zz" * 16}, {"NewSK": "short"}, {"SKCreateTime": "1"}):
        assert new_key_of_1014(bad) is None
