"""Figures of a period that has not ended are provisional, and every output says so.

A period-based use case stores `provisional_as_of(period, as_of)` on its result: the time its
figures were taken when the period is in progress (`Period.in_progress`), else None. The
result's JSON object then adds `"provisional": true|false` (never renaming a key), its table
title ends with `SUFFIX` (`titled`), and its bulletin's title too, its first block being the
note "数据截至 …，为初步统计（统计期未结束）" (`marked`).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from envmon.period import Period
from envmon.reports.model import PROVISIONAL_NOTE, Bulletin, Paragraph
from envmon.timeutil import BEIJING_FIXED, now_beijing

SUFFIX = PROVISIONAL_NOTE  # the words the roads and air results say too


def provisional_as_of(period: Period, as_of: datetime | None = None) -> datetime | None:
    """`as_of` (default now) if the period is in progress at that time, else None."""
    now = as_of or now_beijing()
    return now if period.in_progress(now) else None


class ProvisionalFigures:
    """Base of a result dataclass that declares `provisional_as_of: datetime | None = None`
    (from `provisional_as_of()`): gives it `provisional`, what its JSON says."""

    provisional_as_of: datetime | None

    @property
    def provisional(self) -> bool:
        return self.provisional_as_of is not None


def note(as_of: datetime) -> str:
    return (f"数据截至 {as_of.astimezone(BEIJING_FIXED):%Y-%m-%d %H:%M}（北京时间），"
            "为初步统计（统计期未结束）。")


def titled(title: str, as_of: datetime | None) -> str:
    """A table title, followed by `SUFFIX` when the figures are provisional."""
    return title if as_of is None else f"{title}{SUFFIX}"


def marked(bulletin: Bulletin, as_of: datetime | None) -> Bulletin:
    """The bulletin as it is for a period that has ended; else a copy whose title ends with
    `SUFFIX` and whose first block is the provisional note."""
    if as_of is None:
        return bulletin
    return dataclasses.replace(bulletin, title=titled(bulletin.title, as_of),
                               blocks=[Paragraph(note(as_of)), *bulletin.blocks])
