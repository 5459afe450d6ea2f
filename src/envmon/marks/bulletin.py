"""The approved marks of a month, as a section of the transmission 通报
(`envmon.reports.transmission.build_bulletin`): what took hours out of, or made invalid in,
the figures the bulletin publishes, with who filed and who approved each."""

from __future__ import annotations

from datetime import datetime

from envmon.timeutil import BEIJING_FIXED


def _time(t: datetime) -> str:
    return t.astimezone(BEIJING_FIXED).strftime("%m-%d %H:%M")


def approved_marks_blocks(store, start: datetime, end: datetime, as_of: datetime,
                          heading: str = "四、数据标记") -> list:
    """Heading, sentence and table of the marks approved by `as_of` (not revoked by then)
    that overlap [start, end)."""
    from envmon.marks.api import mark_json
    from envmon.marks.settings import MarksSettings
    from envmon.reports.model import Column, Paragraph, Table

    rows = store.query(
        "SELECT m.id, u.name, m.mn, m.factor, m.type, m.subtype, m.effect, m.start_time, "
        "m.end_time, m.filed_by, m.reviewed_by, m.note FROM marks m "
        "LEFT JOIN units u ON u.unit_id = m.unit_id "
        "WHERE m.status = 'approved' AND m.reviewed_at <= ? "
        "AND (m.revoked_at IS NULL OR m.revoked_at > ?) "
        "AND m.start_time < ? AND m.end_time > ? ORDER BY m.start_time, m.id",
        [as_of, as_of, end, start])
    settings = MarksSettings()  # the names of the seeded types; others show their key
    table_rows = []
    for (mark_id, unit, mn, factor, mtype, sub, effect, t0, t1, filed_by, reviewed_by,
         note) in rows:
        named = mark_json({"type": mtype, "subtype": sub, "effect": effect,
                           "status": "approved"}, settings)
        kind = named["type_name"] + (f"（{named['subtype_name']}）" if sub else "")
        table_rows.append({
            "id": mark_id, "unit": unit or "", "point": mn or "全部点位",
            "factor": factor or "全部", "kind": kind, "period": f"{_time(t0)}至{_time(t1)}",
            "effect": named["effect_name"], "filed_by": filed_by,
            "reviewed_by": reviewed_by or "", "note": note or ""})
    blocks = [Paragraph(heading, heading=True),
              Paragraph(f"本月经审核通过的数据标记{len(table_rows)}条。")]
    if table_rows:
        blocks.append(Table("经审核通过的数据标记", [
            Column("编号", "id", 6, "0"), Column("单位", "unit", 24), Column("点位", "point", 26),
            Column("因子", "factor", 8), Column("类型", "kind", 20),
            Column("时段", "period", 24), Column("作用", "effect", 16),
            Column("申报人", "filed_by", 16), Column("审核人", "reviewed_by", 16),
            Column("说明", "note", 30),
        ], table_rows, sheet="数据标记"))
    return blocks
