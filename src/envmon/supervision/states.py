"""The states of a supervision case and the transitions between them, in one place.

The national system's three stages (重点排污单位自动监控与基础数据库系统, 督办):

* 事前预警 (`warning`): a finding of a rule (`warnings`) or an alarm the bureau picked;
* 事中调度 (`notified`): a notice to the unit with a deadline and a requested action;
* 事后督办 (`answered`, `verified`, `rejected`, `escalated`, `closed`): the unit's answer, the
  bureau's verification, and the end: closed, or escalated to a case (立案) with penalty
  notes. A notice not answered by its deadline escalates by itself (`sweep`).

`TRANSITIONS[(state, action)]` is the state after `action`; any pair not listed is refused.
"""

from __future__ import annotations

STATES = ("warning", "notified", "answered", "verified", "rejected", "escalated", "closed")
STAGES = {"warning": "pre", "notified": "during", "answered": "after", "verified": "after",
          "rejected": "after", "escalated": "after", "closed": "done"}
STAGE_ZH = {"pre": "事前预警", "during": "事中调度", "after": "事后督办", "done": "已办结"}
STATE_ZH = {"warning": "预警", "notified": "已下发通知", "answered": "单位已反馈",
            "verified": "核查通过", "rejected": "核查不通过", "escalated": "已立案",
            "closed": "已办结"}
ACTIONS = ("notify", "answer", "verify_pass", "verify_fail", "close", "escalate")

TRANSITIONS: dict[tuple[str, str], str] = {
    ("warning", "notify"): "notified",
    ("warning", "close"): "closed",         # a warning found to need no notice (a note says why)
    ("warning", "escalate"): "escalated",   # a serious finding filed at once
    ("notified", "answer"): "answered",
    ("notified", "escalate"): "escalated",  # by hand, or by the sweep when overdue
    ("answered", "verify_pass"): "verified",
    ("answered", "verify_fail"): "rejected",
    ("rejected", "notify"): "notified",     # a new notice, a new deadline
    ("rejected", "escalate"): "escalated",
    ("verified", "close"): "closed",
    ("escalated", "close"): "closed",       # the case (立案) is dealt with
}
OPEN_STATES = tuple(s for s in STATES if s != "closed")


def next_state(state: str, action: str) -> str | None:
    """The state after `action`, or None when `state` does not allow it."""
    return TRANSITIONS.get((state, action))


def allowed_actions(state: str) -> tuple[str, ...]:
    """The actions a case in `state` allows (the page's buttons)."""
    return tuple(action for (s, action) in TRANSITIONS if s == state)
