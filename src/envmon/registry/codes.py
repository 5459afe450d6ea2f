"""Identifier and code rules for the registry: GB 32100-2015, GB/T 2260, HJ 212 factor codes."""

from __future__ import annotations

import re

from envmon.hj212.codes import to_2017

# GB 32100-2015 §4–5: 18 characters from a 31-character set (no I, O, S, V, Z); the 18th is
# a check character, C18 = 31 − (Σ Ci·Wi mod 31), with 31 written as 0.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_SIX_DIGITS = re.compile(r"\d{6}")


def uscc_check_char(first17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters of a 统一社会信用代码."""
    if len(first17) != 17:
        raise ValueError(f"need 17 characters, got {len(first17)}")
    total = 0
    for char, weight in zip(first17, USCC_WEIGHTS, strict=True):
        value = USCC_ALPHABET.find(char)
        if value < 0:
            raise ValueError(f"character {char!r} is not allowed (GB 32100-2015)")
        total += value * weight
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why `code` is not a valid 统一社会信用代码 (GB 32100-2015), or None when it is."""
    if len(code) != 18:
        return f"{code!r} has {len(code)} characters, a 统一社会信用代码 has 18"
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        return (
            f"{code!r} contains {', '.join(repr(c) for c in bad)}, not allowed in a "
            "统一社会信用代码 (GB 32100-2015: digits and capitals except I, O, S, V, Z)"
        )
    if not code[2:8].isdigit():
        return f"{code!r}: characters 3-8 must be the digits of an administrative division code"
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return (
            f"{code!r}: check character is {code[17]!r} but GB 32100-2015 gives {expected!r} "
            "(a typo in the code?)"
        )
    return None


def with_check_char(first17: str) -> str:
    """`first17` completed with its GB 32100-2015 check character."""
    return first17 + uscc_check_char(first17)


def region_code_problem(code: str, level: str) -> str | None:
    """Why `code` is not a GB/T 2260 code of `level` ('city' or 'county'), or None."""
    if not _SIX_DIGITS.fullmatch(code):
        return f"{code!r} is not a six-digit GB/T 2260 code"
    if level == "city":
        if code.endswith("0000"):
            return f"{code} is a province code; a city (地市) code ends in 00 but not 0000"
        if not code.endswith("00"):
            return f"{code} does not end in 00, as a city (地市) code does"
    elif level == "county" and code.endswith("00"):
        return f"{code} ends in 00: that is a city code, not a county (区县) code"
    return None


def province_code(city_code: str) -> str:
    return city_code[:2] + "0000"


def factor_code_2017(code: str) -> str | None:
    """Canonical HJ 212-2017 code of a factor code written in a registry, or None if unknown.

    Accepts 2017 codes in any letter case (`A21026`) and HJ/T 212-2005 codes (`011`, `02`,
    `S01`, `B02`), mapped through HJ 212-2017 Appendix B (the one table, in `envmon.hj212.codes`).
    """
    code = code.strip()
    if re.fullmatch(r"[A-Za-z]\d{5}", code):
        code = code.lower()
    elif re.fullmatch(r"[a-z]\d{2}", code):
        code = code.upper()  # s01 -> S01
    return to_2017(code)


def factor_kind(code: str) -> str | None:
    """'gas' or 'water' for a 2017 pollution-source factor code; None for others (e…, g…, i…)."""
    if code.startswith("a"):
        return "gas"
    if code.startswith("w"):
        return "water"
    return None
