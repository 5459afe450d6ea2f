"""Issue 11 item 27: a printed bulletin (PDF) never ends a page on a heading, never cuts a table
after its header rows, and repeats a table's header on the pages it runs onto. The bulletin is
laid out with WeasyPrint (what `report … --formats pdf` uses) and every page's end is read."""

from __future__ import annotations

import random
from datetime import date

import pytest

from envmon.reports.html import KEEP_TOGETHER_CSS, render_html
from envmon.reports.model import Bulletin, Column, Paragraph, Table
from envmon.reports.pdf import pdf_available

HEADINGS = {"h1", "h2", "h3", "h4"}


def _long_bulletin() -> Bulletin:
    """Sections shaped like the 通报's ("一、…" heading, a sentence, a table with its title;
    some headings straight before a table), of varied lengths so that page ends fall
    everywhere: after headings, inside paragraphs, inside tables."""
    rnd = random.Random(7)
    columns = [Column("序号", "n", 6), Column("单位", "unit", 20),
               Column("补全有效传输率(%)", "rate", 12, "0.00")]
    blocks = []
    for k in range(40):
        blocks.append(Paragraph(f"{k + 1}、第{k + 1}组单位情况", heading=True))
        if k % 3:
            blocks.append(Paragraph("本组单位数据传输情况如下。" * rnd.randint(1, 12)))
        rows = [{"n": i + 1, "unit": f"第{k + 1}组单位{i + 1}", "rate": 99.5 - i}
                for i in range(rnd.randint(1, 12))]
        blocks.append(Table(f"表{k + 1}　第{k + 1}组各单位补全有效传输率", columns, rows))
    return Bulletin("重点排污单位自动监控数据传输有效率通报", date(2026, 12, 1), blocks,
                    subtitle="2026年11月", issuer="某某生态环境局")


def _is_heading(box) -> bool:
    classes = (box.element.get("class") or "").split() if box.element is not None else []
    return box.element_tag in HEADINGS or "heading" in classes


def _descendants(box):
    for child in getattr(box, "children", []):
        yield child
        yield from _descendants(child)


def _body_rows(table_box) -> int:
    return sum(len(group.children) for group in _descendants(table_box)
               if group.element_tag == "tbody")


def _page_layout(html: str) -> list[list]:
    """Each page's top-level boxes (the children of <body> on that page)."""
    import weasyprint

    document = weasyprint.HTML(string=html).render()
    pages = []
    for page in document.pages:
        (html_box,) = page._page_box.children[-1:]
        (body,) = html_box.children
        pages.append(list(body.children))
    return pages


def _heading_page_ends(pages: list[list]) -> list[str]:
    return [f"page {n}: {''.join(box.element.itertext())!r}"
            for n, boxes in enumerate(pages[:-1], 1) for box in boxes[-1:] if _is_heading(box)]


@pytest.fixture(scope="module")
def bulletin_html() -> str:
    assert pdf_available(), "WeasyPrint is a dependency: .ci/run installs it and pango"
    return render_html(_long_bulletin())


def test_without_the_rules_this_bulletin_has_orphan_headings(bulletin_html):
    """The document is a real test: laid out without the keep rules, headings end pages."""
    bare = bulletin_html.replace(KEEP_TOGETHER_CSS, "")
    assert bare != bulletin_html
    assert _heading_page_ends(_page_layout(bare))


def test_no_page_ends_on_a_heading_or_a_table_header(bulletin_html):
    pages = _page_layout(bulletin_html)
    assert len(pages) >= 5  # long enough for page ends to fall everywhere
    assert _heading_page_ends(pages) == []
    for number, boxes in enumerate(pages, 1):
        last = boxes[-1]
        if last.element_tag == "table":
            assert _body_rows(last) >= 1, f"page {number} ends on a table's header rows"


def test_a_table_that_runs_onto_the_next_page_repeats_its_header(bulletin_html):
    pages = _page_layout(bulletin_html)
    continued = [boxes[0] for boxes in pages[1:] if boxes[0].element_tag == "table"]
    assert continued, "no table ran across a page: the check below would prove nothing"
    for table in continued:
        assert any(group.element_tag == "thead" for group in _descendants(table))
