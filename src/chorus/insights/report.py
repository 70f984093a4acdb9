"""The insights as a PDF: the same tables and charts as the page, for a meeting or a board."""

from __future__ import annotations

import io
from datetime import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from chorus.accounts.models import Organization
from chorus.insights.aggregates import Insight
from chorus.insights.charts import bar_chart, chart_bars
from chorus.insights.stage_times import StageTimes
from chorus.web.pdf import FONT, Document


def legend(threshold: int, *, noisy: bool = False) -> str:
    """What every label means, as the insights page and the PDF say it."""
    text = _(
        "A count from 1 to %(below)s is shown as “<%(threshold)s”. A figure shown as “withheld” is "
        "%(threshold)s or more, hidden so that a small count cannot be worked out from the totals; a zero is "
        "shown as 0. Where that is not enough, categories are combined or only the total is shown, and the "
        "table says so."
    ) % {"below": threshold - 1, "threshold": threshold}
    if noisy:
        text += " " + _(
            "Random noise is added to every count before it is published, so single figures may be off by a "
            "little; patterns stay. The labels describe the published figures."
        )
    return text


def _table(pdf: Document, insight: Insight) -> None:
    """One published table as the page prints it: title, description, the note on what was
    combined or withheld, and every figure under its label."""
    pdf.ln(4)
    pdf.paragraph(7, str(insight.spec.title), size=12, bold=True)
    pdf.paragraph(5, str(insight.spec.description), size=9)
    if insight.empty:
        pdf.paragraph(6, _("Nothing to count yet."))
        return
    if insight.note:
        pdf.paragraph(5, insight.note, size=9)
    pdf.ln(1)
    pdf.set_font(FONT, size=8)
    with pdf.table(first_row_as_headings=True, text_align="LEFT") as table:
        heading = table.row()
        for label in [str(insight.spec.rows_label), *insight.header, _("Total")]:
            heading.cell(label)
        for label, figures in insight.grid():
            row = table.row()
            row.cell(label)
            for figure in figures:
                row.cell(figure)
    pdf.ln(2)


def insights_pdf(
    organization: Organization,
    tables: list[Insight],
    *,
    as_of: datetime,
    threshold: int,
    stages: StageTimes | None = None,
) -> bytes:
    """The page's tables and charts, then (``stages``) the time in each stage and the share
    within the organization's targets, worked out from the figures shown, as the page does."""
    pdf = Document(_("Insights — %(name)s") % {"name": organization.name})
    pdf.paragraph(9, _("Insights — %(name)s") % {"name": organization.name}, size=16, bold=True)
    noisy = any(insight.published.noisy for insight in [*tables, *([stages.time] if stages else [])])
    pdf.paragraph(
        5,
        _("Figures as of %(date)s.") % {"date": formats.date_format(as_of, "DATE_FORMAT")} + " " + legend(threshold, noisy=noisy),
        size=9,
    )
    for insight in tables:
        _table(pdf, insight)
        if not insight.empty and chart_bars(insight):
            pdf.image(io.BytesIO(bar_chart(insight, font=FONT, accessible=False).encode()), w=pdf.epw * 0.9)
    if stages is not None:
        _table(pdf, stages.time)
        if stages.shares:
            pdf.paragraph(6, _("Share within target"), size=10, bold=True)
            pdf.paragraph(5, _("Worked out only from the figures shown above; “—” where a figure is hidden."), size=9)
            for label, share in stages.shares:
                pdf.paragraph(5, f"{label}: {share}", size=9)
    return pdf.finish()
