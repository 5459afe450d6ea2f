"""The one JSON printer: its value conversions and its four layouts."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from pathlib import Path

import numpy as np
import pytest

from envmon.render import jsonout

BEIJING = timezone(timedelta(hours=8))


class Level(Enum):
    POINT = "point"


@dataclass
class Pair:
    a: int
    when: date


class WithJson:
    def as_json(self):
        return {"x": 1}


def test_indent_layout_is_today_s_indent_1_with_chinese_kept():
    text = jsonout.dumps({"名称": "太原", "n": [1, 2]})
    assert text == json.dumps({"名称": "太原", "n": [1, 2]}, ensure_ascii=False, indent=1) + "\n"
    assert "太原" in text


def test_values_json_cannot_write_become_plain_values():
    value = {
        "t": datetime(2026, 11, 1, 8, tzinfo=BEIJING),
        "u": datetime(2026, 11, 1, 0, tzinfo=UTC),
        "d": date(2026, 11, 1),
        "rate": Decimal("98.25"),
        "count": Decimal("12"),
        "level": Level.POINT,
        "path": Path("a/b.xlsx"),
        "np_float": np.float64(1.5),
        "np_int": np.int64(7),
        "array": np.array([1, 2]),
        "pair": Pair(1, date(2026, 1, 2)),
        "own": WithJson(),
    }
    back = json.loads(jsonout.dumps(value))
    assert back == {
        "t": "2026-11-01T08:00:00+08:00",
        "u": "2026-11-01T00:00:00+00:00",
        "d": "2026-11-01",
        "rate": 98.25,
        "count": 12,
        "level": "point",
        "path": "a/b.xlsx",
        "np_float": 1.5,
        "np_int": 7,
        "array": [1, 2],
        "pair": {"a": 1, "when": "2026-01-02"},
        "own": {"x": 1},
    }
    assert isinstance(back["count"], int)


def test_unknown_objects_still_fail_loudly():
    with pytest.raises(TypeError):
        jsonout.dumps({"x": object()})


def test_compact_layout_is_one_line():
    assert jsonout.dumps({"a": 1, "名": "值"}, "compact") == '{"a": 1, "名": "值"}\n'


def test_lines_layout_is_one_object_per_line_and_streams():
    stream = io.StringIO()
    jsonout.write(({"i": i} for i in range(3)), stream, "lines")
    assert stream.getvalue() == '{"i": 0}\n{"i": 1}\n{"i": 2}\n'
    assert [json.loads(line) for line in stream.getvalue().splitlines()] == [
        {"i": 0}, {"i": 1}, {"i": 2}]


def test_array_lines_layout_is_an_array_with_one_record_per_line():
    text = jsonout.dumps([{"a": 1}, {"a": 2}], "array_lines")
    assert text == '[\n{"a": 1},\n{"a": 2}\n]\n'
    assert json.loads(text) == [{"a": 1}, {"a": 2}]
    assert jsonout.dumps([], "array_lines") == "[]\n"


def test_per_line_layouts_refuse_a_single_object():
    with pytest.raises(TypeError):
        jsonout.dumps({"a": 1}, "lines")
    with pytest.raises(ValueError, match="layout"):
        jsonout.dumps([1], "pretty")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_number_is_refused_naming_where_it_is(bad):
    # NaN and Infinity are not JSON (RFC 8259 §6): a strict reader rejects the whole output.
    @dataclass
    class Line:
        tax_yuan: float

    for layout in jsonout.LAYOUTS:
        value = [{"units": [{"lines": [Line(1.0), Line(bad)]}]}]
        with pytest.raises(jsonout.NonFiniteNumberError) as refused:
            jsonout.dumps(value, layout)
        assert "units[0].lines[1].tax_yuan is" in str(refused.value)
        assert isinstance(refused.value, jsonout.EnvmonError)  # one line at the CLI, exit 2
