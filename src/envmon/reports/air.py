"""The monthly ambient air-quality bulletin (环境空气质量月报) as a `model.Bulletin`.

Blocks: the summary sentence ("综合指数同比下降10.0%，优良天数同比增加5天…"), the table of
pollutants with year-on-year change, a calendar of daily AQI in the HJ 633 colours, a daily
AQI chart, the daily table and the city ranking. Figures come from `envmon.air.service`
(composite index by the MEE ranking method, rounded as published).
"""

from __future__ import annotations

from datetime import date, datetime

from envmon.air import service, storage
from envmon.air.aqi import LEVEL_OBJECTS, level_of
from envmon.air.settings import AirSettings
from envmon.air.standards import UNVERIFIED_2026_ZH
from envmon.period import Period
from envmon.reports.charts import bar_chart
from envmon.reports.model import (
    PROVISIONAL_NOTE,
    Bulletin,
    Calendar,
    CalendarDay,
    Cell,
    Column,
    Paragraph,
    Table,
    month_label,
)
from envmon.store import Store
from envmon.timeutil import BEIJING_FIXED, today_beijing

POLLUTANT_ROWS = (
    ("pm25", "细颗粒物(PM2.5)", "平均浓度", "微克/立方米"),
    ("pm10", "可吸入颗粒物(PM10)", "平均浓度", "微克/立方米"),
    ("o3", "臭氧(O3)", "日最大8小时平均第90百分位数", "微克/立方米"),
    ("no2", "二氧化氮(NO2)", "平均浓度", "微克/立方米"),
    ("so2", "二氧化硫(SO2)", "平均浓度", "微克/立方米"),
    ("co", "一氧化碳(CO)", "日均值第95百分位数", "毫克/立方米"),
)
SHORT = {"pm25": "PM2.5", "pm10": "PM10", "o3": "O3", "no2": "NO2", "so2": "SO2", "co": "CO"}


def _change_words(value: float | None, unit: str = "%") -> str:
    if value is None:
        return "无同期数据"
    if value == 0:
        return "同比持平"
    word = "上升" if value > 0 else "下降"
    return f"同比{word}{abs(value):.1f}{unit}"


def period_label(period: Period) -> str:
    """"2025年11月" for a whole month, else "2025-11-01至2025-11-15" (first and last day)."""
    label = month_label(period)
    if label is None:
        first, last = period.first_last_days()
        label = f"{first.isoformat()}至{last.isoformat()}"
    return label


def summary_sentence(summary: dict, period: Period | None = None, *,
                     provisional: bool = False) -> str:
    """The bulletin's summary sentence from an `envmon air summary` result over `period`
    (default: its "from" … "to" days); a `provisional` period says so after its label."""
    if period is None:
        period = Period.days_between(summary["from"], summary["to"], allow_future=True)
    label = period_label(period) + (PROVISIONAL_NOTE if provisional else "")
    city = summary["city"]
    yoy = summary.get("yoy")
    parts = []
    index = summary["composite_index"]
    if index is None:
        parts.append(f"{label}，{city}环境空气质量综合指数无法计算（有效数据不足）")
    else:
        change = f"，{_change_words(yoy['composite_index'])}" if yoy else ""
        parts.append(f"{label}，{city}环境空气质量综合指数为{index:.2f}{change}")
    good = f"优良天数{summary['good_days']}天（有效监测天数{summary['valid_days']}天）"
    if summary["good_rate"] is not None:
        good += f"，优良天数比例为{summary['good_rate']:.1f}%"
    if yoy:
        diff = yoy["good_days"]
        good += "，优良天数同比" + (f"增加{diff}天" if diff > 0 else
                                     f"减少{-diff}天" if diff < 0 else "持平")
    parts.append(good)
    parts.append(f"重污染天数{summary['heavy_days']}天")
    conc = summary["concentrations"]
    if conc.get("pm25") is not None:
        pm = f"PM2.5平均浓度为{conc['pm25']}微克/立方米"
        if yoy:
            pm += f"，{_change_words(yoy['concentrations']['pm25'])}"
        parts.append(pm)
    return "；".join(parts) + "。"


def _pollutant_table(summary: dict, standard_limits: dict[str, float]) -> Table:
    yoy = summary.get("yoy") or {}
    rows = []
    for key, name, stat, unit in POLLUTANT_ROWS:
        change = (yoy.get("concentrations") or {}).get(key)
        value = summary["concentrations"][key]
        exceeds = value is not None and value > standard_limits[key]
        rows.append({
            "name": name,
            "stat": stat,
            "unit": unit,
            "value": Cell(value, color="#C00000", bold=True) if exceeds else value,
            "last": (yoy.get("concentrations_last") or {}).get(key),
            "change": change,
            "limit": standard_limits[key],
            "single": summary["single_indices"].get(key),
            "share": summary["load_shares"].get(key),
        })
    return Table(
        "主要污染物浓度及同比变化",
        [Column("污染物", "name", 20), Column("统计项", "stat", 26), Column("单位", "unit", 13),
         Column("本期", "value", 9), Column("去年同期", "last", 10),
         Column("同比变化(%)", "change", 12, "0.0"), Column("二级标准", "limit", 10),
         Column("单项指数", "single", 10, "0.00"), Column("负荷比(%)", "share", 10, "0.0")],
        rows,
        sheet="污染物",
        note="浓度按 GB/T 8170 修约（CO 保留1位小数，其余取整）；综合指数按《城市环境空气质量"
             "排名技术规定》由未修约统计值计算后保留2位小数；超过二级标准的数值以红色加粗显示。",
    )


def _calendar(summary: dict, first: date) -> Calendar:
    days = {}
    for row in summary["daily"]:
        day = date.fromisoformat(row["date"])
        level = level_of(row["aqi"]) if row["aqi"] is not None else None
        if level is None:
            days[day] = CalendarDay("—", None, tooltip="无有效数据")
            continue
        primary = ",".join(row["primary"]) or "无"
        days[day] = CalendarDay(str(row["aqi"]), level.hex,
                                tooltip=f"{level.category}，首要污染物：{primary}")
    legend = [(f"{lv.category}", lv.hex) for lv in LEVEL_OBJECTS]
    return Calendar(f"{summary['city']}{first.year}年{first.month}月每日空气质量指数（AQI）",
                    first.year, first.month, days, legend, sheet="AQI日历")


def _daily_table(summary: dict) -> Table:
    rows = []
    for row in summary["daily"]:
        level = level_of(row["aqi"]) if row["aqi"] is not None else None
        c = row["concentrations"]
        rows.append({
            "date": row["date"],
            "aqi": Cell(row["aqi"], fill=level.hex) if level else None,
            "level": level.category if level else None,
            "primary": ",".join(row["primary"]) or ("—" if level is None else "无"),
            **{k: c.get(k) for k in ("pm25", "pm10", "o3_8h", "no2", "so2", "co")},
        })
    return Table(
        "每日空气质量", [
            Column("日期", "date", 12), Column("AQI", "aqi", 7), Column("类别", "level", 10),
            Column("首要污染物", "primary", 24), Column("PM2.5", "pm25", 8),
            Column("PM10", "pm10", 8), Column("O3-8h", "o3_8h", 8), Column("NO2", "no2", 8),
            Column("SO2", "so2", 8), Column("CO", "co", 8, "0.0"),
        ], rows, sheet="每日",
        note="浓度单位：微克/立方米（CO：毫克/立方米）。",
    )


def _ranking_table(ranking: dict) -> Table:
    rows = []
    for row in ranking["cities"]:
        rows.append({
            "rank": row["rank"], "city": row["city"], "index": row["composite_index"],
            "yoy": row["yoy"], "yoy_rank": row["yoy_rank"], "good_rate": row["good_rate"],
            "pm25": row["concentrations"]["pm25"], "primary": row["primary"],
        })
    return Table(
        "城市环境空气质量综合指数排名", [
            Column("排名", "rank", 6), Column("城市", "city", 12),
            Column("综合指数", "index", 10, "0.00"), Column("同比变化(%)", "yoy", 12, "0.0"),
            Column("变化程度排名", "yoy_rank", 12), Column("优良天数比例(%)", "good_rate", 14,
                                                          "0.0"),
            Column("PM2.5", "pm25", 8), Column("首要污染物", "primary", 18),
        ], rows, sheet="排名",
        note="综合指数越小排名越前，数值相同（保留2位小数）并列；变化程度排名按综合指数同比变化率"
             "升序。",
    )


def build_air_bulletin(
    store: Store,
    period: Period,
    *,
    city: str | None = None,
    standard: str = "auto",
    issuer: str | None = None,
    excluded: service.Excluded | None = None,
    provisional: bool | None = None,
    data_until: datetime | None | bool = True,
    settings: AirSettings | None = None,
) -> Bulletin:
    """The bulletin for `city` (default: the first city of the station registry, see
    `envmon.air.api.bulletin_city`) over the days of `period`, with the ranking of every city;
    `provisional` (default: whether the period is still in progress) is said in the title and
    the summary sentence. `data_until` (default: read from the store) is the end of the last
    hour with data, said as 数据截至 … like the transmission bulletin."""
    if provisional is None:
        provisional = period.in_progress()
    first, last = period.first_last_days()
    ranking = service.ranking(store, first, last, standard=standard, excluded=excluded,
                              settings=settings)
    cities = [row["city"] for row in ranking["cities"]]
    if city is None:
        city = storage.cities(store)[0]
    if data_until is True:
        data_until = storage.data_until(store, city, period.start, period.end)
    as_of = (f"数据截至 {data_until.astimezone(BEIJING_FIXED):%Y-%m-%d %H:%M}（北京时间）。"
             if data_until else "统计期内尚无监测数据。")
    summary = service.city_summary(store, city, first, last, standard=standard,
                                   excluded=excluded, settings=settings)
    std = service.standard_for(first, standard)
    limits = std.composite_divisors()
    blocks: list = [
        Paragraph("一、总体情况", heading=True),
        Paragraph(summary_sentence(summary, period, provisional=provisional)),
        *([Paragraph(as_of)] if provisional else []),
        Paragraph("二、主要污染物", heading=True),
        _pollutant_table(summary, limits),
        Paragraph("三、每日空气质量", heading=True),
        _calendar(summary, first),
    ]
    labels = [row["date"][5:] for row in summary["daily"]]
    values = [row["aqi"] for row in summary["daily"]]
    colors = [level_of(v).hex if v is not None else "#CCCCCC" for v in values]
    blocks.append(bar_chart(labels, values, f"{city}每日AQI", ylabel="AQI",
                                   colors=colors, reference=100, reference_label="良上限(100)",
                                   value_format="{:.0f}"))
    blocks.append(_daily_table(summary))
    if len(cities) > 1:
        blocks.append(Paragraph("四、城市排名", heading=True))
        blocks.append(_ranking_table(ranking))
        ranked = [r for r in ranking["cities"] if r["composite_index"] is not None]
        if ranked:
            blocks.append(bar_chart([r["city"] for r in ranked],
                                           [r["composite_index"] for r in ranked],
                                           "各城市环境空气质量综合指数"))
    # Cite the standard whose limits the figures used (std: the set in force for the period).
    basis = ("GB 3095-2012《环境空气质量标准》及修改单、HJ 633-2012、HJ 663-2013"
             if std.name == "2012" else
             "GB 3095—2026《环境空气质量标准》（PM2.5 浓度限值；其余限值沿用 GB 3095-2012）、"
             "HJ 633（分段沿用 2012 年版）、HJ 663")
    footnotes = [
        f"评价依据：{basis}、《城市环境空气质量排名技术规定》；数据为实时监测数据，未经审核，"
        "与正式发布数据可能存在差异。",
    ]
    footnotes.append(as_of)
    footnotes += [f"说明：{UNVERIFIED_2026_ZH.get(note, note)}" for note in std.unverified]
    if summary.get("excluded_days"):
        footnotes.append("已扣除沙尘/例外事件日：" + "、".join(summary["excluded_days"]))
    label = period_label(period)
    return Bulletin(
        title=f"{city}{label}环境空气质量状况{PROVISIONAL_NOTE if provisional else ''}",
        subtitle="环境空气质量月报",
        issued=today_beijing(),
        issuer=issuer,
        blocks=blocks,
        footnotes=footnotes,
    )
