"""The emergency-control check as a bulletin (XLSX, HTML; zh-CN): the summary, the region's
achieved reduction against the plan's target, each unit's verdict, each unit-day's
evidence (hours, baseline, achieved, uncertainty, the rule, in Chinese), the flue-gas flow
reduction per unit-day and the hour-by-hour baseline against the actual emissions."""

from __future__ import annotations

from envmon.emergency.files import POLLUTANT_ZH
from envmon.emergency.settings import LEVEL_ZH
from envmon.reports.model import Bulletin, Cell, Column, Paragraph, Table
from envmon.timeutil import today_beijing

VERDICT_FILL = {"落实": "#C6EFCE", "未落实": "#FFC7CE", "数据不足": "#FFEB9C"}


def _verdict(v: str) -> Cell:
    return Cell(v, fill=VERDICT_FILL.get(v))


def check_bulletin(check) -> Bulletin:
    a, region, cfg = check.alert, check.region, check.config
    counts = region["verdicts"]
    where = f"{region['name']} {a.region}" if region.get("name") else a.region
    summary = (f"{LEVEL_ZH[a.level]}预警（编号 {a.id}，区域 {where}，"
               f"{a.start:%Y-%m-%d %H:%M} 至 {a.end:%Y-%m-%d %H:%M}）：清单内有在线监测数据的单位 "
               f"{len(check.units)} 家，落实 {counts['落实']} 家，未落实 {counts['未落实']} 家，"
               f"数据不足 {counts['数据不足']} 家。")
    rule = (f"判定方法：各单位以预警前 {cfg.baseline_days} 日（不含其他预警日）同一时段有效小时"
            f"排放量的均值为基准，同一时段不少于 {cfg.min_baseline_days} 日有效；当日可用预警小时"
            f"不足 {cfg.min_coverage_pct:g}% 为数据不足；实际减排比例低于要求减排比例且差距超过 "
            f"{cfg.confidence_z:g} 倍基准不确定度为未落实。")
    region_rows = [{"name": p["name"], "achieved": p["achieved_pct"], "target": p["target_pct"],
                    "met": None if p["met"] is None else ("达标" if p["met"] else "未达标"),
                    "units": p["units"]} for p in region["pollutants"].values()]
    unit_rows = [{"unit_id": u["unit_id"], "unit_name": u["unit_name"], "grade": u["grade"],
                  "measure": u["measure"], "required": u["required_pct"],
                  "achieved": u["achieved_pct"], "verdict": _verdict(u["verdict"])}
                 for u in check.units]
    day_rows = []
    for u in check.units:
        for d in u["days"]:
            for code, p in d["pollutants"].items():
                day_rows.append({"unit": u["unit_name"], "date": d["date"],
                                 "pollutant": POLLUTANT_ZH.get(code, code),
                                 "hours": f"{p['usable_hours']}/{p['alert_hours']}",
                                 "baseline": p["baseline"], "achieved": p["achieved"],
                                 "pct": p["achieved_pct"], "u": p["uncertainty_pct"],
                                 "verdict": _verdict(p["verdict"]),
                                 "reason": p.get("reason_zh") or p["reason"]})
    flow_rows = [{"unit": u["unit_name"], "date": d["date"],
                  "hours": f"{d['flow']['usable_hours']}/{d['flow']['alert_hours']}",
                  "baseline": d["flow"]["baseline"], "achieved": d["flow"]["achieved"],
                  "pct": d["flow"]["achieved_pct"]}
                 for u in check.units for d in u["days"]]
    hour_rows = [_hour_row(u["unit_name"], h) for u in check.units for d in u["days"]
                 for h in d["hours"]]
    if check.note:
        summary += check.note + "。"
    blocks = [
        Paragraph(summary), Paragraph(rule),
        Table("区域减排效果", [Column("污染物", "name", 10),
                              Column("实际减排(%)", "achieved", 12, "0.0"),
                              Column("目标(%)", "target", 10, "0"),
                              Column("是否达标", "met", 10), Column("单位数", "units", 8)],
              region_rows),
        Table("各单位落实情况（问题最突出者在前）", [
            Column("统一社会信用代码", "unit_id", 22), Column("单位", "unit_name", 18),
            Column("绩效分级", "grade", 8), Column("措施", "measure", 8),
            Column("要求减排(%)", "required", 11, "0.0"),
            Column("实际减排(%)", "achieved", 11, "0.0"), Column("结论", "verdict", 10)],
            unit_rows, sheet="各单位"),
        Table("逐日证据", [
            Column("单位", "unit", 18), Column("日期", "date", 12),
            Column("污染物", "pollutant", 10), Column("可用小时", "hours", 9),
            Column("基准(kg)", "baseline", 12, "0.000"),
            Column("实际(kg)", "achieved", 12, "0.000"),
            Column("实际减排(%)", "pct", 11, "0.0"), Column("不确定度(%)", "u", 11, "0.0"),
            Column("结论", "verdict", 10), Column("依据", "reason", 50)],
            day_rows, sheet="逐日证据"),
        Table("烟气流量削减（证据，不参与判定）", [
            Column("单位", "unit", 18), Column("日期", "date", 12),
            Column("可用小时", "hours", 9), Column("基准(m³)", "baseline", 14, "0"),
            Column("实际(m³)", "achieved", 14, "0"),
            Column("流量削减(%)", "pct", 11, "0.0")], flow_rows, sheet="流量削减"),
        Table("逐时排放：基准与实际", [
            Column("单位", "unit", 18), Column("时间", "hour", 17),
            *[Column(f"{name}{kind}(kg)", f"{code}:{key}", 11, "0.000")
              for code, name in POLLUTANT_ZH.items()
              for kind, key in (("基准", "baseline"), ("实际", "achieved"))],
            Column("流量基准(m³)", "flow:baseline", 12, "0"),
            Column("流量实际(m³)", "flow:achieved", 12, "0")], hour_rows, sheet="逐时"),
    ]
    return Bulletin(title="重污染天气应急管控措施落实情况", issued=today_beijing(),
                    blocks=blocks, subtitle=f"{LEVEL_ZH[a.level]}预警 {a.id}")


def _hour_row(unit_name: str, hour: dict) -> dict:
    row = {"unit": unit_name, "hour": hour["hour"][:16].replace("T", " ")}
    for code in (*POLLUTANT_ZH, "flow"):
        for key in ("baseline", "achieved"):
            row[f"{code}:{key}"] = hour[key].get(code)
    return row
