"""The remote commands (反控) the platform sends to a unit, pure: action name → CN and CP.

HJ 212-2017 Table 9 (hj212.md §5) gives the platform-side commands and their data-area
fields; §7 their flows. Three kinds of exchange:

* ``request`` — P sends Flag=5 (9 to a 2025 unit); S answers 9011 (QnRtn), may upload the
  asked data (e.g. 1011 with ``SystemTime``, 3020 with the site information, 2061 re-sent
  hours), then 9012 (ExeRtn). Done on ExeRtn=1.
* ``stream`` — 2011/2021 start real-time / running-state uploads: the unit answers 9011 and
  then keeps uploading; no 9012 follows, so QnRtn=1 is the end of the exchange.
* ``notice`` — 2012/2022 stop those uploads: answered by 9013 (§7, "Notice (2 steps)").

3011 is "zero/span calibration" in one code (Table 9): `zero-calibration` and
`span-calibration` both send it with the factor's ``PolId``; the standard has no field that
tells the two apart, so the action name is kept with the command row only.

A new action: one `Action` in `ACTIONS`, with the parameters it takes and how they become CP.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from envmon.errors import OptionError
from envmon.hj212.codec import format_time
from envmon.hj212.codes import EXERTN, QNRTN

__all__ = ["ACTIONS", "Action", "build_cp", "exe_meaning", "qn_meaning"]

RETRIEVE_CNS = ("2031", "2041", "2051", "2061")
_FACTOR = re.compile(r"^[A-Za-z0-9]{2,12}$")
_CP_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9\-]{0,40}$")
_CP_VALUE = re.compile(r"^[^;&,=\r\n]{0,200}$")
_PASSWORD = re.compile(r"^[A-Za-z0-9]{1,6}$")  # PW: 6 characters (hj212.md §13)


@dataclass(frozen=True)
class Action:
    name: str
    cn: str | None  # None: given by the caller (raw)
    title: str  # zh-CN, for the page and tables
    kind: str = "request"  # request | stream | notice
    params: tuple[str, ...] = ()  # the parameters it takes (API / CLI names)
    data_cns: tuple[str, ...] = ()  # uploads that carry the answer's data
    cp: Callable[[dict], str] = field(default=lambda p: "", repr=False)


def _int(params: dict, name: str, low: int, high: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        raise OptionError(name, "required")
    try:
        number = int(str(value))
    except ValueError:
        raise OptionError(name, f"{value!r} is not a whole number") from None
    if not low <= number <= high:
        raise OptionError(name, f"must be {low}…{high}, not {number}")
    return number


def _time(params: dict, name: str, *, default_now: bool = False) -> str:
    value = params.get(name)
    if value in (None, ""):
        if default_now:
            from envmon.timeutil import now_beijing

            return format_time(now_beijing())
        raise OptionError(name, "required (ISO 8601, e.g. 2026-05-01T08:00:00+08:00)")
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise OptionError(name, f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:  # HJ 212 times are Beijing time (DESIGN "Time")
        from envmon.timeutil import BEIJING_FIXED

        moment = moment.replace(tzinfo=BEIJING_FIXED)
    return format_time(moment)


def _factor(params: dict, *, required: bool) -> str:
    value = params.get("factor")
    if value in (None, ""):
        if required:
            raise OptionError("factor", "required (a factor code, e.g. a21026)")
        return ""
    if not _FACTOR.match(str(value)):
        raise OptionError("factor", f"{value!r} is not a factor code (e.g. a21026, w01018)")
    return f"PolId={value}"


def _retrieve(params: dict) -> str:
    begin, end = _time(params, "from"), _time(params, "to")
    if end < begin:
        raise OptionError("to", "is before from")
    return f"BeginTime={begin};EndTime={end}"


def _raw_cp(params: dict) -> str:
    """``k=v;k=v`` as the unit reads it; only field names and values the CP grammar allows
    (no ``&&`` or ``;`` inside a value: they would end the region or the field)."""
    text = str(params.get("cp") or "")
    if len(text) > 900:  # CP is at most 950 characters (hj212.md §13)
        raise OptionError("cp", "longer than 900 characters")
    pieces = [p for p in text.split(";") if p]
    for piece in pieces:
        key, sep, value = piece.partition("=")
        if not sep or not _CP_FIELD.match(key) or not _CP_VALUE.match(value):
            raise OptionError("cp", f"{piece!r} is not a field=value pair")
    return ";".join(pieces)


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("get-time", "1011", "提取现场机时间", data_cns=("1011",),
           params=("factor",), cp=lambda p: _factor(p, required=False)),
    Action("set-time", "1012", "设置现场机时间", params=("time",),
           cp=lambda p: f"SystemTime={_time(p, 'time', default_now=True)}"),
    Action("get-interval", "1063", "提取分钟数据上报间隔", data_cns=("1063",)),
    Action("set-interval", "1064", "设置分钟数据上报间隔", params=("minutes",),
           cp=lambda p: f"MinInterval={_int(p, 'minutes', 1, 60)}"),
    Action("get-rtd-interval", "1061", "提取实时数据间隔", data_cns=("1061",)),
    Action("set-rtd-interval", "1062", "设置实时数据间隔", params=("seconds",),
           cp=lambda p: f"RtdInterval={_int(p, 'seconds', 30, 3600)}"),
    Action("set-timeout", "1000", "设置超时时间及重发次数", params=("over_time", "re_count"),
           cp=lambda p: (f"OverTime={_int(p, 'over_time', 1, 99)};"
                         f"ReCount={_int(p, 're_count', 1, 99)}")),
    Action("set-password", "1072", "设置访问密码", params=("new_password",),
           cp=lambda p: f"NewPW={_password(p)}"),
    Action("start-realtime", "2011", "启动实时数据上报", kind="stream"),
    Action("stop-realtime", "2012", "停止实时数据上报", kind="notice"),
    Action("start-status", "2021", "启动设备运行状态上报", kind="stream"),
    Action("stop-status", "2022", "停止设备运行状态上报", kind="notice"),
    Action("zero-calibration", "3011", "零点校准", params=("factor",),
           cp=lambda p: _factor(p, required=True)),
    Action("span-calibration", "3011", "量程校准", params=("factor",),
           cp=lambda p: _factor(p, required=True)),
    Action("sample-now", "3012", "即时采样", params=("factor",),
           cp=lambda p: _factor(p, required=False)),
    Action("device-id", "3019", "提取设备唯一标识", data_cns=("3019",), params=("factor",),
           cp=lambda p: _factor(p, required=False)),
    Action("site-info", "3020", "提取现场机信息", data_cns=("3020",), params=("factor",),
           cp=lambda p: _factor(p, required=False)),
    Action("retrieve", None, "提取历史数据", params=("cn", "from", "to"),
           data_cns=RETRIEVE_CNS, cp=_retrieve),
    Action("raw", None, "自定义命令", params=("cn", "cp"), cp=_raw_cp),
)}


def _password(params: dict) -> str:
    value = str(params.get("new_password") or "")
    if not _PASSWORD.match(value):
        raise OptionError("new_password", "1 to 6 letters or digits (PW, HJ 212-2017 Table 3)")
    return value


def build_cp(action_name: str, params: dict) -> tuple[Action, str, str]:
    """(action, CN, CP text) of a command; `OptionError` naming the parameter otherwise."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise OptionError("action", f"{action_name!r} is unknown; choose one of "
                          + ", ".join(ACTIONS))
    unknown = sorted(set(k for k, v in params.items() if v not in (None, ""))
                     - set(action.params))
    if unknown:
        raise OptionError(unknown[0], f"{action_name} takes no {unknown[0]!r} (it takes: "
                          f"{', '.join(action.params) or 'nothing'})")
    cn = action.cn
    if cn is None:
        cn = str(params.get("cn") or "")
        if action.name == "retrieve" and cn not in RETRIEVE_CNS:
            raise OptionError("cn", f"{cn!r}: retrieve takes {', '.join(RETRIEVE_CNS)}")
        if not re.fullmatch(r"[0-9]{4}", cn):
            raise OptionError("cn", f"{cn!r} is not a 4-digit command code")
        if cn.startswith("9"):  # answers are the receiver's, never a person's
            raise OptionError("cn", f"{cn} is an answer code (9xxx), not a command")
        if cn == "1014":  # the platform must know the unit's key: its own flow only
            raise OptionError("cn", "1014 changes the unit's SM4 key: use envmon keys rotate")
    return action, cn, action.cp(params)


def action_kind(action: Action, cn: str) -> str:
    """A raw command's exchange by its CN (Table 9): 2012/2022 are notices, 2011/2021 start
    streams, anything else a request."""
    if action.name != "raw":
        return action.kind
    return {"2012": "notice", "2022": "notice", "2011": "stream", "2021": "stream"}.get(
        cn, "request")


def data_cns(action: Action, cn: str) -> tuple[str, ...]:
    """The uploads that carry the answer's data: the action's, or a raw command's own CN."""
    return action.data_cns if action.cn is not None or action.name == "retrieve" else (cn,)


def qn_meaning(qn_rtn: str) -> str:
    return QNRTN.get(qn_rtn, f"unknown QnRtn {qn_rtn!r}")


def exe_meaning(exe_rtn: str) -> str:
    return EXERTN.get(exe_rtn, f"unknown ExeRtn {exe_rtn!r}")
