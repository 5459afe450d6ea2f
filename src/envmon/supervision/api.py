"""Use cases of supervision (督办), for `envmon supervise …`, the API and the 督办 page:
`(store, options, now=) -> result` with `as_json()`. Who acts is a string kept with every
event (until users exist: the CLI's `--by`, the web's `api.actor`), and where from
(`origin`: cli, web ADDRESS, platform).

Where a new action goes: a transition in `states.TRANSITIONS`, a function here calling
`store.transition`, a CLI command and an endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from envmon.errors import OptionError
from envmon.supervision import store as case_store
from envmon.supervision.settings import SupervisionSettings
from envmon.supervision.states import STAGE_ZH, STAGES, STATE_ZH, STATES, allowed_actions
from envmon.supervision.store import Case, CaseError
from envmon.timeutil import now_beijing

__all__ = ["Actor", "CaseChanged", "CaseDetail", "CaseError", "CaseList", "WarningsRun",
           "answer", "close", "escalate", "find_warnings", "generate_warnings",
           "list_cases", "notify", "open_findings",
           "open_case", "show", "sweep", "unit_notices", "verify"]


@dataclass(frozen=True)
class Actor:
    """Who acts and from where (kept with every event)."""

    by: str
    origin: str = "cli"

    def __post_init__(self) -> None:
        if not str(self.by or "").strip():
            raise OptionError("--by", "say who acts")


PLATFORM = Actor("platform", "platform")


def _note(note: str | None, option: str = "--note", required: bool = True) -> str | None:
    if note is not None and len(note) > 2000:
        raise OptionError(option, "at most 2000 characters")
    if required and not str(note or "").strip():
        raise OptionError(option, "say what was found or done")
    return note.strip() if note else None


@dataclass(frozen=True)
class CaseChanged:
    case: Case
    now: datetime
    json_layout = "compact"

    def as_json(self) -> dict[str, Any]:
        return self.case.as_json(self.now)


@dataclass(frozen=True)
class CaseList:
    cases: tuple
    now: datetime
    unit_names: dict = field(default_factory=dict)
    default_stem = "supervision"

    def counts(self) -> dict[str, int]:
        out = {stage: 0 for stage in STAGE_ZH}
        for case in self.cases:
            out[case.stage] += 1
        return out

    def as_json(self) -> list[dict[str, Any]]:
        return [c.as_json(self.now) for c in self.cases]

    def as_table(self):
        from envmon.render import Column, Table

        columns = (("id", "ID"), ("stage", "阶段"), ("state", "状态"), ("unit", "单位"),
                   ("mn", "MN"), ("reason", "事由"), ("deadline", "期限"),
                   ("overdue", "逾期"))
        rows = [(c.id, STAGE_ZH[c.stage], STATE_ZH[c.state],
                 self.unit_names.get(c.unit_id) or c.unit_id, c.mn or "", c.reason,
                 c.deadline, "是" if c.overdue(self.now) else "") for c in self.cases]
        return Table("督办", [Column(k, label) for k, label in columns], rows)


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    events: tuple
    deliveries: tuple
    now: datetime
    unit_name: str | None = None
    default_stem = "supervision_case"

    def as_json(self) -> dict[str, Any]:
        return {**self.case.as_json(self.now), "unit_name": self.unit_name,
                "allowed": list(allowed_actions(self.case.state)),
                "timeline": [{"at": at.isoformat(), "action": action, "from_state": before,
                              "to_state": after, "actor": actor, "origin": origin,
                              "note": note}
                             for at, action, before, after, actor, origin, note in self.events],
                "deliveries": [{"event": e, "target": t, "attempt": a, "ok": ok,
                                "http_status": s, "error": err}
                               for e, t, a, ok, s, err in self.deliveries]}

    def as_table(self):
        from envmon.render import Column, Table

        columns = (("at", "时间"), ("action", "动作"), ("state", "状态"), ("actor", "处理人"),
                   ("origin", "来源"), ("note", "说明"))
        rows = [(at, action, STATE_ZH.get(after, after), actor, origin, note or "")
                for at, action, _b, after, actor, origin, note in self.events]
        return Table(f"督办 #{self.case.id} {self.case.reason}",
                     [Column(k, label) for k, label in columns], rows)


@dataclass(frozen=True)
class WarningsRun:
    """The warnings (事前预警 cases) of a month: those opened by this run, and all."""

    opened: tuple
    cases: tuple
    now: datetime
    default_stem = "supervision_warnings"

    def as_json(self) -> dict[str, Any]:
        return {"opened": [c.id for c in self.opened],
                "warnings": [c.as_json(self.now) for c in self.cases]}

    def as_table(self):
        return CaseList(self.cases, self.now).as_table()


def _now(now: datetime | None) -> datetime:
    return now or now_beijing()


def find_warnings(store, settings: SupervisionSettings | None = None, *,
                  month: str | None = None, now: datetime | None = None,
                  assess_config=None) -> tuple[datetime, list]:
    """(as of, the findings of the warning rules): reads only, so the running platform runs
    it beside the writer thread (a month's assessment never holds up ingestion)."""
    from envmon.period import Period
    from envmon.supervision.warnings import find_all

    settings = settings or SupervisionSettings()
    now = _now(now)
    as_of = now
    if month is not None:
        as_of = min(now, Period.month(month, now=now).end)
    return as_of, find_all(store, as_of, settings, assess_config)


def open_findings(store, findings: list, as_of: datetime, *,
                  now: datetime | None = None) -> WarningsRun:
    """Open a `warning` case for each finding not seen before (by its key); the warnings of
    the month `as_of` ends or is in."""
    now = _now(now)
    opened = []
    with store.transaction():
        for finding in findings:
            if case_store.has_key(store, finding.key):
                continue
            opened.append(case_store.create_case(
                store, unit_id=finding.unit_id, mn=finding.mn, source=finding.rule,
                reason=finding.reason, evidence=finding.evidence, actor="platform",
                origin="platform", at=now, source_key=finding.key))
    start = (as_of - timedelta(microseconds=1)).replace(day=1, hour=0, minute=0, second=0,
                                                        microsecond=0)
    cases = tuple(c for c in case_store.list_cases(store) if c.source in
                  ("near_pass", "repeated_alarm", "missing_mark") and c.created_at >= start)
    return WarningsRun(tuple(opened), cases, now)


def generate_warnings(store, settings: SupervisionSettings | None = None, *,
                      month: str | None = None, now: datetime | None = None,
                      assess_config=None) -> WarningsRun:
    """Run the warning rules (`warnings`) as of `now` (or the end of `month`, YYYY-MM) and
    open a case for each finding not seen before; the month's warnings."""
    now = _now(now)
    as_of, findings = find_warnings(store, settings, month=month, now=now,
                                    assess_config=assess_config)
    return open_findings(store, findings, as_of, now=now)


def open_case(store, *, actor: Actor, alarm_id: int | None = None, unit_id: str | None = None,
              reason: str | None = None, now: datetime | None = None) -> CaseChanged:
    """A case from an alarm (its evidence carried: rule, factor, value, limit, data span)
    or for a unit with a reason (`--unit U --reason …`)."""
    now = _now(now)
    if alarm_id is not None:
        from envmon.alarms.store import AlarmError, get_alarm

        try:
            alarm = get_alarm(store, alarm_id)
        except AlarmError as error:
            raise OptionError("--alarm", str(error)) from None
        if not alarm.unit_id:
            raise OptionError("--alarm", f"alarm {alarm_id} has no unit")
        evidence = alarm.as_json()
        text = reason or f"报警 #{alarm.id} {alarm.rule} {alarm.factor or ''} {alarm.detail or ''}"
        case = case_store.create_case(
            store, unit_id=alarm.unit_id, mn=alarm.mn, source="alarm", reason=text.strip(),
            evidence={"alarm": evidence}, actor=actor.by, origin=actor.origin, at=now,
            alarm_id=alarm.id)
        return CaseChanged(case, now)
    if not unit_id:
        raise OptionError("--unit", "give --alarm ID or --unit U with --reason")
    if not store.unit_exists(unit_id):
        raise OptionError("--unit", f"unknown unit {unit_id!r}")
    reason = _note(reason, "--reason")
    case = case_store.create_case(store, unit_id=unit_id, mn=None, source="manual",
                                  reason=reason, evidence=None, actor=actor.by,
                                  origin=actor.origin, at=now)
    return CaseChanged(case, now)


def _parse_deadline(deadline: str | datetime | None, now: datetime,
                    settings: SupervisionSettings) -> datetime:
    if deadline is None or deadline == "":
        return now + timedelta(days=settings.notice_days)
    if isinstance(deadline, str):
        from envmon.period import parse_time

        deadline = parse_time(deadline, "--deadline")
    if deadline <= now:
        raise OptionError("--deadline", f"{deadline.isoformat()} is not in the future")
    return deadline


def notify(store, case_id: int, *, actor: Actor, action: str, deadline=None,
           settings: SupervisionSettings | None = None, now: datetime | None = None,
           deliver: bool = True) -> CaseChanged:
    """事中调度: a notice to the unit with a deadline and the action it must take; delivered to
    the webhooks (`deliver`: now, from a command; the platform delivers in the background)."""
    settings = settings or SupervisionSettings()
    now = _now(now)
    action = _note(action, "--action")
    when = _parse_deadline(deadline, now, settings)
    case = case_store.transition(store, case_id, "notify", actor=actor.by, origin=actor.origin,
                                 at=now, note=f"{action}（期限 {when:%Y-%m-%d %H:%M}）",
                                 changes={"deadline": when, "requested_action": action})
    if deliver:
        from envmon.supervision.notify import deliver_now

        deliver_now(store, case, "notify", settings, now)
    return CaseChanged(case, now)


def answer(store, case_id: int, *, actor: Actor, note: str,
           now: datetime | None = None) -> CaseChanged:
    """The unit's answer to the notice."""
    now = _now(now)
    note = _note(note)
    return CaseChanged(case_store.transition(
        store, case_id, "answer", actor=actor.by, origin=actor.origin, at=now, note=note,
        changes={"answer_note": note}), now)


def verify(store, case_id: int, *, actor: Actor, result: str, note: str,
           now: datetime | None = None) -> CaseChanged:
    """The bureau's verification of the answer: pass → verified, fail → rejected."""
    if result not in ("pass", "fail"):
        raise OptionError("--result", f"{result!r} is not pass or fail")
    now = _now(now)
    note = _note(note)
    return CaseChanged(case_store.transition(
        store, case_id, f"verify_{result}", actor=actor.by, origin=actor.origin, at=now,
        note=note, event_action="verify"), now)


def close(store, case_id: int, *, actor: Actor, note: str | None = None,
          now: datetime | None = None) -> CaseChanged:
    now = _now(now)
    case = case_store.get_case(store, case_id)
    note = _note(note, required=case.state == "warning")  # a dismissed warning says why
    return CaseChanged(case_store.transition(
        store, case_id, "close", actor=actor.by, origin=actor.origin, at=now,
        note=note), now)


def escalate(store, case_id: int, *, actor: Actor, penalty_note: str,
             settings: SupervisionSettings | None = None, now: datetime | None = None,
             deliver: bool = True) -> CaseChanged:
    """立案: escalation to a case with penalty notes."""
    now = _now(now)
    penalty_note = _note(penalty_note, "--penalty-note")
    case = case_store.transition(store, case_id, "escalate", actor=actor.by,
                                 origin=actor.origin, at=now, note=penalty_note,
                                 changes={"penalty_note": penalty_note})
    if deliver:
        from envmon.supervision.notify import deliver_now

        deliver_now(store, case, "escalate", settings or SupervisionSettings(), now)
    return CaseChanged(case, now)


def sweep(store, settings: SupervisionSettings | None = None, *, now: datetime | None = None,
          deliver: bool = True) -> CaseList:
    """Escalate every notice whose deadline passed unanswered (actor `platform`); the
    escalated cases."""
    settings = settings or SupervisionSettings()
    now = _now(now)
    done = []
    for case in case_store.list_cases(store, overdue_at=now):
        note = f"逾期未反馈（期限 {case.deadline:%Y-%m-%d %H:%M}），自动立案"
        done.append(escalate(store, case.id, actor=PLATFORM, penalty_note=note,
                             settings=settings, now=now, deliver=deliver).case)
    return CaseList(tuple(done), now)


def list_cases(store, *, state: str | None = None, unit_id: str | None = None,
               overdue: bool = False, now: datetime | None = None) -> CaseList:
    if state is not None and state not in STATES and state not in STAGES.values():
        raise OptionError("--state", f"{state!r} is not one of {', '.join(STATES)} "
                          "(or a stage: pre, during, after, done)")
    now = _now(now)
    stage = state if state in STAGE_ZH else None
    cases = case_store.list_cases(store, state=None if stage else state, unit_id=unit_id,
                                  overdue_at=now if overdue else None)
    if stage:
        cases = [c for c in cases if c.stage == stage]
    names = store.unit_names([c.unit_id for c in cases])
    return CaseList(tuple(cases), now, names)


def unit_notices(store, unit_id: str, *, now: datetime | None = None) -> CaseList:
    """The unit's open notices (事中调度 and after, not closed): what its portal lists."""
    now = _now(now)
    cases = [c for c in case_store.list_cases(store, unit_id=unit_id, open_only=True)
             if c.state != "warning"]
    return CaseList(tuple(cases), now, store.unit_names([unit_id]))


def show(store, case_id: int, *, now: datetime | None = None) -> CaseDetail:
    case = case_store.get_case(store, case_id)
    names = store.unit_names([case.unit_id])
    return CaseDetail(case, tuple(case_store.events(store, case_id)),
                      tuple(case_store.deliveries(store, case_id)), _now(now),
                      names.get(case.unit_id))
