"""envmon.assess.api: the use cases without the CLI (assess, marks, back-fill log, 通报)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from envmon.assess.api import (
    AssessOptions,
    AssessSettings,
    BackfillLogOptions,
    CorrectionOptions,
    ExemptionKind,
    ExemptionOptions,
    Level,
    MarkKind,
    MarkListOptions,
    RevokeOptions,
    TransmissionReportOptions,
    add_correction,
    add_exemption,
    assess_period,
    backfill_log,
    list_marks,
    revoke_mark,
    transmission_report,
)
from envmon.assess.config import AssessConfig
from envmon.assess.marks import EXEMPTION_KINDS, MarkError
from envmon.errors import EnvmonError, OptionError
from envmon.period import Period
from envmon.store import open_store

from .conftest import GAS, GAS2, HOUR, NOV
from .test_cli import make_db

MONTH = Period.month("2026-11")
AS_OF = NOV + timedelta(days=40)


@pytest.fixture
def store(tmp_path):
    with open_store(make_db(tmp_path)) as store:
        yield store


def test_assess_marks_and_bulletin(store):
    options = AssessOptions("unit", as_of=AS_OF)
    before = assess_period(store, MONTH, options)
    assert before.level is Level.UNIT and before.default_stem == "assess-2026-11-unit"
    rows = {r["code"]: r for r in before.as_json()["rows"]}
    gas_unit = next(r for r in rows.values() if r["should"] == 720 * 3 + 720 * 3)
    assert before.as_json()["from"] == "2026-11-01T00:00:00+08:00"

    added = add_exemption(store, Period(NOV + 600 * HOUR, NOV + 720 * HOUR),
                          ExemptionOptions("停运", "李四", "检修", mn=GAS2, proof="p-1"))
    assert (added.kind, added.note, str(added)) == (MarkKind.EXEMPTION, None,
                                                   f"exemption {added.id} added")
    after = {r["code"]: r for r in assess_period(store, MONTH, options).as_json()["rows"]}
    assert after[gas_unit["code"]]["should"] == 720 * 3 + 600 * 3
    (listed,) = list_marks(store, MarkListOptions(MarkKind.EXEMPTION)).as_json()
    assert listed["created_by"] == "李四" and listed["start_time"].endswith("+08:00")

    fixed = add_correction(store, Period(NOV, NOV + HOUR),
                           CorrectionOptions(GAS, "repair", "王五", "补录", value=12.0))
    assert "does not count" in fixed.note
    assert str(revoke_mark(store, RevokeOptions("corrections", fixed.id, "王五", "误标"))) \
        == f"correction {fixed.id} revoked"
    with pytest.raises(MarkError, match="already revoked"):
        revoke_mark(store, RevokeOptions(MarkKind.CORRECTION, fixed.id, "王五", "误标"))
    with pytest.raises(EnvmonError, match="unknown unit 'nope'"):
        add_exemption(store, MONTH, ExemptionOptions("停产", "x", "y", unit="nope"))

    assert backfill_log(store, BackfillLogOptions(GAS)).as_json() == []
    report = transmission_report(store, MONTH, TransmissionReportOptions(
        AssessSettings(pass_mark=95), as_of=AS_OF))
    assert report.default_stem == "transmission-2026-11"
    assert report.bulletin().title and report.as_json()["rows"]
    assert report.assessment.config.pass_mark == Decimal("95")
    with pytest.raises(OptionError) as err:
        transmission_report(store, Period(NOV, NOV + HOUR))
    assert err.value.option == "--month"


def test_a_period_in_progress_is_provisional_in_json_table_and_bulletin(store):
    mid = NOV + timedelta(days=20)  # as known on 2026-11-21: November has not ended
    early = assess_period(store, MONTH, AssessOptions("city", as_of=mid))
    final = assess_period(store, MONTH, AssessOptions("city", as_of=AS_OF))
    assert early.as_json()["provisional"] is True and final.as_json()["provisional"] is False
    assert early.as_table().title == final.as_table().title + "（初步统计，统计期未结束）"
    assert not final.as_table().title.endswith("（初步统计，统计期未结束）")
    note = early.bulletin().blocks[0].text
    assert note == "数据截至 2026-11-21 00:00（北京时间），为初步统计（统计期未结束）。"
    assert early.bulletin().title.endswith("（初步统计，统计期未结束）")
    assert final.bulletin().blocks[0] == final._table_bulletin().blocks[0]

    report = transmission_report(store, MONTH, TransmissionReportOptions(as_of=mid))
    assert report.as_json()["provisional"] is True
    assert report.bulletin().title.endswith("（初步统计，统计期未结束）")
    assert "为初步统计（统计期未结束）" in report.bulletin().blocks[0].text
    final_report = transmission_report(store, MONTH, TransmissionReportOptions(as_of=AS_OF))
    assert final_report.as_json()["provisional"] is False
    assert not final_report.bulletin().title.endswith("（初步统计，统计期未结束）")


def test_settings_override_the_base_and_name_the_bad_option():
    base = AssessConfig(instant_hours=3)
    settings = AssessSettings(base, complete_days=5, valid_flags="N, M", mark_deadline_day=0,
                              aggregate="mean_of_units")
    cfg = settings.config
    assert (cfg.instant_hours, cfg.complete_days, cfg.valid_flags) == (3, 5, ("N", "M"))
    assert cfg.mark_deadline_day is None and cfg.aggregate == "mean_of_units"
    for kwargs, option in (({"instant_hours": -1}, "--instant-hours"),
                           ({"mark_deadline_day": 30}, "--mark-deadline-day"),
                           ({"aggregate": "median"}, "--aggregate"),
                           ({"rank_by": "fastest"}, "--rank-by"),
                           ({"pass_mark": "ninety"}, "--pass-mark")):
        with pytest.raises(OptionError) as err:
            AssessSettings(**kwargs)
        assert err.value.option == option, kwargs
    with pytest.raises(OptionError) as err:
        AssessOptions("district")
    assert err.value.option == "--level"
    assert "point, unit, county, city, province" in err.value.reason
    with pytest.raises(OptionError) as err:
        ExemptionOptions("放假", "x", "y", unit="u")
    assert err.value.option == "--kind"
    assert err.value.reason == "must be one of 停产, 停运, 停排, not '放假'"
    assert ExemptionOptions("shutdown", "x", "y", unit="u").kind is ExemptionKind.PRODUCTION
    assert ExemptionOptions("停排", "x", "y", unit="u").kind is ExemptionKind.DISCHARGE
    assert tuple(ExemptionKind) == EXEMPTION_KINDS  # the marks keep the one list of kinds
    with pytest.raises(OptionError) as err:
        MarkListOptions("notes")
    assert err.value.option == "kind"
    with pytest.raises(OptionError) as err:
        CorrectionOptions(GAS, "delete", "x", "y")
    assert err.value.option == "--action"
    with pytest.raises(OptionError) as err:
        ExemptionOptions("停产", " ", "y", unit="u")
    assert err.value.option == "--by"


def test_the_marks_check_direct_callers_as_the_options_do():
    from envmon.assess import marks

    start, end = NOV, NOV + 24 * HOUR
    for call, expected in (
        (lambda: marks.add_exemption(None, kind="放假", start=start, end=end, by="x",
                                     reason="y", unit_id="u"),
         lambda: ExemptionOptions("放假", "x", "y", unit="u")),
        (lambda: marks.add_exemption(None, kind="停产", start=start, end=end, by="x",
                                     reason="y"),
         lambda: ExemptionOptions("停产", "x", "y")),
        (lambda: marks.add_correction(None, mn=GAS, action="repair", start=start, end=end,
                                      by=" ", reason="y"),
         lambda: CorrectionOptions(GAS, "repair", " ", "y", value=1.0)),
        (lambda: marks.add_correction(None, mn=GAS, action="delete", start=start, end=end,
                                      by="x", reason="y"),
         lambda: CorrectionOptions(GAS, "delete", "x", "y")),
    ):
        with pytest.raises(OptionError) as direct:
            call()
        with pytest.raises(OptionError) as options:
            expected()
        assert (direct.value.option, direct.value.reason) == \
            (options.value.option, options.value.reason)
