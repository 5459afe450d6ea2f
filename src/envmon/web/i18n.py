"""The pages' words: one catalogue, zh-CN first, English by `?lang=en` (kept in a cookie).

Every string a page shows comes from `MESSAGES` through `Translator` (`t("key")` in the
templates, `t.catalogue()` for the scripts). A new string: add its key with both languages
here; a test checks that every key has both. Values the store keeps as codes (alarm status and
rule, point kind, packet verdict, back-fill trigger and outcome) are `VALUES` (`t.value(group,
code)`; the alarms' Chinese names are `alarms.api.STATUS_ZH` / `RULE_NAMES_ZH`, one source with
the CLI's tables); column names of the mark and back-fill tables `t.column(key)`; pollutant
names the factor catalogue (`t.factor(code)`); times `t.time(value)`: "YYYY-MM-DD HH:MM" in
Beijing time, whatever zone or precision the value has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from envmon.alarms.api import STATUS_ZH
from envmon.alarms.config import RULE_NAMES_ZH, RULES
from envmon.assess.api import COLUMN_LABELS_ZH
from envmon.timeutil import BEIJING_FIXED

LANGS = ("zh", "en")
COOKIE = "envmon_lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}

MESSAGES: dict[str, tuple[str, str]] = {
    "title": ("生态环境在线监控平台", "Environmental monitoring platform"),
    "nav.overview": ("总览", "Overview"),
    "nav.points": ("点位", "Points"),
    "nav.assess": ("传输有效率", "Transmission"),
    "nav.alarms": ("报警", "Alarms"),
    "nav.emissions": ("排放量与环保税", "Emissions & tax"),
    "nav.roads": ("道路颗粒物", "Road particulates"),
    "nav.air": ("空气质量", "Air quality"),
    "nav.marks": ("数据标记", "Data marks"),
    "nav.emergency": ("应急管控", "Emergency control"),
    "nav.screen": ("数据造假筛查", "Falsification screening"),
    "lang.switch": ("English", "中文"),
    "vendor.missing": ("地图和图表的前端资源未安装：请在项目目录运行 make install（npm ci 并复制到"
                       " static/vendor）。",
                       "The map and chart libraries are not installed: run make install in the"
                       " project folder (npm ci, copied into static/vendor)."),
    "writes.local": ("修改（确认、关闭报警，登记停产、修约）仅限本机。",
                     "Changes (acknowledging and closing alarms, marks) from this machine "
                     "only."),
    "writes.remote": ("已开启远程修改（--web-allow-remote-writes）：尚无用户，任何能打开本页的人都"
                      "可确认、关闭报警和登记停产、修约。",
                      "Remote changes are on (--web-allow-remote-writes): no users exist yet, "
                      "anyone who can open this page can acknowledge and close alarms and "
                      "enter marks."),
    "live.connected": ("实时更新已连接", "Live updates connected"),
    "live.lost": ("实时更新中断，正在重连…", "Live updates lost, reconnecting…"),
    "count.networked": ("联网", "Networked"),
    "count.online": ("在线", "Online"),
    "count.alarms_today": ("今日报警", "Alarms today"),
    "count.instant_rate": ("即时有效传输率", "Instant valid transmission rate"),
    "state.online": ("在线", "Online"),
    "state.offline": ("离线", "Offline"),
    "state.alarm": ("报警", "Alarm"),
    "state.stopped": ("停产", "Stopped"),
    "overview.map": ("点位分布", "Monitoring points"),
    "overview.open_alarms": ("未关闭报警", "Open alarms"),
    "overview.city_rates": ("各市传输有效率（今日）", "Cities' transmission rates (today)"),
    "count.complete_rate": ("补全", "complete"),
    "overview.no_boundaries": ("未找到行政区划边界，仅显示点位。",
                               "No district boundaries found: points only."),
    "col.id": ("ID", "ID"),
    "col.mn": ("MN", "MN"),
    "col.unit": ("单位", "Unit"),
    "col.factor": ("因子", "Factor"),
    "col.rule": ("规则", "Rule"),
    "col.status": ("状态", "Status"),
    "col.opened_at": ("报警时间", "Opened"),
    "col.value": ("值", "Value"),
    "col.limit": ("限值", "Limit"),
    "col.detail": ("说明", "Detail"),
    "col.city": ("市", "City"),
    "col.county": ("区县", "County"),
    "col.rank": ("排名", "Rank"),
    "col.name": ("名称", "Name"),
    "col.code": ("代码", "Code"),
    "col.instant": ("即时有效传输率", "Instant rate"),
    "col.complete": ("补全有效传输率", "Completed rate"),
    "col.points": ("点位数", "Points"),
    "col.time": ("时间", "Time"),
    "col.verdict": ("结果", "Verdict"),
    "col.reason": ("原因", "Reason"),
    "col.peer": ("来源地址", "From"),
    "col.actions": ("操作", "Actions"),
    "col.outlet": ("排放口", "Outlet"),
    "col.state": ("状态", "State"),
    "none": ("无", "None"),
    "point.title": ("点位", "Point"),
    "point.series": ("监测数据（小时均值）", "Data (hourly averages)"),
    "point.limit": ("限值", "Limit"),
    "point.measured": ("实测", "Measured"),
    "point.converted": ("折算", "Converted"),
    "point.flags": ("数据标记", "Data flags"),
    "point.raw": ("原始报文", "Raw packets"),
    "point.backfill": ("补遗请求", "Back-fill requests"),
    "point.marks": ("停产/停运标记", "Exemption marks"),
    "point.days": ("天数", "Days"),
    "point.list": ("全部点位", "All points"),
    "point.cmd.title": ("远程控制（反控）", "Remote commands"),
    "point.cmd.action": ("命令", "Command"),
    "point.cmd.by": ("操作人", "Operator"),
    "point.cmd.send": ("发送", "Send"),
    "point.cmd.history": ("命令记录", "Command history"),
    "point.cmd.answer": ("应答数据", "Answer"),
    "point.cmd.sending": ("正在发送…", "Sending…"),
    "point.cmd.note": ("命令经现场机的在线连接发送（HJ 212 请求应答 9011、执行结果 9012）；"
                       "仅限本机操作，除非开启 --web-allow-remote-writes。",
                       "Sent over the unit's live connection (HJ 212 answers 9011, results "
                       "9012); from this machine only unless --web-allow-remote-writes."),
    "point.cmd.state.queued": ("排队中", "Queued"),
    "point.cmd.state.sent": ("已发送", "Sent"),
    "point.cmd.state.answered": ("已应答", "Answered"),
    "point.cmd.state.done": ("执行成功", "Done"),
    "point.cmd.state.failed": ("执行失败", "Failed"),
    "point.cmd.state.timed_out": ("超时", "Timed out"),
    "point.cmd.state.refused": ("未发送", "Refused"),
    "point.cmd.param.time": ("时间", "Time"),
    "point.cmd.param.minutes": ("分钟", "Minutes"),
    "point.cmd.param.seconds": ("秒", "Seconds"),
    "point.cmd.param.over_time": ("超时时间（秒）", "Timeout (s)"),
    "point.cmd.param.re_count": ("重发次数", "Retries"),
    "point.cmd.param.new_password": ("新密码", "New password"),
    "point.cmd.param.factor": ("因子编码", "Factor code"),
    "point.cmd.param.cn": ("命令编码 CN", "CN"),
    "point.cmd.param.from": ("开始时间", "From"),
    "point.cmd.param.to": ("结束时间", "To"),
    "point.cmd.param.cp": ("数据区 CP", "CP"),
    "marks.title": ("数据标记", "Data marks"),
    "marks.status": ("状态", "Status"),
    "marks.month": ("月份", "Month"),
    "marks.any": ("全部", "Any"),
    "marks.filter": ("筛选", "Filter"),
    "marks.file_title": ("申报数据标记", "File a data mark"),
    "marks.mn": ("点位 MN", "Point (MN)"),
    "marks.type": ("标记类型", "Mark type"),
    "marks.factor": ("因子（可选）", "Factor (optional)"),
    "marks.from": ("开始时间", "From"),
    "marks.to": ("结束时间", "To"),
    "marks.note": ("说明", "Note"),
    "marks.proof": ("证明材料（PDF、JPEG、PNG）", "Proof files (PDF, JPEG, PNG)"),
    "marks.submit": ("提交申报", "File"),
    "marks.by": ("操作人", "By"),
    "marks.reason": ("审核意见（驳回必填）", "Review note (required to reject)"),
    "marks.approve": ("通过", "Approve"),
    "marks.reject": ("驳回", "Reject"),
    "marks.withdraw": ("撤回", "Withdraw"),
    "marks.late": ("逾期", "Late"),
    "marks.late_confirm": ("该标记逾期申报，确认通过？", "This mark was filed late: approve it?"),
    "marks.effect": ("审核通过后的作用", "Effect once approved"),
    "marks.proofs": ("证明材料", "Proofs"),
    "marks.period": ("时段", "Period"),
    "marks.filed": ("申报", "Filed"),
    "marks.reviewed": ("审核", "Reviewed"),
    "marks.actions": ("操作", "Actions"),
    "marks.failed": ("操作失败", "Action failed"),
    "marks.by_required": ("请填写操作人", "Say who acts"),
    "marks.reason_required": ("驳回须填写审核意见", "Rejecting needs a review note"),
    "marks.filed_ok": ("已提交，编号", "Filed, id"),
    "marks.total": ("共", "In total:"),
    "marks.st.submitted": ("待审核", "Submitted"),
    "marks.st.approved": ("已通过", "Approved"),
    "marks.st.rejected": ("已驳回", "Rejected"),
    "marks.st.withdrawn": ("已撤回", "Withdrawn"),
    "alarms.title": ("报警", "Alarms"),
    "alarms.filter": ("筛选", "Filter"),
    "alarms.any": ("全部", "Any"),
    "alarms.ack": ("确认", "Acknowledge"),
    "alarms.close": ("关闭", "Close"),
    "alarms.note": ("备注", "Note"),
    "alarms.by": ("处理人", "By"),
    "alarms.failed": ("操作失败", "Action failed"),
    "alarms.confirm": ("确定", "Confirm"),
    "alarms.cancel": ("取消", "Cancel"),
    "alarms.by_required": ("请填写处理人", "Say who acts"),
    "alarms.note_required": ("关闭报警须填写备注（原因或处理情况）",
                             "Closing an alarm needs a note (what was found or done)"),
    "alarms.total": ("共", "In total:"),
    "col.data_span": ("数据时段", "Data time"),
    "assess.title": ("传输有效率", "Transmission validity"),
    "assess.month": ("月份", "Month"),
    "assess.level": ("层级", "Level"),
    "assess.bulletin": ("下载通报", "Download bulletin"),
    "assess.table": ("下载本表", "Download this table"),
    "assess.provisional": ("初步统计（本月尚未结束）", "Provisional (the month has not ended)"),
    "level.province": ("省", "Province"),
    "level.city": ("市", "City"),
    "level.county": ("区县", "County"),
    "level.unit": ("单位", "Unit"),
    "level.point": ("点位", "Point"),
    "emissions.total": ("环保税合计", "Tax in total"),
    "emissions.yuan": ("元", "yuan"),
    "emissions.pollutant": ("污染物", "Pollutant"),
    "emissions.kg": ("排放量(kg)", "Emitted (kg)"),
    "emissions.mean": ("平均浓度", "Mean concentration"),
    "emissions.reduction": ("减征", "Reduction"),
    "emissions.tax": ("应纳税额(元)", "Tax (yuan)"),
    "screen.report": ("报告（含图与检查要点）", "Report (plots, checklist)"),
    "screen.note": ("证据与得分仅供现场核查，不作为认定结论", "Evidence and scores for "
                    "inspection, never a verdict"),
    "screen.screened": ("筛查点位", "Points screened"),
    "screen.score": ("得分", "Score"),
    "screen.patterns": ("疑似特征", "Signatures"),
    "screen.pattern": ("特征", "Signature"),
    "screen.factor": ("因子", "Factor"),
    "screen.from": ("起", "From"),
    "screen.to": ("止", "To"),
    "screen.statistic": ("统计量", "Statistic"),
    "screen.threshold": ("阈值", "Threshold"),
    "screen.detail": ("说明", "Detail"),
    "screen.p.flat": ("数据平直/量化", "Flat or quantised"),
    "screen.p.copied": ("数据复制", "Copied"),
    "screen.p.dilution": ("稀释（氧量异常）", "Dilution (O2)"),
    "screen.p.clipping": ("限值下截断", "Clipped under the limit"),
    "screen.p.periodic": ("小幅周期波动", "Small periodic fluctuation"),
    "screen.p.flag_gaming": ("标记规避超标", "Flags over exceedances"),
    "screen.p.inconsistent": ("参数关系矛盾", "Inconsistent quantities"),
    "air.calendar": ("AQI 日历", "AQI calendar"),
    "air.ranking": ("城市排名", "Cities' ranking"),
    "air.composite": ("综合指数", "Composite index"),
    "air.yoy": ("同比", "Year on year"),
    "air.good_days": ("优良天数", "Good days"),
    "air.good_rate": ("优良天数比例", "Good days' share"),
    "air.last_year": ("去年同期", "a year earlier"),
    "air.level": ("级别", "Level"),
    "air.primary": ("首要污染物", "Primary pollutant"),
    "roads.pollutant": ("污染物", "Pollutant"),
    "roads.reason": ("无法排名：", "Cannot rank: "),
    "roads.map": ("路段浓度", "Segments' concentration"),
    "roads.median": ("各次通过均值的中位数", "median of the drive passes' means"),
    "roads.insufficient": ("数据不足", "Too little data"),
    "roads.no_data": ("无数据", "No data"),
    "roads.dirty": ("最脏", "Dirtiest"),
    "roads.clean": ("最洁净", "Cleanest"),
    "roads.dirty_list": ("最脏20路段", "The 20 dirtiest segments"),
    "roads.clean_list": ("最洁净20路段", "The 20 cleanest segments"),
    "roads.districts": ("各区县上榜路段数", "Listed segments per district"),
    "roads.passes": ("通过次数", "Passes"),
    "roads.days": ("天数", "Days"),
    "roads.taxis": ("车辆数", "Taxis"),
    "roads.passes_link": ("查看通过记录", "Show its passes"),
    "roads.by_day": ("逐日浓度（计入通过的中位数）", "By day (median of the counted passes)"),
    "roads.taxi": ("车辆", "Taxi"),
    "roads.start": ("开始时间", "Start"),
    "roads.end": ("结束时间", "End"),
    "roads.readings": ("读数", "Readings"),
    "roads.covered": ("覆盖长度（米）", "Covered (m)"),
    "roads.counted": ("计入", "Counted"),
    "emergency.alert": ("预警", "Alert"),
    "emergency.alerts": ("重污染天气预警", "Heavy-pollution alerts"),
    "emergency.id": ("编号", "Id"),
    "emergency.level": ("级别", "Level"),
    "emergency.level.yellow": ("黄色", "Yellow"),
    "emergency.level.orange": ("橙色", "Orange"),
    "emergency.level.red": ("红色", "Red"),
    "emergency.from": ("开始", "From"),
    "emergency.to": ("结束", "To"),
    "emergency.region": ("区域", "Region"),
    "emergency.region_reduction": ("区域减排效果", "The region's reduction"),
    "emergency.target": ("目标(%)", "Target (%)"),
    "emergency.baseline_kg": ("基准排放量(kg)", "Baseline (kg)"),
    "emergency.achieved_kg": ("实际排放量(kg)", "Emitted (kg)"),
    "emergency.achieved_pct": ("实际减排(%)", "Achieved cut (%)"),
    "emergency.required_pct": ("要求减排(%)", "Required cut (%)"),
    "emergency.met": ("是否达标", "Met"),
    "emergency.yes": ("达标", "met"),
    "emergency.no": ("未达标", "not met"),
    "emergency.units": ("清单单位落实情况（问题最突出者在前）", "Listed units, worst first"),
    "emergency.grade": ("绩效分级", "Grade"),
    "emergency.measure": ("措施", "Measure"),
    "emergency.verdict": ("结论", "Verdict"),
    "emergency.verdict.落实": ("落实", "Complied"),
    "emergency.verdict.未落实": ("未落实", "Not complied"),
    "emergency.verdict.数据不足": ("数据不足", "Insufficient data"),
    "emergency.hourly": ("逐时排放：基准与实际", "Hourly emissions: baseline and actual"),
    "emergency.date": ("日期", "Date"),
    "emergency.hours": ("可用小时", "Usable hours"),
    "emergency.rule": ("依据", "Evidence"),
    "emergency.baseline": ("基准", "baseline"),
    "emergency.achieved": ("实际", "actual"),
    "todo.page": ("此页面正在建设中。", "This page is being built."),
    "error.not_found": ("未找到", "Not found"),
    "error.bad_request": ("请求有误", "Bad request"),
    "access.open": ("尚未创建用户：仅本机可访问，所有功能开放。创建第一个管理员："
                    "envmon users add 用户名 --role admin（密码从标准输入读取）。",
                    "No users yet: this machine only, everything open. Create the first "
                    "administrator: envmon users add NAME --role admin (password from "
                    "standard input)."),
    "access.logout": ("退出", "Log out"),
    "access.audit": ("审计日志", "Audit log"),
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("登录失败", "Login failed"),
    "login.no_users": ("尚未创建用户，无需登录（仅本机）。", "No users yet: no login needed (this "
                       "machine only)."),
    "audit.title": ("审计日志", "Audit log"),
    "audit.filter": ("筛选", "Filter"),
    "audit.from": ("起始时间", "From"),
    "audit.to": ("截止时间", "To"),
    "audit.user": ("操作人", "User"),
    "audit.action": ("操作", "Action"),
    "audit.none": ("没有符合条件的记录。", "No entries match."),
    "audit.latest": ("最近的记录在前；完整记录请下载。",
                     "Latest first; download for the whole log."),
    "audit.download": ("下载", "Download"),
    "users.title": ("用户管理", "Users"),
    "users.add": ("新增用户", "Add a user"),
    "users.username": ("用户名", "User name"),
    "users.role": ("角色", "Role"),
    "users.region": ("行政区划代码", "Region code"),
    "users.unit": ("单位（统一社会信用代码）", "Unit (credit code)"),
    "users.password": ("密码", "Password"),
    "users.scope": ("范围", "Scope"),
    "users.state": ("状态", "State"),
    "users.enabled": ("启用", "Enabled"),
    "users.disabled": ("已停用", "Disabled"),
    "users.created": ("创建", "Created"),
    "users.disable": ("停用", "Disable"),
    "users.reset": ("重置密码", "Reset password"),
    "users.new_password": ("新密码", "New password"),
    "users.submit": ("提交", "Submit"),
    "users.done": ("已完成。", "Done."),
    "users.admin_only": ("仅管理员可管理用户。", "Only an administrator manages users."),
    "role.admin": ("管理员", "Administrator"),
    "role.bureau": ("局机关", "Bureau"),
    "role.district": ("区县分局", "District sub-bureau"),
    "role.officer": ("执法人员", "Enforcement officer"),
    "role.enterprise": ("企业", "Enterprise"),
    "role.readonly": ("只读", "Read-only"),
}


_STATUS_EN = {"open": "Open", "acknowledged": "Acknowledged", "closed": "Closed"}
_RULE_EN = {"o2_high": "O2 too high", "fault_flag": "Fault flag", "flow_anomaly": "Flow anomaly",
            "maintenance": "Long maintenance/calibration", "not_judged": "Not judged",
            "furnace_temperature": "Furnace temperature", "out_of_range": "Out of range"}
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "status": {s: (zh, _STATUS_EN[s]) for s, zh in STATUS_ZH.items()},
    "rule": {r: (RULE_NAMES_ZH.get(r, r), _RULE_EN.get(r, r.replace("_", " ").capitalize()))
             for r in RULES},
    "kind": {"gas": ("废气", "Flue gas"), "water": ("废水", "Wastewater")},
    "verdict": {"accepted": ("接收", "Accepted"), "rejected": ("拒收", "Rejected"),
                "discarded": ("丢弃", "Discarded")},
    "mark_kind": {"停产": ("停产", "Production stopped"), "停运": ("停运", "Facility stopped"),
                  "停排": ("停排", "No discharge")},
    "trigger": {"online": ("上线补遗", "On reconnect"), "schedule": ("定时", "Scheduled"),
                "manual": ("手动", "Manual")},
    "outcome": {"pending": ("等待应答", "Pending"), "completed": ("已补全", "Completed"),
                "no_data": ("无数据", "No data"), "refused": ("被拒绝", "Refused"),
                "not_sent": ("未发送", "Not sent"), "timeout": ("超时", "Timed out")},
}
"""group → code → (zh, en): the codes the store keeps, as a page shows them."""


def _merge_supervision_words() -> None:
    from envmon.web import i18n_supervision

    MESSAGES.update(i18n_supervision.MESSAGES)
    VALUES.update(i18n_supervision.VALUES)


_merge_supervision_words()


def _merge_portal_words() -> None:
    from envmon.web import i18n_portal

    MESSAGES.update(i18n_portal.MESSAGES)


_merge_portal_words()
COLUMN_LABELS_EN = {
    "id": "ID", "unit_id": "Unit code", "mn": "MN", "kind": "Kind", "start_time": "Start",
    "end_time": "End", "reason": "Reason", "proof": "Proof", "created_by": "Entered by",
    "created_at": "Entered at", "revoked_by": "Revoked by", "revoked_at": "Revoked at",
    "revoke_reason": "Revocation reason", "factor": "Factor", "action": "Action",
    "value": "Value", "cn": "Command", "qn": "Request", "begin_time": "From",
    "hours": "Hours", "trigger": "Trigger", "requested_at": "Requested at",
    "qn_rtn": "Answer", "exe_rtn": "Result", "finished_at": "Finished at", "outcome": "Outcome",
}
assert set(COLUMN_LABELS_EN) == set(COLUMN_LABELS_ZH)
TIME_FORMAT = "%Y-%m-%d %H:%M"  # a person reads minutes; the seconds are in the API


def beijing_minute(value: Any) -> str:
    """An ISO string or datetime as "YYYY-MM-DD HH:MM" Beijing time ("" for none); a naive
    time is taken as Beijing time (the store's convention)."""
    if value is None or value == "":
        return ""
    when = value
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value  # not a time: shown as it is
    if not isinstance(when, datetime):
        return str(value)
    if when.tzinfo is not None:
        when = when.astimezone(BEIJING_FIXED)
    return when.strftime(TIME_FORMAT)


def resolve_lang(query: str | None, cookie: str | None, default: str) -> str:
    """`?lang=` first (the switch), then the cookie it set, then the app's default."""
    for lang in (query, cookie):
        if lang in LANGS:
            return lang
    return default if default in LANGS else LANGS[0]


@dataclass(frozen=True)
class Translator:
    lang: str

    def __call__(self, key: str) -> str:
        zh, en = MESSAGES[key]
        return en if self.lang == "en" else zh

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.lang]

    @property
    def other(self) -> str:
        return "zh" if self.lang == "en" else "en"

    def value(self, group: str, code: Any) -> str:
        """A stored code (`VALUES[group]`) in the page's language; an unknown one as it is."""
        names = VALUES[group].get(code) if isinstance(code, str) else None
        if names is None:
            return "" if code is None else str(code)
        return names[1] if self.lang == "en" else names[0]

    def status(self, code: Any) -> str:
        return self.value("status", code)

    def rule(self, code: Any) -> str:
        return self.value("rule", code)

    def column(self, key: str) -> str:
        """A column of the mark and back-fill tables (`assess.api.COLUMN_LABELS_ZH`)."""
        table = COLUMN_LABELS_EN if self.lang == "en" else COLUMN_LABELS_ZH
        return table.get(key, key)

    def factor(self, code: Any, default: str | None = None) -> str:
        """A pollutant's name from the factor catalogue (`hj212.codes`); `default` (else the
        code) if the catalogue does not know it."""
        from envmon.hj212.codes import FACTORS

        factor = FACTORS.get(code) if isinstance(code, str) else None
        if factor is None:
            return default if default is not None else "" if code is None else str(code)
        return factor.en if self.lang == "en" else factor.zh

    @staticmethod
    def time(value: Any) -> str:
        return beijing_minute(value)

    def values_catalogue(self, *groups: str) -> dict[str, dict[str, str]]:
        """`VALUES` of `groups` in the page's language, for a page's script."""
        return {g: {code: self.value(g, code) for code in VALUES[g]} for g in groups}

    def catalogue(self, prefix: str = "") -> dict[str, str]:
        """The keys starting with `prefix`, for a page's script."""
        return {k: self(k) for k in MESSAGES if k.startswith(prefix)}
