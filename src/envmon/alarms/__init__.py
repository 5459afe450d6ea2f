"""Alarms: rules on arriving data (exceedance, offline, constant, zero, negative, out of range,
O2 too high, fault flags, long maintenance, not judged), the lifecycle open → acknowledged →
closed in the store, and notifications (log line, webhook). See `engine` for how it attaches
to a receiver. An alarm is about its evidence in data time (`data_from`, `data_to`): the same
evidence sent again never opens a second one (`rules`, `store.already_raised`).

`api` holds the use cases of `envmon alarms …` (list, acknowledge, close); `tables` the
alarm tables as numbered migrations.
"""

from envmon.alarms.config import RULES, AlarmConfig
from envmon.alarms.engine import AlarmEngine
from envmon.alarms.notify import WebhookNotifier
from envmon.alarms.rules import Clear, Extend, PointRules, Raise, RuleEvaluator

__all__ = ["RULES", "AlarmConfig", "AlarmEngine", "Clear", "Extend", "PointRules", "Raise",
           "RuleEvaluator", "WebhookNotifier"]
