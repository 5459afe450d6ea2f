"""envmon.choices.choice, the one reader of typed options, and render's check_format, the one
format check that the CLI's --format callback goes through."""

from __future__ import annotations

from enum import StrEnum

import pytest

from envmon.choices import choice, optional_choice
from envmon.errors import OptionError
from envmon.render.registry import check_format


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


def test_choice_reads_the_value_or_names_the_option():
    assert choice(Colour, "red", "--colour") is Colour.RED
    assert choice(Colour, Colour.BLUE, "--colour") is Colour.BLUE
    assert optional_choice(Colour, None, "--colour") is None
    with pytest.raises(OptionError) as err:
        choice(Colour, "green", "--colour")
    assert (err.value.option, err.value.reason) == ("--colour",
                                                    "must be one of red, blue, not 'green'")
    with pytest.raises(OptionError) as err:
        choice(Colour, "green", "--colour", noun="colour")
    assert err.value.reason == "unknown colour green: must be one of red, blue"


def test_check_format_against_a_list_or_what_a_result_renders_to():
    class Listing:
        def as_json(self):
            return []

    assert check_format(("json", "csv"), "csv") == "csv"
    assert check_format(Listing, "json") == "json"
    with pytest.raises(OptionError) as err:
        check_format(("xlsx", "html"), "pdf", "--formats")
    assert str(err.value) == "--formats: 'pdf' is not available here; choose one of xlsx, html"
    with pytest.raises(OptionError) as err:
        check_format(Listing, "csv")
    assert str(err.value) == "--format: 'csv' is not available here; choose one of json"
