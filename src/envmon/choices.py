"""Typed choices for use-case options: one Enum per option, one way to read it.

An option with a fixed set of values is an `enum.StrEnum` in its domain's `api.py`;
`choice(Enum, value, "--option")` turns what a door received (a Typer string, a query
parameter) into the member, or raises `OptionError` naming the option and listing the values.
Typer and FastAPI both take the same Enum, so both offer the same choices. This is the one
reader of typed options: a use case never loops over an Enum or repeats the message. Output
formats are not options of a use case: `envmon.render.registry.check_format` checks them.
"""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from envmon.errors import OptionError

E = TypeVar("E", bound=Enum)


def values_of(enum_type: type[Enum]) -> tuple[str, ...]:
    return tuple(str(member.value) for member in enum_type)


def choice(enum_type: type[E], value: object, option: str, *, noun: str | None = None) -> E:
    """`value` as a member of `enum_type`, or OptionError(option, "must be one of …");
    with `noun` the reason opens "unknown <noun> <value>: " (e.g. "unknown CRC mode xor")."""
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(values_of(enum_type))
        if noun is not None:
            raise OptionError(option, f"unknown {noun} {value}: must be one of {allowed}") \
                from None
        raise OptionError(option, f"must be one of {allowed}, not {value!r}") from None


def optional_choice(enum_type: type[E], value: object, option: str) -> E | None:
    return None if value is None else choice(enum_type, value, option)
