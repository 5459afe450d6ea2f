"""The monthly 通报 of 联网率 and 即时/补全有效传输率 (issue 3), and the assessment table as a
plain XLSX/HTML (`envmon assess --format xlsx|html`). Built on the bulletin model
(`envmon.reports.model`), rendered through `envmon.render`.

Reads like the ministry's: "全省应联网重点单位1859家，其中已联网1835家，联网率98.71%；…
监控点位3667个，即时有效传输率97.86%；即时有效传输率排名前三的市为…；补全有效传输率排名前三的市为…".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from envmon.assess import Assessment, Row, display, problem_hours
from envmon.assess.compute import late_hours, rank_rows
from envmon.period import Period
from envmon.reports.charts import bar_chart
from envmon.reports.model import (
    Bulletin,
    Cell,
    Column,
    Paragraph,
    ReportError,
    Table,
)
from envmon.timeutil import BEIJING_FIXED, today_beijing

FAIL_FILL = "#F8CBAD"
LEVEL_NAMES = {"point": "监控点位", "unit": "单位", "county": "县（区）", "city": "市",
               "province": "省"}
FLAG_NAMES = {"F": "停运", "M": "维护", "S": "手工输入", "D": "故障", "C": "校准",
              "T": "超测量上限", "B": "通讯异常"}
WORST_POINTS = 3


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _rate_columns() -> list[Column]:
    return [
        Column("联网率(%)", "network_rate", 10, "0.00"),
        Column("应传因子小时数", "should", 13, "0"),  # hours × assessed factors
        Column("即时传输率(%)", "i_tr", 11, "0.00"),
        Column("即时有效率(%)", "i_vr", 11, "0.00"),
        Column("即时有效传输率(%)", "i_er", 13, "0.00"),
        Column("补全传输率(%)", "c_tr", 11, "0.00"),
        Column("补全有效率(%)", "c_vr", 11, "0.00"),
        Column("补全有效传输率(%)", "c_er", 13, "0.00"),
    ]


def _rate_values(row: Row, config) -> dict[str, Any]:
    out = {
        "network_rate": _num(row.network_rate),
        "should": row.counts.should,
        "units": row.must_network,
        "networked": row.networked,
        "points": row.points,
    }
    for prefix, variant in (("i", "instant"), ("c", "complete")):
        rates = row.rates[variant]
        out[f"{prefix}_tr"] = _num(rates["transmission_rate"])
        out[f"{prefix}_vr"] = _num(rates["valid_rate"])
        er = rates["effective_rate"]
        out[f"{prefix}_er"] = Cell(_num(er), fill=FAIL_FILL) \
            if row.passes(config, variant) is False else _num(er)
    return out


def assessment_bulletin(result: Assessment, level: str) -> Bulletin:
    """One level of an assessment as a one-table bulletin (`envmon assess --format xlsx|html`)."""
    rows = result.level(level)
    start = result.start.astimezone(BEIJING_FIXED)
    end = result.end.astimezone(BEIJING_FIXED)
    columns = [Column("排名", "rank", 6, "0"), Column("代码", "code", 22),
               Column("名称", "name", 28), Column("应联网", "units", 8, "0"),
               Column("已联网", "networked", 8, "0"), Column("点位数", "points", 8, "0"),
               *_rate_columns()]
    table_rows = [{"rank": r.rank, "code": r.code, "name": r.name,
                   **_rate_values(r, result.config)} for r in rows]
    return Bulletin(
        title=f"自动监控数据有效传输率（{LEVEL_NAMES[level]}）",
        issued=today_beijing(),
        subtitle=f"{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}（北京时间）",
        blocks=[Table(f"按{LEVEL_NAMES[level]}统计", columns, table_rows, sheet="考核结果",
                      note=_method_note(result))],
    )


def _method_note(result: Assessment) -> str:
    cfg = result.config
    return (
        f"即时：数据时间后{cfg.instant_hours:g}小时内收到；补全：数据时间后{cfg.complete_days:g}日内"
        f"收到（含补遗、补传和人工修约）。有效标记：{'、'.join(cfg.valid_flags)}。"
        "有效传输率＝有效数/应传数；应传数为0时记“—”。数值按GB/T 8170修约至两位小数；"
        + ("达标判定按全数值比较法（GB/T 8170-2008 4.3.1）。" if cfg.pass_compare == "full"
           else "达标判定按修约值比较法（GB/T 8170-2008 4.3.2）。")
        + ("停产、停运、停排标记及人工修约须附证明材料" if cfg.marks_require_proof else "")
        + (f"，停产等标记须于次月{cfg.mark_deadline_day}日（含）前录入。" if cfg.mark_deadline_day
           else ("。" if cfg.marks_require_proof else ""))
    )


def _network_note(cfg) -> str:
    """How 联网 was judged (`AssessConfig.networked_rule`, `networked_by`)."""
    which = "各监控点位均" if cfg.networked_rule == "all_points" else "任一监控点位"
    if cfg.networked_by == "data_time":
        data = "有数据时间在统计时段内、且于数据截至时间前被平台接收的数据（含补传、补遗）"
    else:
        data = "在统计时段内有数据被平台接收"
    return f"联网率＝已联网单位数/应联网单位数；单位{which}{data}视为已联网。"


def _names(rows: list[Row], variant: str) -> list[str]:
    """Names of the rows ranked 1–3 (ties included) by one variant's effective rate."""
    ranked = rank_rows(list(rows), variant)
    return [r.name for r in ranked if r.rank is not None and r.rank <= 3]


def _network_top(rows: list[Row]) -> list[str]:
    with_rate = [r for r in rows if r.network_rate is not None]
    with_rate.sort(key=lambda r: (-r.network_rate, r.code))
    out, previous, rank = [], None, 0
    for position, row in enumerate(with_rate, start=1):
        if row.network_rate != previous:
            rank, previous = position, row.network_rate
        if rank <= 3:
            out.append(row.name)
    return out


def _hour_ranges(hours: list[datetime]) -> str:
    """Compact "11-03 02:00–05:00" ranges of consecutive hours (end = last hour's end)."""
    parts: list[str] = []
    hours = sorted(h.astimezone(BEIJING_FIXED) for h in hours)
    i = 0
    while i < len(hours):
        j = i
        while j + 1 < len(hours) and hours[j + 1] - hours[j] == timedelta(hours=1):
            j += 1
        first, last = hours[i], hours[j] + timedelta(hours=1)
        same_day = (last - timedelta(seconds=1)).date() == first.date()
        parts.append(f"{first:%m-%d %H:%M}–{last:%H:%M}" if same_day
                     else f"{first:%m-%d %H:%M}–{last:%m-%d %H:%M}")
        i = j + 1
    if len(parts) > 3:
        return "、".join(parts[:3]) + f" 等{len(parts)}段"
    return "、".join(parts)


def _reasons(problems: list[tuple], late: set[tuple] = frozenset()) -> str:
    """'无数据 30 小时（11-03 02:00–05:00…）；故障(D) 4 小时（…）' for one point; hours whose
    data came after the 补全 window (`late`: (mn, factor, hour)) are 迟报, not 无数据."""
    by_reason: dict[str, set] = defaultdict(set)
    for mn, factor, hour, flag, action in problems:
        if action == "invalidate":
            reason = "人工标记无效"
        elif action == "short_minutes":
            reason = "有效分钟数不足"
        elif flag is None and (mn, factor, hour.astimezone(BEIJING_FIXED)) in late:
            reason = "迟报"
        elif flag is None:
            reason = "无数据"
        else:
            reason = f"{FLAG_NAMES.get(flag, '非标准标记')}({flag or '空'})"
        by_reason[reason].add(hour)
    order = sorted(by_reason, key=lambda r: (r not in ("无数据", "迟报"), -len(by_reason[r]), r))
    parts = [f"{r}{len(by_reason[r])}小时（{_hour_ranges(sorted(by_reason[r]))}）"
             for r in order]
    return "；".join(parts) or "—"


def build_bulletin(store, result: Assessment, period: Period) -> Bulletin:
    cfg = result.config
    first = period.start.astimezone(BEIJING_FIXED)
    year, mon = first.year, first.month
    provinces = result.level("province")
    cities = result.level("city")
    units = result.level("unit")
    province_name = provinces[0].name if len(provinces) == 1 else "全省"
    blocks: list = []

    # -- summary sentence (issue 3: "全省应联网重点单位1859家，其中已联网1835家，联网率98.71%；…
    # 监控点位3667个，即时有效传输率97.86%；即时有效传输率排名前三的市为…；补全…")
    top_instant = "、".join(_names(cities, "instant")) or "—"
    top_complete = "、".join(_names(cities, "complete")) or "—"
    top_network = "、".join(_network_top(cities)) or "—"
    if len(provinces) == 1:
        p = provinces[0]
        summary = (
            f"全省应联网重点单位{p.must_network}家，其中已联网{p.networked}家，"
            f"联网率{display(p.network_rate)}；联网率排名前三的市为{top_network}。"
            f"监控点位{p.points}个，即时有效传输率{display(p.rate('instant'))}，"
            f"补全有效传输率{display(p.rate('complete'))}；"
        )
    else:
        summary = f"本期涉及{len(provinces)}个省级行政区。"
    summary += (
        f"即时有效传输率排名前三的市为{top_instant}；"
        f"补全有效传输率排名前三的市为{top_complete}。"
    )
    mark = f"{float(cfg.pass_mark):g}%"
    failing = [u for u in units if u.passes(cfg) is False]
    blocks.append(Paragraph("一、总体情况", heading=True))
    blocks.append(Paragraph(summary))
    blocks.append(Paragraph(resent_sentence(store, result.start, result.end, result.as_of)))
    blocks.append(Paragraph(
        f"补全有效传输率未达到{mark}的单位{len(failing)}家"
        + (f"，涉及{'、'.join(sorted({u.parent['city'] for u in failing}))}。" if failing
           else "。")
    ))

    # -- cities table
    instant_rank = {r.code: r.rank for r in rank_rows(list(cities), "instant")}
    complete_rank = {r.code: r.rank for r in rank_rows(list(cities), "complete")}
    city_rows = []
    for r in rank_rows(list(cities), "complete"):
        values = _rate_values(r, cfg)
        values.update(name=r.name, i_rank=instant_rank[r.code], c_rank=complete_rank[r.code])
        city_rows.append(values)
    if len(provinces) == 1:
        total = _rate_values(provinces[0], cfg)
        total.update(name="全省")
        city_rows.append(total)
    blocks.append(Paragraph("二、各市情况", heading=True))
    blocks.append(Table(
        "各市联网率及有效传输率", [
            Column("市", "name", 12), Column("应联网单位数", "units", 11, "0"),
            Column("已联网单位数", "networked", 11, "0"), Column("联网率(%)", "network_rate", 10,
                                                                "0.00"),
            Column("监控点位数", "points", 10, "0"),
            Column("即时有效传输率(%)", "i_er", 14, "0.00"), Column("即时排名", "i_rank", 8, "0"),
            Column("补全有效传输率(%)", "c_er", 14, "0.00"), Column("补全排名", "c_rank", 8, "0"),
        ], city_rows, sheet="各市", note=_method_note(result)))
    try:
        labels = [r.name for r in rank_rows(list(cities), "complete")]
        values = [_num(r.rate("complete")) for r in rank_rows(list(cities), "complete")]
        blocks.append(bar_chart(labels, values, "各市补全有效传输率", ylabel="%",
                                reference=float(cfg.pass_mark),
                                reference_label=f"达标线 {mark}",
                                colors=["#C00000" if r.passes(cfg) is False
                                        else "#4472C4"
                                        for r in rank_rows(list(cities), "complete")]))
    except ReportError as error:  # no CJK font: the bulletin still has every figure
        blocks.append(Paragraph(f"（图表未生成：{error}）"))

    # -- units below the pass mark, with their worst points and reasons
    blocks.append(Paragraph("三、未达标单位", heading=True))
    worst: list[Row] = []
    for unit in failing:
        points = [p for p in unit.members if p.rate("complete") is not None]
        points.sort(key=lambda p: (p.rate("complete"), p.code))
        below = [p for p in points if p.passes(cfg) is False]
        worst.extend((below or points)[:WORST_POINTS])
    # Only the hours that have ended are due: on the 1st of the month, a day, not the month.
    due_end = period.ended_hours_end(result.as_of)
    worst_mns = [p.code for p in worst]
    problems = (problem_hours(store, cfg, worst_mns, result.start, due_end, result.as_of)
                if due_end > result.start else [])
    late = late_hours(store, cfg, worst_mns, result.start, due_end, result.as_of)
    by_point: dict[str, list] = defaultdict(list)
    for item in problems:
        by_point[item[0]].append(item)
    unit_rows = []
    for unit in sorted(failing, key=lambda u: (u.rate("complete"), u.code)):
        points = [p for p in worst if p.parent.get("unit_id") == unit.code]
        first = True
        for point in points or [None]:
            unit_rows.append({
                "city": unit.parent["city"] if first else "",
                "county": unit.parent["county"] if first else "",
                "unit": unit.name if first else "",
                "u_er": _num(unit.rate("complete")) if first else None,
                "point": f"{point.parent.get('outlet', '')}（{point.code}）" if point else "—",
                "p_er": _num(point.rate("complete")) if point else None,
                "reasons": (_reasons(by_point.get(point.code, []), late) if point
                            else "无监控点位"),
            })
            first = False
    blocks.append(Table(
        f"补全有效传输率未达{mark}的单位", [
            Column("市", "city", 10), Column("县（区）", "county", 10), Column("单位", "unit", 26),
            Column("补全有效传输率(%)", "u_er", 13, "0.00"),
            Column("最差点位", "point", 30), Column("点位补全有效传输率(%)", "p_er", 15, "0.00"),
            Column("原因", "reasons", 60),
        ], unit_rows, sheet="未达标单位",
        note=f"原因：无数据＝截至数据截至时间未收到小时数据；迟报＝数据时间后"
             f"{cfg.complete_days:g}日（补全期限）后才收到，不计入补全；"
             "其余为数据标记（HJ 212-2017 表8）。小时数按因子计（点位×因子×小时）。"))
    no_points = [u for u in units if u.points == 0 and u.must_network]
    if no_points:
        blocks.append(Paragraph(
            "应联网但未登记监控点位的单位：" + "、".join(u.name for u in no_points) + "。"))
    # -- the approved data marks of the month (issue 13: the bulletin lists them)
    from envmon.marks.bulletin import approved_marks_blocks

    blocks.extend(approved_marks_blocks(store, result.start, result.end, result.as_of))
    start = result.start.astimezone(BEIJING_FIXED)
    last = (max(due_end, result.start + timedelta(hours=1)) - timedelta(hours=1)
            ).astimezone(BEIJING_FIXED)
    return Bulletin(
        title=f"{province_name}{year}年{mon}月重点排污单位自动监控数据联网及有效传输情况通报",
        issued=today_beijing(),
        subtitle=f"统计时段：{start:%Y年%m月%d日}至{last:%Y年%m月%d日}",
        blocks=blocks,
        footnotes=[
            _network_note(cfg),
            _method_note(result),
            f"数据截至 {result.as_of.astimezone(BEIJING_FIXED):%Y-%m-%d %H:%M}（北京时间）。",
        ],
    )


def resent_shares(store, start: datetime, end: datetime, as_of: datetime
                  ) -> dict[str, tuple[int, int]]:
    """City code -> (hourly records used, of them arrived re-sent), the records the figures
    use (`records_first`: a live copy before a re-sent one) of registered points' hours in
    [start, end) received by `as_of`. HJ 212-2025 RF=1 marks a re-sent packet (issue 16)."""
    rows = store.query(
        """
        SELECT r.city_code, COUNT(*), SUM(CASE WHEN f.resent THEN 1 ELSE 0 END)
        FROM records_first f JOIN point_registry r ON r.mn = f.mn
        WHERE f.cn = '2061' AND f.data_time >= ? AND f.data_time < ? AND f.received_at <= ?
        GROUP BY r.city_code
        """, [start, end, as_of])
    return {city: (int(n), int(resent or 0)) for city, n, resent in rows}


def resent_sentence(store, start: datetime, end: datetime, as_of: datetime) -> str:
    """The bulletin's sentence on re-sent data: the province's share, and each city's where
    any of its data arrived re-sent."""
    shares = resent_shares(store, start, end, as_of)
    total = sum(n for n, _ in shares.values())
    resent = sum(k for _, k in shares.values())
    if total == 0:
        return "本期未收到小时数据，无补传（HJ 212-2025 RF=1）数据。"
    text = (f"本期收到的小时数据{total}条中，补传（HJ 212-2025 RF=1）数据{resent}条，"
            f"占{Decimal(100 * resent) / total:.2f}%")
    names = dict(store.query("SELECT code, name FROM regions"))
    cities = [(names.get(code) or code, k * 100 / n) for code, (n, k) in sorted(shares.items())
              if k]
    if cities:
        text += "；其中" + "、".join(f"{name}{share:.2f}%" for name, share in cities)
    return text + "。"


def bulletin_json(bulletin) -> dict:
    """A 通报 as JSON (`report transmission --format json`): title, issue date, its sentences
    and its tables (column keys with their Chinese headers, rows as values). Charts and
    calendars are pictures and stay in the HTML/XLSX/PDF."""
    from envmon.reports.model import Cell, Paragraph, Table

    def plain(value):
        value = value.value if isinstance(value, Cell) else value
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return float(value)
        return value

    sentences, tables = [], []
    for block in bulletin.blocks:
        if isinstance(block, Paragraph):
            sentences.append(block.text)
        elif isinstance(block, Table):
            tables.append({
                "title": block.title, "note": block.note,
                "columns": [{"key": c.key, "header": c.header} for c in block.columns],
                "rows": [{c.key: plain(row.get(c.key)) for c in block.columns}
                         for row in block.rows]})
    return {"title": bulletin.title, "subtitle": bulletin.subtitle,
            "issued": bulletin.issued.isoformat(), "issuer": bulletin.issuer,
            "sentences": sentences, "tables": tables, "footnotes": list(bulletin.footnotes)}
