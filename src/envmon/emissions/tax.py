"""Environmental-protection tax (环境保护税法, in force 2018-01-01; 实施条例), emissions.md §9.

- pollution equivalents = emission (kg) / equivalent value (kg) (Arts. 8, 9, 11; Annex 2);
  the per-tonne water items of Annex 2 part 三 (pH by band, 色度, 大肠菌群数, 余氯量) count
  tonnes of wastewater instead (per_tonne.py) and compete with the other classes' items;
- air: per outlet the top 3 pollutants by equivalents; water: class-1 top 5 and other classes
  top 3 (Art. 9);
- reductions (Art. 13): monthly mean concentration strictly BELOW 70 % of the limit → pay
  75 %; strictly below 50 % → pay 50 %; none when any hour (air) / day (water) is above the
  limit, or any outlet is above it (财税〔2018〕117号; scope is a parameter, §9.1);
- rates per province and validity date, kept apart from the statutory equivalent values (the
  pattern of the public Rust `EnvironmentalTaxService`); Shanxi 1.8 ¥ air, 2.1 ¥ water.

Known errors of public code not reproduced (emissions.md §10): TN is not taxable (no 0.8);
water formaldehyde is 0.125 (not 0.25); the reductions use strict `<` (not `≤`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from envmon.errors import EnvmonError

# --------------------------------------------------------------- Annex 2 equivalent values (kg)
AIR_EQUIVALENT_KG: dict[str, float] = {
    "二氧化硫": 0.95, "氮氧化物": 0.95, "一氧化碳": 16.7, "氯气": 0.34, "氯化氢": 10.75,
    "氟化物": 0.87, "氰化氢": 0.005, "硫酸雾": 0.6, "铬酸雾": 0.0007, "汞及其化合物": 0.0001,
    "一般性粉尘": 4.0, "石棉尘": 0.53, "玻璃棉尘": 2.13, "碳黑尘": 0.59, "铅及其化合物": 0.02,
    "镉及其化合物": 0.03, "铍及其化合物": 0.0004, "镍及其化合物": 0.13, "锡及其化合物": 0.27,
    "烟尘": 2.18, "苯": 0.05, "甲苯": 0.18, "二甲苯": 0.27, "苯并(a)芘": 0.000002,
    "甲醛": 0.09, "乙醛": 0.45, "丙烯醛": 0.06, "甲醇": 0.67, "酚类": 0.35, "沥青烟": 0.19,
    "苯胺类": 0.21, "氯苯类": 0.72, "硝基苯": 0.17, "丙烯腈": 0.22, "氯乙烯": 0.55,
    "光气": 0.04, "硫化氢": 0.29, "氨": 9.09, "三甲胺": 0.32, "甲硫醇": 0.04, "甲硫醚": 0.28,
    "二甲二硫": 0.28, "苯乙烯": 25.0, "二硫化碳": 20.0,
}
WATER_CLASS1_EQUIVALENT_KG: dict[str, float] = {
    "总汞": 0.0005, "总镉": 0.005, "总铬": 0.04, "六价铬": 0.02, "总砷": 0.02, "总铅": 0.025,
    "总镍": 0.025, "苯并(a)芘": 0.0000003, "总铍": 0.01, "总银": 0.02,
}
WATER_OTHER_EQUIVALENT_KG: dict[str, float] = {
    "悬浮物": 4.0, "生化需氧量": 0.5, "化学需氧量": 1.0, "总有机碳": 0.49, "石油类": 0.1,
    "动植物油": 0.16, "挥发酚": 0.08, "总氰化物": 0.05, "硫化物": 0.125, "氨氮": 0.8,
    "氟化物": 0.5, "甲醛": 0.125, "苯胺类": 0.2, "硝基苯类": 0.2, "阴离子表面活性剂": 0.2,
    "总铜": 0.1, "总锌": 0.2, "总锰": 0.2, "彩色显影剂": 0.2, "总磷": 0.25, "单质磷": 0.05,
    "有机磷农药": 0.05, "乐果": 0.05, "甲基对硫磷": 0.05, "马拉硫磷": 0.05, "对硫磷": 0.05,
    "五氯酚及五氯酚钠": 0.25, "三氯甲烷": 0.04, "可吸附有机卤化物": 0.25, "四氯化碳": 0.04,
    "三氯乙烯": 0.04, "四氯乙烯": 0.04, "苯": 0.02, "甲苯": 0.02, "乙苯": 0.02,
    "邻-二甲苯": 0.02, "对-二甲苯": 0.02, "间-二甲苯": 0.02, "氯苯": 0.02,
    "邻二氯苯": 0.02, "对二氯苯": 0.02, "对硝基氯苯": 0.02, "2,4-二硝基氯苯": 0.02,
    "苯酚": 0.02, "间-甲酚": 0.02, "2,4-二氯酚": 0.02, "2,4,6-三氯酚": 0.02,
    "邻苯二甲酸二丁酯": 0.02, "邻苯二甲酸二辛酯": 0.02, "丙烯腈": 0.125, "总硒": 0.02,
}
OXYGEN_DEMAND_ITEMS = ("化学需氧量", "生化需氧量", "总有机碳")
"""Only one of COD, BOD5, TOC is taxed per outlet; which one: the one with the most
equivalents is the usual reading (emissions.md §9.2, unverified; `one_oxygen_demand`)."""

# HJ 212-2017 factor codes (hj212.md §11) → tax item. Total nitrogen (w21001) is NOT an item.
AIR_ITEM_BY_FACTOR: dict[str, str] = {
    "a21026": "二氧化硫", "a21002": "氮氧化物", "a34013": "烟尘", "a21005": "一氧化碳",
    "a21028": "硫化氢", "a21024": "氯化氢", "a21001": "氨", "a25003": "甲苯", "a25005": "二甲苯",
}
WATER_ITEM_BY_FACTOR: dict[str, str] = {
    # class 1 (top 5): every Annex 2 item with an HJ 212-2017 Table B.1 code
    "w20111": "总汞", "w20115": "总镉", "w20116": "总铬", "w20117": "六价铬", "w20119": "总砷",
    "w20120": "总铅", "w20121": "总镍", "w25043": "苯并(a)芘", "w20127": "总铍",
    "w20126": "总银",
    # other classes (top 3)
    "w01012": "悬浮物", "w01017": "生化需氧量", "w01018": "化学需氧量", "w01020": "总有机碳",
    "w22001": "石油类", "w23002": "挥发酚", "w21016": "总氰化物", "w21019": "硫化物",
    "w21003": "氨氮", "w21017": "氟化物", "w19002": "阴离子表面活性剂", "w20122": "总铜",
    "w20123": "总锌", "w20124": "总锰", "w21011": "总磷", "w20128": "总硒",
}
"""Table B.1 codes from the Appendix B transcription in srdgame/lua-HJ212 `hj212.csv`. Annex 2
items without a Table B.1 code (动植物油, 甲醛, 苯胺类, the organics …) cannot arrive by HJ 212
and are not listed; a factor of a water point that is not here is reported (`not_taxed`)."""
WATER_PER_TONNE_BY_FACTOR: dict[str, str] = {
    "w01001": "pH值", "w01002": "色度", "w02003": "大肠菌群数（超标）",
}
"""Annex 2 part 三 items, counted per tonne of wastewater, not per kg (per_tonne.py computes
their equivalents from the hours). w02003 is HJ 212's 粪大肠菌群 (faecal coliform), the
monitored form of the Annex's 大肠菌群数. 余氯量 (hospital wastewater disinfected with
chlorine) has no HJ 212-2017 Table B.1 code, so it cannot arrive by HJ 212: its value is in
`PER_TONNE_EQUIVALENT_T` for a coded factor a registry may map to it later."""
PER_TONNE_EQUIVALENT_T: dict[str, float] = {
    "色度": 5.0, "大肠菌群数（超标）": 3.3, "余氯量（用氯消毒的医院废水）": 3.3,
}
"""Annex 2 part 三 (环境保护税法附表二 三、pH值、色度、大肠菌群数、余氯量水污染物污染当量值),
as emissions.md §9.2 and the published annex (e.g. the law's text at
https://puyuecs.com/bumenfagui/2016/09-08/13916-3.html) give them: 色度 5 吨水·倍,
大肠菌群数（超标）3.3 吨污水, 余氯量（用氯消毒的医院废水）3.3 吨污水. pH: `PH_BANDS`."""
PH_BANDS: tuple[tuple[float, float, float], ...] = (
    (0.0, 1.0, 0.06), (1.0, 2.0, 0.125), (2.0, 3.0, 0.25), (3.0, 4.0, 0.5), (4.0, 5.0, 1.0),
    (5.0, 6.0, 5.0),
    (9.0, 10.0, 1.0), (10.0, 11.0, 0.5), (11.0, 12.0, 0.25), (12.0, 13.0, 0.125),
    (13.0, 14.0, 0.06),
)
"""pH bands (low, high, tonnes of wastewater per equivalent), Annex 2 part 三 item 1: 0–1 and
13–14: 0.06 t; 1–2 and 12–13: 0.125 t; 2–3 and 11–12: 0.25 t; 3–4 and 10–11: 0.5 t; 4–5 and
9–10: 1 t; 5–6: 5 t; 6–9 is not taxed. The annex's note 2 fixes the edges: "pH5-6指大于等于5，
小于6；pH9-10指大于9，小于等于10，其余类推" (acid bands [low, high), alkaline (low, high])."""
ONE_OF_ITEMS: tuple[tuple[str, ...], ...] = (
    ("化学需氧量", "生化需氧量", "总有机碳"),
    ("大肠菌群数（超标）", "余氯量（用氯消毒的医院废水）"),
)
"""Items of which only one is taxed per outlet (Annex 2 part 二 note 2: COD, BOD5, TOC "只征收
一项"; part 三 note 1: 大肠菌群数和余氯量只征收一项): the one with the most equivalents."""


def ph_tonnes_per_equivalent(ph: float) -> float | None:
    """Tonnes of wastewater per pollution equivalent at `ph` (`PH_BANDS`); None for 6–9 (not
    taxed). Values outside 0–14 (no pH) fall into the outermost bands."""
    if 6.0 <= ph <= 9.0:
        return None
    if ph < 6.0:
        return next((t for low, high, t in PH_BANDS if high <= 6.0 and ph < high), 0.06)
    return next((t for low, high, t in PH_BANDS if low >= 9.0 and ph <= high), 0.06)


NOT_TAXABLE_FACTORS: dict[str, str] = {
    "w21001": "总氮不是应税污染物（环境保护税法附表二无此项）",
}
PARAMETER_FACTORS = frozenset({"a00000", "w00000", "a19001", "a01011", "a01012", "a01013",
                               "a01014", "a01015", "a01016", "a01017", "a01901", "a01902",
                               "w01010", "w01014", "a21003", "a21004"})
"""Flow, O2, temperature, pressure, moisture, velocity, conductivity, and NO/NO2 (taxed as
氮氧化物 through a21002): parameters of the calculation, so neither taxed nor reported."""


def untaxed_reason(kind: str, factor: str) -> str | None:
    """Why a monitored factor gives no tax line (None: it is taxed, or a parameter)."""
    if factor in PARAMETER_FACTORS or tax_item(kind, factor) is not None:
        return None
    if factor in NOT_TAXABLE_FACTORS:
        return NOT_TAXABLE_FACTORS[factor]
    return f"因子 {factor} 未对应环境保护税法附表二的应税污染物：未计税，请核对登记的因子"


PARTICULATE_FACTOR = "a34013"
"""Combustion particulate is 烟尘 (2.18); other dust 一般性粉尘 (4) (财税〔2018〕117号);
per point via `TaxConfig.general_dust_points`."""


def tax_item(kind: str, factor: str, *, general_dust: bool = False) -> str | None:
    """The Annex 2 item a monitored factor is taxed as, or None if it is not taxable."""
    if kind == "gas":
        if factor == PARTICULATE_FACTOR and general_dust:
            return "一般性粉尘"
        return AIR_ITEM_BY_FACTOR.get(factor)
    return WATER_ITEM_BY_FACTOR.get(factor) or WATER_PER_TONNE_BY_FACTOR.get(factor)


def per_tonne(kind: str, factor: str) -> bool:
    """Whether the factor is an Annex 2 part 三 item (equivalents from tonnes of water)."""
    return kind != "gas" and factor in WATER_PER_TONNE_BY_FACTOR


def equivalent_value_kg(kind: str, item: str) -> float:
    """Annex 2 pollution-equivalent value of `item` (kg per equivalent)."""
    if kind == "gas":
        return AIR_EQUIVALENT_KG[item]
    if item in WATER_CLASS1_EQUIVALENT_KG:
        return WATER_CLASS1_EQUIVALENT_KG[item]
    if item in WATER_OTHER_EQUIVALENT_KG:
        return WATER_OTHER_EQUIVALENT_KG[item]
    raise KeyError(f"{item} is counted per tonne of wastewater, not per kg (PER_TONNE_"
                   "EQUIVALENT_T, PH_BANDS)")


def to_fen(yuan: float) -> float:
    """Money rounded to the fen (0.01 ¥), half up, as the tax form does: 环境保护税纳税申报表
    (国家税务总局公告2018年第7号) has "金额单位：元至角分", each row's 应纳税额 filled to the
    fen and the 合计 the sum of the rows. Decimal of the shortest repr, so 2.675 → 2.68."""
    return float(Decimal(repr(yuan)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def pollution_equivalents(emission_kg: float, equivalent_kg: float) -> float:
    """Equivalents = emission (kg) / equivalent value (kg) (环境保护税法 Art. 8)."""
    return emission_kg / equivalent_kg


# --------------------------------------------------------------- rates
@dataclass(frozen=True)
class ProvinceRate:
    """Applicable tax per pollution equivalent (¥) of one province from `valid_from`."""

    province_code: str
    province: str
    air_yuan: float
    water_yuan: float
    valid_from: date
    source: str = ""


SHANXI_RATE = ProvinceRate("140000", "山西省", 1.8, 2.1, date(2018, 1, 1),
                           "山西省人大常委会决定 (2017-12-01), in force 2018-01-01")
DEFAULT_RATES: tuple[ProvinceRate, ...] = (SHANXI_RATE,)
STATUTORY_BAND = {"gas": (1.2, 12.0), "water": (1.4, 14.0)}


def configured_rate(rates: Iterable[ProvinceRate], province_code: str | None,
                    on: date) -> ProvinceRate | None:
    """The rate in force on `on` for a province (latest `valid_from` ≤ on), or None."""
    candidates = [r for r in rates if r.province_code == province_code and r.valid_from <= on]
    return max(candidates, key=lambda r: r.valid_from) if candidates else None


def rate_for(rates: Iterable[ProvinceRate], province_code: str | None, on: date,
             default: ProvinceRate = SHANXI_RATE) -> ProvinceRate:
    """The rate in force on `on` for a province (latest `valid_from` ≤ on); else `default`.
    The tax itself never falls back for a known province (`UnconfiguredProvinceError`)."""
    return configured_rate(rates, province_code, on) or default


def _count_units(units: list[str], shown: int = 3) -> str:
    """"174 units (A, B, C, …)": a province's whole list would fill a screen."""
    more = ", …" if len(units) > shown else ""
    return f"{len(units)} unit{'s' if len(units) != 1 else ''} ({', '.join(units[:shown])}{more})"


class UnconfiguredProvinceError(EnvmonError):
    """Units whose province has no rate in force: each province sets its own rate within the
    statutory band (环境保护税法 Art. 6), so charging another province's rate would print a
    wrong figure. `provinces` maps the province code to (name, unit ids)."""

    def __init__(self, provinces: dict[str, tuple[str, list[str]]], on: date) -> None:
        self.provinces = provinces
        named = "; ".join(
            f"{name or '?'} ({code}): {_count_units(units)}"
            for code, (name, units) in sorted(provinces.items()))
        super().__init__(
            f"tax: no rates configured for {named} on {on.isoformat()}: add a [[tax.rates]] "
            "entry for the province (province_code, air, water, valid_from) or select a unit "
            "of a configured province with --unit")


def unconfigured_provinces(pollutants: Iterable[PollutantMonth], on: date,
                           config: TaxConfig) -> dict[str, list[str]]:
    """{province code: unit ids} of the inputs whose province has no rate in force on `on`
    (inputs without a province use `config.default_rate`)."""
    out: dict[str, list[str]] = {}
    for p in pollutants:
        if p.province_code is not None and \
                configured_rate(config.rates, p.province_code, on) is None:
            units = out.setdefault(p.province_code, [])
            if p.unit_id not in units:
                units.append(p.unit_id)
    return out


# --------------------------------------------------------------- selection and reductions
@dataclass(frozen=True)
class TaxConfig:
    rates: tuple[ProvinceRate, ...] = DEFAULT_RATES
    default_rate: ProvinceRate = SHANXI_RATE
    """Only for inputs that name no province (a bare computation); a unit of the registry
    always has one, and its province must have a rate (`UnconfiguredProvinceError`)."""
    air_top: int = 3
    water_class1_top: int = 5
    water_other_top: int = 3
    one_oxygen_demand: bool = True
    no_reduction_scope: str = "pollutant"
    """"pollutant": an exceedance at any outlet of the taxpayer removes the reduction of that
    pollutant; "taxpayer": of all its pollutants (emissions.md §9.1, ASSUMPTION, unverified)."""
    general_dust_points: tuple[str, ...] = ()
    """MNs whose particulate is 一般性粉尘 (not combustion, e.g. brick crushing)."""


def reduction_factor(mean_conc: float | None, limit: float | None, *,
                     exceeded: bool) -> float:
    """Share of the tax paid (环境保护税法 Art. 13; 实施条例 Art. 10; emissions.md §9.3 step 4).

    1 when any hour/day (or, by scope, outlet) exceeded, no limit or no mean; 0.5 when the
    mean is strictly below 50 % of the limit; 0.75 strictly below 70 %; else 1.
    """
    if exceeded or limit is None or limit <= 0 or mean_conc is None or mean_conc != mean_conc:
        return 1.0
    if mean_conc < 0.5 * limit:
        return 0.5
    if mean_conc < 0.7 * limit:
        return 0.75
    return 1.0


@dataclass
class PollutantMonth:
    """One outlet's pollutant over a month: the inputs of the tax."""

    unit_id: str
    outlet_id: str
    kind: str  # gas | water
    factor: str
    emission_kg: float
    mean_conc: float | None = None  # air: mean of valid hourly O2-corrected; water: of daily
    limit: float | None = None
    exceeded: bool = False  # any valid hour (air) / day (water) above the limit
    general_dust: bool = False
    province_code: str | None = None
    equivalents: float | None = None
    """Per-tonne items (pH, 色度, 大肠菌群数): the equivalents counted from the tonnes of water
    (per_tonne.py); `emission_kg` is then 0. None: emission_kg / the Annex 2 value."""
    basis: str = ""
    """How the per-tonne equivalents were counted (shown in the line's note)."""


@dataclass
class TaxLine:
    unit_id: str
    outlet_id: str
    kind: str
    factor: str
    item: str
    emission_kg: float
    equivalent_kg: float | None
    """Annex 2 value in kg; None for the per-tonne items (value in tonnes: `extra["basis"]`)."""
    equivalents: float
    rate_yuan: float
    reduction: float
    tax_yuan: float
    """equivalents × rate × reduction, unrounded (the figure to check against); the money
    printed is `payable_yuan`."""
    taxed: bool
    reason: str = ""
    mean_conc: float | None = None
    limit: float | None = None
    extra: dict = field(default_factory=dict)
    gross_yuan: float = 0.0
    """Before the reduction, to the fen: the form's 本期应纳税额 (equivalents × rate)."""
    payable_yuan: float = 0.0
    """After the reduction, to the fen: 本期应纳税额 − 本期减免税额 (what is printed)."""

    @property
    def relief_yuan(self) -> float:
        """The form's 本期减免税额: gross − payable, both to the fen."""
        return to_fen(self.gross_yuan - self.payable_yuan)


def _selected(lines: list[TaxLine], config: TaxConfig) -> None:
    """Mark the taxed items of one outlet (Art. 9)."""
    if not lines:
        return
    kind = lines[0].kind
    candidates = list(lines)
    for items in ONE_OF_ITEMS if kind == "water" else ():
        if items == OXYGEN_DEMAND_ITEMS and not config.one_oxygen_demand:
            continue
        same = [t for t in candidates if t.item in items]
        if len(same) > 1:
            keep = max(same, key=lambda t: t.equivalents)
            for t in same:
                if t is not keep:
                    t.reason = f"{'/'.join(items)}只征一项（已征{keep.item}）"
            candidates = [t for t in candidates if t not in same or t is keep]
    if kind == "gas":
        groups = [(candidates, config.air_top, "大气污染物前三项")]
    else:
        # Art. 9: 区分第一类水污染物和其他类水污染物 — every item outside class 1, the per-tonne
        # items of Annex 2 part 三 included, competes for the other classes' top three
        class1 = [t for t in candidates if t.item in WATER_CLASS1_EQUIVALENT_KG]
        other = [t for t in candidates if t.item not in WATER_CLASS1_EQUIVALENT_KG]
        groups = [(class1, config.water_class1_top, "第一类水污染物前五项"),
                  (other, config.water_other_top, "其他类水污染物前三项")]
    for group, top, label in groups:
        ranked = sorted(group, key=lambda t: (-t.equivalents, t.item))
        for k, t in enumerate(ranked):
            t.taxed = k < top
            if not t.taxed and not t.reason:
                t.reason = f"不在{label}"


def compute_tax(pollutants: Sequence[PollutantMonth], on: date,
                config: TaxConfig | None = None) -> list[TaxLine]:
    """Monthly tax lines for every outlet's pollutants (emissions.md §9.3)."""
    config = config or TaxConfig()
    missing = unconfigured_provinces(pollutants, on, config)
    if missing:
        raise UnconfiguredProvinceError({code: ("", units) for code, units in missing.items()},
                                        on)
    exceeded_by_unit_item: set[tuple[str, str]] = set()
    exceeded_units: set[str] = set()
    lines: list[TaxLine] = []
    for p in pollutants:
        item = tax_item(p.kind, p.factor, general_dust=p.general_dust)
        if item is None:
            continue
        if p.exceeded:
            exceeded_by_unit_item.add((p.unit_id, item))
            exceeded_units.add(p.unit_id)
        rate = rate_for(config.rates, p.province_code, on, config.default_rate)
        if per_tonne(p.kind, p.factor):
            if p.equivalents is None:
                continue  # not counted (no data, no limit): accounting.not_taxed says why
            # no kg value: the Annex's value is in tonnes of water (PER_TONNE_EQUIVALENT_T)
            value, equivalents = None, p.equivalents
        else:
            value = equivalent_value_kg(p.kind, item)
            equivalents = pollution_equivalents(p.emission_kg, value)
        lines.append(TaxLine(
            p.unit_id, p.outlet_id, p.kind, p.factor, item, p.emission_kg, value,
            equivalents,
            rate.air_yuan if p.kind == "gas" else rate.water_yuan, 1.0, 0.0, False,
            mean_conc=p.mean_conc, limit=p.limit, extra={"exceeded": p.exceeded},
        ))
        if p.basis:
            lines[-1].extra["basis"] = p.basis
    by_outlet: dict[tuple[str, str, str], list[TaxLine]] = {}
    for t in lines:
        by_outlet.setdefault((t.unit_id, t.outlet_id, t.kind), []).append(t)
    for group in by_outlet.values():
        _selected(group, config)
    for t in lines:
        if t.extra.get("basis"):
            t.reason = "；".join(x for x in (t.extra["basis"], t.reason) if x)
    for t in lines:
        if config.no_reduction_scope == "taxpayer":
            blocked = t.unit_id in exceeded_units
        else:
            blocked = (t.unit_id, t.item) in exceeded_by_unit_item
        t.reduction = reduction_factor(t.mean_conc, t.limit, exceeded=blocked)
        # each line to the fen as the form's rows are; totals are sums of these rows
        t.tax_yuan = t.equivalents * t.rate_yuan * t.reduction if t.taxed else 0.0
        # each line to the fen as the form's rows are; totals are sums of these rows. The
        # form's 减免税额 is the gross × the relief share (25 % or 50 %), to the fen; the
        # payable is the difference, so gross = payable + relief holds to the fen
        t.gross_yuan = to_fen(t.equivalents * t.rate_yuan) if t.taxed else 0.0
        t.payable_yuan = to_fen(t.gross_yuan - to_fen(t.gross_yuan * (1.0 - t.reduction)))
    return lines


# --------------------------------------------------------------- configuration
def tax_config_from_dict(data: dict, source: str = "<config>") -> TaxConfig:
    """A TaxConfig from a TOML table, e.g.

        no_reduction_scope = "pollutant"     # or "taxpayer"
        general_dust_points = ["MN…"]        # particulate taxed as 一般性粉尘
        [[rates]]                            # one per province and validity date
        province_code = "140000"
        province = "山西省"
        air = 1.8                            # ¥ per pollution equivalent
        water = 2.1
        valid_from = 2018-01-01

    Rates outside the statutory band (air 1.2–12, water 1.4–14 ¥) are errors. The Shanxi
    rate is always configured; a unit of a province without an entry is refused
    (`UnconfiguredProvinceError`), never charged at Shanxi rates.
    """
    known = {"no_reduction_scope", "general_dust_points", "rates", "air_top",
             "water_class1_top", "water_other_top", "one_oxygen_demand"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{source}: unknown tax keys {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(known))})")
    rates = []
    for k, entry in enumerate(data.get("rates", [])):
        try:
            valid_from = entry["valid_from"]
            if isinstance(valid_from, str):
                valid_from = date.fromisoformat(valid_from)
            rate = ProvinceRate(str(entry["province_code"]), str(entry.get("province", "")),
                                float(entry["air"]), float(entry["water"]), valid_from,
                                str(entry.get("source", source)))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{source}: rates[{k}]: {error!r} (needs province_code, air, "
                             "water, valid_from)") from None
        for kind, value in (("gas", rate.air_yuan), ("water", rate.water_yuan)):
            low, high = STATUTORY_BAND[kind]
            if not low <= value <= high:
                raise ValueError(f"{source}: rates[{k}] {kind} rate {value} is outside the "
                                 f"statutory band {low}–{high} ¥ (环境保护税法 Annex 1)")
        rates.append(rate)
    scope = data.get("no_reduction_scope", "pollutant")
    if scope not in ("pollutant", "taxpayer"):
        raise ValueError(f"{source}: no_reduction_scope must be pollutant or taxpayer")
    defaults = TaxConfig()
    return TaxConfig(
        rates=tuple(rates) + tuple(r for r in DEFAULT_RATES
                                   if (r.province_code, r.valid_from) not in
                                   {(x.province_code, x.valid_from) for x in rates}),
        no_reduction_scope=scope,
        general_dust_points=tuple(data.get("general_dust_points", ())),
        air_top=int(data.get("air_top", defaults.air_top)),
        water_class1_top=int(data.get("water_class1_top", defaults.water_class1_top)),
        water_other_top=int(data.get("water_other_top", defaults.water_other_top)),
        one_oxygen_demand=bool(data.get("one_oxygen_demand", defaults.one_oxygen_demand)),
    )


def load_tax_config(path) -> TaxConfig:
    """Read a TOML file: its [tax] table if present, else the whole file (see above)."""
    import tomllib
    from pathlib import Path

    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return tax_config_from_dict(data.get("tax", data), str(path))
