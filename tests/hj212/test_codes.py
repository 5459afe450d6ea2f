"""Code tables against HJ 212-2017 Tables 5, 8, 9 and Appendix B."""

from __future__ import annotations

import pytest

from envmon.hj212.codes import (
    CN_TABLE,
    DATA_FLAGS,
    DATA_UPLOAD_CNS,
    EXERTN,
    FACTORS,
    QNRTN,
    ST_TABLE,
    to_2005,
    to_2017,
)


@pytest.mark.parametrize(("old", "new"), [
    # HJ 212-2017 Appendix B "原编码": water (3 digits), gas (2 digits), parameters, flows.
    ("011", "w01018"), ("060", "w21003"), ("101", "w21011"), ("065", "w21001"),
    ("001", "w01001"), ("02", "a21026"), ("03", "a21002"), ("01", "a34013"),
    ("S01", "a19001"), ("S03", "a01012"), ("S08", "a01013"), ("B01", "w00000"),
    ("B02", "a00000"), ("25", "a24087"),
])
def test_2005_to_2017(old, new):
    assert to_2017(old) == new
    assert to_2005(new) == old


def test_to_2017_keeps_2017_codes_and_rejects_unknown():
    assert to_2017("a34004") == "a34004"  # already 2017 form (not in the table: still kept)
    assert to_2017("w01018") == "w01018"
    for unknown in ("LAMPBLACK", "16", "a2106", "O3", "100000", ""):
        assert to_2017(unknown) is None


def test_tables():
    assert frozenset({"2011", "2051", "2061", "2031", "2041", "2081", "3020"}) == DATA_UPLOAD_CNS
    assert set(CN_TABLE) >= DATA_UPLOAD_CNS
    assert set("NFMSDCTB") == set(DATA_FLAGS)
    assert DATA_FLAGS["N"].zh == "正常" and DATA_FLAGS["B"].en.startswith("instrument")
    assert ST_TABLE["31"] == "air pollution source" and ST_TABLE["91"] == "system interaction"
    assert QNRTN["1"] == "ready to execute" and EXERTN["100"] == "no data"
    assert FACTORS["w01018"].zh == "化学需氧量" and FACTORS["w01018"].unit == "mg/L"
    assert FACTORS["a21026"].kind == "gas" and FACTORS["a34004"].kind == "air"
    # 2005 codes are unique, so the map is a function both ways.
    olds = [f.code_2005 for f in FACTORS.values() if f.code_2005]
    assert len(olds) == len(set(olds))
