"""Turn a decoded HJ 212 upload into store rows (long format: one row per factor).

Plausibility (issue 10) is decided here, once, by the flag stored: an item the codec found
implausible (``Packet.invalid``: empty, not a number, not finite, implausible magnitude,
repeated with different values) is stored with flag ``X``, and an item whose measured value
lies outside the point's registered instrument range with flag ``T`` (HJ 212-2017 Table 8,
超测量上限; emissions.md §8 "out of range: flag T, or value > instrument range"). The flag the
unit sent is kept in ``extra`` as ``sent_flag``, the reason as ``invalid``. Every validity rule
(assessment ``valid_flags``, emissions, alarms) already treats a flag other than N as invalid
(hj212.md §9), so such an hour is never a valid hour. A new plausibility rule goes into
:func:`_judged`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from envmon.hj212.codec import Packet
from envmon.hj212.codes import (
    DATA_UPLOAD_CNS,
    IMPLAUSIBLE_FLAG,
    MAX_PLAUSIBLE_MAGNITUDE,
    OUT_OF_RANGE_FLAG,
    UPLOAD_CNS_2025,
    to_2017,
)
from envmon.store import RecordRow

# factor (2017 code) -> (lower, upper) end of the instrument range; None: no bound
Ranges = Mapping[str, tuple[float | None, float | None]]
# Measured values an instrument range bounds (not the O2-corrected Zs values, not Cou).
_RANGED_SUFFIXES = ("Rtd", "Avg", "Min", "Max")

STORED_UPLOAD_CNS = DATA_UPLOAD_CNS | UPLOAD_CNS_2025
"""Uploads whose data are stored as records: HJ 212-2017's and HJ 212-2025's new ones (2013
raw data, 2052 noise, 2062 standard-sample checks, 2111 furnace temperature)."""

_canonical_codes: dict[str, str] = {}


def canonical_code(code: str) -> str:
    """The 2017 code for a factor as sent (2005 codes mapped, unknown codes kept raw)."""
    canonical = _canonical_codes.get(code)
    if canonical is None:
        canonical = to_2017(code) or code
        if len(_canonical_codes) < 10_000:  # devices send a small fixed set; stay bounded
            _canonical_codes[code] = canonical
    return canonical

# Suffixes with a column of their own (HJ 212-2017 Table 4); anything else goes to `extra`.
_NUMERIC_COLUMNS = {"Rtd": 0, "Avg": 1, "Min": 2, "Max": 3, "Cou": 4, "ZsRtd": 5, "ZsAvg": 6}
_COLUMNS = frozenset((*_NUMERIC_COLUMNS, "Flag", "EFlag"))


def _judged(code: str, fields: dict[str, float | str], packet_invalid: dict[str, str],
            ranges: Ranges | None) -> tuple[str, str] | None:
    """(flag to store, reason) when the item is not valid data, else None."""
    reason = packet_invalid.get(code) if packet_invalid else None
    if reason is not None:
        return IMPLAUSIBLE_FLAG, reason
    bounds = ranges.get(canonical_code(code)) if ranges else None
    if bounds is None:
        return None
    low, high = bounds
    for suffix in _RANGED_SUFFIXES:
        value = fields.get(suffix)
        if not isinstance(value, float):
            continue
        if high is not None and value > high:
            return OUT_OF_RANGE_FLAG, f"{code}-{suffix}: {value:g} above the instrument " \
                f"range's upper end {high:g}"
        if low is not None and value < low:
            return OUT_OF_RANGE_FLAG, f"{code}-{suffix}: {value:g} below the instrument " \
                f"range's lower end {low:g}"
    return None


def _record_with_extra(mn, cn, data_time, code, fields, received_at, qn, peer, trusted,
                       judged: tuple[str, str] | None = None, resent: bool = False,
                       st: str | None = None) -> RecordRow:
    """A record whose suffixes do not all fit the columns: the rest goes to `extra`.
    `judged` (flag, reason): the item is not valid data; that flag is stored instead."""
    numbers: list[float | None] = [None] * 7
    flag = eflag = None
    extra: dict[str, float | str] = {}
    for suffix, value in fields.items():
        column = _NUMERIC_COLUMNS.get(suffix)
        if (column is not None and isinstance(value, float)
                and -MAX_PLAUSIBLE_MAGNITUDE < value < MAX_PLAUSIBLE_MAGNITUDE):
            numbers[column] = value
        elif suffix == "Flag":
            flag = str(value)
        elif suffix == "EFlag":
            eflag = str(value)
        else:
            extra[suffix] = value
    if judged is not None:
        if flag is not None:
            extra["sent_flag"] = flag
        flag, extra["invalid"] = judged
    return RecordRow(
        mn, cn, data_time, canonical_code(code), code, *numbers, flag, eflag,
        json.dumps(extra, ensure_ascii=False) if extra else None, received_at, qn, peer,
        trusted, resent, st,
    )


def records_from_packet(packet: Packet, received_at: datetime, peer: str | None = None,
                        trusted: bool = True, ranges: Ranges | None = None
                        ) -> list[RecordRow]:
    """One RecordRow per factor of an upload (CN 2011/2051/2061/2031/2041/2081/3020, and
    the HJ 212-2025 uploads 2013/2052/2062/2111). Each row keeps the packet's ST (ST 44/45
    are series of their own) and its re-send mark RF=1 (`resent`).

    Numeric suffixes get columns; Flag and EFlag are kept raw (hj212.md §9: store the raw
    flag); every other suffix (SampleTime, ZsMin, RS, RT, Info …) is kept in `extra` as JSON.
    Uploads without factors (2081 boot time) keep their plain items as one row each, so
    nothing a unit sends is lost. `peer` and `trusted` are the provenance every row keeps
    (the sender's address; whether it is the unit's own live session: see RecordRow).

    ``ranges``: the point's instrument ranges (registry ``point_factors.range_min/max``);
    an implausible item or a value outside its range is stored as invalid (module docstring).
    """
    data_time = packet.data_time or received_at
    mn, cn, qn = packet.mn or "", packet.cn or "", packet.qn
    resent, st = packet.resent, packet.st
    rows: list[RecordRow] = []
    invalid = packet.invalid
    for code, fields in packet.factors.items():
        if invalid or ranges:
            judged = _judged(code, fields, invalid, ranges)
            if judged is not None:
                rows.append(_record_with_extra(mn, cn, data_time, code, fields, received_at,
                                               qn, peer, trusted, judged, resent, st))
                continue
        get = fields.get
        # Only Flag/EFlag may be text; a text value under a numeric suffix goes to `extra`.
        if fields.keys() <= _COLUMNS and list(map(type, fields.values())).count(str) == (
            ("Flag" in fields) + ("EFlag" in fields)
        ):
            # The usual case: every suffix has a column. This runs for every factor of
            # every packet received, hence positional arguments and no loop.
            rows.append(RecordRow(
                mn, cn, data_time, canonical_code(code), code, get("Rtd"), get("Avg"),
                get("Min"), get("Max"), get("Cou"), get("ZsRtd"), get("ZsAvg"), get("Flag"),
                get("EFlag"), None, received_at, qn, peer, trusted, resent, st,
            ))
        else:
            rows.append(_record_with_extra(mn, cn, data_time, code, fields, received_at, qn,
                                           peer, trusted, None, resent, st))
    if not rows:
        for name, value in packet.items.items():
            rows.append(
                RecordRow(
                    mn=mn, cn=cn, data_time=data_time, factor=name, factor_raw=name,
                    rtd=None, avg=None, min=None, max=None, cou=None, zs_rtd=None,
                    zs_avg=None, flag=None, eflag=None,
                    extra=json.dumps({"value": value}, ensure_ascii=False),
                    received_at=received_at, qn=qn, peer=peer, trusted=trusted,
                    resent=resent, st=st,
                )
            )
    return rows
