"""The segment readers: each reads one part; the one-match header path equals the plain one;
decoding keeps nothing of the headers it saw."""

from __future__ import annotations

import gc
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from envmon.hj212.codec import decode
from envmon.hj212.crc import crc16
from envmon.hj212.readers import (
    check_split,
    read_area,
    read_fields,
    read_head,
    read_header,
    split_segment,
)

HEAD = "QN=20261101090000123;ST=31;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5"


def _plain(head: str):
    errors, devs = [], []
    return read_fields(read_header(head, errors, devs), errors, devs), errors, devs


def _fast(head: str):
    errors, devs = [], []
    return read_head(head, errors, devs), errors, devs


def test_split_segment_names_the_cp_problem():
    errors = []
    assert split_segment("QN=1;CP=&&a=1&&", errors) == ("QN=1", "a=1")
    assert split_segment("QN=1;CP=&&a=1", errors) == ("QN=1", "a=1")
    assert split_segment("QN=1", errors) == ("QN=1", None)
    assert errors == [("CP", "data area not closed by '&&'"), ("CP", "missing")]


def test_header_errors_carry_their_field():
    _, errors, devs = _fast(HEAD.replace("Flag=5", "Flag=300;PNO=2"))
    assert errors == [("Flag", "'300' is not an integer 0-255"), ("PNUM", "missing (PNO present)")]
    assert devs == []


def test_split_counts():
    errors, devs = [], []
    assert check_split("2", "3", 7, errors, devs) == (2, 3)
    assert errors == [("PNO", "3 > PNUM 2")]


def test_read_area_factors_items_and_data_time():
    errors, devs = [], []
    items, factors, data_time = read_area(
        "DataTime=20261101080000;RtdInterval=30;a21026-Avg=12.5,a21026-Flag=N", "2061",
        errors, devs)
    assert (items, factors, data_time.hour) == (
        {"RtdInterval": "30"}, {"a21026": {"Avg": 12.5, "Flag": "N"}}, 8)
    assert errors == [] and devs == []
    read_area("a21026-Avg=1", "2061", errors, devs)
    assert errors == [("DataTime", "missing")]


pieces = st.sampled_from([
    "QN=20261101090000123", "QN=2026", "QN=", "ST=31", "ST=999", "ST=", "CN=2061", "CN=99",
    "PW=123456", "PW=", "PW=1", "MN=010000A8900016F000169DC0", "MN=ABC", "Flag=5", "Flag=7",
    "Flag=x", "PNUM=2", "PNO=1", "PNO=3", "X=1", "noequals", "", "QN=20261101090000124",
])

# Headers in Table 3 order with values on both sides of what the one-match path takes.
canonical = st.tuples(
    st.sampled_from(["QN=20261101090000123", "QN=2026110109000012", "QN=２0261101090000123"]),
    st.sampled_from(["ST=31", "ST=22", "ST=ZZ", "ST=999", "ST=3"]),
    st.sampled_from(["CN=2061", "CN=9014", "CN=1234", "CN=206", "CN=20610"]),
    st.sampled_from(["PW=123456", "PW=a=bcde", "PW=12345", "PW=1234567"]),
    st.sampled_from(["MN=010000A8900016F000169DC0", "MN=010000a8900016f000169dc0",
                     "MN=010000A8900016F000169DCG", "MN=010000A8900016F000169D", "MN=ABC"]),
    st.sampled_from(["Flag=0", "Flag=1", "Flag=2", "Flag=4", "Flag=5", "Flag=05", "Flag=7",
                     "Flag=9", "Flag=11", "Flag=12", "Flag=255", "Flag=x"]),
    st.sampled_from([[], ["PNUM=2", "PNO=1"], ["X=1"]]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(pieces, max_size=9))
def test_header_path_equals_the_plain_readers(parts):
    head = ";".join(parts)
    assert _fast(head) == _plain(head)


@settings(max_examples=500, deadline=None)
@given(canonical)
def test_one_match_header_path_equals_the_plain_readers(fields):
    *head_fields, extra = fields
    head = ";".join([*head_fields, *extra])
    assert _fast(head) == _plain(head)


def test_one_match_path_takes_the_usual_header():
    assert _fast(HEAD) == (
        ("20261101090000123", "31", "2061", "123456", "010000A8900016F000169DC0", 5, None,
         None), [], [])


def test_a_flood_of_distinct_headers_keeps_nothing():
    # Headers once went into a process-wide cache before any check: 65,535 bad-CRC packets
    # with distinct 9.8 KB headers held 686 MB.  Decoding must keep nothing of them.
    def frame(k: int, crc_ok: bool) -> bytes:
        segment = (f"QN=20261101090000123;ST=31;CN=2061;PW=123456;MN=010000A8900016F000169DC0;"
                   f"Flag=5;X{k}={'y' * 9000};CP=&&&&").encode()
        crc = crc16(segment) ^ (0 if crc_ok else 1)
        return b"##%04d%b%04X\r\n" % (len(segment), segment, crc)

    decode(frame(0, False))  # module-level state that is filled once is not growth
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for k in range(1, 1001):
            packet = decode(frame(k, k % 2 == 0))
            assert packet.error_field == (None if k % 2 == 0 else "CRC")
        del packet
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 200_000, f"decoding 1000 distinct 9 KB headers kept {grown} bytes"
