"""An enterprise's answers to its alarms (a note and attachments), kept with who, when and
from where. Attachments are checked as the marks' proofs are (`envmon.marks.proofs`: PDF,
JPEG, PNG by their content; sizes bounded by `[marks]`), the count by `[portal]
max_answer_files`; refusals name the field ``attachment`` or ``note``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from envmon.errors import OptionError
from envmon.marks.proofs import check_size, clean_filename, media_type_of
from envmon.timeutil import now_beijing

__all__ = ["AlarmNotFound", "answer_alarm", "answer_file", "list_answers"]

MAX_NOTE = 2000


class AlarmNotFound(OptionError):
    """No such alarm of this unit (a 404: another unit's alarm is not said to exist)."""

    def __init__(self, alarm_id: int) -> None:
        super().__init__("alarm_id", f"no alarm {alarm_id} of this unit")


def alarm_unit(store, alarm_id: int) -> str | None:
    rows = store.query("SELECT COALESCE(a.unit_id, p.unit_id) FROM alarms a "
                       "LEFT JOIN points p ON p.mn = a.mn WHERE a.id = ?", [alarm_id])
    return rows[0][0] if rows else None


def answer_alarm(store, marks_settings, portal_settings, *, alarm_id: int, unit_id: str,
                 note: str, files: list[tuple[str | None, bytes]], by: str, origin: str,
                 now: datetime | None = None) -> dict[str, Any]:
    """Store the answer and its files in one transaction; the answer as `list_answers`
    gives it."""
    if alarm_unit(store, alarm_id) != unit_id:
        raise AlarmNotFound(alarm_id)
    note = (note or "").strip()
    if not note:
        raise OptionError("note", "say what was done about the alarm")
    if len(note) > MAX_NOTE:
        raise OptionError("note", f"at most {MAX_NOTE} characters")
    if len(files) > portal_settings.max_answer_files:
        raise OptionError("attachment", f"at most {portal_settings.max_answer_files} files "
                          "([portal] max_answer_files)")
    checked, used = [], 0
    for count, (name, content) in enumerate(files):
        media, ext = media_type_of(content, "attachment")
        check_size(len(content), used, count, marks_settings, field="attachment")
        used += len(content)
        checked.append((clean_filename(name, ext), media, content))
    now = now or now_beijing()
    with store.transaction():
        answer_id = int(store.query("SELECT nextval('alarm_answers_id_seq')")[0][0])
        store.execute("INSERT INTO alarm_answers (id, alarm_id, unit_id, note, answered_by, "
                      "answered_at, answered_from) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      [answer_id, alarm_id, unit_id, note, by, now, origin])
        for filename, media, content in checked:
            store.execute("INSERT INTO alarm_answer_files (id, answer_id, filename, "
                          "media_type, size, sha256, content) VALUES "
                          "(nextval('alarm_answer_files_id_seq'), ?, ?, ?, ?, ?, ?)",
                          [answer_id, filename, media, len(content),
                           hashlib.sha256(content).hexdigest(), content])
    return next(a for a in list_answers(store, alarm_id, unit_id) if a["id"] == answer_id)


def list_answers(store, alarm_id: int, unit_id: str) -> list[dict[str, Any]]:
    """The unit's answers to the alarm, oldest first, with their files (no content)."""
    if alarm_unit(store, alarm_id) != unit_id:
        raise AlarmNotFound(alarm_id)
    answers = store.query("SELECT id, note, answered_by, answered_at, answered_from FROM "
                          "alarm_answers WHERE alarm_id = ? AND unit_id = ? ORDER BY id",
                          [alarm_id, unit_id])
    files: dict[int, list] = {}
    if answers:
        marks = ", ".join("?" for _ in answers)
        for fid, aid, name, media, size in store.query(
                f"SELECT id, answer_id, filename, media_type, size FROM alarm_answer_files "
                f"WHERE answer_id IN ({marks}) ORDER BY id", [a[0] for a in answers]):
            files.setdefault(aid, []).append({
                "id": fid, "filename": name, "media_type": media, "size": size,
                "url": f"/api/v1/portal/alarm-answers/{aid}/files/{fid}"})
    return [{"id": aid, "alarm_id": alarm_id, "note": note, "answered_by": by,
             "answered_at": at.isoformat(), "answered_from": origin,
             "files": files.get(aid, [])} for aid, note, by, at, origin in answers]


def answer_file(store, unit_id: str, answer_id: int, file_id: int) -> tuple[str, str, bytes]:
    """(filename, media type, content) of an attachment of the unit's answer."""
    rows = store.query("SELECT f.filename, f.media_type, f.content FROM alarm_answer_files f "
                       "JOIN alarm_answers a ON a.id = f.answer_id WHERE f.id = ? "
                       "AND a.id = ? AND a.unit_id = ?", [file_id, answer_id, unit_id])
    if not rows:
        raise OptionError("file_id", "no such attachment")
    name, media, content = rows[0]
    return name, media, bytes(content)
