"""The segment readers: each reads one part; the cached header path equals the plain one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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


def _cached(head: str):
    errors, devs = [], []
    return read_head(head, errors, devs), errors, devs


def test_split_segment_names_the_cp_problem():
    errors = []
    assert split_segment("QN=1;CP=&&a=1&&", errors) == ("QN=1", "a=1")
    assert split_segment("QN=1;CP=&&a=1", errors) == ("QN=1", "a=1")
    assert split_segment("QN=1", errors) == ("QN=1", None)
    assert errors == [("CP", "data area not closed by '&&'"), ("CP", "missing")]


def test_header_errors_carry_their_field():
    _, errors, devs = _cached(HEAD.replace("Flag=5", "Flag=300;PNO=2"))
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


@settings(max_examples=500, deadline=None)
@given(st.lists(pieces, max_size=9))
def test_cached_header_path_equals_the_plain_readers(parts):
    head = ";".join(parts)
    assert _cached(head) == _plain(head)
    assert _cached(head) == _plain(head)  # second time from the cache
