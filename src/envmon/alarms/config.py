"""Alarm-rule parameters (emissions.md §8: platform conventions, not national figures — every
threshold is configuration). Run lengths are counted in periods of the command code that
carries the data: 2051 minutes, 2061 hours, 2031 days."""

from __future__ import annotations

from dataclasses import dataclass, field

RULES = ("exceedance", "offline", "constant", "zero", "negative", "out_of_range", "o2_high",
         "fault_flag", "maintenance", "flow_anomaly", "conflict",
         "implausible", "not_judged", "furnace_temperature")
RULE_NAMES_ZH = {
    "exceedance": "超标", "offline": "离线", "constant": "恒值", "zero": "零值",
    "negative": "负值", "out_of_range": "超量程", "o2_high": "氧含量过高",
    "fault_flag": "故障标记", "maintenance": "长时间维护/校准", "flow_anomaly": "流量异常",
    "conflict": "数据冲突",
    "implausible": "数值不可信",
    "not_judged": "未判定",
    "furnace_temperature": "炉膛温度低于850℃",
}
FURNACE_CN = "2111"
"""HJ 212-2025: the furnace temperature's 5-minute means (a01901-Avg), one upload each."""
FLOW_FACTORS = ("a00000", "w00000")
O2_FACTOR = "a19001"


@dataclass(frozen=True)
class AlarmConfig:
    valid_flags: tuple[str, ...] = ("N",)
    """Flags of valid data (HJ 212-2017 Table 8); only valid data are alarm evidence for the
    value rules and for exceedance (标记规则: data marked invalid are not evidence)."""
    furnace_min_c: float = 850.0
    """Waste incineration: a valid 5-minute mean furnace temperature (HJ 212-2025 CN 2111)
    below this raises `furnace_temperature`. GB 18485-2014 (焚烧炉技术性能指标: 炉膛内焚烧
    温度 ≥ 850 ℃; its §3.4 defines the flue gas residence time at that 850 ℃) and
    《生活垃圾焚烧发电厂自动监测数据应用管理规定》 (生态环境部令第10号, 2019), which
    judges the furnace temperature on its 5-minute means
    (standards/emissions.md §5; the clause numbers were not confirmed against the texts)."""
    cns: tuple[str, ...] = ("2051", "2061", "2031")
    """Command codes the value rules look at (real-time 2011 is not used by default)."""
    gas_exceedance_cns: tuple[str, ...] = ("2061",)
    """Gas: every valid hourly O2-corrected value ≤ the limit (emissions.md §6)."""
    water_exceedance_cns: tuple[str, ...] = ("2031",)
    """Water: every valid daily mean ≤ the limit (emissions.md §6)."""
    water_daily_from_hourly: bool = True
    """Water points that send hourly data (2061): the daily mean of the day's valid hours is
    judged when the day's last hour (23:00) arrives, or when the next day's first arrives."""
    water_min_hours: int = 20
    """Valid hours a day needs before its mean is a valid daily mean and is judged. One valid
    hour is not a day: a single hour above the limit raised a daily exceedance with the old
    default of 1.

    Source of 20, and its limits: the figure is the public quote of HJ 76-2017 App. B ("day ≥
    20 h, month ≥ 25 d", standards/transmission.md §4), a gas-CEMS standard; the water
    standard's own rule is not confirmed. HJ 356-2019 (水污染源在线监测系统(CODCr、NH3-N等)
    数据有效性判别技术规范, in force 2020-03-24) has a §7 "有效均值的计算" (calculation of
    effective mean values; its table of contents as published at
    chinesestandard.net/PDF.aspx/HJ356-2019), but no public text of §7 was found: neither
    whether a daily mean needs a minimum count of valid hourly values nor what that count is.
    20 is kept as the conservative reading (a daily mean from most of the day) until the
    text of HJ 356-2019 §7 is checked; a bureau that has it sets this here."""
    o2_cutoff_pct: float = 20.5
    """No O2 correction at or above this measured O2 (emissions.md §2 guard)."""
    constant_min_periods: dict[str, int] = field(
        default_factory=lambda: {"2051": 60, "2061": 4, "2031": 3})
    """恒值: the same value (to `constant_decimals`) for this many consecutive valid periods
    (emissions.md §8: 4–24 h on hourly data, ≥ 60 min on minute data)."""
    constant_decimals: int = 3
    zero_min_periods: dict[str, int] = field(
        default_factory=lambda: {"2051": 15, "2061": 1, "2031": 1})
    """Zero concentration while the flow is above `flow_floor` (and O2 is normal)."""
    flow_floor: float = 0.0
    """Flow at or below this is "no flow" (zero rule; flow_anomaly: no flow while the
    concentrations are above zero, emissions.md §8)."""
    flow_anomaly_min_periods: dict[str, int] = field(
        default_factory=lambda: {"2051": 15, "2061": 1, "2031": 1})
    o2_high_pct: float = 20.0
    """O2 at or above this with flow: dilution, leak or stopped source (19–20.5 % in use)."""
    range_flags: tuple[str, ...] = ("T",)
    """Flags meaning "above the measuring range" (HJ 212-2017 Table 8: T)."""
    instrument_range: dict[str, float] = field(default_factory=dict)
    """Factor → analyser range upper limit (per point ranges belong in the registry)."""
    fault_flags: tuple[str, ...] = ("D", "B", "P")
    """Fault flags: D fault, B communication failure, 2005 P power failure (emissions.md §8)."""
    fault_min_periods: dict[str, int] = field(
        default_factory=lambda: {"2051": 5, "2061": 1, "2031": 1})
    maintenance_flags: tuple[str, ...] = ("M", "C")
    """Maintenance and calibration (HJ 212-2017 Table 8)."""
    maintenance_min_periods: dict[str, int] = field(
        default_factory=lambda: {"2051": 120, "2061": 2, "2031": 1})
    """A maintenance or calibration run at least this long is an alarm (2 h by default)."""
    offline_after_s: float = 1800.0
    """Offline: no packet from a point for longer than this (HJ 212-2017 has no heartbeat)."""
    offline_cadence_periods: float = 2.0
    """A point whose data come slower than `offline_after_s` (hourly or daily data only) is
    offline after this many of its own periods of silence: the upload of a period comes after
    the period ends, so one period late is normal and a second missed one is not (platform
    convention; HJ 212-2017 has no heartbeat)."""
    offline_check_s: float = 30.0
    refresh_s: float = 60.0
    """How often the engine re-reads the registry and the not-closed alarms."""


def alarm_config_from_dict(data: dict, source: str = "<config>") -> AlarmConfig:
    """An AlarmConfig from a TOML table ([alarms]); unknown keys are errors. Tuples may be
    given as lists, the per-CN run lengths as tables ({"2051" = 60, "2061" = 4})."""
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(AlarmConfig)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{source}: unknown alarm keys {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(fields))})")
    defaults = AlarmConfig()
    values = {}
    for key, value in data.items():
        current = getattr(defaults, key)
        if isinstance(current, tuple):
            value = tuple(value)
        elif isinstance(current, dict):
            value = {**current, **{str(k): v for k, v in dict(value).items()}}
        elif isinstance(current, float):
            value = float(value)
        values[key] = value
    return AlarmConfig(**values)
