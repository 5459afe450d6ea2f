"""Turn a decoded HJ 212 upload into store rows (long format: one row per factor)."""

from __future__ import annotations

import json
from datetime import datetime

from envmon.hj212.codec import Packet
from envmon.hj212.codes import to_2017
from envmon.store import RecordRow

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


def _record_with_extra(mn, cn, data_time, code, fields, received_at, qn, peer,
                       trusted) -> RecordRow:
    """A record whose suffixes do not all fit the columns: the rest goes to `extra`."""
    numbers: list[float | None] = [None] * 7
    flag = eflag = None
    extra: dict[str, float | str] = {}
    for suffix, value in fields.items():
        column = _NUMERIC_COLUMNS.get(suffix)
        if column is not None and isinstance(value, float):
            numbers[column] = value
        elif suffix == "Flag":
            flag = str(value)
        elif suffix == "EFlag":
            eflag = str(value)
        else:
            extra[suffix] = value
    return RecordRow(
        mn, cn, data_time, canonical_code(code), code, *numbers, flag, eflag,
        json.dumps(extra, ensure_ascii=False) if extra else None, received_at, qn, peer,
        trusted,
    )


def records_from_packet(packet: Packet, received_at: datetime, peer: str | None = None,
                        trusted: bool = True) -> list[RecordRow]:
    """One RecordRow per factor of an upload (CN 2011/2051/2061/2031/2041/2081/3020).

    Numeric suffixes get columns; Flag and EFlag are kept raw (hj212.md §9: store the raw
    flag); every other suffix (SampleTime, ZsMin, RS, RT, Info …) is kept in `extra` as JSON.
    Uploads without factors (2081 boot time) keep their plain items as one row each, so
    nothing a unit sends is lost. `peer` and `trusted` are the provenance every row keeps
    (the sender's address; whether it is the unit's own live session: see RecordRow).
    """
    data_time = packet.data_time or received_at
    mn, cn, qn = packet.mn or "", packet.cn or "", packet.qn
    rows: list[RecordRow] = []
    for code, fields in packet.factors.items():
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
                get("EFlag"), None, received_at, qn, peer, trusted,
            ))
        else:
            rows.append(_record_with_extra(mn, cn, data_time, code, fields, received_at, qn,
                                           peer, trusted))
    if not rows:
        for name, value in packet.items.items():
            rows.append(
                RecordRow(
                    mn=mn, cn=cn, data_time=data_time, factor=name, factor_raw=name,
                    rtd=None, avg=None, min=None, max=None, cou=None, zs_rtd=None,
                    zs_avg=None, flag=None, eflag=None,
                    extra=json.dumps({"value": value}, ensure_ascii=False),
                    received_at=received_at, qn=qn, peer=peer, trusted=trusted,
                )
            )
    return rows
