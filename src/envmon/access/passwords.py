"""Passwords: argon2id hashes (argon2-cffi, the RFC 9106 low-memory profile: t=3, 64 MiB,
p=4), the minimum length, and reading one from standard input. A password is never logged,
echoed or stored in clear.

`verify_or_waste(hash, password)` checks a password against a user's hash, or against a
fixed dummy hash when there is no such user, so a failed login costs the same time whether
the name exists or not.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import TextIO

from envmon.errors import OptionError

__all__ = ["check_new_password", "hash_password", "read_password", "verify_or_waste"]

MAX_LENGTH = 1024  # argon2 takes any length; a megabyte "password" is a denial of service


@cache
def _hasher():
    from argon2 import PasswordHasher
    from argon2.profiles import RFC_9106_LOW_MEMORY

    return PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not a password of anyone: it only costs time")


def check_new_password(password: str, min_length: int, option: str = "password") -> None:
    """`OptionError(option)` for a password too short, too long or blank."""
    if not password or not password.strip():
        raise OptionError(option, "the password is empty")
    if len(password) < min_length:
        raise OptionError(option, f"the password is shorter than {min_length} characters")
    if len(password) > MAX_LENGTH:
        raise OptionError(option, f"the password is longer than {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_or_waste(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches `password_hash`; with no hash (no such user), the same
    work against a dummy hash and False."""
    from argon2.exceptions import InvalidHashError, VerificationError

    if len(password) > MAX_LENGTH:
        password = password[:MAX_LENGTH]  # still spend the time
    try:
        ok = _hasher().verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


def read_password(stream: TextIO | None = None, option: str = "password") -> str:
    """A password from standard input: asked twice (not echoed) on a terminal, else the first
    line (its line end removed)."""
    stream = stream or sys.stdin
    if stream.isatty():
        import getpass

        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password again: ")
        if first != second:
            raise OptionError(option, "the two passwords differ")
        return first
    line = stream.readline(MAX_LENGTH + 2)
    if not line:
        raise OptionError(option, "no password on standard input (give it as one line)")
    return line.rstrip("\r\n")
