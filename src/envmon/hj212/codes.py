"""HJ 212-2017 code tables: commands (CN), systems (ST), data flags, suffixes, factor codes.

Sources: HJ 212-2017 Table 5 (ST), Table 8 (flags), Table 4 (suffixes), Table 9 (CN),
§6.1–6.5 (QnRtn/ExeRtn), Appendix B Tables B.1/B.2 (factor codes with the HJ/T 212-2005
"原编码").  HJ/T 212-2005 extras and HJ 212-2025 codes are marked (``source``); the 2025 ones
are cross-checked against three public implementations, not the standard's own tables (see
the confirmation note in :mod:`envmon.hj212.codec`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

P2S = "P→S"  # platform (上位机) to site machine / data logger (现场机)
S2P = "S→P"
BOTH = "both"


_2025 = "HJ 212-2025"


class Command(NamedTuple):
    description: str
    direction: str
    source: str = "HJ 212-2017"


# HJ 212-2017 Table 9, plus HJ/T 212-2005 extras (linqiu126/hcu) and HJ 212-2025 (unverified).
CN_TABLE: dict[str, Command] = {
    "1000": Command("set answer timeout and retries", P2S),
    "1011": Command("get site time / upload site time", BOTH),
    "1012": Command("set site time", P2S),
    "1013": Command("time-calibration request (notice)", S2P),
    "1061": Command("get real-time data interval", P2S),
    "1062": Command("set real-time data interval", P2S),
    "1063": Command("get minute data interval", P2S),
    "1064": Command("set minute data interval", P2S),
    "1072": Command("set site password", P2S),
    "2011": Command("start real-time data / real-time data upload", BOTH),
    "2012": Command("stop real-time data (notice)", P2S),
    "2021": Command("start facility running state / running state upload", BOTH),
    "2022": Command("stop facility running state (notice)", P2S),
    "2031": Command("daily data (request or upload)", BOTH),
    "2041": Command("facility daily running time (request or upload)", BOTH),
    "2051": Command("minute data (request or upload)", BOTH),
    "2061": Command("hour data (request or upload)", BOTH),
    "2081": Command("data-logger boot time upload", S2P),
    "3011": Command("zero/span calibration", P2S),
    "3012": Command("instant sampling", P2S),
    "3013": Command("cleaning / back-blow", P2S),
    "3014": Command("comparison sampling", P2S),
    "3015": Command("over-limit sample retention (request or upload)", BOTH),
    "3016": Command("set sampling period", P2S),
    "3017": Command("get sampling period", P2S),
    "3018": Command("get sample output time", P2S),
    "3019": Command("get device unique ID", P2S),
    "3020": Command("get / upload site information", BOTH),
    "3021": Command("set site parameters (设置现场机参数)", P2S),
    "9011": Command("answer to a request (QnRtn)", BOTH),
    "9012": Command("execution result (ExeRtn)", BOTH),
    "9013": Command("notice answer", BOTH),
    "9014": Command("data answer (acknowledges an upload)", BOTH),
    # HJ/T 212-2005 extras seen in firmware (linqiu126/hcu zhbhjt212msg.h).
    "1021": Command("get pollutant alarm limits", P2S, "HJ/T 212-2005"),
    "1022": Command("set pollutant alarm limits", P2S, "HJ/T 212-2005"),
    "1031": Command("get platform address", P2S, "HJ/T 212-2005"),
    "1032": Command("set platform address", P2S, "HJ/T 212-2005"),
    "1041": Command("get report time", P2S, "HJ/T 212-2005"),
    "1042": Command("set report time", P2S, "HJ/T 212-2005"),
    "2071": Command("alarm records", BOTH, "HJ/T 212-2005"),
    "2072": Command("alarm event upload", S2P, "HJ/T 212-2005"),
    # HJ 212-2025 (Table 12 as listed by three independent implementations: caoyiliang/HJ212
    # HJ212/Enum.cs CN_Server/CN_Client, and two public 2025 simulators calibrated "against
    # the PDF" (an indexed Python mock platform's COMMAND_NAMES and its Node-RED guide); the
    # standard's own table was not reachable).  1001 means something else in HJ/T 212-2005.
    "1001": Command("upload data-logger hardware serial (上传数采仪硬件序号)", S2P, _2025),
    "1002": Command("set data-logger MN (设置数采仪MN编码)", P2S, _2025),
    "1014": Command("key request / issue a new key (获取/下发新密钥)", BOTH, _2025),
    "2013": Command("raw monitoring data (原始监测数据; VOCs: ST=27)", BOTH, _2025),
    "2052": Command("single noise measurement (噪声单次测量数据)", BOTH, _2025),
    "2062": Command("automatic standard-sample check (calibration) data (自动标样核查校准数据)",
                    BOTH, _2025),
    "2111": Command("furnace temperature 5-min mean, a01901-Avg (炉膛温度5min均值)", S2P, _2025),
    "3022": Command("issue an instant sample-retention task (下发即时留样任务)", P2S, _2025),
    "3024": Command("start standard-sample check (启动标样核查)", P2S, _2025),
    "9015": Command("heartbeat (心跳包); answered with 9014 when Flag bit A = 1", S2P, _2025),
}

# Uploads a platform acknowledges with 9014 when Flag bit A = 1 (HJ 212-2017 §6.5, C.13–C.19).
DATA_UPLOAD_CNS = frozenset({"2011", "2051", "2061", "2031", "2041", "2081", "3020"})
# HJ 212-2025 uploads beside those (not records of the 2017 kinds: the receiver decides how to
# store them) and the heartbeat: answered with 9014 too when Flag bit A = 1.
UPLOAD_CNS_2025 = frozenset({"2013", "2052", "2062", "2111"})
HEARTBEAT_CN = "9015"
ANSWERED_CNS = DATA_UPLOAD_CNS | UPLOAD_CNS_2025 | {HEARTBEAT_CN}
# HJ 212-2025 §6.4.4: the commands whose data region shall be encrypted (2000-2999, 1014,
# 3020), as two implementations quote it; other commands travel in clear.
def must_encrypt(cn: str | None) -> bool:
    """Whether HJ 212-2025 §6.4.4 requires this command's data region encrypted."""
    return cn is not None and (cn[:1] == "2" and len(cn) == 4 or cn in ("1014", "3020"))


# Protocol versions: Flag >> 2 (Table 3) -> the standard's year.
VERSIONS = {0: 2005, 1: 2017, 2: 2025}
VERSION_BITS = {year: bits for bits, year in VERSIONS.items()}

# HJ 212-2017 Table 5 (GB/T 16706).
ST_TABLE: dict[str, str] = {
    "21": "surface water quality",
    "22": "air quality",
    "23": "noise",
    "24": "groundwater",
    "25": "soil",
    "26": "sea water",
    "27": "VOCs",
    "31": "air pollution source",
    "32": "surface-water pollution source",
    "33": "groundwater pollution source",
    "34": "marine pollution source",
    "35": "soil pollution source",
    "36": "noise source",
    "37": "vibration source",
    "38": "radioactive source",
    "39": "construction-site dust",
    "41": "electromagnetic source",
    "51": "flue-gas process",
    "52": "wastewater process",
    # HJ 212-2025 additions (same three sources as the 2025 commands): uploads with CN 2011.
    "44": "electricity monitoring (用电监控)",
    "45": "key production-process monitoring (关键生产工况监控)",
    "91": "system interaction",
}


class DataFlag(NamedTuple):
    zh: str
    en: str


# HJ 212-2017 Table 8 (xxxxxx-Flag).
DATA_FLAGS: dict[str, DataFlag] = {
    "N": DataFlag("正常", "normal"),
    "F": DataFlag("停运", "instrument / source stopped"),
    "M": DataFlag("维护", "maintenance"),
    "S": DataFlag("手工输入的设定值", "manually entered set value"),
    "D": DataFlag("故障", "instrument fault"),
    "C": DataFlag("校准", "calibration"),
    "T": DataFlag("超测量上限", "above the measuring upper limit"),
    "B": DataFlag("通讯异常", "instrument to data-logger communication abnormal"),
}

# HJ/T 212-2005 flags (partly confirmed: chenqi92/alltobs-hj212 model/Pollution.java).
DATA_FLAGS_2005: dict[str, DataFlag] = {
    "P": DataFlag("电源故障", "power failure"),
    "F": DataFlag("排放源停运", "source shut down"),
    "C": DataFlag("校验", "calibration"),
    "M": DataFlag("维护", "maintenance"),
    "T": DataFlag("超测上限", "above the upper limit"),
    "D": DataFlag("故障", "fault"),
    "S": DataFlag("设定值", "set value"),
    "N": DataFlag("正常", "normal"),
}

# HJ 212-2017 Table 4 field suffixes (xxxxxx-<suffix>).
SUFFIXES: dict[str, str] = {
    "Rtd": "real-time value",
    "Min": "minimum over the period",
    "Avg": "mean over the period",
    "Max": "maximum over the period",
    "ZsRtd": "real-time value converted to reference O2 (折算)",
    "ZsMin": "minimum converted to reference O2",
    "ZsAvg": "mean converted to reference O2",
    "ZsMax": "maximum converted to reference O2",
    "Cou": "cumulative over the period (emission amount; volume for flow codes)",
    "Flag": "data flag (Table 8)",
    "EFlag": "extended, device-defined flag",
    "SampleTime": "sampling time (YYYYMMDDhhmmss)",
    "RS": "treatment-facility state (0 off, 1 running, 2 calibration, 3 maintenance, "
    "4 alarm, 5 back-blow)",
    "RT": "facility running hours in the day (0-24)",
    "Data": "noise value",
    "DayData": "daytime noise value",
    "NightData": "night-time noise value",
    "Info": "site information (i-codes, Table B.10)",
    "SN": "instrument unique ID (24 hex characters)",
}

# Suffixes whose values are text even when they look numeric.
TEXT_SUFFIXES = frozenset({"Flag", "EFlag", "SampleTime", "Info", "SN"})

# Plausibility (issue 10): what no analyser, flow meter or data logger can send as a value.
# Magnitudes at or above this are implausible: the largest real figure HJ 212 carries is a
# day's flow volume of a large stack (~1e8 m³, 2031 a00000-Cou); beyond 1e15 a double no
# longer holds every integer, and a concentration that large times a flow overflows the
# mass and tax figures to infinity.  A project rule, not a figure of the standard.
MAX_PLAUSIBLE_MAGNITUDE = 1e15
# The flags the receiver stores in place of the one sent when an item is not valid data
# (the sent flag is kept in the record's `extra` as "sent_flag", the reason as "invalid"):
# - T, above the measuring range (HJ 212-2017 Table 8), also for a value below the range's
#   lower end: outside the point's registered instrument range;
# - X, a project marker outside Table 8 and the 2005 set: an implausible item (empty, not a
#   number, not finite, of implausible magnitude, or a factor repeated with different values).
# Neither is ever a valid flag, so every validity rule (assessment, emissions, alarms) that
# keys on the flag treats the hour as invalid (hj212.md §9: only N is valid data).
OUT_OF_RANGE_FLAG = "T"
IMPLAUSIBLE_FLAG = "X"


class Factor(NamedTuple):
    zh: str
    en: str
    unit: str
    kind: str  # "water" | "gas" | "air"
    code_2005: str | None = None


# HJ 212-2017 Appendix B, Table B.1 (water), Table B.2 (gas) and the ST=22 air-quality codes.
# Units the project reference leaves blank are taken from the Appendix B transcription in
# srdgame/lua-HJ212 hj212.csv; air-quality pollutant units are left "" (station-defined).
FACTORS: dict[str, Factor] = {
    # Table B.1 water
    "w00000": Factor("废水流量", "wastewater flow", "L/s", "water", "B01"),
    "w01001": Factor("pH值", "pH", "", "water", "001"),
    "w01018": Factor("化学需氧量", "COD", "mg/L", "water", "011"),
    "w01017": Factor("五日生化需氧量", "BOD5", "mg/L", "water", "010"),
    "w01012": Factor("悬浮物", "suspended solids", "mg/L", "water", "003"),
    "w01020": Factor("总有机碳", "TOC", "mg/L", "water", "015"),
    "w21003": Factor("氨氮", "ammonia nitrogen", "mg/L", "water", "060"),
    "w21011": Factor("总磷", "total phosphorus", "mg/L", "water", "101"),
    "w21001": Factor("总氮", "total nitrogen", "mg/L", "water", "065"),
    "w21016": Factor("氰化物", "cyanide", "mg/L", "water", "070"),
    "w21017": Factor("氟化物", "fluoride", "mg/L", "water", "072"),
    "w22001": Factor("石油类", "petroleum", "mg/L", "water", "080"),
    "w23002": Factor("挥发酚", "volatile phenol", "mg/L", "water", "110"),
    "w20111": Factor("总汞", "mercury", "µg/L", "water", "020"),
    "w20115": Factor("总镉", "cadmium", "µg/L", "water", "022"),
    "w20116": Factor("总铬", "total chromium", "mg/L", "water", "023"),
    "w20117": Factor("六价铬", "hexavalent chromium", "µg/L", "water", "024"),
    "w20119": Factor("总砷", "arsenic", "µg/L", "water", "026"),
    "w20120": Factor("总铅", "lead", "µg/L", "water", "027"),
    "w20121": Factor("总镍", "nickel", "mg/L", "water", "028"),
    "w20122": Factor("总铜", "copper", "mg/L", "water", "029"),
    "w20123": Factor("总锌", "zinc", "mg/L", "water", "030"),
    # Units of Table B.1 (HJ 212-2017 Appendix B) for the codes the tax uses, as two public
    # transcriptions of the table give them (srdgame/lua-HJ212 hj212.csv "单位" column,
    # lingkejia/bocon-operation-app src/lib/polcodeList17.js): 总汞, 总镉, 六价铬, 总砷, 总铅,
    # 总铍, 总硒 and 苯并[a]芘 in µg/L (emission in g), 总铬, 总镍, 总银 in mg/L. The HJ/T
    # 212-2005 table had mg/L for all of them. No 2005 code is declared for the rows below
    # (the decoder's mapping is unchanged).
    "w20124": Factor("总锰", "manganese", "mg/L", "water"),
    "w20126": Factor("总银", "silver", "mg/L", "water"),
    "w20127": Factor("总铍", "beryllium", "µg/L", "water"),
    "w20128": Factor("总硒", "selenium", "µg/L", "water"),
    "w25043": Factor("苯并[a]芘", "benzo[a]pyrene", "µg/L", "water"),
    "w21019": Factor("硫化物", "sulphide", "mg/L", "water"),
    "w19002": Factor("阴离子表面活性剂", "anionic surfactants (LAS)", "mg/L", "water"),
    "w01002": Factor("色度", "colour", "倍", "water"),
    "w02003": Factor("粪大肠菌群", "faecal coliform", "个/L", "water"),
    # Table B.2 gas
    "a00000": Factor("废气流量", "flue-gas flow", "m3/s", "gas", "B02"),
    "a21026": Factor("二氧化硫", "SO2", "mg/m3", "gas", "02"),
    "a21002": Factor("氮氧化物", "NOx", "mg/m3", "gas", "03"),
    "a34013": Factor("烟尘", "particulate matter", "mg/m3", "gas", "01"),
    "a21005": Factor("一氧化碳", "CO", "mg/m3", "gas", "04"),
    "a21028": Factor("硫化氢", "H2S", "mg/m3", "gas", "05"),
    "a21024": Factor("氯化氢", "HCl", "mg/m3", "gas", "08"),
    "a21001": Factor("氨（氨气）", "NH3", "mg/m3", "gas", "10"),
    "a05001": Factor("二氧化碳", "CO2", "mg/m3", "gas", "30"),
    "a24087": Factor("碳氢化合物", "hydrocarbons", "mg/m3", "gas", "25"),
    "a25003": Factor("甲苯", "toluene", "mg/m3", "gas", "17"),
    "a25005": Factor("二甲苯", "xylene", "mg/m3", "gas", "18"),
    "a24088": Factor("非甲烷总烃", "non-methane hydrocarbons", "mg/m3", "gas"),
    "a19001": Factor("氧气含量", "O2", "%", "gas", "S01"),
    "a01011": Factor("烟气流速", "flue-gas velocity", "m/s", "gas", "S02"),
    "a01012": Factor("烟气温度", "flue-gas temperature", "°C", "gas", "S03"),
    "a01017": Factor("烟气动压", "dynamic pressure", "kPa", "gas", "S04"),
    "a01014": Factor("烟气湿度", "flue-gas moisture", "%", "gas", "S05"),
    "a01015": Factor("制冷温度", "chiller temperature", "°C", "gas", "S06"),
    "a01016": Factor("烟道截面积", "duct cross-section", "m2", "gas", "S07"),
    "a01013": Factor("烟气压力", "flue-gas pressure", "kPa", "gas", "S08"),
    "a01901": Factor("垃圾焚烧炉膛内焚烧平均温度", "incinerator furnace temperature", "°C", "gas"),
    "a01902": Factor("垃圾焚烧炉膛内DCS温度", "incinerator furnace DCS temperature", "°C", "gas"),
    # Air quality (ST=22 samples); SO2 and CO share the gas codes above.
    "a34002": Factor("可吸入颗粒物PM10", "PM10", "", "air"),
    "a34004": Factor("细微颗粒物PM2.5", "PM2.5", "", "air"),
    "a21004": Factor("二氧化氮", "NO2", "", "air"),
    "a21003": Factor("一氧化氮", "NO", "", "air"),
    "a05024": Factor("臭氧", "O3", "", "air"),
    "a01001": Factor("温度", "temperature", "°C", "air"),
    "a01002": Factor("湿度", "humidity", "%", "air"),
    "a01006": Factor("气压", "pressure", "kPa", "air"),
    "a01007": Factor("风速", "wind speed", "m/s", "air"),
    "a01008": Factor("风向", "wind direction", "°", "air"),
}

# HJ 212-2017 Appendix B "原编码" column: HJ/T 212-2005 code -> 2017 code.
CODE_2005_TO_2017: dict[str, str] = {
    f.code_2005: code for code, f in FACTORS.items() if f.code_2005 is not None
}
CODE_2017_TO_2005: dict[str, str] = {v: k for k, v in CODE_2005_TO_2017.items()}

_CODE_2017 = re.compile(r"[a-z]\d{5}")


def to_2017(code: str) -> str | None:
    """Canonical HJ 212-2017 factor code for ``code`` (HJ 212-2017 Appendix B).

    A HJ/T 212-2005 code (``011``, ``02``, ``S01``, ``B02``) maps through the "原编码" column;
    a code already in the 2017 form (letter + 5 digits) is returned unchanged; anything else
    is unmapped (``None``): keep it raw and count it.
    """
    mapped = CODE_2005_TO_2017.get(code)
    if mapped is not None:
        return mapped
    if _CODE_2017.fullmatch(code):
        return code
    return None


def to_2005(code: str) -> str | None:
    """HJ/T 212-2005 code of a 2017 factor code, if Appendix B lists one."""
    return CODE_2017_TO_2005.get(code)


# Answer codes, HJ 212-2017 §6.5 (keys are the raw field text).
QNRTN: dict[str, str] = {
    "1": "ready to execute",
    "2": "refused",
    "3": "PW wrong",
    "4": "MN wrong",
    "5": "ST wrong",
    "6": "Flag wrong",
    "7": "QN wrong",
    "8": "CN wrong",
    "9": "CRC wrong",
    "100": "unknown error",
}

EXERTN: dict[str, str] = {
    "1": "success",
    "2": "failed, reason unknown",
    "3": "condition error",
    "4": "timeout",
    "5": "system busy",
    "6": "system fault",
    "100": "no data",
}
