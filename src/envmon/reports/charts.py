"""Charts for bulletins: matplotlib with the CJK font (`fonts.cjk_font`), each rendered once
as SVG (glyphs as paths, for HTML: no font needed on the reader's machine) and once as PNG
(for XLSX). A new chart kind is a function here that draws on `figure()` and returns
`finish(fig, title)`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from envmon.reports.fonts import cjk_font
from envmon.reports.model import Chart


def figure(width_in: float = 7.0, height_in: float = 3.2):
    """A matplotlib figure and axes (Agg, CJK font, SVG glyphs as paths) to draw on."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    family = cjk_font()
    plt.rcParams["font.family"] = [family]
    plt.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["svg.fonttype"] = "path"  # glyphs as paths: the SVG needs no font
    # the same figure gives the same SVG (no random clip-path ids): a bulletin is the same
    # bytes however often it is rendered, so the web API's ETag holds and the CLI agrees
    plt.rcParams["svg.hashsalt"] = "envmon"
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=120)
    return fig, ax


def finish(fig, title: str) -> Chart:
    """The drawn figure as a `Chart` (inline SVG for HTML, PNG for XLSX); closes it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    svg_buffer = io.StringIO()
    fig.savefig(svg_buffer, format="svg", metadata={"Date": None})  # no render time
    png_buffer = io.BytesIO()
    fig.savefig(png_buffer, format="png", dpi=110)
    plt.close(fig)
    svg = svg_buffer.getvalue()
    svg = svg[svg.find("<svg") :]  # drop the XML prolog and doctype: inline in HTML
    return Chart(title=title, svg=svg, png=png_buffer.getvalue())


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    title: str,
    *,
    ylabel: str = "",
    colors: Sequence[str] | None = None,
    reference: float | None = None,
    reference_label: str = "",
    value_format: str = "{:.2f}",
) -> Chart:
    """Vertical bars with value labels; `reference` draws a dashed horizontal line."""
    fig, ax = figure(min(9.0, max(5.0, 0.3 * len(labels) + 2)), 3.2)
    heights = [0 if v is None else v for v in values]
    bars = ax.bar(range(len(labels)), heights, color=list(colors) if colors else "#4472C4")
    for bar, value in zip(bars, values, strict=False):
        if value is not None:
            ax.annotate(value_format.format(value), (bar.get_x() + bar.get_width() / 2,
                        bar.get_height()), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(labels)), list(labels), rotation=45 if len(labels) > 8 else 0,
                  ha="right" if len(labels) > 8 else "center", fontsize=8)
    if reference is not None:
        ax.axhline(reference, linestyle="--", color="#C00000", linewidth=1, label=reference_label)
        if reference_label:
            ax.legend(fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return finish(fig, title)
