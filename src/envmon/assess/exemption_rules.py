"""When an exemption mark (停产/停运/停排) takes an hour out of what is due: one set of rules
for the transmission assessment (`envmon.assess.sql`) and for emission accounting
(`envmon.emissions.accounting`), so that a mark never counts in one and not in the other.

transmission.md §1 "correction window": 停产(排) information is reported within 10 days of
the data (国发软件 rule) and its proof uploaded before the 10th of the next month; without
proof the original flags stand. The rules, each an `AssessConfig` setting:
- `marks_require_proof`: the mark carries a proof reference;
- `mark_deadline_day`: it was entered by the end of that day of the month after the hour;
- `mark_within_days`: it was entered within that many days of the hour's start (the same
  clock as `complete_days`: DataTime + N days);
- it existed at `as_of` and was not revoked by then.

Guards against: a proof-less or late mark erasing hours (issue 11 items 9 and 15). A new rule
goes here, in both renderings (`sql_conditions` and `counts`); a test checks they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from envmon.assess.config import AssessConfig
from envmon.period import next_month


def sql_conditions(config: AssessConfig, mark: str = "e", hour: str = "hours.h") -> str:
    """' AND …' conditions on the exemption row `mark` for the hour expression `hour`
    (portable SQL; the session time zone is Beijing, so date_trunc cuts Beijing months)."""
    out = ""
    if config.marks_require_proof:
        out += f" AND {mark}.proof IS NOT NULL AND {mark}.proof <> ''"
    if config.mark_deadline_day is not None:
        out += (f" AND {mark}.created_at < date_trunc('month', {hour}) + INTERVAL '1 month'"
                f" + INTERVAL '{int(config.mark_deadline_day)} days'")
    if config.mark_within_days is not None:
        seconds = int(round(config.mark_within_days * 86400))
        out += f" AND {mark}.created_at <= {hour} + INTERVAL '{seconds} seconds'"
    return out


@dataclass(frozen=True)
class ExemptionMark:
    """One exemption row as the rules see it."""

    start: datetime
    end: datetime
    created_at: datetime
    proof: str | None
    revoked_at: datetime | None = None


def counts(config: AssessConfig, mark: ExemptionMark, hour: datetime,
           as_of: datetime) -> bool:
    """Whether `mark` takes `hour` (its start) out of what is due, as known at `as_of`."""
    if not mark.start <= hour < mark.end or mark.created_at > as_of:
        return False
    if mark.revoked_at is not None and mark.revoked_at <= as_of:
        return False
    if config.marks_require_proof and not (mark.proof or "").strip():
        return False
    if config.mark_deadline_day is not None:
        deadline = next_month(hour) + timedelta(days=int(config.mark_deadline_day))
        if not mark.created_at < deadline:
            return False
    within = config.mark_within_days
    return within is None or mark.created_at <= hour + timedelta(days=within)
