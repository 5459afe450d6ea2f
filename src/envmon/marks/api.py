"""Use cases of the data marks, as `envmon marks …` and `/api/v1/marks/…` call them:
`mark_types`, `file_mark` (with proof files), `list_marks`, `approve`, `reject`, `withdraw`,
`add_proof`, `get_proof`. The doors only parse, call and render; the rules are in `review`.

JSON contract of a mark (the CLI's `--format json`, the API): the columns of
`review.MARK_COLUMNS` (ISO times), plus ``type_name``, ``subtype_name``, ``effect_name``,
``overdue`` (filed late) and ``proofs`` (id, filename, media_type, size, sha256, uploaded_by,
uploaded_at)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from envmon.choices import optional_choice
from envmon.errors import OptionError
from envmon.marks import review
from envmon.marks.settings import MarksSettings
from envmon.marks.types import EFFECTS
from envmon.period import Period

STATUS_NAMES_ZH = {"submitted": "待审核", "approved": "已通过", "rejected": "已驳回",
                   "withdrawn": "已撤回"}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def mark_json(mark: dict[str, Any], settings: MarksSettings,
              proofs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    types = settings.all_types()
    t = types.get(mark["type"])
    sub = next((s for s in (t.subtypes if t else ()) if s.key == mark["subtype"]), None)
    out = {k: _plain(v) for k, v in mark.items()}
    out.update(type_name=t.name if t else mark["type"],
               subtype_name=sub.name if sub else mark["subtype"],
               effect_name=EFFECTS[mark["effect"]].name if mark["effect"] in EFFECTS
               else mark["effect"],
               status_name=STATUS_NAMES_ZH.get(mark["status"], mark["status"]),
               proofs=[{k: _plain(v) for k, v in p.items() if k != "mark_id"}
                       for p in (proofs or [])])
    return out


@dataclass(frozen=True)
class MarkTypes:
    """The mark types and what an approved mark of each does (`envmon marks types`)."""

    settings: MarksSettings
    default_stem = "mark-types"
    json_layout = "lines"

    def as_json(self) -> list[dict[str, Any]]:
        out = []
        for t in self.settings.all_types().values():
            for sub in t.subtypes or (None,):
                effect = t.effect_of(sub)
                out.append({"type": t.key, "type_name": t.name,
                            "subtype": sub.key if sub else None,
                            "subtype_name": sub.name if sub else None,
                            "effect": effect.key, "effect_name": effect.name,
                            "assessment": effect.assessment, "alarms": effect.alarms,
                            "emissions": effect.emissions, "fileable": t.fileable})
        return out

    def as_table(self):
        from envmon.render import Column, Table

        cols = [("type", "类型代码"), ("type_name", "类型"), ("subtype", "子类代码"),
                ("subtype_name", "子类"), ("effect_name", "审核通过后的作用"),
                ("assessment", "传输有效率"), ("alarms", "报警"), ("emissions", "排放量")]
        return Table("数据标记类型", [Column(k, label) for k, label in cols],
                     [tuple(row[k] for k, _ in cols) for row in self.as_json()])


def mark_types(settings: MarksSettings) -> MarkTypes:
    return MarkTypes(settings)


@dataclass(frozen=True)
class MarkDone:
    """One mark after a step (filed, approved …): its JSON, and a line for --format text."""

    mark: dict[str, Any]
    step: str

    def as_json(self) -> dict[str, Any]:
        return self.mark

    def __str__(self) -> str:
        late = " (late: needs an explicit review)" if self.mark.get("late") and \
            self.mark["status"] == "submitted" else ""
        return f"mark {self.mark['id']} {self.step}: {self.mark['status']}{late}"


def _done(store, settings: MarksSettings, mark_id: int, step: str) -> MarkDone:
    mark = review.get_mark(store, mark_id)
    return MarkDone(mark_json(mark, settings, review.list_proofs(store, [mark_id]).get(
        mark_id, [])), step)


@dataclass(frozen=True)
class FileOptions:
    mn: str
    type: str
    by: str
    filed_from: str
    unit: str | None = None
    subtype: str | None = None
    factor: str | None = None
    note: str | None = None
    proofs: tuple[tuple[str, bytes], ...] = field(default=())
    """(file name, content) of each proof file."""


def file_mark(store, settings: MarksSettings, period: Period, options: FileOptions,
              at: datetime | None = None) -> MarkDone:
    """File a mark for review, with its proofs (all checked before anything is stored)."""
    from envmon.assess.api import MARKS_COVER_WHOLE_HOURS, check_mark_period
    from envmon.marks.proofs import check_size, media_type_of

    period.require_on_the_hour(why=MARKS_COVER_WHOLE_HOURS)
    check_mark_period(period)
    used = 0
    for count, (_, content) in enumerate(options.proofs):
        media_type_of(content, "--proof")
        check_size(len(content), used, count, settings, "--proof")
        used += len(content)
    with store.transaction():
        mark_id = review.file_mark(
            store, settings, mn=options.mn, type_name=options.type, subtype=options.subtype,
            start=period.start, end=period.end, by=options.by, filed_from=options.filed_from,
            unit_id=options.unit, factor=options.factor, note=options.note, at=at)
        for name, content in options.proofs:
            review.add_proof(store, settings, mark_id, filename=name, content=content,
                             by=options.by, uploaded_from=options.filed_from, at=at)
    return _done(store, settings, mark_id, "filed")


def add_proof(store, settings: MarksSettings, mark_id: int, filename: str | None,
              content: bytes, by: str, uploaded_from: str) -> dict[str, Any]:
    return review.add_proof(store, settings, mark_id, filename=filename, content=content,
                            by=by, uploaded_from=uploaded_from)


def get_proof(store, mark_id: int, proof_id: int) -> tuple[str, str, bytes]:
    return review.get_proof(store, mark_id, proof_id)


def approve(store, settings: MarksSettings, mark_id: int, by: str, reviewed_from: str,
            accept_late: bool = False, reason: str | None = None) -> MarkDone:
    review.approve(store, mark_id, by=by, reviewed_from=reviewed_from,
                   accept_late=accept_late, reason=reason)
    return _done(store, settings, mark_id, "approved")


def reject(store, settings: MarksSettings, mark_id: int, by: str, reason: str,
           reviewed_from: str) -> MarkDone:
    review.reject(store, mark_id, by=by, reason=reason, reviewed_from=reviewed_from)
    return _done(store, settings, mark_id, "rejected")


def withdraw(store, settings: MarksSettings, mark_id: int, by: str) -> MarkDone:
    review.withdraw(store, mark_id, by=by)
    return _done(store, settings, mark_id, "withdrawn")


LIST_COLUMNS = ("id", "unit_id", "mn", "factor", "type_name", "subtype_name", "start_time",
                "end_time", "note", "status_name", "late", "filed_by", "filed_at",
                "reviewed_by", "reviewed_at", "review_reason", "effect_name", "revoked_at")
LIST_LABELS_ZH = {"id": "编号", "unit_id": "单位代码", "mn": "MN", "factor": "因子",
                  "type_name": "类型", "subtype_name": "子类", "start_time": "开始时间",
                  "end_time": "结束时间", "note": "说明", "status_name": "状态",
                  "late": "逾期申报", "filed_by": "申报人", "filed_at": "申报时间",
                  "reviewed_by": "审核人", "reviewed_at": "审核时间",
                  "review_reason": "审核意见", "effect_name": "作用", "revoked_at": "撤销时间"}


@dataclass(frozen=True)
class MarkList:
    marks: tuple[dict[str, Any], ...]
    default_stem = "marks"
    json_layout = "lines"

    def as_json(self) -> list[dict[str, Any]]:
        return list(self.marks)

    def as_table(self):
        from envmon.render import Column, Table

        return Table("数据标记", [Column(c, LIST_LABELS_ZH[c]) for c in LIST_COLUMNS],
                     [tuple(("是" if m[c] else "否") if c == "late" else m[c]
                            for c in LIST_COLUMNS) for m in self.marks])


@dataclass(frozen=True)
class ListOptions:
    status: str | None = None
    month: str | None = None
    unit: str | None = None
    mn: str | None = None

    def __post_init__(self) -> None:
        from enum import StrEnum

        statuses = StrEnum("Status", {s.upper(): s for s in review.STATUSES})
        status = optional_choice(statuses, self.status, "--status")
        object.__setattr__(self, "status", status.value if status else None)
        if self.month is not None:
            Period.month(self.month, option="--month", allow_future=True)


def list_marks(store, settings: MarksSettings, options: ListOptions | None = None
               ) -> MarkList:
    """Marks by id: of a status, overlapping a month, of a unit or point."""
    options = options or ListOptions()
    start = end = None
    if options.month is not None:
        period = Period.month(options.month, option="--month", allow_future=True)
        start, end = period.start, period.end
    marks = review.list_marks(store, status=options.status, start=start, end=end,
                              unit_id=options.unit, mn=options.mn)
    proofs = review.list_proofs(store, [m["id"] for m in marks])
    return MarkList(tuple(mark_json(m, settings, proofs.get(m["id"], [])) for m in marks))


def _say(result: MarkDone, stream) -> None:
    stream.write(f"{result}\n")


def _register_text_renderers() -> None:
    from envmon.render import renderer

    renderer(MarkDone, "text")(_say)


_register_text_renderers()


__all__ = ["FileOptions", "ListOptions", "MarkDone", "MarkList", "MarkTypes", "OptionError",
           "add_proof", "approve", "file_mark", "get_proof", "list_marks", "mark_types",
           "reject", "withdraw"]
