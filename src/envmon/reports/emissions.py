"""Emission and environmental-protection tax reports (zh-CN) on the shared bulletin machinery
(`reports.model`, `reports.xlsx`): JSON-ready dicts and XLSX bulletins."""

from __future__ import annotations

from typing import Any

from envmon.emissions.accounting import PollutantResult
from envmon.emissions.tax import TaxLine, to_fen
from envmon.reports.model import Bulletin, Cell, Column, Paragraph, Table
from envmon.timeutil import today_beijing

FACTOR_NAMES_ZH = {
    "a21026": "二氧化硫", "a21002": "氮氧化物", "a34013": "颗粒物（烟尘）", "a21005": "一氧化碳",
    "a21024": "氯化氢", "a21028": "硫化氢", "a21001": "氨", "a19001": "氧含量",
    "a00000": "废气流量", "w00000": "废水流量", "w01018": "化学需氧量", "w21003": "氨氮",
    "w21011": "总磷", "w21001": "总氮", "w01017": "生化需氧量", "w01012": "悬浮物",
    "w01001": "pH值",
}
SUBSTITUTED_FILL = "#FFF2CC"


def factor_zh(code: str) -> str:
    return FACTOR_NAMES_ZH.get(code, code)


def emissions_json(results: list[PollutantResult], unit_id: str, month: str) -> dict[str, Any]:
    """`envmon emissions --format json`: per point and pollutant the month's kg and t, the
    daily totals, valid/invalid/stopped/missing/substituted hours and α."""
    rows = []
    for r in results:
        rows.append({
            "mn": r.mn, "outlet_id": r.outlet_id, "outlet_name": r.outlet_name,
            "kind": r.kind, "factor": r.factor, "factor_name": factor_zh(r.factor),
            "kg": r.kg, "t": r.kg * 1e-3, "measured_kg": r.measured_kg,
            "substituted_kg": r.substituted_kg, "valid_hours": r.count("valid"),
            "invalid_hours": r.count("invalid"), "missing_hours": r.count("missing"),
            "stopped_hours": r.count("stopped"), "substituted_hours": r.substituted_hours,
            "capture_rate_pct": round(r.alpha_pct, 2), "usable_for_tax": r.usable_for_tax,
            "mean_concentration": r.mean_concentration, "limit": r.limit,
            "exceeded": r.exceeded,
            "daily_kg": {d.isoformat(): kg for d, kg in sorted(r.daily_kg().items())},
            "substituted": [{"hour": h.hour.isoformat(), "kg": h.kg, "rule": h.rule,
                             "status": h.status} for h in r.hours
                            if h.rule is not None and not h.rule.startswith("none")],
            "unsubstituted_reason": sorted({h.rule for h in r.hours
                                            if h.rule and h.rule.startswith("none")}),
        })
    unit_name = results[0].unit_name if results else ""
    return {"unit_id": unit_id, "unit_name": unit_name, "month": month, "rows": rows}


def emissions_bulletin(results: list[PollutantResult], unit_id: str, month: str) -> Bulletin:
    unit_name = results[0].unit_name if results else unit_id
    summary = [{
        "outlet": f"{r.outlet_id} {r.outlet_name}".strip(), "mn": r.mn,
        "factor": factor_zh(r.factor), "kg": r.kg, "t": r.kg * 1e-3,
        "substituted_kg": r.substituted_kg, "valid": r.count("valid"),
        "substituted": Cell(r.substituted_hours, fill=SUBSTITUTED_FILL)
        if r.substituted_hours else 0,
        "stopped": r.count("stopped"), "alpha": r.alpha_pct / 100,
        "mean": r.mean_concentration, "limit": r.limit,
    } for r in results]
    daily = []
    for r in results:
        for d, kg in sorted(r.daily_kg().items()):
            daily.append({"day": d, "outlet": r.outlet_id, "factor": factor_zh(r.factor),
                          "kg": kg})
    substituted = [{"hour": h.hour.strftime("%Y-%m-%d %H:00"), "outlet": r.outlet_id,
                    "factor": factor_zh(r.factor), "status": h.status, "rule": h.rule,
                    "kg": h.kg}
                   for r in results for h in r.hours
                            if h.rule is not None and not h.rule.startswith("none")]
    return Bulletin(
        title=f"{unit_name}{month}污染物排放量核算表", issued=today_beijing(),
        subtitle=f"单位：{unit_id}",
        blocks=[
            Paragraph("排放量 = 实测干基标态浓度 × 标干流量 × 10⁻⁶（HJ 75-2017）；"
                      "折算浓度仅用于与限值比较。无效或缺失小时按 HJ 75-2017 修约替代，"
                      "替代小时已标注。"),
            Table("排放量汇总", [
                Column("排放口", "outlet", 16), Column("监测点MN", "mn", 26),
                Column("污染物", "factor", 14), Column("排放量(kg)", "kg", 14, "0.000"),
                Column("排放量(t)", "t", 12, "0.0000"),
                Column("其中替代量(kg)", "substituted_kg", 14, "0.000"),
                Column("有效小时", "valid", 10, "0"), Column("替代小时", "substituted", 10, "0"),
                Column("停运小时", "stopped", 10, "0"),
                Column("季度有效数据捕集率", "alpha", 14, "0.0%"),
                Column("月均浓度", "mean", 12, "0.000"), Column("限值", "limit", 10, "0.###"),
            ], summary, sheet="汇总"),
            Table("日排放量", [Column("日期", "day", 12, "yyyy-mm-dd"),
                              Column("排放口", "outlet", 10), Column("污染物", "factor", 14),
                              Column("排放量(kg)", "kg", 14, "0.000")], daily, sheet="日排放量"),
            Table("替代小时明细", [Column("小时", "hour", 18), Column("排放口", "outlet", 10),
                                  Column("污染物", "factor", 14), Column("原状态", "status", 10),
                                  Column("替代规则", "rule", 16),
                                  Column("替代排放量(kg)", "kg", 14, "0.000")],
                  substituted, sheet="替代明细"),
        ])


def _round(value: float | None, decimals: int) -> float | None:
    return None if value is None else round(value, decimals)


def emissions_table(results: list[PollutantResult], unit_id: str, month: str):
    """`envmon emissions --format csv|table`: one row per point and pollutant."""
    from envmon.render import Column, Table

    unit_name = results[0].unit_name if results else ""
    columns = [Column("outlet_id", "排放口"), Column("mn", "MN", 26),
               Column("factor_name", "污染物"), Column("kg", "排放量(kg)", 14, "0.000"),
               Column("substituted_kg", "替代量(kg)", 14, "0.000"),
               Column("valid_hours", "有效小时"), Column("invalid_hours", "无效小时"),
               Column("missing_hours", "缺失小时"), Column("stopped_hours", "停运小时"),
               Column("substituted_hours", "替代小时"),
               Column("capture_rate_pct", "捕集率(%)", 10, "0.00"),
               Column("mean_concentration", "均值浓度", 12, "0.000"),
               Column("limit", "限值"), Column("exceeded", "超标"),
               Column("factor", "因子编码")]
    rows = []
    for r in results:
        values = {"outlet_id": r.outlet_id, "mn": r.mn, "factor_name": factor_zh(r.factor),
                  "kg": _round(r.kg, 3), "substituted_kg": _round(r.substituted_kg, 3),
                  "valid_hours": r.count("valid"), "invalid_hours": r.count("invalid"),
                  "missing_hours": r.count("missing"), "stopped_hours": r.count("stopped"),
                  "substituted_hours": r.substituted_hours,
                  "capture_rate_pct": round(r.alpha_pct, 2),
                  "mean_concentration": _round(r.mean_concentration, 3), "limit": r.limit,
                  "exceeded": "是" if r.exceeded else "否", "factor": r.factor}
        rows.append(tuple(values[c.key] for c in columns))
    title = f"{unit_name or unit_id} 污染物排放量（{month}）"
    return Table(title, columns, rows)


def tax_table(lines: list[TaxLine], month: str):
    """`envmon tax --format csv|table`: one row per unit, outlet and pollutant."""
    from envmon.render import Column, Table

    columns = [Column("unit_name", "单位", 20), Column("outlet_id", "排放口"),
               Column("pollutant", "应税污染物", 14), Column("kg", "排放量(kg)", 14, "0.000"),
               Column("equivalents", "污染当量数", 14, "0.000"),
               Column("rate", "税额标准(元)", 12, "0.00"), Column("reduction", "减征"),
               Column("tax", "应纳税额(元)", 14, "0.00"), Column("unit_id", "统一社会信用代码", 20),
               Column("factor", "因子编码"), Column("usable_for_tax", "可作计税依据")]
    rows = [(t.extra.get("unit_name", ""), t.outlet_id, t.item, _round(t.emission_kg, 3),
             _round(t.equivalents, 3), t.rate_yuan, t.reduction, t.payable_yuan,
             t.unit_id, t.factor, _usable(t)) for t in lines]
    return Table(f"环境保护税（{month}）", columns, rows)


def _usable(t: TaxLine) -> bool:
    return bool(t.extra.get("usable_for_tax", True))


def tax_json(lines: list[TaxLine], month: str) -> dict[str, Any]:
    """`envmon tax --format json`: per unit its lines (outlet, pollutant, kg, equivalents,
    rate, reduction, tax) and the unit total.

    Money is to the fen (`tax.to_fen`, as the tax form). `tax_yuan` and `total_yuan` are the
    payable sums of the lines whose data may be the tax basis; a line with
    `usable_for_tax: false` (capture rate < 75 %: emission factors or material balance apply,
    财税〔2018〕117号) keeps its figure but is summed apart in `unusable_tax_yuan` /
    `unusable_total_yuan`. `gross`/`relief` per line are the form's 应纳税额 and 减免税额."""
    units: dict[str, dict] = {}
    for t in lines:
        unit = units.setdefault(t.unit_id, {"unit_id": t.unit_id,
                                            "unit_name": t.extra.get("unit_name", ""),
                                            "tax_yuan": 0.0, "unusable_tax_yuan": 0.0,
                                            "lines": []})
        unit["tax_yuan" if _usable(t) else "unusable_tax_yuan"] += t.payable_yuan
        unit["lines"].append({
            "outlet_id": t.outlet_id, "outlet_name": t.extra.get("outlet_name", ""),
            "kind": t.kind, "factor": t.factor, "pollutant": t.item, "kg": t.emission_kg,
            "equivalent_kg": t.equivalent_kg, "equivalents": t.equivalents,
            "rate": t.rate_yuan, "reduction": t.reduction, "taxed": t.taxed,
            "tax": t.payable_yuan, "gross": t.gross_yuan, "relief": t.relief_yuan,
            "mean_concentration": t.mean_conc, "limit": t.limit,
            "exceeded": t.extra.get("exceeded", False),
            "usable_for_tax": _usable(t), "note": t.reason,
        })
    for unit in units.values():  # sums of lines already to the fen: to_fen drops float dust
        unit["tax_yuan"] = to_fen(unit["tax_yuan"])
        unit["unusable_tax_yuan"] = to_fen(unit["unusable_tax_yuan"])
    return {"month": month, "units": list(units.values()),
            "total_yuan": to_fen(sum(u["tax_yuan"] for u in units.values())),
            "unusable_total_yuan": to_fen(sum(u["unusable_tax_yuan"] for u in units.values()))}


def tax_bulletin(lines: list[TaxLine], month: str,
                 not_taxed: list[dict] | None = None) -> Bulletin:
    data = tax_json(lines, month)
    rows = []
    for unit in data["units"]:
        for line in unit["lines"]:
            rows.append({
                "unit": unit["unit_name"] or unit["unit_id"], "unit_id": unit["unit_id"],
                "outlet": line["outlet_id"], "pollutant": line["pollutant"], "kg": line["kg"],
                "eq_kg": line["equivalent_kg"], "eq": line["equivalents"],
                "rate": line["rate"], "reduction": line["reduction"],
                "taxed": "是" if line["taxed"] else "否", "tax": line["tax"],
                "usable": "是" if line["usable_for_tax"] else "否（另行核定）",
                "note": line["note"] or ("存在超标" if line["exceeded"] else ""),
            })
    totals = [{"unit": u["unit_name"] or u["unit_id"], "unit_id": u["unit_id"],
               "tax": u["tax_yuan"], "unusable": u["unusable_tax_yuan"]}
              for u in data["units"]]
    return Bulletin(
        title=f"{month}环境保护税（自动监测数据）计算表", issued=today_beijing(),
        blocks=[
            Paragraph("污染当量数 = 排放量(kg) ÷ 污染当量值(kg)（环境保护税法附表二）；"
                      "大气污染物每一排放口征收前三项，水污染物第一类前五项、其他类前三项。"
                      "月均浓度低于标准 70% 按 75% 征收，低于 50% 按 50% 征收；"
                      "任一小时（大气）或日（水）超标不予减征。税额标准：山西省大气 1.8 元、"
                      "水 2.1 元每污染当量（按省配置）。"),
            Table("应纳税额明细", [
                Column("单位", "unit", 20), Column("统一社会信用代码", "unit_id", 20),
                Column("排放口", "outlet", 10), Column("污染物", "pollutant", 12),
                Column("排放量(kg)", "kg", 14, "0.000"),
                Column("污染当量值(kg)", "eq_kg", 12, "0.######"),
                Column("污染当量数", "eq", 14, "0.00"), Column("税额标准(元)", "rate", 10, "0.00"),
                Column("减征后比例", "reduction", 10, "0%"), Column("计税", "taxed", 6),
                Column("应纳税额(元)", "tax", 14, "0.00"),
                Column("可作计税依据", "usable", 12), Column("说明", "note", 30),
            ], rows, sheet="明细"),
            Table("各单位合计", [Column("单位", "unit", 20),
                                Column("统一社会信用代码", "unit_id", 20),
                                Column("应纳税额(元)", "tax", 14, "0.00"),
                                Column("数据不可作计税依据(元)", "unusable", 16, "0.00")],
                  totals, sheet="合计"),
        ],
        footnotes=[f"合计：{data['total_yuan']:.2f} 元（金额单位：元至角分）",
                   *(f"未计税：{x['unit_name'] or x['unit_id']} {x['outlet_id']} {x['factor']}："
                     f"{x['reason']}" for x in not_taxed or ()),
                   *([f"另有 {data['unusable_total_yuan']:.2f} 元的自动监测数据有效捕集率低于75%，"
                      "不计入合计，应按排污系数或物料衡算另行核定（财税〔2018〕117号）"]
                     if data["unusable_total_yuan"] else [])])
