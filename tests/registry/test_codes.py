"""GB 32100-2015 check characters, GB/T 2260 code rules, factor codes."""

from __future__ import annotations

import pytest

from envmon.registry.codes import (
    factor_code_2017,
    region_code_problem,
    uscc_check_char,
    uscc_problem,
    with_check_char,
)


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",  # python-stdnum's doctest example
        "91350100M000100Y43",  # the example printed on sample business licences
    ],
)
def test_valid_uscc(code):
    assert uscc_problem(code) is None
    assert uscc_check_char(code[:17]) == code[17]


def test_bad_uscc_explained():
    assert "gives 'L'" in uscc_problem("91110000600037341M")
    assert "not allowed" in uscc_problem("91110000600037341O")  # O is not in the set
    assert "18" in uscc_problem("9111000060003734")
    assert "characters 3-8" in uscc_problem(with_check_char("91A10000600037341"))


def test_check_char_31_is_written_0():
    # find a body whose weighted sum is 0 mod 31: the check character is then '0'
    assert with_check_char("0" * 17) == "0" * 18


def test_region_codes():
    assert region_code_problem("140100", "city") is None
    assert region_code_problem("140105", "county") is None
    assert "province" in region_code_problem("140000", "city")
    assert "does not end in 00" in region_code_problem("140105", "city")
    assert "city code" in region_code_problem("140100", "county")
    assert "six-digit" in region_code_problem("1401", "city")


def test_factor_codes():
    assert factor_code_2017("a21026") == "a21026"
    assert factor_code_2017("A21026") == "a21026"
    assert factor_code_2017("011") == "w01018"  # COD, HJ/T 212-2005
    assert factor_code_2017("060") == "w21003"  # NH3-N
    assert factor_code_2017("02") == "a21026"  # SO2
    assert factor_code_2017("s01") == "a19001"  # O2
    assert factor_code_2017("B02") == "a00000"
    assert factor_code_2017("xyz") is None
