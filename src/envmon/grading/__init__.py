"""Classification (分级分类监管, issue 13 item 6): units graded monthly (A–D, or 绿/蓝/黄/红)
from the month's transmission rates, alarms (count, exceedance hours), mark behaviour and
supervision responsiveness, each grade with its reasons, the history kept (`unit_grades`).

`settings` is the [grade] rule, `rules` the pure grading, `figures` gathers a month's figures
from the store, `api` the use cases of `envmon grade` and `/api/v1/grade/…`.
"""
