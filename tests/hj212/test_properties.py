"""Property tests (hypothesis): build -> decode is identity; no input makes decode raise."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from envmon.hj212.codec import build_packet, decode, format_cp, make_qn
from envmon.hj212.codes import CN_TABLE, ST_TABLE, TEXT_SUFFIXES
from envmon.timeutil import BEIJING_FIXED
from tests.hj212.helpers import frame

_NUMBER_CHARS = "0123456789.+-eE"


def _numeric(text: str) -> bool:
    if not text or text.strip(_NUMBER_CHARS):
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


# Printable text without the CP separators ; , = & (HJ 212-2017 §6.3.3); CJK included.
text = st.text(
    st.characters(whitelist_categories=("L", "N", "P", "S"), blacklist_characters=";,=&"),
    max_size=12,
).filter(str.isprintable)
non_numeric_text = text.filter(lambda t: not _numeric(t))
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,9}", fullmatch=True)
item_names = names.filter(lambda k: k != "DataTime")
codes = st.one_of(st.from_regex(r"[a-z][0-9]{5}", fullmatch=True),
                  st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True))
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=BEIJING_FIXED))


@st.composite
def suffix_values(draw):
    out = {}
    for suffix in draw(st.lists(names, min_size=1, max_size=4, unique=True)):
        if suffix in TEXT_SUFFIXES:
            out[suffix] = draw(text)
        else:
            out[suffix] = draw(st.one_of(finite, non_numeric_text))
    return out


@st.composite
def packets(draw):
    factors = draw(st.dictionaries(codes, suffix_values(), max_size=5))
    split = draw(st.one_of(st.none(), st.integers(1, 9999).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(1, n)))))
    return {
        "st": draw(st.sampled_from(sorted(ST_TABLE))),
        "cn": draw(st.sampled_from(sorted(CN_TABLE))),
        "pw": draw(st.from_regex(r"[A-Za-z0-9]{6,24}", fullmatch=True)),
        "mn": draw(st.one_of(st.from_regex(r"[0-9A-F]{24}", fullmatch=True),
                             st.from_regex(r"[A-Za-z0-9_]{7,24}", fullmatch=True))),
        "flag": draw(st.one_of(st.none(), st.integers(0, 255))),
        "qn": draw(st.one_of(st.none(), times.map(make_qn))),
        "pnum": None if split is None else split[0],
        "pno": None if split is None else split[1],
        # An upload with factors needs its DataTime (reference §8); give one whenever factors.
        "data_time": draw(times if factors else st.one_of(st.none(), times)),
        "items": draw(st.dictionaries(item_names, text, max_size=4)),
        "factors": factors,
    }


@given(packets())
@settings(max_examples=300)
def test_build_decode_identity(spec):
    cp = format_cp(spec["data_time"], spec["items"], spec["factors"])
    raw = build_packet(st=spec["st"], cn=spec["cn"], pw=spec["pw"], mn=spec["mn"],
                       flag=spec["flag"], cp=cp, qn=spec["qn"], pnum=spec["pnum"],
                       pno=spec["pno"])
    p = decode(raw)
    assert p.ok, p.error
    assert p.crc_ok and p.crc_mode == "hj212" and p.raw == raw
    for key in ("st", "cn", "pw", "mn", "flag", "qn", "pnum", "pno", "data_time", "items",
                "factors"):
        assert getattr(p, key) == spec[key], key
    # Same floats bit for bit (0.0 and -0.0 compare equal, so check the sign too).
    for code, values in spec["factors"].items():
        for suffix, value in values.items():
            assert type(p.factors[code][suffix]) is type(value)
            if isinstance(value, float):
                assert repr(p.factors[code][suffix]) == repr(value)


@given(st.binary(max_size=400))
@settings(max_examples=500)
def test_arbitrary_bytes_never_raise(data):
    p = decode(data)
    assert not (p.error or "").startswith("internal"), p.error
    assert p.ok == (p.error is None)
    decode(b"##" + data)
    assert not (decode(b"##" + data).error or "").startswith("internal")


@given(st.text(max_size=300))
@settings(max_examples=500)
def test_arbitrary_segment_in_a_valid_frame(segment):
    # Framing and CRC right, so the field parser sees arbitrary text.
    p = decode(frame(segment))
    assert p.crc_ok
    assert not (p.error or "").startswith("internal"), p.error
    if p.ok:
        assert p.cn is not None and p.mn is not None and p.st is not None


@given(st.lists(st.sampled_from(
    ["QN=20160801085857223", "ST=32", "CN=2061", "PW=123456", "MN=010000A8900016F000169DC0",
     "Flag=5", "Flag=7", "PNUM=2", "PNO=1", "PNO=3", "CP=&&", "&&", "DataTime=20160801080000",
     "DataTime=201608010800001", "a21026-Avg=1.5", "a21026-Flag=N", "BeginTime=1", ",", ";",
     "=", "-", "QnRtn=1", "CP=&&&&", "x"]), max_size=25))
@settings(max_examples=1000)
def test_segment_soup_never_raises(parts):
    p = decode(frame("".join(parts)))
    assert not (p.error or "").startswith("internal"), p.error


@given(st.integers(0, 120), st.integers(0, 255), st.sampled_from(["replace", "insert", "delete"]))
@settings(max_examples=500)
def test_mutated_frame(pos, byte, how):
    good = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
            b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n")
    if how == "replace":
        bad = good[:pos] + bytes([byte]) + good[pos + 1 :]
    elif how == "insert":
        bad = good[:pos] + bytes([byte]) + good[pos:]
    else:
        bad = good[:pos] + good[pos + 1 :]
    p = decode(bad)
    assert not (p.error or "").startswith("internal")
    if bad != good and how != "replace" and pos < len(good) - 2:
        assert not p.ok  # the declared length catches every insertion and deletion
