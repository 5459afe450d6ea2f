"""codec.decode / build_packet / format_cp against HJ 212-2017 and the reference §12 rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from envmon.hj212.codec import (
    Packet,
    ack_9014,
    build_packet,
    decode,
    format_cp,
    format_number,
    make_qn,
)
from envmon.timeutil import BEIJING_FIXED
from tests.hj212.helpers import MN, frame, upload

# HJ 212-2017 Appendix A worked example (CRC 1C80).
APPENDIX_A = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
)
# HJ 212-2017 §6.3.3 data-area example.
STANDARD_CP = "DataTime=20160801085857;w01018-Rtd=2.2,w01018-Flag=N;w01001-Rtd=7.1,w01001-Flag=N"


def test_appendix_a_example_decodes():
    p = decode(APPENDIX_A)
    assert p.ok and p.error is None and p.crc_ok and p.crc_mode == "hj212"
    assert (p.qn, p.st, p.cn, p.pw, p.mn, p.flag) == (
        "20160801085857223", "32", "1062", "100000", MN, 5)
    assert p.items == {"RtdInterval": "30"}
    assert p.factors == {} and p.data_time is None and p.deviations == ()
    assert p.need_ack and not p.split and p.version == 1
    assert p.raw == APPENDIX_A
    assert p.segment == APPENDIX_A[6:-6].decode()


def test_standard_data_area_example():
    p = decode(upload(STANDARD_CP))
    assert p.ok, p.error
    assert p.data_time == datetime(2016, 8, 1, 8, 58, 57, tzinfo=BEIJING_FIXED)
    assert p.data_time.utcoffset() == timedelta(hours=8)
    assert "DataTime" not in p.items
    assert p.factors == {"w01018": {"Rtd": 2.2, "Flag": "N"}, "w01001": {"Rtd": 7.1, "Flag": "N"}}


def test_appendix_a_without_crlf_and_stray_typo_crc():
    assert decode(APPENDIX_A[:-2]).ok  # offline: trailing CR LF optional
    bad = decode(APPENDIX_A.replace(b"1C80", b"1C08"))  # the standard prose's typo
    assert not bad.ok and not bad.crc_ok and bad.crc_mode is None
    assert bad.error == "CRC: expected 1C80, got 1C08"
    # Everything else is still filled in, so the receiver can log it.
    assert (bad.mn, bad.cn, bad.qn) == (MN, "1062", "20160801085857223")


def test_numbers_and_text_values():
    cp = ("DataTime=20160801080000;a21026-Avg=12,a21026-Min=-0.5,a21026-Max=1e3,"
          "a21026-Flag=N,a21026-EFlag=A01,a21026-SampleTime=20160801083000;"
          "i12001-Info=0;x-SN=010000A8900016F000169DC0;y-Rtd=nan;z-Rtd=inf;u-Rtd=1_0;v-Rtd=")
    p = decode(upload(cp))
    assert p.ok, p.error
    assert p.factors["a21026"] == {"Avg": 12.0, "Min": -0.5, "Max": 1000.0, "Flag": "N",
                                   "EFlag": "A01", "SampleTime": "20160801083000"}
    assert p.factors["i12001"] == {"Info": "0"}
    assert p.factors["x"] == {"SN": "010000A8900016F000169DC0"}
    # Not decimal numbers: kept as text.
    assert p.factors["y"] == {"Rtd": "nan"} and p.factors["z"] == {"Rtd": "inf"}
    assert p.factors["u"] == {"Rtd": "1_0"} and p.factors["v"] == {"Rtd": ""}


def test_unknown_suffixes_and_codes_kept():
    # Reference §10/§12: -ValidNum, -TotalNum, electricity fields: keep, do not reject.
    # Non-standard flag letters (flash520/hj212: H, L, ], ...) are kept raw (reference §9).
    p = decode(upload("DataTime=20191112090000;a01006-Avg=101.85,a01006-ValidNum=10"
                      ";100000-Pa_ave=0.3964,100000-Flag=N;a21026-Avg=1,a21026-Flag=]"))
    assert p.ok and p.deviations == ()
    assert p.factors == {"a01006": {"Avg": 101.85, "ValidNum": 10.0},
                         "100000": {"Pa_ave": 0.3964, "Flag": "N"},
                         "a21026": {"Avg": 1.0, "Flag": "]"}}


# ---------------------------------------------------------------- §12 tolerated deviations

def _dev(p: Packet, text: str) -> bool:
    return any(text in d for d in p.deviations)


def test_qn_missing():
    p = decode(upload(STANDARD_CP, head=f"ST=32;CN=2011;PW=123456;MN={MN};Flag=4"))
    assert p.ok and p.qn is None and _dev(p, "QN missing")


def test_flag_missing_means_no_answer():
    p = decode(upload(STANDARD_CP, head=f"QN=20160801090000001;ST=32;CN=2011;PW=123456;MN={MN}"))
    assert p.ok and p.flag is None and _dev(p, "Flag missing")
    assert not p.need_ack and not p.split and p.version is None
    assert ack_9014(p)  # answerable all the same, if the caller wants to


def test_need_ack_without_qn_is_recorded():
    p = decode(upload(STANDARD_CP, head=f"ST=32;CN=2011;PW=123456;MN={MN};Flag=5"))
    assert p.ok and p.need_ack and _dev(p, "without QN")
    answer = ack_9014(p)
    assert b"QN=" not in answer and decode(answer).ok


def test_17_digit_datatime_truncated():
    p = decode(upload("DataTime=20160824003817123;a21026-Rtd=1"))
    assert p.ok
    assert p.data_time == datetime(2016, 8, 24, 0, 38, 17, tzinfo=BEIJING_FIXED)
    assert "DataTime has 17 digits; truncated to seconds" in p.deviations


def test_begin_end_time_joined_by_comma():
    # HJ 212-2017 C.23 (2041 example) and linqiu126/hcu join BeginTime,EndTime with ','.
    p = decode(upload("BeginTime=20170506000000,EndTime=20170510000000"))
    assert p.ok
    assert p.items == {"BeginTime": "20170506000000", "EndTime": "20170510000000"}
    assert "BeginTime/EndTime joined by ','" in p.deviations
    q = decode(upload("BeginTime=20170506000000;EndTime=20170510000000"))
    assert q.ok and q.items == p.items and q.deviations == ()


def test_three_digit_st_and_nonstandard_st():
    p = decode(upload(STANDARD_CP, head=f"ST=101;CN=2011;PW=123456;MN={MN};Flag=4"))
    assert p.ok and p.st == "101" and "ST has 3 digits" in p.deviations
    q = decode(upload(STANDARD_CP, head=f"ST=80;CN=2011;PW=123456;MN={MN};Flag=4"))
    assert q.ok and q.st == "80" and _dev(q, "ST 80")


def test_segment_over_1024_accepted_and_recorded():
    cp = "DataTime=20160801080000;" + ";".join(f"a{i:05d}-Avg=1.000" for i in range(80))
    raw = upload(cp)
    n = len(raw) - 12
    assert n > 1024
    p = decode(raw)
    assert p.ok and f"data segment {n} > 1024 characters" in p.deviations
    assert len(p.factors) == 80


def test_lower_case_crc_accepted():
    upper = upload(STANDARD_CP)
    crc = upper[-6:-2]
    assert crc != crc.lower(), "pick a vector whose CRC has a letter"
    p = decode(upper[:-6] + crc.lower() + b"\r\n")
    assert p.ok and p.crc_ok and "CRC in lower-case hex" in p.deviations


def test_modbus_crc_only_when_enabled():
    raw = upload(STANDARD_CP, mode="modbus")
    strict = decode(raw)
    assert not strict.ok and not strict.crc_ok
    assert strict.error.startswith("CRC: expected ")
    assert "CRC-16/MODBUS, not enabled" in strict.error
    lenient = decode(raw, ("hj212", "modbus"))
    assert lenient.ok and lenient.crc_mode == "modbus"
    assert "CRC is CRC-16/MODBUS (accepted for this MN)" in lenient.deviations
    # Plain MODBUS mode does not accept the swapped form, and vice versa.
    assert not decode(raw, ("hj212", "modbus_swapped")).ok


def test_swapped_modbus_crc_only_when_enabled():
    raw = upload(STANDARD_CP, mode="modbus_swapped")
    assert not decode(raw).ok
    assert not decode(raw, ("modbus",)).ok
    p = decode(raw, ("hj212", "modbus_swapped"))
    assert p.ok and p.crc_mode == "modbus_swapped"
    assert _dev(p, "byte-swapped CRC-16/MODBUS")


def test_hj212_crc_rejected_when_only_modbus_enabled():
    p = decode(upload(STANDARD_CP), ("modbus",))
    assert not p.ok and "the HJ 212 CRC, not enabled" in p.error


def test_stale_crc_rejected():
    # xiaoyao9184/hj-t212-parser README: DataTime edited, CRC 4980 not recomputed.
    raw = (b"##0136ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817;"
           b"B01-Rtd=36.91;011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&4980")
    p = decode(raw, ("hj212", "modbus", "modbus_swapped"))
    assert not p.ok and p.error == "CRC: expected 3C00, got 4980"
    assert p.mn == "LD130133000015" and p.factors["011"] == {"Rtd": 231.0, "Flag": "N"}


def test_pnum_pno_swapped_and_without_flag():
    # libem/HJ212-Moniter App.java: PNO before PNUM, no Flag.
    p = decode(upload(STANDARD_CP, head=f"QN=20191112091100598;ST=31;CN=2051;PW=123456;"
                                        f"MN={MN};PNO=0002;PNUM=0002"))
    assert p.ok and (p.pnum, p.pno) == (2, 2) and p.split
    assert _dev(p, "field order")
    q = decode(upload(STANDARD_CP, head=f"QN=20191112091100598;ST=31;CN=2051;PW=123456;"
                                        f"MN={MN};Flag=4;PNUM=2;PNO=1"))
    assert q.ok and q.split and "PNUM/PNO present without Flag bit D" in q.deviations


def test_flag_d_without_pnum():
    p = decode(upload(STANDARD_CP, head=f"QN=20191112091100598;ST=31;CN=2051;PW=123456;"
                                        f"MN={MN};Flag=3"))
    assert p.ok and p.split and p.pnum is None
    assert "Flag bit D set but PNUM/PNO missing" in p.deviations


def test_short_mn_and_long_pw():
    p = decode(upload(STANDARD_CP, head="ST=32;CN=2011;PW=BF470F88957588DE902D1A52;"
                                        "MN=4201003"))
    assert p.ok and p.mn == "4201003" and p.pw == "BF470F88957588DE902D1A52"
    assert "MN has 7 characters" in p.deviations and "PW has 24 characters" in p.deviations


def test_flag_item_inside_cp():
    # sCair/Hj212-Distribute log: "a34001-Rtd=92;Flag=N".
    p = decode(upload("DataTime=20250131202809;a34001-Rtd=92;Flag=N"))
    assert p.ok and p.items == {"Flag": "N"}
    assert "Flag=N item inside CP" in p.deviations


def test_length_in_characters_tolerated():
    seg = f"QN=20160801090000001;ST=32;CN=3020;PW=123456;MN={MN};Flag=4;CP=&&PolId=排口一&&"
    by_chars = frame(seg, length=f"{len(seg):04d}")
    assert len(seg) != len(seg.encode())
    p = decode(by_chars)
    assert p.ok and p.items["PolId"] == "排口一"
    assert any(d.startswith("length: declared") and "characters" in d for d in p.deviations)
    assert decode(frame(seg)).deviations == ()


def test_flag_version_bits():
    for flag, version in ((0, 0), (4, 1), (5, 1), (8, 2), (9, 2)):
        p = decode(upload(STANDARD_CP, head=f"ST=32;CN=2011;PW=123456;MN={MN};Flag={flag}"))
        assert p.ok and p.version == version and p.need_ack == bool(flag & 1)
    p = decode(upload(STANDARD_CP, head=f"ST=32;CN=2011;PW=123456;MN={MN};Flag=12"))
    assert p.ok and "Flag version 3 unknown" in p.deviations


# ---------------------------------------------------------------- rejections name the field

REJECTS = [
    (b"", "header: missing '##'"),
    (b"hello world", "header: missing '##'"),
    (b"##01", "frame: too short"),
    (frame(f"QN=20160801090000001;ST=32;CN=2011;PW=123456;MN={MN};CP=&&&&", length="01a1"),
     "length: '01a1' is not 4 digits"),
    (frame(f"QN=20160801090000001;ST=32;CN=2011;PW=123456;MN={MN};CP=&&&&", length="0101"),
     "length: declared 0101 but data segment is 80 bytes"),
    (frame(f"ST=32;CN=2011;PW=123456;MN={MN};CP=&&&&", crc="1G00"),
     "CRC: '1G00' is not 4 hex digits"),
    (upload("&&", head=f"ST=32;CN=2011;PW=123456;MN={MN}").replace(b";CP=&&", b";CQ=&&"),
     "CP: missing"),
    (frame(f"ST=32;CN=2011;PW=123456;MN={MN};CP=&&DataTime=20160801080000"),
     "CP: data area not closed by '&&'"),
    (frame(f"ST=32;CN=2011;PW=123456;MN={MN};CP=DataTime=20160801080000"),
     "CP: does not start with '&&'"),
    (upload(STANDARD_CP, head="ST=32;PW=123456;MN=" + MN), "CN: missing"),
    (upload(STANDARD_CP, head="ST=32;CN=2011;PW=123456"), "MN: missing"),
    (upload(STANDARD_CP, head="ST=32;CN=2011;PW=123456;MN=ABC"), "MN: 'ABC' has 3 characters"),
    (upload(STANDARD_CP, head=f"CN=2011;PW=123456;MN={MN}"), "ST: missing"),
    (upload(STANDARD_CP, head=f"ST=3;CN=2011;PW=123456;MN={MN}"), "ST: '3' is not 2 characters"),
    (upload(STANDARD_CP, head=f"ST=32;CN=2011;MN={MN}"), "PW: missing"),
    (upload(STANDARD_CP, head=f"ST=32;CN=2011;PW=;MN={MN}"), "PW: empty"),
    (upload(STANDARD_CP, head=f"ST=32;CN=20111;PW=123456;MN={MN}"), "CN: '20111' is not 4 digits"),
    (upload(STANDARD_CP, head=f"QN=2016;ST=32;CN=2011;PW=123456;MN={MN}"),
     "QN: '2016' is not 17 digits"),
    (upload(STANDARD_CP, head=f"ST=32;CN=2011;PW=123456;MN={MN};Flag=N"),
     "Flag: 'N' is not an integer 0-255"),
    (upload(STANDARD_CP, head=f"ST=32;CN=2011;PW=123456;MN={MN};Flag=256"),
     "Flag: '256' is not an integer 0-255"),
    (upload(STANDARD_CP, head=f"ST=32;CN=2011;PW=123456;MN={MN};Flag=7;PNUM=2"),
     "PNO: missing (PNUM present)"),
    (upload(STANDARD_CP, head=f"ST=32;CN=2011;PW=123456;MN={MN};Flag=7;PNUM=2;PNO=3"),
     "PNO: 3 > PNUM 2"),
    (upload(STANDARD_CP, head=f"ST=32;CN=2011;PW=123456;MN={MN};Flag=7;PNUM=x;PNO=1"),
     "PNUM: 'x' is not an integer 1-9999"),
    (upload(STANDARD_CP, head=f"ST=32;ST=31;CN=2011;PW=123456;MN={MN}"), "ST: repeated"),
    (upload(STANDARD_CP, head=f"ST=32;CN=2011;PW=123456;MN={MN};junk"),
     "header: field 'junk' has no '='"),
    (upload("DataTime=2016080108585;a21026-Rtd=1"), "DataTime: '2016080108585' is not 14 digits"),
    (upload("DataTime=20161301085857;a21026-Rtd=1"),
     "DataTime: '20161301085857' is not a valid date and time"),
    (upload("DataTime=20160801085857;DataTime=20160801085857"), "DataTime: repeated"),
    (upload("a21026-Rtd=1,a21026-Flag=N"), "DataTime: missing"),
    (upload("DataTime=20160801085857;a21026-Rtd"), "CP: item 'a21026-Rtd' has no '='"),
    (upload("DataTime=20160801085857;-Rtd=1"), "CP: field '-Rtd' is not <code>-<suffix>"),
    (upload("DataTime=20160801085857;=1"), "CP: item '=1' has no name"),
    (upload("DataTime=20160801085857;a-Rtd=1\t"), "segment: control character U+0009"),
    (b"##0010" + b"\xffQN=\xfe12345" + b"0000", "encoding: data segment is not UTF-8 (byte 0xFF"),
]


@pytest.mark.parametrize(("raw", "message"), REJECTS)
def test_rejections_name_the_field(raw, message):
    p = decode(raw)
    assert not p.ok
    assert p.error is not None and message in p.error, p.error
    assert not p.error.startswith("internal")


def test_several_errors_are_all_reported():
    p = decode(upload(STANDARD_CP, head="QN=1;ST=3;CN=x;PW=123456;MN=" + MN, crc="0000"))
    assert not p.ok
    for part in ("CRC:", "QN:", "ST:", "CN:"):
        assert part in p.error


def test_rejected_upload_still_reports_fields():
    p = decode(upload(STANDARD_CP, crc="0000"))
    assert not p.ok and p.mn == MN and p.cn == "2061" and p.qn == "20160801090000001"
    assert p.data_time is not None and p.factors["w01018"]["Rtd"] == 2.2


def test_wrong_input_types_do_not_raise():
    assert decode("##0101abc").error == "frame: expected bytes, got str"  # type: ignore[arg-type]
    assert decode(None).error == "frame: expected bytes, got NoneType"  # type: ignore[arg-type]
    assert decode(bytearray(APPENDIX_A)).ok
    assert decode(memoryview(APPENDIX_A)).ok
    p = decode(APPENDIX_A, ("crc32",))
    assert not p.ok and "CRC: unknown mode 'crc32'" in p.error
    assert decode(APPENDIX_A, ()).error == "CRC: no CRC mode enabled"


# ---------------------------------------------------------------- encoding

def test_build_appendix_a_example():
    cp = format_cp(items={"RtdInterval": "30"})
    assert cp == "RtdInterval=30"
    raw = build_packet(st="32", cn="1062", pw="100000", mn=MN, flag=5, cp=cp,
                       qn="20160801085857223")
    assert raw == APPENDIX_A


def test_build_omits_qn_and_flag():
    raw = build_packet(st="32", cn="2011", pw="123456", mn=MN, flag=None, cp=STANDARD_CP)
    assert raw.startswith(b"##") and raw.endswith(b"\r\n")
    assert b"QN=" not in raw and b";Flag=" not in raw
    assert raw[6:].startswith(b"ST=32;CN=2011;PW=123456;MN=")
    assert decode(raw).ok


def test_build_split_fields_in_standard_order():
    raw = build_packet(st="31", cn="2061", pw="123456", mn=MN, flag=7, cp=STANDARD_CP,
                       qn="20160801090000001", pnum=2, pno=1)
    assert b";Flag=7;PNUM=2;PNO=1;CP=&&" in raw
    p = decode(raw)
    assert p.ok and p.deviations == () and (p.pnum, p.pno) == (2, 1) and p.need_ack


def test_build_length_is_utf8_bytes():
    raw = build_packet(st="32", cn="3020", pw="123456", mn=MN, flag=4, cp="PolId=排口一",
                       qn="20160801090000001")
    seg = raw[6:-6]
    assert int(raw[2:6]) == len(seg) == len(seg.decode()) + 6  # 3 CJK chars, 3 bytes each
    p = decode(raw)
    assert p.ok and p.deviations == () and p.items["PolId"] == "排口一"


@pytest.mark.parametrize("kwargs", [
    {"st": "3;2"}, {"cn": ""}, {"mn": ""}, {"pw": "a=b"}, {"flag": 256}, {"flag": True},
    {"cp": "a=1&&b=2"}, {"cp": "a=1\r\n"}, {"pnum": 2}, {"pnum": 0, "pno": 1}, {"qn": "1;2"},
    {"cp": "a=" + "1" * 10000},
])
def test_build_rejects_unencodable(kwargs):
    args = {"st": "32", "cn": "2011", "pw": "123456", "mn": MN, "flag": 4}
    args.update(kwargs)
    with pytest.raises(ValueError):
        build_packet(**args)


def test_format_cp_shapes():
    dt = datetime(2016, 8, 1, 8, 58, 57, tzinfo=BEIJING_FIXED)
    assert format_cp() == ""
    assert format_cp(dt, None, {"w01018": {"Rtd": 2.2, "Flag": "N"},
                                "w01001": {"Rtd": 7.1, "Flag": "N"}}) == STANDARD_CP
    assert format_cp(items={"BeginTime": "20160801080000", "EndTime": "20160801080000"}) == (
        "BeginTime=20160801080000;EndTime=20160801080000")
    # An aware time in another zone is written in Beijing time; naive is taken as Beijing.
    utc = datetime(2016, 8, 1, 0, 58, 57, tzinfo=UTC)
    assert format_cp(utc) == "DataTime=20160801085857"
    assert format_cp(datetime(2016, 8, 1, 8, 58, 57)) == "DataTime=20160801085857"


@pytest.mark.parametrize(("value", "text"), [
    (12.0, "12"), (0.1, "0.1"), (-0.5, "-0.5"), (1e-05, "0.00001"), (1.5e-07, "0.00000015"),
    (1e16, "10000000000000000"), (123456.789, "123456.789"), (3, "3"), (0.0, "0"),
    (-0.0, "-0"), (2.5e20, "250000000000000000000"),
])
def test_format_number(value, text):
    assert format_number(value) == text
    assert float(text) == value


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, "1"])
def test_format_number_rejects(bad):
    with pytest.raises(ValueError):
        format_number(bad)


@pytest.mark.parametrize(("items", "factors"), [
    ({"a;b": "1"}, None), ({"Begin": "1,2"}, None), ({"DataTime": "x"}, None),
    ({"a-b": "1"}, None), (None, {"a-b": {"Rtd": 1.0}}), (None, {"a": {"": 1.0}}),
    (None, {"a": {"Rtd": float("nan")}}), (None, {"a": {"Flag": "N=1"}}),
])
def test_format_cp_rejects_unparseable(items, factors):
    with pytest.raises(ValueError):
        format_cp(None, items, factors)


def test_make_qn():
    dt = datetime(2016, 8, 1, 9, 0, 0, 1999, tzinfo=BEIJING_FIXED)
    assert make_qn(dt) == "20160801090000001"
    assert make_qn(datetime(2016, 8, 1, 1, 0, 0, 223000, tzinfo=UTC)) == (
        "20160801090000223")
    assert len(make_qn(datetime(9, 1, 1))) == 17


def test_factors_joined_by_comma_and_repeats_recorded():
    # §6.3.3: different items are separated by ';'. Tolerated, recorded, values kept.
    p = decode(upload("DataTime=20160801080000;a21026-Avg=1,a21002-Avg=2;a21026-Avg=3"))
    assert p.ok
    assert p.factors == {"a21026": {"Avg": 3.0}, "a21002": {"Avg": 2.0}}
    assert "a21026/a21002 joined by ','" in p.deviations
    assert "a21026-Avg repeated; last value kept" in p.deviations
