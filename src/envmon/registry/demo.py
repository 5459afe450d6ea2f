"""A demo registry: 山西省 with its real cities and county-level divisions, fictitious units.

Region codes and names are GB/T 2260 (as in force after the 2018–2019 changes in 大同, 长治,
朔州 and 晋中). Unit names, 统一社会信用代码 (valid GB 32100-2015 check characters, but
invented), MNs and passwords are made up. Gas points carry SO2/NOx/particulate with the
ultra-low emission limits of coal-fired power (35/50/10 mg/m³ at 6 % O2); water points COD and
NH3-N with GB 18918-2002 class 1A (50 and 5 mg/L). Every unit has a location (经度/纬度,
WGS 84) within about 0.3° of its city's centre, for the web map; the points of a unit share
it. Deterministic for a seed.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from envmon.registry.codes import USCC_ALPHABET, with_check_char

PROVINCE = ("140000", "山西省")

# GB/T 2260: prefecture-level cities of 山西省 and their county-level divisions.
SHANXI: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("140100", "太原市", (
        ("140105", "小店区"), ("140106", "迎泽区"), ("140107", "杏花岭区"),
        ("140108", "尖草坪区"), ("140109", "万柏林区"), ("140110", "晋源区"),
        ("140121", "清徐县"), ("140122", "阳曲县"), ("140123", "娄烦县"), ("140181", "古交市"),
    )),
    ("140200", "大同市", (
        ("140212", "新荣区"), ("140213", "平城区"), ("140214", "云冈区"), ("140215", "云州区"),
        ("140221", "阳高县"), ("140222", "天镇县"), ("140223", "广灵县"), ("140224", "灵丘县"),
        ("140225", "浑源县"), ("140226", "左云县"),
    )),
    ("140300", "阳泉市", (
        ("140302", "城区"), ("140303", "矿区"), ("140311", "郊区"), ("140321", "平定县"),
        ("140322", "盂县"),
    )),
    ("140400", "长治市", (
        ("140403", "潞州区"), ("140404", "上党区"), ("140405", "屯留区"), ("140406", "潞城区"),
        ("140423", "襄垣县"), ("140425", "平顺县"), ("140426", "黎城县"), ("140427", "壶关县"),
        ("140428", "长子县"), ("140429", "武乡县"), ("140430", "沁县"), ("140431", "沁源县"),
    )),
    ("140500", "晋城市", (
        ("140502", "城区"), ("140521", "沁水县"), ("140522", "阳城县"), ("140524", "陵川县"),
        ("140525", "泽州县"), ("140581", "高平市"),
    )),
    ("140600", "朔州市", (
        ("140602", "朔城区"), ("140603", "平鲁区"), ("140621", "山阴县"), ("140622", "应县"),
        ("140623", "右玉县"), ("140681", "怀仁市"),
    )),
    ("140700", "晋中市", (
        ("140702", "榆次区"), ("140703", "太谷区"), ("140721", "榆社县"), ("140722", "左权县"),
        ("140723", "和顺县"), ("140724", "昔阳县"), ("140725", "寿阳县"), ("140727", "祁县"),
        ("140728", "平遥县"), ("140729", "灵石县"), ("140781", "介休市"),
    )),
    ("140800", "运城市", (
        ("140802", "盐湖区"), ("140821", "临猗县"), ("140822", "万荣县"), ("140823", "闻喜县"),
        ("140824", "稷山县"), ("140825", "新绛县"), ("140826", "绛县"), ("140827", "垣曲县"),
        ("140828", "夏县"), ("140829", "平陆县"), ("140830", "芮城县"), ("140881", "永济市"),
        ("140882", "河津市"),
    )),
    ("140900", "忻州市", (
        ("140902", "忻府区"), ("140921", "定襄县"), ("140922", "五台县"), ("140923", "代县"),
        ("140924", "繁峙县"), ("140925", "宁武县"), ("140926", "静乐县"), ("140927", "神池县"),
        ("140928", "五寨县"), ("140929", "岢岚县"), ("140930", "河曲县"), ("140931", "保德县"),
        ("140932", "偏关县"), ("140981", "原平市"),
    )),
    ("141000", "临汾市", (
        ("141002", "尧都区"), ("141021", "曲沃县"), ("141022", "翼城县"), ("141023", "襄汾县"),
        ("141024", "洪洞县"), ("141025", "古县"), ("141026", "安泽县"), ("141027", "浮山县"),
        ("141028", "吉县"), ("141029", "乡宁县"), ("141030", "大宁县"), ("141031", "隰县"),
        ("141032", "永和县"), ("141033", "蒲县"), ("141034", "汾西县"), ("141081", "侯马市"),
        ("141082", "霍州市"),
    )),
    ("141100", "吕梁市", (
        ("141102", "离石区"), ("141121", "文水县"), ("141122", "交城县"), ("141123", "兴县"),
        ("141124", "临县"), ("141125", "柳林县"), ("141126", "石楼县"), ("141127", "岚县"),
        ("141128", "方山县"), ("141129", "中阳县"), ("141130", "交口县"), ("141181", "孝义市"),
        ("141182", "汾阳市"),
    )),
)  # fmt: skip

# Approximate centre (longitude, latitude; WGS 84) of each city's seat.
CITY_CENTRES: dict[str, tuple[float, float]] = {
    "140100": (112.55, 37.87), "140200": (113.30, 40.08), "140300": (113.58, 37.86),
    "140400": (113.12, 36.20), "140500": (112.85, 35.49), "140600": (112.43, 39.33),
    "140700": (112.75, 37.69), "140800": (111.00, 35.03), "140900": (112.73, 38.42),
    "141000": (111.52, 36.09), "141100": (111.14, 37.52),
}  # fmt: skip
LOCATION_SPREAD_DEG = 0.3
"""A demo unit lies at most this far (degrees) from its city's centre: inside the city."""

GAS_FACTORS = "a21026:35;a21002:50;a34013:10"  # SO2, NOx, 烟尘: ultra-low limits, mg/m³
WATER_FACTORS = "w01018:50;w21003:5"  # COD, NH3-N: GB 18918-2002 class 1A, mg/L
GAS_STANDARD = "GB 13223-2011 超低排放"
WATER_STANDARD = "GB 18918-2002 一级A"

_WORDS = (
    "恒泰", "晋能", "鑫源", "宏达", "华润", "汾河", "龙城", "盛世", "永安", "昌盛", "新兴",
    "瑞丰", "金石", "泰和", "中兴", "三晋", "广汇", "德润", "吉祥", "东方", "北辰", "正阳",
    "国泰", "天泽", "同心", "长青", "富源", "兴隆", "宝丰", "安泰",
)  # fmt: skip
# (name suffix, points: kinds in order, outlet names, 登记管理部门+机构类别 of the USCC)
_INDUSTRIES = (
    ("热电有限公司", ("gas", "gas", "gas"), ("1号锅炉排口", "2号锅炉排口", "3号锅炉排口"), "91"),
    ("焦化有限公司", ("gas", "gas", "water"), ("焦炉烟囱排口", "装煤除尘排口", "废水总排口"), "91"),
    ("水泥有限公司", ("gas", "gas"), ("窑尾排口", "窑头排口"), "91"),
    ("化工有限公司", ("gas", "water"), ("锅炉排口", "废水总排口"), "91"),
    ("污水处理厂", ("water", "water"), ("总排口", "二期总排口"), "12"),
    ("供热有限公司", ("gas", "gas"), ("1号锅炉排口", "2号锅炉排口"), "91"),
)  # fmt: skip
_WEIGHTS = (4, 2, 1, 1, 3, 2)


def _stem(name: str) -> str:
    """太原市 → 太原, 小店区 → 小店 (for invented unit names)."""
    return name[:-1] if len(name) > 2 else name


def _near(rng: random.Random, centre: tuple[float, float]) -> tuple[float, float]:
    """A point uniformly spread over the disc of LOCATION_SPREAD_DEG around `centre`."""
    radius = LOCATION_SPREAD_DEG * math.sqrt(rng.random())
    angle = rng.uniform(0.0, 2.0 * math.pi)
    return centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle)


DEMO_SHARE_2025 = 0.35
"""Share of the points `envmon demo` registers as HJ 212-2025 units (`with_2025_units`)."""


def with_2025_units(rows: list[dict[str, str]], seed: int = 1) -> list[dict[str, str]]:
    """The rows with about a third of the points registered as HJ 212-2025 units (in force
    from 2026-01-01: new and upgraded units speak it, the others keep 2017; issue 16). A
    stream of its own, so the units, MNs and passwords stay those of `demo_registry`."""
    versions = random.Random(f"envmon-demo-protocol-{seed}")
    return [{**row, "protocol": "2025" if versions.random() < DEMO_SHARE_2025 else "2017"}
            if row.get("mn") else row for row in rows]


def demo_registry(seed: int = 1, points: int = 300) -> list[dict[str, str]]:
    """Registry rows (column → text, as in a CSV) for a demo 山西省 with `points` points.

    Every city gets units; besides the points there are a few units that must network but
    have no point yet (rows with empty outlet and MN) and a few networked voluntarily
    (must_network 0, not assessed).
    """
    if points < 0:
        raise ValueError("points must be >= 0")
    rng = random.Random(seed)
    # a stream of its own, so adding locations did not change the units, MNs and passwords
    geo = random.Random(f"envmon-demo-location-{seed}")
    rows: list[dict[str, str]] = []
    used_ids: set[str] = set()
    used_names: set[str] = set()
    used_mns: set[str] = set()

    def unit(city_index: int, industry: int) -> dict[str, str]:
        city_code, city, counties = SHANXI[city_index]
        county_code, county = rng.choice(counties)
        suffix, _kinds, _outlets, prefix = _INDUSTRIES[industry]
        while True:
            # 城区, 矿区, 盂县 … make poor name stems: use the city's for those
            place = _stem(county) if len(county) > 2 and rng.random() < 0.4 else _stem(city)
            name = f"{place}{rng.choice(_WORDS)}{suffix}"
            if name not in used_names:
                used_names.add(name)
                break
        while True:
            body = "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
            unit_id = with_check_char(f"{prefix}{county_code}MA0{body}")
            if unit_id not in used_ids:
                used_ids.add(unit_id)
                break
        longitude, latitude = _near(geo, CITY_CENTRES[city_code])
        return {
            "province": PROVINCE[1], "city": city, "city_code": city_code, "county": county,
            "county_code": county_code, "unit_id": unit_id, "unit_name": name,
            "must_network": "1", "assessed": "1", "outlet_id": "", "outlet_name": "",
            "kind": "", "mn": "", "pw": "", "factors": "", "o2_ref": "", "standard": "",
            "longitude": f"{longitude:.5f}", "latitude": f"{latitude:.5f}",
        }  # fmt: skip

    def mn() -> str:
        while True:
            value = f"{rng.getrandbits(96):024X}"
            if value not in used_mns:
                used_mns.add(value)
                return value

    remaining = points
    k = 0
    while remaining > 0:
        industry = rng.choices(range(len(_INDUSTRIES)), weights=_WEIGHTS)[0]
        base = unit(k % len(SHANXI), industry)
        k += 1
        voluntary = rng.random() < 0.04
        if voluntary:
            base.update(must_network="0", assessed="0")
        _suffix, kinds, outlet_names, _prefix = _INDUSTRIES[industry]
        n = min(remaining, rng.randint(1, len(kinds)))
        counters = {"gas": 0, "water": 0}
        for kind, outlet_name in list(zip(kinds, outlet_names, strict=True))[:n]:
            counters[kind] += 1
            gas = kind == "gas"
            rows.append(
                {
                    **base,
                    "outlet_id": f"{'DA' if gas else 'DW'}{counters[kind]:03d}",
                    "outlet_name": outlet_name,
                    "kind": kind,
                    "mn": mn(),
                    "pw": f"{rng.randrange(1_000_000):06d}",
                    "factors": GAS_FACTORS if gas else WATER_FACTORS,
                    "o2_ref": "6" if gas else "",
                    "standard": GAS_STANDARD if gas else WATER_STANDARD,
                }
            )
        remaining -= n
    # Units on the list that must network but have not installed a point yet.
    for _ in range(max(3, points // 100)):
        rows.append(unit(rng.randrange(len(SHANXI)), rng.choices(range(6), weights=_WEIGHTS)[0]))
    return rows


def write_demo_registry_csv(path: str | Path, **kw: int) -> int:
    """Write `demo_registry(**kw)` to a CSV (or .xlsx) file; returns the number of rows."""
    from envmon.registry.export import write_rows

    return write_rows(path, demo_registry(**kw))
