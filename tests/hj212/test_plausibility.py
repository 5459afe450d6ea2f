"""Implausible values (issue 10, finding 6): the decoder reports each one as a deviation and
marks its item invalid (``Packet.invalid``), so the receiver never stores it as valid data.

HJ 212-2017 Table 4: the value suffixes (Rtd, Avg, Min, Max, Cou, Zs…) carry numbers.
"""

from __future__ import annotations

import pytest

from envmon.hj212.codec import decode
from tests.hj212.helpers import upload

BAD_VALUES = {
    "1e308": "implausible magnitude",  # finite, but ×flow it overflows the mass to inf
    "NaN": "is not a number",
    "inf": "is not a number",
    "1e309": "is not finite",  # overflows the double to inf
    "": "empty",
    "abc": "is not a number",
    "0x10": "is not a number",
}


@pytest.mark.parametrize("value", list(BAD_VALUES))
def test_an_implausible_value_is_a_deviation_and_its_item_invalid(value):
    p = decode(upload(f"DataTime=20261101080000;a21026-Avg={value},a21026-Flag=N;"
                      "a21002-Avg=20,a21002-Flag=N"))
    assert p.ok, p.error  # tolerated: the packet is answered, the item is not valid data
    assert set(p.invalid) == {"a21026"}
    assert BAD_VALUES[value] in p.invalid["a21026"]
    assert p.invalid["a21026"].startswith("a21026-Avg: ")
    assert any(d.startswith("a21026-Avg: ") and d.endswith("the item is invalid")
               for d in p.deviations), p.deviations


def test_a_factor_repeated_with_another_value_is_invalid():
    p = decode(upload("DataTime=20261101080000;a21026-Avg=1,a21026-Flag=N;"
                      "a21026-Avg=500,a21026-Flag=N"))
    assert p.ok
    assert p.invalid == {"a21026": "a21026-Avg: repeated with different values"}
    assert "a21026-Avg: repeated with different values; the item is invalid" in p.deviations


def test_a_factor_repeated_with_the_same_value_is_a_deviation_only():
    p = decode(upload("DataTime=20261101080000;a21026-Avg=1,a21026-Flag=N;"
                      "a21026-Avg=1.0,a21026-Flag=N"))
    assert p.invalid == {}
    assert "a21026-Avg repeated; last value kept" in p.deviations


def test_plausible_values_and_text_suffixes_draw_nothing():
    p = decode(upload("DataTime=20261101080000;a21026-Avg=-0.5,a21026-Max=1e3,"
                      "a21026-Cou=99999999999999,a21026-Flag=N,a21026-EFlag=,"
                      "a21026-SampleTime=20261101083000"))
    assert p.invalid == {} and p.deviations == ()
