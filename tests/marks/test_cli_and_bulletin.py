"""`envmon marks …` end to end on a real store, and the 通报 listing the month's approved
marks."""

from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from envmon.cli import app
from envmon.period import Period
from envmon.store import open_store

from .conftest import GAS, HOUR, NOV, registry_rows

runner = CliRunner()
PDF = b"%PDF-1.4\n%%EOF\n"


def _db(tmp_path):
    from envmon.registry.importer import import_rows

    path = tmp_path / "cli.duckdb"
    with open_store(path) as store:
        assert import_rows(store, registry_rows()).ok
    return path


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_marks_commands_file_with_proofs_list_review_and_refuse_with_one_line(tmp_path):
    db = _db(tmp_path)
    proof = tmp_path / "停产通知.pdf"
    proof.write_bytes(PDF)
    fake = tmp_path / "fake.pdf"
    fake.write_text("not a pdf")
    types = _run("marks", "types", "--format", "json")
    assert types.exit_code == 0
    keys = {(t["type"], t["subtype"]): t["effect"] for t in map(json.loads,
                                                                  types.stdout.splitlines())}
    assert keys[("production", "shutdown")] == "exempt"
    assert keys[("maintenance", "process")] == "invalid"

    common = ["--db", db, "--mn", GAS, "--from", "2026-11-03T00:00", "--to",
              "2026-11-05T00:00"]
    refused = _run("marks", "file", *common, "--type", "production/shutdown", "--proof", fake)
    assert refused.exit_code == 2 and "--proof" in refused.stderr
    assert "not a PDF, JPEG or PNG" in refused.stderr and len(refused.stderr.splitlines()) == 1
    filed = _run("marks", "file", *common, "--type", "生产设施工况/停产", "--note", "检修",
                 "--proof", proof, "--by", "王五", "--format", "json")
    assert filed.exit_code == 0, filed.stderr
    mark = json.loads(filed.stdout)
    assert (mark["id"], mark["status"], mark["type_name"], mark["subtype_name"]) == (
        1, "submitted", "生产设施工况", "停产")
    assert [p["filename"] for p in mark["proofs"]] == ["停产通知.pdf"]
    second = _run("marks", "file", *common, "--type", "comm_interrupt", "--by", "王五")
    assert second.stdout.strip() == "mark 2 filed: submitted"

    assert _run("marks", "reject", 2, "--db", db, "--reason", "", "--by", "局").exit_code == 2
    withdraw_other = _run("marks", "withdraw", 2, "--db", db, "--by", "赵六")
    assert withdraw_other.exit_code == 2 and "only its filer" in withdraw_other.stderr
    assert _run("marks", "withdraw", 2, "--db", db, "--by", "王五").stdout.strip() == \
        "mark 2 withdrawn: withdrawn"
    approved = _run("marks", "approve", 1, "--db", db, "--by", "局 李四")
    assert approved.exit_code == 0 and approved.stdout.strip() == "mark 1 approved: approved"
    twice = _run("marks", "approve", 1, "--db", db)
    assert twice.exit_code == 2 and "is approved" in twice.stderr
    missing = _run("marks", "approve", 9, "--db", db)
    assert missing.exit_code == 2 and "no mark with id 9" in missing.stderr

    listed = _run("marks", "list", "--db", db, "--status", "approved", "--month", "2026-11")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["reviewed_by"], r["source_table"]) for r in rows] == [
        (1, "局 李四", "exemptions")]
    assert _run("marks", "list", "--db", db, "--month", "2026-12").stdout == ""
    bad = _run("marks", "list", "--db", db, "--status", "done")
    assert bad.exit_code == 2 and "--status" in bad.stderr


def test_the_bulletin_lists_the_approved_marks_of_the_month_only(tmp_path):
    from envmon.assess.api import TransmissionReportOptions, transmission_report
    from envmon.marks import review
    from envmon.marks.settings import MarksSettings
    from envmon.reports.transmission import bulletin_json

    settings = MarksSettings()
    with open_store(_db(tmp_path)) as store:
        approved = review.file_mark(store, settings, mn=GAS, type_name="production/shutdown",
                                    start=NOV + 48 * HOUR, end=NOV + 96 * HOUR, by="王五",
                                    filed_from="t", note="锅炉检修")
        review.approve(store, approved, by="局 李四", reviewed_from="t")
        review.file_mark(store, settings, mn=GAS, type_name="comm_interrupt",
                         start=NOV + 10 * HOUR, end=NOV + 12 * HOUR, by="王五",
                         filed_from="t")  # submitted: not in the bulletin
        as_of = NOV + timedelta(days=60)
        report = transmission_report(store, Period.month("2026-11"),
                                     TransmissionReportOptions(as_of=as_of))
        bulletin = bulletin_json(report.bulletin())
    assert "本月经审核通过的数据标记1条。" in bulletin["sentences"]
    table = next(t for t in bulletin["tables"] if t["title"] == "经审核通过的数据标记")
    assert len(table["rows"]) == 1
    row = table["rows"][0]
    assert (row["kind"], row["period"], row["reviewed_by"], row["note"]) == (
        "生产设施工况（停产）", "11-03 00:00至11-05 00:00", "局 李四", "锅炉检修")


def test_marks_commands_on_the_store_leave_audit_rows_refusals_too(tmp_path):
    from envmon.access.audit import cli_address, list_audit

    db = _db(tmp_path)
    common = ["--db", db, "--mn", GAS, "--from", "2026-11-03T00:00", "--to",
              "2026-11-05T00:00"]
    assert _run("marks", "file", *common, "--type", "comm_interrupt", "--by", "王五"
                ).exit_code == 0
    assert _run("marks", "withdraw", 1, "--db", db, "--by", "赵六").exit_code == 2
    assert _run("marks", "approve", 1, "--db", db, "--by", "局").exit_code == 0
    with open_store(db, read_only=True) as store:
        rows = list_audit(store).as_json()
    assert [(r["action"], r["target"], r["result"].split(":")[0]) for r in rows] == [
        ("mark.file", GAS, "ok"), ("mark.withdraw", "1", "refused"),
        ("mark.approve", "1", "ok")]
    assert rows[0]["detail"]["id"] == 1 and "only its filer" in rows[1]["result"]
    assert all(r["address"] == cli_address() and r["role"] == "admin" for r in rows)
