"""Data marks: every status transition and the refused ones, proof checks, and the figures
(assessment, alarms, emissions) that change only once a mark is approved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from envmon.errors import OptionError
from envmon.marks import review
from envmon.marks.review import MarkNotFound, MarkStateError
from envmon.marks.settings import MarksSettings
from envmon.period import Period

from .conftest import GAS, HOUR, NOV, rec, write

FACTORS = ("a21026", "a21002", "a34013")
GAP = (NOV + 48 * HOUR, NOV + 96 * HOUR)  # 11-03 00:00 .. 11-05 00:00: no records
FILED = NOV + 100 * HOUR  # within the assessment's 10 days of the hours
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 32


def _file(store, settings, type_name="production/shutdown", *, by="甲电厂 王五", at=FILED,
          period=GAP, **kw):
    return review.file_mark(store, settings, mn=GAS, type_name=type_name, start=period[0],
                            end=period[1], by=by, filed_from="test", at=at, **kw)


def _status(store, mark_id):
    return review.get_mark(store, mark_id)["status"]


# ------------------------------------------------------------------------ transitions
def test_a_mark_is_filed_submitted_then_approved_with_who_when_and_from_where(store, settings):
    mark_id = _file(store, settings, note="检修停产")
    mark = review.get_mark(store, mark_id)
    assert (mark["status"], mark["type"], mark["subtype"], mark["effect"]) == (
        "submitted", "production", "shutdown", "exempt")
    assert (mark["filed_by"], mark["filed_at"], mark["filed_from"]) == ("甲电厂 王五", FILED,
                                                                         "test")
    assert mark["unit_id"] == "91140100MA0GAS0001" and mark["late"] is False
    # deadline: the end of the 10th of the month after the mark's end (transmission.md §1)
    assert mark["deadline"] == NOV + timedelta(days=30 + 10)
    approved = review.approve(store, mark_id, by="局 李四", reviewed_from="10.0.0.9")
    assert (approved["status"], approved["reviewed_by"], approved["reviewed_from"]) == (
        "approved", "局 李四", "10.0.0.9")
    assert approved["reviewed_at"] is not None and approved["source_table"] == "exemptions"


def test_approve_twice_reject_after_approval_and_withdraw_after_review_are_refused(
        store, settings):
    mark_id = _file(store, settings)
    review.approve(store, mark_id, by="局", reviewed_from="t")
    with pytest.raises(MarkStateError, match="is approved: only a submitted mark"):
        review.approve(store, mark_id, by="局", reviewed_from="t")
    with pytest.raises(MarkStateError, match="is approved"):
        review.reject(store, mark_id, by="局", reason="no", reviewed_from="t")
    with pytest.raises(MarkStateError, match="is approved"):
        review.withdraw(store, mark_id, by="甲电厂 王五")
    # one carrier row, not two
    assert store.query("SELECT COUNT(*) FROM exemptions")[0][0] == 1


def test_reject_needs_a_reason_and_a_rejected_mark_cannot_be_approved(store, settings):
    mark_id = _file(store, settings)
    with pytest.raises(OptionError) as error:
        review.reject(store, mark_id, by="局", reason="  ", reviewed_from="t")
    assert error.value.option == "--reason" and _status(store, mark_id) == "submitted"
    rejected = review.reject(store, mark_id, by="局", reason="无停产证明", reviewed_from="t")
    assert (rejected["status"], rejected["review_reason"]) == ("rejected", "无停产证明")
    with pytest.raises(MarkStateError, match="is rejected"):
        review.approve(store, mark_id, by="局", reviewed_from="t")


def test_only_the_filer_withdraws_and_a_withdrawn_mark_cannot_be_reviewed(store, settings):
    mark_id = _file(store, settings)
    with pytest.raises(MarkStateError) as error:
        review.withdraw(store, mark_id, by="乙水厂 赵六")
    assert error.value.option == "--by"
    withdrawn = review.withdraw(store, mark_id, by="甲电厂 王五 (web 127.0.0.1)")
    assert withdrawn["status"] == "withdrawn" and withdrawn["withdrawn_at"] is not None
    with pytest.raises(MarkStateError, match="is withdrawn"):
        review.approve(store, mark_id, by="局", reviewed_from="t")
    with pytest.raises(MarkStateError, match="is withdrawn"):
        review.withdraw(store, mark_id, by="甲电厂 王五")


def test_a_late_mark_is_shown_late_and_needs_an_explicit_approval(store, settings):
    late_at = NOV + timedelta(days=41)  # 2026-12-11 00:00: after the 10th of December
    mark_id = _file(store, settings, at=late_at)
    assert review.get_mark(store, mark_id)["late"] is True
    with pytest.raises(MarkStateError) as error:
        review.approve(store, mark_id, by="局", reviewed_from="t")
    assert error.value.option == "--accept-late" and _status(store, mark_id) == "submitted"
    assert store.query("SELECT COUNT(*) FROM exemptions")[0][0] == 0  # rolled back
    approved = review.approve(store, mark_id, by="局", reviewed_from="t", accept_late=True,
                              reason="补报材料齐全")
    assert approved["status"] == "approved" and approved["review_reason"] == "补报材料齐全"


def test_unknown_marks_types_points_and_factors_are_refused_naming_the_option(store, settings):
    with pytest.raises(MarkNotFound):
        review.approve(store, 99, by="局", reviewed_from="t")
    for kwargs, option in ((dict(type_name="nope"), "--type"),
                           (dict(type_name="production"), "--type"),  # no subtype
                           (dict(type_name="correction/invalidate"), "--type"),  # bureau's
                           (dict(factor="w01018"), "--factor"),
                           (dict(unit_id="91140100MA0WAT0001"), "--mn"),
                           (dict(period=(GAP[1], GAP[0])), "--to")):
        with pytest.raises(OptionError) as error:
            _file(store, settings, **kwargs)
        assert error.value.option == option, kwargs
    # the Chinese names read too
    mark_id = _file(store, settings, type_name="设备维护/污染物", factor="a21026")
    assert review.get_mark(store, mark_id)["effect"] == "invalid"


# ------------------------------------------------------------------------------ proofs
def test_proofs_are_checked_by_content_and_bounded_per_file_and_per_mark(store):
    settings = MarksSettings(max_proof_bytes=64, max_mark_bytes=90, max_proofs=2)
    mark_id = _file(store, settings)
    with pytest.raises(OptionError, match="not a PDF, JPEG or PNG") as error:
        review.add_proof(store, settings, mark_id, filename="证明.pdf",
                         content=b"MZ\x90\x00 not a pdf", by="w", uploaded_from="t")
    assert error.value.option == "proof"
    with pytest.raises(OptionError, match="allowed per file") as error:
        review.add_proof(store, settings, mark_id, filename="big.pdf", content=PDF + b"x" * 64,
                         by="w", uploaded_from="t")
    assert error.value.option == "proof"
    first = review.add_proof(store, settings, mark_id, filename="../../etc/证明.PDF",
                             content=PDF, by="w", uploaded_from="t")
    assert (first["filename"], first["media_type"]) == ("证明.pdf", "application/pdf")
    with pytest.raises(OptionError, match="allowed per mark"):
        review.add_proof(store, settings, mark_id, filename="a.png", content=PNG + b"\0" * 20,
                         by="w", uploaded_from="t")
    review.add_proof(store, settings, mark_id, filename="photo.png", content=JPEG, by="w",
                     uploaded_from="t")  # named .png, a JPEG by content
    assert review.get_proof(store, mark_id, 2) == ("photo.jpg", "image/jpeg", JPEG)
    with pytest.raises(OptionError, match="at most 2 proof files"):
        review.add_proof(store, settings, mark_id, filename="c.png", content=PNG[:12],
                         by="w", uploaded_from="t")
    review.approve(store, mark_id, by="局", reviewed_from="t")
    with pytest.raises(MarkStateError):  # the reviewed record is closed
        review.add_proof(store, MarksSettings(), mark_id, filename="d.pdf", content=PDF,
                         by="w", uploaded_from="t")


# ------------------------------------------------------------------------------ figures
def _gas_row(store, as_of=NOV + timedelta(days=40)):
    from envmon.assess.api import AssessOptions, assess_period

    result = assess_period(store, Period.month("2026-11"), AssessOptions("point", as_of=as_of))
    return next(r for r in result.as_json()["rows"] if r["code"] == GAS)


def _month_of_records_with_a_gap(store):
    write(store, [rec(GAS, f, NOV + i * HOUR) for i in range(720) if not 48 <= i < 96
                  for f in FACTORS])


def test_the_assessment_rate_changes_when_a_shutdown_mark_is_approved_not_before(store, settings):
    _month_of_records_with_a_gap(store)
    before = _gas_row(store)
    assert (before["should"], before["complete"]["effective_rate"]) == (2160, 93.33)
    rejected = _file(store, settings)
    review.add_proof(store, settings, rejected, filename="p.pdf", content=PDF, by="w",
                     uploaded_from="t")
    review.reject(store, rejected, by="局", reason="材料不符", reviewed_from="t")
    withdrawn = _file(store, settings)
    review.withdraw(store, withdrawn, by="甲电厂 王五")
    mark_id = _file(store, settings)
    review.add_proof(store, settings, mark_id, filename="停产通知.pdf", content=PDF, by="w",
                     uploaded_from="t")
    assert _gas_row(store) == before  # submitted, rejected, withdrawn: nothing changes
    review.approve(store, mark_id, by="局", reviewed_from="t")
    after = _gas_row(store)
    assert (after["should"], after["complete"]["effective_rate"]) == (2016, 100.0)


def test_an_approved_shutdown_mark_without_proof_does_not_count_by_the_assessment_rules(
        store, settings):
    _month_of_records_with_a_gap(store)
    mark_id = _file(store, settings)
    review.approve(store, mark_id, by="局", reviewed_from="t")
    assert _gas_row(store)["should"] == 2160  # marks_require_proof (transmission.md §1)


def test_an_approved_maintenance_mark_makes_hours_invalid_not_before(store, settings):
    _month_of_records_with_a_gap(store)
    period = (NOV + 200 * HOUR, NOV + 210 * HOUR)
    mark_id = _file(store, settings, "maintenance/pollutant", factor="a21026", period=period,
                    at=NOV + 211 * HOUR)
    review.add_proof(store, settings, mark_id, filename="维护记录.jpg", content=JPEG, by="w",
                     uploaded_from="t")
    assert _gas_row(store)["complete"]["valid"] == 2016
    review.approve(store, mark_id, by="局", reviewed_from="t")
    after = _gas_row(store)
    assert (after["complete"]["received"], after["complete"]["valid"]) == (2016, 2006)


def test_alarms_and_emissions_see_an_exemption_only_once_it_is_approved(store, settings):
    from envmon.alarms.engine import exemptions_by_mn
    from envmon.emissions.accounting import AccountingConfig, _Exempt
    from envmon.timeutil import now_beijing

    now = now_beijing().replace(minute=0, second=0, microsecond=0)
    period = (now - 2 * HOUR, now + 24 * HOUR)  # a stop that is on now
    point = next(p for p in store.list_points() if p.mn == GAS)
    rules = AccountingConfig().exemption_rules
    rejected = _file(store, settings, period=period, at=now - HOUR)
    review.add_proof(store, settings, rejected, filename="p.png", content=PNG, by="w",
                     uploaded_from="t")
    review.reject(store, rejected, by="局", reason="不符", reviewed_from="t")
    mark_id = _file(store, settings, period=period, at=now - HOUR)
    review.add_proof(store, settings, mark_id, filename="p.png", content=PNG, by="w",
                     uploaded_from="t")
    assert GAS not in exemptions_by_mn(store)  # submitted and rejected: no change
    assert not _Exempt(store, point, period[0], period[1], rules)
    review.approve(store, mark_id, by="局", reviewed_from="t")
    assert exemptions_by_mn(store)[GAS] == [period]
    assert _Exempt(store, point, period[0], period[1], rules)(now - HOUR)


def test_a_record_only_mark_changes_nothing_even_approved(store, settings):
    _month_of_records_with_a_gap(store)
    before = _gas_row(store)
    mark_id = _file(store, settings, "comm_interrupt")
    approved = review.approve(store, mark_id, by="局", reviewed_from="t")
    assert approved["source_table"] is None and _gas_row(store) == before


def test_a_proof_name_loses_its_path_quotes_and_control_characters():
    from envmon.marks.proofs import clean_filename, content_disposition

    name = clean_filename('C:\\x\\a"b\r\n;c\'.txt', ".pdf")
    assert name == "abc.pdf"
    header = content_disposition("停产 \"证明\".pdf")
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="') and header.count('"') == 2
