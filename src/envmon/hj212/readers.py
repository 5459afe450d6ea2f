"""Readers of the HJ 212 data segment (h11 ``_readers`` style): each reads one part, no I/O.

The data segment (HJ 212-2017 §6.3.2, Table 3; §6.3.3)::

    QN=…;ST=..;CN=....;PW=…;MN=…;Flag=n;[PNUM=n;PNO=n;][RF=1;]CP=&&<data area>&&

(``RF`` is HJ 212-2025 Table 3's re-send mark; :func:`check_rf` reads it.)

:func:`~envmon.hj212.codec.decode` frames and checks length and CRC, then calls these readers in
the order of the segment.  Every reader appends what is wrong to ``errors`` as
``(field, what is wrong)`` — the field is what a rejection is counted by — and each tolerated
deviation (project reference §12) to ``devs`` as text; it returns what it read and never raises.
A new header field gets a ``check_<field>`` reader here, called from :func:`read_fields`
(and, if the header :func:`read_head` reads in one match could now draw a finding, narrow
its ``_CANONICAL_HEAD`` so that header goes through the readers);
a new rule about the data area goes into :func:`read_area` or a reader it calls.

The order in which readers run is the order of ``Packet.error`` and ``Packet.deviations``:
keep it when adding one.  :func:`read_area` is the hot loop of the receiver (every factor of
every packet): it stays one loop on purpose.
"""

from __future__ import annotations

import re
from datetime import datetime

from envmon.hj212.codes import (
    CN_TABLE,
    DATA_UPLOAD_CNS,
    MAX_PLAUSIBLE_MAGNITUDE,
    ST_TABLE,
    TEXT_SUFFIXES,
)
from envmon.timeutil import BEIJING_FIXED

__all__ = [
    "Errors",
    "check_cn",
    "check_mn",
    "check_pw",
    "check_qn_field",
    "check_rf",
    "read_rf",
    "check_split",
    "check_st",
    "parse_time",
    "read_area",
    "read_count",
    "read_data_time",
    "read_flag",
    "read_fields",
    "read_head",
    "read_header",
    "split_segment",
]

Errors = list[tuple[str, str]]  # (field, what is wrong), in the order found

_NUMBER_CHARS = "0123456789.+-eE"
_MAX_MAGNITUDE = MAX_PLAUSIBLE_MAGNITUDE
# Header fields in the order of HJ 212-2017 Table 3.
HEADER_ORDER = {
    "QN": 0, "ST": 1, "CN": 2, "PW": 3, "MN": 4, "Flag": 5, "PNUM": 6, "PNO": 7,
    "RF": 8,  # HJ 212-2025 Table 3: after PNO, before CP
}
_ORDER_NAMES = {rank: name for name, rank in HEADER_ORDER.items()}


# ------------------------------------------------------------------------------ segment


def split_segment(seg: str, errors: Errors) -> tuple[str, str | None]:
    """Cut the segment into the header (without its last ';') and the CP data area.

    The data area is None when there is no ``CP=&&``; an unclosed area is read to the end.
    """
    cp_at = seg.find("CP=&&")
    area: str | None = None
    if cp_at < 0:
        head = seg
        if "CP=" in seg:
            errors.append(("CP", "does not start with '&&'"))
            head = seg[: seg.find("CP=")]
        else:
            errors.append(("CP", "missing"))
    else:
        head = seg[:cp_at]
        cp = seg[cp_at + 3 :]
        if len(cp) >= 4 and cp[-2:] == "&&":
            area = cp[2:-2]
        else:
            errors.append(("CP", "data area not closed by '&&'"))
            area = cp[2:]
        if head and head[-1] != ";":
            errors.append(("CP", "not preceded by ';'"))
    if head[-1:] == ";":
        head = head[:-1]
    return head, area


# ------------------------------------------------------------------------------ header


def read_header(head: str, errors: Errors, devs: list[str]) -> dict[str, str]:
    """``key=value`` fields separated by ';' (Table 3); order and unknown names are deviations."""
    fields: dict[str, str] = {}
    last_rank = -1
    for piece in head.split(";") if head else ():
        key, eq, value = piece.partition("=")
        if not eq:
            errors.append(("header", f"field {piece!r} has no '='"))
            continue
        if key in fields:
            # The error names a field of Table 3, or "header": never a name the peer made up
            # (an empty one, or one per packet that would grow the rejection counters).
            if key in HEADER_ORDER:
                errors.append((key, "repeated"))
            else:
                errors.append(("header", f"field {key!r} repeated"))
            continue
        fields[key] = value
        rank = HEADER_ORDER.get(key)
        if rank is None:
            devs.append(f"unknown header field {key!r}")
        elif rank < last_rank:
            devs.append(f"field order: {key} after {_ORDER_NAMES[last_rank]}")
        else:
            last_rank = rank
    return fields


def check_qn_field(qn: str | None, errors: Errors, devs: list[str]) -> None:
    """QN: 17 digits ``YYYYMMDDhhmmsszzz``; missing is tolerated (HJ/T 212-2005 units)."""
    if qn is None:
        devs.append("QN missing")
    elif not (len(qn) == 17 and qn.isdigit() and qn.isascii()):
        errors.append(("QN", f"{qn!r} is not 17 digits"))


def check_st(st: str | None, errors: Errors, devs: list[str]) -> None:
    """ST: 2 characters of Table 5; 3 digits or an unlisted code are deviations."""
    if st is None:
        errors.append(("ST", "missing"))
    elif st not in ST_TABLE:
        if len(st) == 3 and st.isdigit() and st.isascii():
            devs.append("ST has 3 digits")
        elif len(st) == 2 and st.isalnum() and st.isascii():
            devs.append(f"ST {st} not in HJ 212-2017 Table 5")
        else:
            errors.append(("ST", f"{st!r} is not 2 characters"))


def check_cn(cn: str | None, errors: Errors, devs: list[str]) -> None:
    """CN: 4 digits; a code not in Table 9 is a deviation."""
    if cn is None:
        errors.append(("CN", "missing"))
    elif not (len(cn) == 4 and cn.isdigit() and cn.isascii()):
        errors.append(("CN", f"{cn!r} is not 4 digits"))
    elif cn not in CN_TABLE:
        devs.append(f"CN {cn} not in HJ 212-2017 Table 9")


def check_pw(pw: str | None, errors: Errors, devs: list[str]) -> None:
    """PW: present and not empty; a length other than 6 is a deviation."""
    if pw is None:
        errors.append(("PW", "missing"))
    elif not pw:
        errors.append(("PW", "empty"))
    elif len(pw) != 6:
        devs.append(f"PW has {len(pw)} characters")


def check_mn(mn: str | None, errors: Errors, devs: list[str]) -> None:
    """MN: 7 to 24 ASCII characters; shorter than 24 or not hex are deviations."""
    if mn is None:
        errors.append(("MN", "missing"))
    elif not 7 <= len(mn) <= 24:
        errors.append(("MN", f"{mn!r} has {len(mn)} characters (accepted: 7 to 24)"))
    elif not mn.isascii():
        errors.append(("MN", f"{mn!r} is not ASCII"))
    elif len(mn) != 24:
        devs.append(f"MN has {len(mn)} characters")
    elif mn.strip("0123456789ABCDEFabcdef"):
        devs.append("MN is not hex")


def read_flag(text: str | None, errors: Errors, devs: list[str]) -> int | None:
    """Flag: an integer 0-255 (bit A = answer wanted, bit D = split, version in bits 2-7)."""
    if text is None:
        devs.append("Flag missing")
        return None
    if text.isdigit() and text.isascii() and len(text) <= 3:
        flag = int(text)
        if flag > 255:
            errors.append(("Flag", f"{text!r} is not an integer 0-255"))
            return None
        if flag >> 2 > 2:
            devs.append(f"Flag version {flag >> 2} unknown")
        return flag
    errors.append(("Flag", f"{text!r} is not an integer 0-255"))
    return None


def read_count(text: str | None, name: str, errors: Errors) -> int | None:
    """PNUM / PNO: positive integers (Table 3, width 4)."""
    if text is None:
        return None
    if text.isdigit() and text.isascii() and len(text) <= 4 and int(text) > 0:
        return int(text)
    errors.append((name, f"{text!r} is not an integer 1-9999"))
    return None


def check_split(
    pnum_text: str | None,
    pno_text: str | None,
    flag: int | None,
    errors: Errors,
    devs: list[str],
) -> tuple[int | None, int | None]:
    """PNUM and PNO (split uploads, C.49/C.50): read both, check they go together with bit D."""
    pnum = read_count(pnum_text, "PNUM", errors)
    pno = read_count(pno_text, "PNO", errors)
    if pnum_text is not None or pno_text is not None:
        if pnum_text is None:
            errors.append(("PNUM", "missing (PNO present)"))
        elif pno_text is None:
            errors.append(("PNO", "missing (PNUM present)"))
        elif pnum is not None and pno is not None and pno > pnum:
            errors.append(("PNO", f"{pno} > PNUM {pnum}"))
        if flag is not None and not flag & 2:
            devs.append("PNUM/PNO present without Flag bit D")
    elif flag is not None and flag & 2:
        devs.append("Flag bit D set but PNUM/PNO missing")
    return pnum, pno


Header = tuple[
    str | None, str | None, str | None, str | None, str | None, int | None, int | None, int | None
]  # QN, ST, CN, PW, MN, Flag, PNUM, PNO (RF: read_rf)

# The header nearly every packet has: every field of Table 3 but PNUM/PNO, in order, each of
# the form the standard gives (QN of 17 digits, PW of 6 characters, MN of 24 hex digits, Flag
# of one or two digits).  One match reads it; read_head still checks ST, CN and Flag against
# the tables and sends anything else through the readers.  No cache: the header's text comes
# from the network before any check, and nothing read from it is kept between packets.
_CANONICAL_HEAD = re.compile(
    "QN=([0-9]{17});ST=([0-9A-Za-z]{2});CN=([0-9]{4});PW=([^;]{6});"
    "MN=([0-9A-Fa-f]{24});Flag=([0-9]{1,2})"
)
# Flags of versions 0-2 without bit D (no split): read_flag and check_split say nothing of them.
_PLAIN_FLAGS = {str(flag): flag for flag in range(12) if not flag & 2}


def read_head(head: str, errors: Errors, devs: list[str]) -> Header:
    """The header (Table 3): split into fields, then QN, ST, CN, PW, MN, Flag, PNUM/PNO checked
    in that order.  Same result as :func:`read_fields` on :func:`read_header`, faster for the
    header nearly every packet has (in which the readers find nothing to report)."""
    match = _CANONICAL_HEAD.fullmatch(head)
    if match is not None:
        qn, st, cn, pw, mn, flag_text = match.groups()
        flag = _PLAIN_FLAGS.get(flag_text)
        if flag is not None and st in ST_TABLE and cn in CN_TABLE:
            return qn, st, cn, pw, mn, flag, None, None
    return read_fields(read_header(head, errors, devs), errors, devs)


def read_fields(fields: dict[str, str], errors: Errors, devs: list[str]) -> Header:
    """Check every header field of Table 3 in order (QN, ST, CN, PW, MN, Flag, PNUM/PNO, RF)."""
    get = fields.get
    qn = get("QN")
    check_qn_field(qn, errors, devs)
    st = get("ST")
    check_st(st, errors, devs)
    cn = get("CN")
    check_cn(cn, errors, devs)
    pw = get("PW")
    check_pw(pw, errors, devs)
    mn = get("MN")
    check_mn(mn, errors, devs)
    flag = read_flag(get("Flag"), errors, devs)
    pnum, pno = check_split(get("PNUM"), get("PNO"), flag, errors, devs)
    if flag is not None and flag & 1 and qn is None:
        devs.append("Flag A=1 without QN: the answer carries no QN")
    return qn, st, cn, pw, mn, flag, pnum, pno


def read_rf(head: str, flag: int | None, devs: list[str]) -> bool:
    """Whether the header marks a re-sent packet (``RF=1``, HJ 212-2025 Table 3), checked by
    :func:`check_rf`.  Called after :func:`read_head` (which knows RF as a field of Table 3
    and reports it repeated); the header without ``RF=`` costs one substring test."""
    if "RF=" not in head:
        return False
    for piece in head.split(";"):
        if piece[:3] == "RF=":
            check_rf(piece[3:], flag, devs)
            return piece[3:] == "1"
    return False


def check_rf(rf: str, flag: int | None, devs: list[str]) -> None:
    """RF (HJ 212-2025 Table 3): ``RF=1`` marks a re-sent packet; a live one has no RF.

    Any other value (``RF=0``, ``RF=``, ``RF=01``) is a deviation and the packet is kept as a
    live one (the standard defines only 1; refusing would lose a real measurement); RF in a
    packet of an earlier version is a deviation too (it is not in their Table 3).
    """
    if rf != "1":
        devs.append(f"RF: {rf!r} is not 1 (the only value HJ 212-2025 defines); kept as live")
    if flag is not None and flag >> 2 != 2:
        devs.append("RF in a packet of HJ 212-2017 or earlier (an HJ 212-2025 field)")


# ------------------------------------------------------------------------------ data area


def read_area(
    area: str, cn: str | None, errors: Errors, devs: list[str],
    invalid: dict[str, str] | None = None,
) -> tuple[dict[str, str], dict[str, dict[str, float | str]], datetime | None]:
    """The CP data area (§6.3.3): ';' between items, ',' between the fields of one item.

    ``code-Suffix=value`` fields go to the factors (numbers as floats; text suffixes and
    anything non-numeric stay str); plain ``name=value`` items go to the items, except
    DataTime, which is parsed.  Returns (items, factors, data_time).

    Plausibility (issue 10; HJ 212-2017 Table 4: the value suffixes carry numbers): a value
    field (any suffix but the text ones) that is empty, not a decimal number, not finite or
    of implausible magnitude (:data:`~envmon.hj212.codes.MAX_PLAUSIBLE_MAGNITUDE`), and a
    field repeated with a different value, are deviations, and the factor's item is
    invalid: ``invalid`` (when given) gets ``code -> reason`` for the first such finding.
    """
    items: dict[str, str] = {}
    factors: dict[str, dict[str, float | str]] = {}
    data_time = None
    dt_seen = False
    for group in area.split(";"):
        if not group:
            devs.append("CP: empty item")
            continue
        pairs = group.split(",") if "," in group else (group,)
        plain_keys: list[str] | None = None
        group_code = None
        values = None
        for pair in pairs:
            key, eq, value = pair.partition("=")
            if not eq:
                errors.append(("CP", f"item {pair!r} has no '='"))
                continue
            code, dash, suffix = key.partition("-")
            if dash:  # a factor field, the usual case: kept inline, it runs for every value
                if not code or not suffix:
                    errors.append(("CP", f"field {key!r} is not <code>-<suffix>"))
                    continue
                if code != group_code:
                    if group_code is not None:
                        devs.append(f"{group_code}/{code} joined by ','")
                    group_code = code
                    values = factors.get(code)
                    if values is None:
                        values = factors[code] = {}
                if suffix in TEXT_SUFFIXES:
                    parsed: float | str = value
                elif not value or value.strip(_NUMBER_CHARS):
                    parsed = value
                    _implausible(invalid, devs, code, key, "empty" if not value
                                 else f"{value!r} is not a number")
                else:
                    try:
                        number = float(value)
                    except ValueError:
                        parsed = value
                        _implausible(invalid, devs, code, key, f"{value!r} is not a number")
                    else:
                        if -_MAX_MAGNITUDE < number < _MAX_MAGNITUDE:  # False for NaN too
                            parsed = number
                        elif number - number == 0.0:
                            parsed = number
                            _implausible(invalid, devs, code, key,
                                         f"{value} is of implausible magnitude "
                                         f"(not below {_MAX_MAGNITUDE:g})")
                        else:
                            parsed = value
                            _implausible(invalid, devs, code, key, f"{value!r} is not finite")
                if suffix in values:
                    devs.append(f"{key} repeated; last value kept")
                    if values[suffix] != parsed:
                        _implausible(invalid, devs, code, key,
                                     "repeated with different values")
                values[suffix] = parsed
                continue
            if not key:
                errors.append(("CP", f"item {pair!r} has no name"))
                continue
            if plain_keys is None:
                plain_keys = [key]
            else:
                plain_keys.append(key)
            if key == "DataTime":
                if dt_seen:
                    errors.append(("DataTime", "repeated"))
                    continue
                dt_seen = True
                data_time = _DATATIME_CACHE.get(value) or read_data_time(value, errors, devs)
                continue
            read_item(items, key, value, devs)
        if plain_keys is not None and len(plain_keys) > 1:
            devs.append(f"{'/'.join(plain_keys)} joined by ','")
    if not dt_seen and factors and cn in DATA_UPLOAD_CNS:
        errors.append(("DataTime", "missing"))
    return items, factors, data_time


def _implausible(invalid: dict[str, str] | None, devs: list[str], code: str, key: str,
                 what: str) -> None:
    """Record an implausible value field: a deviation, and its item invalid."""
    reason = f"{key}: {what}"
    devs.append(f"{reason}; the item is invalid")
    if invalid is not None and code not in invalid:
        invalid[code] = reason


def read_item(items: dict[str, str], key: str, value: str, devs: list[str]) -> None:
    """A plain ``name=value`` item (RtdInterval, SystemTime, BeginTime, QnRtn …)."""
    if key in items:
        devs.append(f"{key} repeated")
        items[key] = items[key] + "," + value
    else:
        items[key] = value
    if key == "Flag":
        devs.append(f"Flag={value} item inside CP")


# DataTime strings repeat across packets (same hour, many points): caching them is safe
# because datetimes are immutable.  Bounded by clearing.
_DATATIME_CACHE: dict[str, datetime] = {}
_DATATIME_CACHE_MAX = 8192


def read_data_time(value: str, errors: Errors, devs: list[str]) -> datetime | None:
    """DataTime, N14 ``YYYYMMDDhhmmss`` Beijing time (HJ 212-2017 Table 4).

    A 17-digit value (milliseconds appended) is accepted and truncated (reference §12).
    """
    if not (value.isdigit() and value.isascii()) or len(value) not in (14, 17):
        errors.append(("DataTime", f"{value!r} is not 14 digits"))
        return None
    parsed = parse_time(value[:14])
    if parsed is None:
        errors.append(("DataTime", f"{value!r} is not a valid date and time"))
        return None
    if len(value) == 17:
        devs.append("DataTime has 17 digits; truncated to seconds")
    else:
        if len(_DATATIME_CACHE) >= _DATATIME_CACHE_MAX:
            _DATATIME_CACHE.clear()
        _DATATIME_CACHE[value] = parsed
    return parsed


def parse_time(value: str) -> datetime | None:
    """Parse an N14 ``YYYYMMDDhhmmss`` time field as Beijing time; None if invalid."""
    if len(value) != 14 or not (value.isdigit() and value.isascii()):
        return None
    try:
        return datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[8:10]),
            int(value[10:12]),
            int(value[12:14]),
            tzinfo=BEIJING_FIXED,
        )
    except ValueError:
        return None
