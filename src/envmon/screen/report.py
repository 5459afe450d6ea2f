"""The screening as a bulletin (XLSX, HTML): the ranked points, every finding with its
evidence (factors by name: 二氧化硫 a21026), a plot per factor with findings of each of the
first `PLOTTED` points (dates on the x-axis, the findings' hours shaded, the limit dashed;
its XLSX sheet named by the MN's tail and the factor's name, within Excel's 31 characters),
and the enforcement checklist per unit (现场检查要点: 在线监控数据是否正常, 治理设施运行, 台账,
达标排放), pre-filled from the data."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from envmon.reports.model import Bulletin, Column, Paragraph, Table
from envmon.screen import PATTERN_ZH
from envmon.timeutil import BEIJING_FIXED, today_beijing

PLOTTED = 10
CHECKLIST_ITEMS = ("在线监控数据是否正常", "治理设施运行", "台账", "达标排放")


def _local(t) -> str:
    return f"{t.astimezone(BEIJING_FIXED):%Y-%m-%d %H:%M}"


def factor_label(code: str) -> str:
    """"二氧化硫 a21026" (the code alone when HJ 212 does not name it)."""
    from envmon.hj212.codes import FACTORS

    factor = FACTORS.get(code)
    return f"{factor.zh} {code}" if factor is not None else code


def chart_title(point, factor: str) -> str:
    """The MN's tail and the factor's name: an XLSX sheet name (≤ 31 characters)."""
    from envmon.hj212.codes import FACTORS

    name = FACTORS[factor].zh if factor in FACTORS else factor
    return f"…{point.series.mn[-6:]} {name}"[:31]


def point_charts(point) -> list:
    """One plot per factor with findings, in the order of the findings."""
    factors = dict.fromkeys(f.factor for f in point.findings)
    return [point_chart(point, factor) for factor in factors]


def point_chart(point, factor: str | None = None):
    """The series of `factor` (default: the first finding's) over the period against dates,
    its findings' hours shaded and the limit dashed."""
    import matplotlib.dates as mdates

    from envmon.reports.charts import figure, finish

    series = point.series
    factor = factor or point.findings[0].factor
    values = (series.corrected.get(factor) if factor in series.limits
              else series.values.get(factor))
    fig, ax = figure(8.0, 2.8)
    times = [series.hour(i).astimezone(BEIJING_FIXED).replace(tzinfo=None)
             for i in range(series.n_hours)]
    ax.plot(times, values, linewidth=0.7, color="#4472C4")
    for f in point.findings:
        if f.factor == factor:
            ax.axvspan(f.start.astimezone(BEIJING_FIXED).replace(tzinfo=None),
                       f.end.astimezone(BEIJING_FIXED).replace(tzinfo=None),
                       color="#C00000", alpha=0.15)
    limit = series.limits.get(factor)
    if limit:
        ax.axhline(limit, linestyle="--", color="#C00000", linewidth=1)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.set_xlabel("日期（北京时间）")
    title = chart_title(point, factor)
    ax.set_title(f"{series.mn} {factor_label(factor)}（阴影：疑似时段）", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return finish(fig, title)


def checklist(points) -> list[dict]:
    """One row per unit: each inspection item pre-filled from its points' findings and data."""
    by_unit = defaultdict(list)
    for p in points:
        by_unit[p.series.unit_id].append(p)
    rows = []
    for unit_id, unit_points in by_unit.items():
        patterns = {f.pattern for p in unit_points for f in p.findings}
        data = [PATTERN_ZH[x] for x in ("flat", "copied", "periodic", "clipping")
                if x in patterns]
        exceed_hours = 0
        for p in unit_points:
            for factor, limit in p.series.limits.items():
                if limit and factor in p.series.corrected:
                    with np.errstate(invalid="ignore"):
                        exceed_hours += int(np.nansum(p.series.valid_corrected(factor) > limit))
        rows.append({
            "unit_id": unit_id, "unit_name": unit_points[0].series.unit_name,
            CHECKLIST_ITEMS[0]: ("疑似异常：" + "、".join(data) + "；现场调取分析仪原始数据比对"
                                 if data else "未见数据异常特征"),
            CHECKLIST_ITEMS[1]: ("核查：" + "、".join(PATTERN_ZH[x] for x in
                                                     ("dilution", "inconsistent")
                                                     if x in patterns)
                                 + "；检查引风、稀释空气与治理设施运行记录"
                                 if {"dilution", "inconsistent"} & patterns
                                 else "数据未见停运或稀释特征"),
            CHECKLIST_ITEMS[2]: ("核对 M/C 标记、豁免与运维校准台账" if "flag_gaming" in patterns
                                 else "核对运维、校准台账"),
            CHECKLIST_ITEMS[3]: (f"有效小时超标 {exceed_hours} 个" if exceed_hours
                                 else "有效小时未见超标"
                                 + ("（限值下截断，需现场比对）" if "clipping" in patterns
                                    else "")),
        })
    return rows


def screening_bulletin(result) -> Bulletin:
    points = result.points
    blocks: list = [Paragraph(
        f"共筛查 {result.screened} 个废气监测点位，{len(points)} 个点位发现疑似造假特征。"
        "以下为证据与得分，仅供现场核查，不作为认定结论。")]
    blocks.append(Table("疑似点位排序", [
        Column("序号", "rank", 6), Column("监测点位 MN", "mn", 26), Column("单位", "unit", 22),
        Column("得分", "score", 8, "0.0"), Column("疑似特征", "patterns", 40)],
        [{"rank": k + 1, "mn": p.series.mn, "unit": p.series.unit_name or p.series.unit_id,
          "score": p.score,
          "patterns": "、".join(dict.fromkeys(PATTERN_ZH[f.pattern] for f in p.findings))}
         for k, p in enumerate(points)], sheet="排序"))
    blocks.append(Table("证据明细", [
        Column("监测点位 MN", "mn", 26), Column("特征", "pattern", 14),
        Column("因子", "factor", 16),
        Column("起", "from", 17), Column("止", "to", 17), Column("统计量", "statistic", 12),
        Column("阈值", "threshold", 10), Column("说明", "detail", 60)],
        [{"mn": p.series.mn, "pattern": PATTERN_ZH[f.pattern], "factor": factor_label(f.factor),
          "from": _local(f.start), "to": _local(f.end), "statistic": round(f.statistic, 6),
          "threshold": f.threshold, "detail": f.detail}
         for p in points for f in p.findings], sheet="证据"))
    blocks.append(Table("执法检查要点（按单位预填）", [
        Column("单位代码", "unit_id", 20), Column("单位名称", "unit_name", 20),
        *(Column(item, item, 36) for item in CHECKLIST_ITEMS)], checklist(points),
        sheet="检查要点"))
    blocks += [chart for p in points[:PLOTTED] for chart in point_charts(p)]
    return Bulletin(f"在线监测数据造假筛查（{result.period.describe()}）", today_beijing(),
                    blocks)
