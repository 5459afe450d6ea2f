"""The 督办 and 分级分类 pages' words (zh, en), merged into `i18n.MESSAGES` and `i18n.VALUES`
(kept apart so that the two domains' strings stay together)."""

from __future__ import annotations

from envmon.supervision.states import STAGE_ZH, STATE_ZH
from envmon.supervision.warnings import RULE_ZH

MESSAGES: dict[str, tuple[str, str]] = {
    "nav.supervision": ("督办", "Supervision"),
    "nav.grades": ("分级分类", "Grades"),
    "sup.title": ("督办", "Supervision"),
    "sup.all": ("全部", "All"),
    "sup.reason": ("事由", "Reason"),
    "sup.source": ("来源", "Source"),
    "sup.stage": ("阶段", "Stage"),
    "sup.state": ("状态", "State"),
    "sup.deadline": ("期限", "Deadline"),
    "sup.overdue": ("逾期", "Overdue"),
    "sup.timeline": ("办理经过", "Timeline"),
    "sup.requested": ("要求", "Requested action"),
    "sup.answer_note": ("单位反馈", "Unit's answer"),
    "sup.penalty": ("处罚意见", "Penalty notes"),
    "sup.actor": ("处理人", "By"),
    "sup.origin": ("来源地址", "From"),
    "sup.note": ("说明", "Note"),
    "sup.action": ("动作", "Action"),
    "sup.when": ("时间", "Time"),
    "sup.run_warnings": ("生成预警", "Run warning rules"),
    "sup.notify": ("下发通知", "Send notice"),
    "sup.answer": ("单位反馈", "Record answer"),
    "sup.verify": ("核查", "Verify"),
    "sup.close": ("办结", "Close"),
    "sup.escalate": ("立案", "Escalate"),
    "sup.result": ("核查结果", "Result"),
    "sup.pass": ("通过", "Pass"),
    "sup.fail": ("不通过", "Fail"),
    "sup.confirm": ("提交", "Submit"),
    "sup.cancel": ("取消", "Cancel"),
    "sup.failed": ("操作失败", "Failed"),
    "sup.open_from_alarm": ("督办", "Supervise"),
    "sup.none": ("无", "None"),
    "grade.title": ("分级分类监管", "Unit grades"),
    "grade.month": ("月份", "Month"),
    "grade.grade": ("等级", "Grade"),
    "grade.reasons": ("原因", "Reasons"),
    "grade.history": ("历史等级", "History"),
    "grade.none": ("该月尚未评级：运行 envmon grade --month YYYY-MM", "Not graded yet: run "
                   "envmon grade --month YYYY-MM"),
    "grade.show": ("查看", "Show"),
}

_STAGE_EN = {"pre": "Early warning", "during": "Dispatch", "after": "Follow-up",
             "done": "Done"}
_STATE_EN = {"warning": "Warning", "notified": "Notified", "answered": "Answered",
             "verified": "Verified", "rejected": "Rejected", "escalated": "Escalated",
             "closed": "Closed"}
_SOURCE_EN = {"near_pass": "Rate near the pass mark", "repeated_alarm": "Repeated alarm",
              "missing_mark": "Missing mark", "alarm": "Alarm", "manual": "Manual"}
_ACTION_EN = {"open": ("立项", "Opened"), "notify": ("下发通知", "Notice sent"),
              "answer": ("单位反馈", "Answered"), "verify": ("核查", "Verified"),
              "close": ("办结", "Closed"), "escalate": ("立案", "Escalated")}
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "sup_stage": {k: (v, _STAGE_EN[k]) for k, v in STAGE_ZH.items()},
    "sup_state": {k: (v, _STATE_EN[k]) for k, v in STATE_ZH.items()},
    "sup_source": {k: (v, _SOURCE_EN[k]) for k, v in RULE_ZH.items()},
    "sup_action": _ACTION_EN,
}
