"""Supervision (督办, issue 13 item 5): cases through the national system's three stages,
事前预警 (warnings from rules, `warnings`), 事中调度 (a notice with a deadline and a requested
action) and 事后督办 (the unit's answer, the bureau's verification, closing or escalation to a
case with penalty notes).

`states` holds the states and the allowed transitions (one place); `store` the persistence
(every transition an event: who, when, from where, note); `api` the use cases of `envmon
supervise …`, the API and the 督办 page; `notify` the webhook delivery (the alarms'); `service`
the periodic job of the running platform (overdue escalation, warnings, monthly grades);
`marks_source` where the units' marks are read from; `settings` the [supervision] section.
"""
