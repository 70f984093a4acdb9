"""The insights as a PDF: the same tables and charts as the page, for a meeting or a board."""

from __future__ import annotations

import io
from datetime import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from chorus.accounts.models import Organization
from chorus.insights.aggregates import Insight
from chorus.insights.charts import bar_chart, chart_bars
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


def insights_pdf(organization: Organization, tables: list[Insight], *, as_of: datetime, threshold: int) -> bytes:
    pdf = Document(_("Insights — %(name)s") % {"name": organization.name})
    pdf.paragraph(9, _("Insights — %(name)s") % {"name": organization.name}, size=16, bold=True)
    noisy = any(insight.published.noisy for insight in tables)
    pdf.paragraph(
        5,
        _("Figures as of %(date)s.") % {"date": formats.date_format(as_of, "DATE_FORMAT")} + " " + legend(threshold, noisy=noisy),
        size=9,
    )
    for insight in tables:
        pdf.ln(4)
        pdf.paragraph(7, str(insight.spec.title), size=12, bold=True)
        pdf.paragraph(5, str(insight.spec.description), size=9)
        if insight.empty:
            pdf.paragraph(6, _("Nothing to count yet."))
            continue
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
        if chart_bars(insight):
            pdf.image(io.BytesIO(bar_chart(insight, font=FONT, accessible=False).encode()), w=pdf.epw * 0.9)
    return pdf.finish()
