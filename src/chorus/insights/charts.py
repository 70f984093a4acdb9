"""Bar charts drawn on the server as SVG: readable without JavaScript, with a title and a
text alternative that says every figure, and hidden figures drawn as labelled outlines
(never by colour alone). The same drawing goes into the PDF report."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from chorus.insights.aggregates import Insight

WIDTH = 640
LABEL_WIDTH = 230
BAR_ROOM = 330
ROW_HEIGHT = 26
TOP = 8
BAR_COLOUR = "#1f5f8b"
INK = "#1b1b1b"


def chart_bars(insight: Insight) -> list[tuple[str, int | None, str]]:
    """(label, figure or None when hidden, what the page shows) for each bar of the chart.

    None at all when the categories the chart compares had to be combined into one: a
    single bar would only repeat the total the table shows.
    """
    published = insight.published
    if insight.spec.chart == "rows":
        if published.rows_collapsed:
            return []
        return [
            (label, published.shown(r, -1), insight.figure(r, len(insight.columns)))
            for r, label in enumerate(insight.rows)
        ]
    if published.columns_collapsed:
        return []
    return [
        (label, published.shown(len(insight.rows), c), insight.figure(len(insight.rows), c))
        for c, label in enumerate(insight.columns)
    ]


def bar_chart(insight: Insight, *, font: str = "DejaVu Sans, Verdana, sans-serif", accessible: bool = True) -> str:
    """The chart as an SVG string (the PDF report passes its own font and no ARIA)."""
    bars = chart_bars(insight)
    largest = max([figure for _, figure, _ in bars if figure is not None] + [1])
    height = TOP * 2 + ROW_HEIGHT * len(bars)
    key = escape(insight.spec.key)
    title = escape(str(insight.spec.title))
    alternative = escape("; ".join(f"{label}: {shown}" for label, _, shown in bars))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"'
        + (f' role="img" aria-labelledby="chart-{key}-title chart-{key}-desc">' if accessible else ">")
    ]
    if accessible:
        parts.append(f'<title id="chart-{key}-title">{title}</title>')
        parts.append(f'<desc id="chart-{key}-desc">{alternative}</desc>')
    for index, (label, figure, shown) in enumerate(bars):
        y = TOP + index * ROW_HEIGHT
        text_y = y + ROW_HEIGHT * 0.62
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y:.1f}" text-anchor="end" font-size="12" '
            f'font-family="{font}" fill="{INK}">{escape(_shorten(label))}</text>'
        )
        if figure is None:  # hidden: an outline, and the words that say why
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 5}" width="24" height="{ROW_HEIGHT - 10}" fill="#ffffff" '
                f'stroke="{INK}" stroke-dasharray="3 2"/>'
            )
            bar_end = LABEL_WIDTH + 24
        else:
            width = round(BAR_ROOM * figure / largest) if figure else 0
            if width:
                parts.append(
                    f'<rect x="{LABEL_WIDTH}" y="{y + 5}" width="{width}" height="{ROW_HEIGHT - 10}" '
                    f'fill="{BAR_COLOUR}"/>'
                )
            bar_end = LABEL_WIDTH + width
        parts.append(
            f'<text x="{bar_end + 6}" y="{text_y:.1f}" font-size="12" font-family="{font}" '
            f'fill="{INK}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart_html(insight: Insight) -> SafeString:
    """For templates: every text in the drawing went through ``escape`` above ("" for no chart)."""
    if not chart_bars(insight):
        return mark_safe("")
    return mark_safe(bar_chart(insight))  # noqa: S308 (labels and figures are escaped when drawn)


def _shorten(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
