"""`envmon screen` on a real DuckDB store filled by the simulator's falsifying mode: the
injected episodes found through the store, the JSON contract exactly, XLSX/HTML produced,
bad options refused in one line (exit 2), and the same through `GET /api/v1/screen`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime

import pytest

from envmon.period import Period
from envmon.screen import PATTERNS
from envmon.sim.falsify import falsified_fleet, write_fleet
from envmon.timeutil import BEIJING_FIXED

MONTH = "2026-10"
SEED = 424242  # the tests' seed; the benchmark uses another


@pytest.fixture(scope="module")
def fleet():
    return falsified_fleet(16, datetime(2026, 10, 1, tzinfo=BEIJING_FIXED), 31 * 24, SEED,
                           falsifying_share=0.5)


@pytest.fixture(scope="module")
def db(fleet, tmp_path_factory):
    from envmon.store import open_store

    path = tmp_path_factory.mktemp("screen") / "screen.duckdb"
    with open_store(path) as store:
        write_fleet(store, fleet)
    return path


def _found(points_json, episode) -> bool:
    for point in points_json:
        if point["mn"] != episode.mn:
            continue
        for f in point["findings"]:
            start, end = datetime.fromisoformat(f["from"]), datetime.fromisoformat(f["to"])
            if f["pattern"] == episode.pattern and start < episode.end and episode.start < end:
                return True
    return False


def test_the_injected_episodes_are_found_through_the_store(fleet, db):
    from envmon.screen.api import screen
    from envmon.store import open_store

    assert {e.pattern for e in fleet.episodes} == set(PATTERNS)  # every pattern injected
    with open_store(db, read_only=True) as store:
        result = screen(store, Period.month(MONTH)).as_json()
    assert result["screened"] == 16
    found = [e for e in fleet.episodes if _found(result["points"], e)]
    assert len(found) >= 0.9 * len(fleet.episodes), [
        e for e in fleet.episodes if e not in found]
    honest = {p["mn"] for p in result["points"]} - fleet.falsified
    assert honest == set()  # no honest point is listed
    scores = [p["score"] for p in result["points"]]
    assert scores == sorted(scores, reverse=True)


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "envmon", "screen", *args],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


def test_json_contract_exactly(db):
    proc = run_cli("--month", MONTH, "--format", "json", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert set(result) == {"from", "to", "points", "screened"}
    assert result["from"] == "2026-10-01T00:00:00+08:00"
    assert result["to"] == "2026-11-01T00:00:00+08:00"
    assert result["points"]
    for point in result["points"]:
        assert set(point) == {"mn", "unit_id", "score", "findings"}
        for finding in point["findings"]:
            assert set(finding) == {"pattern", "factor", "from", "to", "statistic",
                                    "threshold", "detail", "score"}
            assert finding["pattern"] in PATTERNS
    assert "screen 16/16" in proc.stderr  # progress on stderr


def test_one_unit_and_a_range(db, fleet):
    unit = next(p.unit_id for p in fleet.points if p.mn in fleet.falsified)
    proc = run_cli("--from", "2026-10-01T00:00:00+08:00", "--to", "2026-10-21T00:00:00+08:00",
                   "--unit", unit, "--format", "json", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["screened"] == sum(p.unit_id == unit for p in fleet.points)
    assert all(p["unit_id"] == unit for p in result["points"])


def test_xlsx_and_html_with_plots_and_the_checklist(db, tmp_path):
    from openpyxl import load_workbook

    for fmt in ("xlsx", "html"):
        proc = run_cli("--month", MONTH, "--format", fmt, "--db", str(db), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    book = load_workbook(tmp_path / f"screen-{MONTH}.xlsx")
    sheets = book.sheetnames
    assert {"排序", "证据", "检查要点"} <= set(sheets)
    headers = [c.value for c in next(book["检查要点"].iter_rows(min_row=1, max_row=6))
               if c.value]
    text = (tmp_path / f"screen-{MONTH}.html").read_text()
    for item in ("在线监控数据是否正常", "治理设施运行", "台账", "达标排放"):
        assert item in text
    assert "<svg" in text  # the plots inline
    assert not re.search(r'(src|href)="https?://', text)  # nothing loaded from the internet
    assert headers  # the sheet has its zh-CN header row


@pytest.mark.parametrize("args, option", [
    (("--month", "2026-13"), "--month"),
    (("--month", MONTH, "--from", "2026-10-01T00:00:00+08:00"), "--month"),
    (("--from", "2026-10-01T00:30:00+08:00", "--to", "2026-10-02T00:00:00+08:00"), "--from"),
    (("--from", "2026-10-01T00:00:00+08:00"), "--month"),
    (("--month", MONTH, "--unit", "NOSUCHUNIT"), "--unit"),
    (("--month", MONTH, "--format", "pdf"), "--format"),
])
def test_bad_options_are_one_line_and_exit_2(db, args, option):
    proc = run_cli(*args, "--db", str(db))
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and option in lines[0], proc.stderr


def test_the_api_answers_the_same(db):
    import httpx

    from envmon.store import open_store
    from envmon.web.context import WebContext
    from tests.web.conftest import serve

    proc = run_cli("--month", MONTH, "--format", "json", "--db", str(db))
    store = open_store(db, read_only=True)
    try:
        with serve(WebContext(store=store)) as web:
            answer = httpx.get(web.url(f"/api/v1/screen?month={MONTH}"), timeout=60)
            assert answer.status_code == 200
            assert answer.json() == json.loads(proc.stdout)
            bad = httpx.get(web.url("/api/v1/screen?month=2026-13"), timeout=30)
            assert bad.status_code == 400 and bad.json()["error"]["field"] == "month"
            typo = httpx.get(web.url(f"/api/v1/screen?month={MONTH}&unti=x"), timeout=30)
            assert typo.status_code == 400
            _the_page(web, json.loads(proc.stdout))
    finally:
        store.close()


def _the_page(web, result):
    """数据造假筛查: the ranked list in the API's order, a point's findings with its plot."""
    import httpx

    page = httpx.get(web.url(f"/screen?month={MONTH}"), timeout=60)
    assert page.status_code == 200 and "数据造假筛查" in page.text
    ranked = re.findall(r'<tr data-mn="([^"]+)"', page.text)
    assert ranked == [p["mn"] for p in result["points"]]
    first = result["points"][0]
    detail = httpx.get(web.url(f"/screen?month={MONTH}&mn={first['mn']}"), timeout=60)
    assert detail.status_code == 200 and "<svg" in detail.text
    assert re.findall(r'<tr data-pattern="([^"]+)"', detail.text) == [
        f["pattern"] for f in first["findings"]]
    english = httpx.get(web.url(f"/screen?month={MONTH}&lang=en"), timeout=60)
    assert "Falsification screening" in english.text
    assert httpx.get(web.url("/screen?month=2026-13"), timeout=30).status_code == 400
    assert httpx.get(web.url(f"/screen?month={MONTH}&mn=NOSUCH"), timeout=30).status_code == 404


def test_simulate_falsifying_writes_the_store_and_prints_the_ground_truth(tmp_path):
    db = tmp_path / "f.duckdb"
    proc = subprocess.run([sys.executable, "-m", "envmon", "simulate-falsifying", "--month",
                           MONTH, "--points", "4", "--share", "0.5", "--seed", "77", "--db",
                           str(db)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    truth = json.loads(proc.stdout)
    assert truth["points"] == 4 and len(truth["falsifying"]) == 2
    assert {e["mn"] for e in truth["episodes"]} == set(truth["falsifying"])
    assert all(e["pattern"] in PATTERNS for e in truth["episodes"])
    from envmon.store import open_store

    with open_store(db, read_only=True) as store:
        assert len(store.list_points()) == 4
    bad = subprocess.run([sys.executable, "-m", "envmon", "simulate-falsifying", "--month",
                          MONTH, "--share", "2", "--db", str(db)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--share" in bad.stderr.strip().splitlines()[-1]


def test_exemption_marks_filed_around_peaks_are_read_from_the_store(tmp_path):
    """Marks of the unit (today's exemptions) over three peaks: flag_gaming's evidence."""
    from envmon.assess.marks import add_exemption, revoke
    from envmon.screen.api import screen
    from envmon.screen.series import exemption_marks
    from envmon.sim.falsify import falsified_fleet, write_fleet
    from envmon.store import open_store

    fleet = falsified_fleet(1, datetime(2026, 10, 1, tzinfo=BEIJING_FIXED), 14 * 24, SEED,
                            falsifying_share=0.0)
    p = fleet.points[0]
    factor, limit = "a21026", p.limits["a21026"]
    runs = [(50, 3), (170, 2), (290, 4)]
    for first, hours in runs:  # peaks reported as normal data, each under a mark
        for k in range(first - 1, first + hours + 1):
            p.flags[factor][k] = "N"
            p.corrected[factor][k] = limit * (1.4 if first <= k < first + hours else 0.95)
            p.values[factor][k] = p.corrected[factor][k]
    period = Period(p.start, p.hour(14 * 24))
    with open_store(tmp_path / "m.duckdb") as store:
        write_fleet(store, fleet)
        ids = [add_exemption(store, kind="停产", start=p.hour(a), end=p.hour(a + n),
                             by="测试", reason="检修", unit_id=p.unit_id) for a, n in runs]
        assert exemption_marks(store, p.mn, period) == [(p.hour(a), p.hour(a + n))
                                                        for a, n in runs]
        found = screen(store, period).as_json()["points"][0]["findings"]
        assert [f["pattern"] for f in found if "豁免" in f["detail"]] == ["flag_gaming"] * 3
        revoke(store, "exemptions", ids[0], by="测试", reason="撤销")
        assert len(exemption_marks(store, p.mn, period)) == 2  # a revoked mark is no evidence


def test_a_month_without_data_says_so_and_a_month_in_progress_is_provisional(db):
    proc = run_cli("--month", "2026-09", "--format", "json", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["points"] == [] and result["points_with_data"] == 0
    assert result["provisional"] is False and "均无小时数据" in result["note"]
    assert f"note: {result['note']}" in proc.stderr
    from envmon.timeutil import now_beijing

    month = now_beijing().strftime("%Y-%m")
    proc = run_cli("--month", month, "--format", "json", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["provisional"] is True and result["note"]


def test_demo_falsifying_seeds_last_month_once_and_screen_finds_it(tmp_path):
    from datetime import timedelta

    from envmon.timeutil import now_beijing

    base = [sys.executable, "-m", "envmon", "demo", "--db", "demo.duckdb", "--points", "5",
            "--hj212-port", "0", "--no-web", "--no-roads-air", "--duration", "1",
            "--falsifying"]
    month = (now_beijing().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    first = subprocess.run(base, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    assert f"数据造假筛查: 20 gas points over {month}" in first.stdout + first.stderr
    again = subprocess.run(base, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "数据造假筛查: the scenario is already in this store" in again.stdout + again.stderr
    proc = run_cli("--month", month, "--format", "json", "--db", str(tmp_path / "demo.duckdb"))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["screened"] >= 20 and result["points"]
    assert any(p["mn"].startswith("SCR001") for p in result["points"])


def test_report_names_factors_plots_each_flagged_factor_by_date(db, tmp_path):
    from openpyxl import load_workbook

    from envmon.screen.api import screen
    from envmon.screen.report import PLOTTED, chart_title
    from envmon.store import open_store

    with open_store(db, read_only=True) as store:
        result = screen(store, Period.month(MONTH))
    proc = run_cli("--month", MONTH, "--format", "xlsx", "--db", str(db), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    book = load_workbook(tmp_path / f"screen-{MONTH}.xlsx")
    wanted = [chart_title(p, f) for p in result.points[:PLOTTED]
              for f in dict.fromkeys(x.factor for x in p.findings)]
    plotted = result.points[:PLOTTED]
    assert len(wanted) > len(plotted)  # some point has findings on two factors: both plotted
    assert [s for s in book.sheetnames if s.startswith("…")] == wanted
    assert any("氮氧化物" in s or "二氧化硫" in s or "烟尘" in s for s in wanted)
    factors = {row[2] for row in book["证据"].iter_rows(min_row=2, values_only=True) if row[2]}
    assert any(f.startswith(("二氧化硫 ", "氮氧化物 ", "烟尘 ")) for f in factors), factors
    from envmon.screen.report import point_chart

    svg = point_chart(result.points[0]).svg
    assert f"{MONTH[5:]}-" in svg and "日期" in svg  # dates (10-05 …) on the x-axis
