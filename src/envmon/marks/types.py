"""The mark types and what an APPROVED mark of each does to the figures.

`EFFECTS` is the one table of consequences; `SEED_TYPES` the types of the national enterprise
data-return interface (企业回流自动监控数据接口说明 V1.6: 通讯中断; 设备维护 (污染物 / 工况参数);
手工监测 (自行监测 / 执法监测); 非企业原因缺失 (不可抗力 / 长期停产 / 其他); 治理设施工况;
生产设施工况; CEMS 主备切换 — /work/shared/standards/platform.md §1) plus 人工修约, the
bureau's own corrections. A bureau adds types in `[marks]` of the configuration file
(`envmon.marks.settings`); a new effect needs code (a carrier table), a new type does not.

Sources of the mapping (standards/transmission.md §3 "Hour classification", emissions.md §5):
- 停产/停运/停排 backed by proof: 应传 0, 实传 0, 有效 0 (transmission.md §3); a stopped
  source gives 0 kg, not substituted (emissions.md §5 `F` hours); a stopped point is expected
  to be silent, so no offline alarm (envmon.alarms.engine).  → ``exempt``
- 非企业原因缺失 (不可抗力 / 长期停产): the interface's transmission records carry an exemption
  reason (platform.md §1); treated as exempt hours like 停产. ASSUMPTION for 其他.
- data marked invalid by an enterprise mark: 应传 1, 实传 1, 有效 0 (transmission.md §3, 标记规则
  执法函〔2020〕21号); maintenance (`M`) data are invalid (hj212.md flag table). → ``invalid``
- 启炉/停炉/闷炉: operating-condition marks, "data are real and valid", emissions counted
  (emissions.md §5). → ``none`` (recorded and reviewed; the figures stand)
- 通讯中断, 手工监测, 治理设施工况, CEMS 主备切换: the hours keep their own classification (a
  missing hour stays missing: transmission.md §3 "no record received"). ASSUMPTION, settable
  per type in the configuration. → ``none``
"""

from __future__ import annotations

from dataclasses import dataclass

from envmon.errors import OptionError


@dataclass(frozen=True)
class Effect:
    """What an approved mark does, per figure (zh-CN, as the pages and the bulletin say it)."""

    key: str
    name: str
    assessment: str
    alarms: str
    emissions: str
    carrier: str | None
    """The assessment table whose row carries it (None: nothing changes)."""


EFFECTS = {e.key: e for e in (
    Effect("exempt", "豁免（不计入应传）", "应传、实传、有效均不计（transmission.md §3）",
           "标记期内不报离线报警", "停产小时：排放量 0 kg，不替代（emissions.md §5）",
           "exemptions"),
    Effect("invalid", "数据无效", "计应传、实传，不计有效（transmission.md §3）",
           "不变（实时判定）", "不变", "corrections"),
    Effect("repair", "人工补录", "以补录值计入补全（须有证明）", "不变", "不变", "corrections"),
    Effect("none", "仅记录", "不变", "不变", "不变", None),
)}


@dataclass(frozen=True)
class SubType:
    key: str
    name: str
    effect: str | None = None
    """None: the type's effect."""


@dataclass(frozen=True)
class MarkType:
    key: str
    name: str
    effect: str
    subtypes: tuple[SubType, ...] = ()
    fileable: bool = True
    """False: entered only by the bureau's own command (a repair needs a value)."""

    def subtype(self, name: str | None) -> SubType | None:
        """The subtype named by its key or Chinese name; None for none given."""
        if name is None or not name.strip():
            if self.subtypes:
                known = "、".join(f"{s.key} ({s.name})" for s in self.subtypes)
                raise OptionError("--type", f"{self.key} needs a subtype: {known}")
            return None
        for sub in self.subtypes:
            if name.strip() in (sub.key, sub.name):
                return sub
        known = ", ".join(f"{s.key} ({s.name})" for s in self.subtypes) or "none"
        raise OptionError("--type", f"{self.key} has no subtype {name!r} (known: {known})")

    def effect_of(self, sub: SubType | None) -> Effect:
        return EFFECTS[(sub.effect if sub is not None and sub.effect else self.effect)]


SEED_TYPES = (
    MarkType("comm_interrupt", "通讯中断", "none"),
    MarkType("maintenance", "设备维护", "invalid", (
        SubType("pollutant", "污染物"), SubType("process", "工况参数"))),
    MarkType("manual_monitoring", "手工监测", "none", (
        SubType("self", "自行监测"), SubType("enforcement", "执法监测"))),
    MarkType("non_enterprise", "非企业原因缺失", "exempt", (
        SubType("force_majeure", "不可抗力"), SubType("long_shutdown", "长期停产"),
        SubType("other", "其他"))),
    MarkType("treatment", "治理设施工况", "none", (
        SubType("stopped", "停运"), SubType("abnormal", "异常"))),
    MarkType("production", "生产设施工况", "exempt", (
        SubType("shutdown", "停产"), SubType("stopped", "停运"), SubType("no_discharge", "停排"),
        SubType("startup", "启炉", "none"), SubType("furnace_stop", "停炉", "none"),
        SubType("banked", "闷炉", "none"))),
    MarkType("cems_switch", "CEMS 主备切换", "none"),
    MarkType("correction", "人工修约", "invalid", (
        SubType("invalidate", "作废"), SubType("repair", "补录", "repair")), fileable=False),
)

# The old exemption kinds (envmon.assess.marks.ExemptionKind) as production subtypes.
LEGACY_EXEMPTION_SUBTYPES = {"停产": "shutdown", "停运": "stopped", "停排": "no_discharge"}
# What an exemption row's kind is for an approved exempt mark (停产 unless it says otherwise).
EXEMPTION_KIND_OF_SUBTYPE = {"stopped": "停运", "no_discharge": "停排"}


def all_types(extra: tuple[MarkType, ...] = ()) -> dict[str, MarkType]:
    """The seeded types and the configured ones, by key (a configured key replaces a seed)."""
    return {t.key: t for t in (*SEED_TYPES, *extra)}


def resolve(types: dict[str, MarkType], name: str, subtype: str | None = None
            ) -> tuple[MarkType, SubType | None]:
    """`--type` as ``key``, ``key/sub`` or the Chinese names (``生产设施工况/停产``)."""
    text = (name or "").strip()
    if "/" in text and subtype is None:
        text, subtype = (part.strip() for part in text.split("/", 1))
    for t in types.values():
        if text in (t.key, t.name):
            return t, t.subtype(subtype)
    known = ", ".join(f"{t.key} ({t.name})" for t in types.values())
    raise OptionError("--type", f"unknown mark type {name!r} (known: {known})")
