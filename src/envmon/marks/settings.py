"""`[marks]` of the configuration file: the data marks' bounds, filing deadline and extra types.

    [marks]
    max_proof_bytes = 10485760      # one proof file
    max_mark_bytes = 31457280       # all proof files of one mark
    max_proofs = 10                 # proof files of one mark
    deadline_day = 10               # filed by the end of this day of the month after the end
    [[marks.types]]                 # a bureau's own type (the seeds: envmon.marks.types)
    key = "desulfurization_bypass"
    name = "脱硫旁路"
    effect = "none"                 # exempt | invalid | none (envmon.marks.types.EFFECTS)
    subtypes = [["open", "开启"], ["closed", "关闭", "none"]]  # [key, name(, effect)]
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from envmon.marks.types import EFFECTS, MarkType, SubType, all_types

MIB = 1024 * 1024


@dataclass(frozen=True)
class MarksSettings:
    max_proof_bytes: int = 10 * MIB
    """A scanned certificate or a few photos (a 300 dpi A4 page is about 1 MB as PDF or
    JPEG); bounded so that one upload cannot fill the store."""
    max_mark_bytes: int = 30 * MIB
    """All the proofs of one mark: three large scans."""
    max_proofs: int = 10
    """Proof files of one mark."""
    deadline_day: int = 10
    """A mark is filed by the end of this day of the month after its end, else it is late:
    transmission.md §1 "correction window" (proofs for 停产/停排/停运 before the 10th of the
    next month), the same day as [assess] mark_deadline_day."""
    types: tuple[MarkType, ...] = ()
    """The bureau's own types ([[marks.types]]), added to the seeded ones."""

    def __post_init__(self) -> None:
        for name in ("max_proof_bytes", "max_mark_bytes", "max_proofs"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"[marks] {name} must be a positive integer")
        if not 1 <= self.deadline_day <= 28:
            raise ValueError("[marks] deadline_day must be a day 1–28 of the next month")

    def all_types(self) -> dict[str, MarkType]:
        return all_types(self.types)


def _effect(value: Any, where: str) -> str:
    if value not in EFFECTS or value == "repair":
        raise ValueError(f"{where}: effect must be exempt, invalid or none, not {value!r}")
    return value


def _type(table: Any, where: str) -> MarkType:
    if not isinstance(table, dict) or not {"key", "name", "effect"} <= set(table):
        raise ValueError(f"{where}: a type is a table with key, name, effect (and subtypes)")
    unknown = set(table) - {"key", "name", "effect", "subtypes"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    subs = []
    for i, sub in enumerate(table.get("subtypes", [])):
        if not isinstance(sub, list) or len(sub) not in (2, 3) or not all(
                isinstance(s, str) and s for s in sub):
            raise ValueError(f"{where}.subtypes[{i}]: expected [key, name] or "
                             "[key, name, effect]")
        subs.append(SubType(sub[0], sub[1], _effect(sub[2], f"{where}.subtypes[{i}]")
                            if len(sub) == 3 else None))
    return MarkType(str(table["key"]), str(table["name"]),
                    _effect(table["effect"], f"{where}.effect"), tuple(subs))


def marks_settings(table: dict | None, source: str = "[marks]") -> MarksSettings:
    """`MarksSettings` from the raw `[marks]` table; a bad key or value is a ValueError
    naming it."""
    table = dict(table or {})
    known = {f.name for f in fields(MarksSettings)}
    unknown = set(table) - known
    if unknown:
        raise ValueError(f"{source}: unknown keys {sorted(unknown)}")
    types = tuple(_type(t, f"{source} types[{i}]")
                  for i, t in enumerate(table.pop("types", [])))
    try:
        return MarksSettings(**table, types=types)
    except TypeError as error:
        raise ValueError(f"{source}: {error}") from None


def marks_settings_of(config: Any) -> MarksSettings:
    """The [marks] settings of an `envmon.config.Config` (None: the defaults)."""
    return marks_settings(getattr(config, "marks", None) or {})
