"""全路网颗粒物监测 monthly bulletin: the 20 most polluted and 20 cleanest road segments, with
district tallies, a map (PNG in the report; segments coloured by concentration) and the method
note (roads.md §1, §3 coarse-dust caveat, §4). Built on `envmon.reports.model` and `charts`."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from envmon.period import Period
from envmon.reports.charts import figure, finish
from envmon.reports.model import (
    PROVISIONAL_NOTE,
    Bulletin,
    Chart,
    Column,
    Paragraph,
    Table,
    month_label,
)
from envmon.timeutil import BEIJING_FIXED, today_beijing

METHOD_NOTE = (
    "方法说明：出租车搭载颗粒物传感器，1 秒一条数据；"
    "坐标统一转换为 WGS-84 后匹配到道路（FMM 地图匹配）。"
    "每辆车每次连续通过一个路段为一次“通过”，取该次读数均值；路段月值为各次通过均值的中位数。"
    "路段须在统计期内有不少于 8 天、15 次通过、2 辆出租车的数据方可参与排名，否则列为“数据不足”。"
    "传感器数据经逐台标定和湿度订正（RH>60% 时按 Chakrabarti 2004 系数）。"
    "注意：低成本光散射传感器对粗颗粒（道路扬尘）响应偏低，PM10 排名可能低估扬尘路段，"
    "PM10/PM2.5 比值须谨慎解读（Ouimette 等 2024）。"
)


def segment_map(segments: dict[str, dict[str, Any]], values: dict[str, float],
                highlight: set[str], title: str, unit: str = "µg/m³") -> Chart:
    """Segments in grey, measured ones coloured by value, the ranked ones drawn thicker."""
    import matplotlib
    from matplotlib.collections import LineCollection

    fig, ax = figure(7.0, 6.0)
    grey = [s["lonlat"] for sid, s in segments.items() if sid not in values]
    if grey:
        ax.add_collection(LineCollection(grey, colors="#C8C8C8", linewidths=0.6))
    measured = [sid for sid in segments if sid in values]
    if measured:
        vals = np.array([values[sid] for sid in measured])
        norm = matplotlib.colors.Normalize(vmin=float(vals.min()), vmax=float(vals.max()))
        lc = LineCollection([segments[sid]["lonlat"] for sid in measured], cmap="RdYlGn_r",
                            norm=norm,
                            linewidths=[3.0 if sid in highlight else 1.2 for sid in measured])
        lc.set_array(vals)
        ax.add_collection(lc)
        fig.colorbar(lc, ax=ax, label=unit, shrink=0.8)
    ax.autoscale()
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.set_aspect(1.0 / max(np.cos(np.radians(np.mean(ax.get_ylim()))), 0.1))
    ax.set_xlabel("经度")
    ax.set_ylabel("纬度")
    ax.set_title(title, fontsize=11)
    return finish(fig, title)


def _columns(unit: str, normalised: bool = False) -> list[Column]:
    value = (f"背景校正浓度（{unit}）" if normalised else f"浓度（{unit}）")
    cols = [Column("排名", "rank", 6, "0"), Column("路段", "name", 40),
            Column("所属区", "district", 12), Column(value, "value", 12, "0.0")]
    if normalised:  # rank on the normalised value, publish the raw one alongside (§4.5)
        cols.append(Column(f"实测浓度（{unit}）", "raw", 12, "0.0"))
    return cols + [Column("四分位距", "iqr", 10, "0.0"), Column("90%置信区间（实测）", "ci", 16),
                   Column("通过次数", "n_passes", 9, "0"), Column("天数", "n_days", 7, "0"),
                   Column("车辆数", "n_taxis", 7, "0")]


def period_label(period: Period) -> str:
    """"2026年10月" for a whole month, else "2026年10月01日至2026年10月08日" (the bounds)."""
    start, end = (t.astimezone(BEIJING_FIXED) for t in (period.start, period.end))
    return month_label(period) or f"{start:%Y年%m月%d日}至{end:%Y年%m月%d日}"


def build_roads_bulletin(result: dict, period: Period, extra: dict[str, dict[str, Any]],
                         chart: Chart | None, issued: date | None = None,
                         coverage: dict | None = None, normalised: bool = False,
                         provisional: bool = False) -> Bulletin:
    """`result`: the ranking JSON (`envmon.roads.rank.ranking`) over `period`; `extra`: per
    segment id `iqr` and `ci` text for the tables; `provisional`: the period has not ended
    (said after the period in the title and the opening sentence)."""
    start, end = (t.astimezone(BEIJING_FIXED) for t in (period.start, period.end))
    label = {"pm10": "PM10", "pm25": "PM2.5"}[result["pollutant"]]
    unit = "微克/立方米"
    note = PROVISIONAL_NOTE if provisional else ""
    words = period_label(period)
    n = len(result["dirty"])

    def rows(items: list[dict]) -> list[dict]:
        return [{**it, **extra.get(it["segment_id"], {})} for it in items]

    blocks: list = [
        Paragraph(f"{words}{note}全路网颗粒物（{label}）监测结果显示，污染较重的{n}条路段为："),
        Table(f"{label}污染较重的{n}条路段", _columns(unit, normalised), rows(result["dirty"]),
              sheet="污染较重路段"),
        Paragraph(result["sentence"]["dirty"]),
        Paragraph(f"空气质量较好的{len(result['clean'])}条路段为："),
        Table(f"{label}空气质量较好的{len(result['clean'])}条路段", _columns(unit, normalised),
              rows(result["clean"]), sheet="空气质量较好路段"),
        Paragraph(result["sentence"]["clean"]),
        Table("各区入列路段数",
              [Column("区", "district", 14), Column("污染较重", "dirty", 10, "0"),
               Column("空气质量较好", "clean", 12, "0")],
              [{"district": d,
                "dirty": result["district_counts"]["dirty"].get(d, 0),
                "clean": result["district_counts"]["clean"].get(d, 0)}
               for d in sorted(set(result["district_counts"]["dirty"])
                               | set(result["district_counts"]["clean"]))],
              sheet="各区统计"),
        Paragraph(f"另有{result['insufficient']}条有监测数据的路段因数据不足未参与排名。"),
    ]
    if coverage:
        blocks.append(Paragraph(
            f"监测覆盖：路网共{coverage['segments']}条路段（{coverage['km']:.1f}公里），"
            f"统计期内有有效通过数据的{coverage['with_data']}条"
            f"（{coverage['with_data_share']:.1%}），符合排名条件的{coverage['eligible']}条"
            f"（{coverage['eligible_share']:.1%}，{coverage['eligible_km']:.1f}公里）。"))
    if chart is not None:
        blocks.append(chart)
    blocks.append(Paragraph(METHOD_NOTE))
    return Bulletin(title=f"{words}全路网颗粒物（{label}）监测路段排名通报{note}",
                    issued=issued or today_beijing(), blocks=blocks,
                    subtitle=f"统计时段：{start:%Y-%m-%d %H:%M}至{end:%Y-%m-%d %H:%M}（北京时间）")
