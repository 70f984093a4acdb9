"""What the insights page, its PDF and the transparency report print when a table had to be
published coarser, and the attack of ``test_disclosure`` run on the figures as printed, in
each language the pages speak."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext as _
from pypdf import PdfReader

from chorus.accounts.models import Organization
from chorus.insights.aggregates import SPECS, Insight, insights
from chorus.insights.charts import bar_chart_html, chart_bars
from chorus.insights.disclosure import Mark, Table, publish
from chorus.insights.report import insights_pdf
from chorus.insights.transparency import transparency_report
from tests.escrow.factory import client_for
from tests.insights.factory import LAST_QUARTER, decided, past_cases, registered
from tests.insights.test_disclosure import recovered
from tests.personas import Personas

pytestmark = pytest.mark.django_db

EARLIER_QUARTER = LAST_QUARTER - timedelta(days=100)


def _table(personas: Personas, key: str) -> Insight:
    return next(insight for insight in insights(personas.organization) if insight.spec.key == key)


def _coarse_data(personas: Personas) -> None:
    org = personas.organization
    # A period in which four kinds of experience were registered once each: a "<5" column
    # of "<5" entries, each of which could only be 1. Its total is small, so it is counted
    # with the next period.
    for category in ("verbal", "nonverbal", "online", "touching"):
        registered(org, category, "2019", 1)
        registered(org, category, "2024", 20)
        registered(org, category, "2025", 20)
    # One formal and one restorative case in each of two quarters: four cases, each count
    # under 5, so only the total is shown.
    for opened_at in (LAST_QUARTER, EARLIER_QUARTER):
        past_cases(org, "formal", "final", 1, opened_at=opened_at)
        past_cases(org, "restorative", "closed", 1, opened_at=opened_at)


def test_a_column_of_small_counts_is_merged_with_the_next_period_and_the_table_says_why(personas: Personas) -> None:
    _coarse_data(personas)
    table = _table(personas, "registered")
    assert table.columns == ["2019 + 2024", "2025"]
    assert table.header == ["2019 + 2024", "2025"]
    assert "Some categories are combined" in table.note and "under 5" in table.note
    touching = table.rows.index("Unwanted touching")
    assert table.figure(touching, 0) == "21" and table.figure(touching, 2) == "41"
    opened = _table(personas, "opened")
    assert opened.grid() == [("Total", ["<5"])] and opened.note.startswith("Only the total is shown")


def test_a_pathway_with_a_small_total_is_counted_with_the_next_one_in_every_table(personas: Personas) -> None:
    """Two restorative cases: their row is counted with the formal process's, in the three
    tables of cases by pathway alike."""
    org = personas.organization
    for opened_at in (LAST_QUARTER, EARLIER_QUARTER):
        past_cases(org, "support", "support", 6, opened_at=opened_at)
        past_cases(org, "restorative", "closed", 1, opened_at=opened_at)
        past_cases(org, "formal", "investigation", 4, opened_at=opened_at)
    for key in ("opened", "first_response", "outcomes"):
        table = _table(personas, key)
        assert table.rows == ["Not chosen yet", "Support only", "Restorative process + Formal process"], key
        assert table.grid()[-1][1][-1] == "22", key
        assert table.note.startswith("Some categories are combined"), key
    opened = _table(personas, "opened")
    assert opened.grid()[1:] == [
        ("Support only", ["6", "6", "12"]),
        ("Restorative process + Formal process", ["5", "5", "10"]),
        ("Total", ["11", "11", "22"]),
    ]


def test_a_table_no_split_protects_shows_only_its_total() -> None:
    table = Table("t", ("Restorative", "Formal"), ("2025", "2026"), ((1, 0), (0, 1)))
    published = publish(table, threshold=3)
    insight = Insight(SPECS[1], published, rows=["All"], columns=["All"])
    assert published.total_only
    assert insight.grid() == [("Total", ["<3"])] and insight.header == []
    assert insight.note.startswith("Only the total is shown: split by category or by period")
    assert chart_bars(insight) == [] and bar_chart_html(insight) == ""
    pdf = insights_pdf(Organization(name="Riverside"), [insight], as_of=LAST_QUARTER, threshold=3)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Only the total is shown" in text and "A count from 1 to 2 is shown as “<3”" in text


def test_a_side_counted_as_one_is_not_said_to_be_joined_by_a_plus() -> None:
    """The periods add up to a small count but for the first: they are counted as one, and
    the table shows each category's total alone. No label carries a "+", so the note does
    not speak of one."""
    table = Table("t", ("Verbal", "Online"), ("2025", "2026"), ((9, 1), (8, 0)))
    published = publish(table, threshold=5)
    insight = Insight(SPECS[1], published, rows=["Verbal", "Online"], columns=["2025 + 2026"])
    assert published.columns_collapsed and not published.rows_merged and not published.total_only
    assert insight.grid() == [("Verbal", ["10"]), ("Online", ["8"]), ("Total", ["18"])]
    assert "+" not in insight.note
    assert insight.note.startswith("Each line shows only its total") and "under 5" in insight.note
    rows_as_one = publish(Table("t", ("Verbal", "Online"), ("2025", "2026"), ((9, 8), (1, 0))), threshold=5)
    sideways = Insight(SPECS[1], rows_as_one, rows=["Verbal + Online"], columns=["2025", "2026"])
    assert rows_as_one.rows_collapsed and not rows_as_one.columns_merged and not rows_as_one.total_only
    assert sideways.grid() == [("Total", ["10", "8", "18"])]
    assert "+" not in sideways.note and sideways.note.startswith("Only the totals line is shown")


def test_the_page_and_the_pdf_print_the_new_labels_and_sentences(personas: Personas) -> None:
    _coarse_data(personas)
    client = client_for(personas.admin, personas.vault_keys["admin"])
    page = client.get("/insights/").content.decode()
    assert "A count from 1 to 4 is shown as “&lt;5”" in page
    assert "is 5 or more, hidden so that a small count cannot be worked out" in page
    assert '<p class="notice" id="note-registered">Some categories are combined' in page
    assert '<p class="notice" id="note-opened">Only the total is shown' in page
    assert "2019 + 2024" in page
    response = client.get("/insights/report.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "A count from 1 to 4 is shown as “<5”" in text
    assert "Some categories are combined" in text and "Only the total is shown" in text
    assert "2019 + 2024" in text


@override_settings(CHORUS_INSIGHTS_EPSILON=1.0)
def test_with_noise_the_page_says_the_labels_describe_the_published_figures(personas: Personas) -> None:
    _coarse_data(personas)
    client = client_for(personas.admin, personas.vault_keys["admin"])
    page = client.get("/insights/").content.decode()
    assert "Random noise is added" in page and "The labels describe the published figures." in page
    transparency = client.get("/transparency/").content.decode()
    assert "The labels describe the published figures." in transparency
    for insight in insights(personas.organization):
        assert insight.published.noisy
        assert recovered(insight.published.values, insight.published.marks) == [], insight.spec.key


def test_the_transparency_report_says_what_its_labels_mean(personas: Personas) -> None:
    org = personas.organization
    for index, case in enumerate(past_cases(org, "formal", "final", 3)):
        decided(case, upheld=True, appeal=False if index < 2 else None)
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    page = client.get("/transparency/").content.decode()
    assert "A figure from 1 to 4 is shown as “&lt;5”, so that it cannot point to anyone" in page
    assert "“withheld” is 5 or more" in page and "“not shown” is a figure those tables do not give" in page
    assert page.count("<td>&lt;5</td>") == 2  # three cases opened, three decided
    assert "<td>not shown</td>" in page  # appealed and reversed: the decisions table is its total alone


def test_the_transparency_report_shows_only_what_the_decisions_table_shows(personas: Personas) -> None:
    """Three decisions not appealed, two that stand and three reversed: each column's total
    is small, so the columns are counted together: the table shows the year's total, 8.
    "Decisions appealed" and "Decisions reversed on appeal" are figures it does not give."""
    cases = past_cases(personas.organization, "formal", "final", 8)
    for case, appeal in zip(cases, [None, None, None, True, True, False, False, False], strict=True):
        decided(case, upheld=True, appeal=appeal)
    figures = {str(figure.label): figure.shown for figure in transparency_report(personas.organization).figures}
    assert figures == {
        "Cases opened": "8",
        "Formal cases decided": "8",
        "Decisions appealed": "not shown",
        "Decisions reversed on appeal": "not shown",
    }
    appeals = _table(personas, "appeals")
    assert appeals.header == [] and [figures for _year, figures in appeals.grid()] == [["8"], ["8"]]


def test_the_transparency_report_adds_up_what_the_decisions_table_shows(personas: Personas) -> None:
    cases = past_cases(personas.organization, "formal", "final", 17)
    for index, case in enumerate(cases):
        decided(case, upheld=True, appeal=None if index < 6 else index % 2 == 0)
    figures = {str(figure.label): figure.shown for figure in transparency_report(personas.organization).figures}
    assert figures["Decisions appealed"] == "11"  # 6 that stand and 5 reversed, both shown
    assert figures["Decisions reversed on appeal"] == "5"


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("threshold", [3, 5, 8])
def test_the_printed_figures_give_no_small_count_back(personas: Personas, language: str, threshold: int) -> None:
    """The attack reads the figures as the page prints them (``Insight.figure``), in the
    reader's language: a number, "<T", or the word for "withheld"."""
    _coarse_data(personas)
    with override_settings(CHORUS_INSIGHTS_THRESHOLD=threshold), translation.override(language):
        withheld, small = _("withheld"), f"<{threshold}"
        for insight in insights(personas.organization):
            height, width = len(insight.rows) + 1, len(insight.columns) + 1
            printed = [[insight.figure(r, c) for c in range(width)] for r in range(height)]
            marks = [
                [Mark.SMALL if f == small else Mark.WITHHELD if f == withheld else Mark.SHOWN for f in row]
                for row in printed
            ]
            figures = [[int(f) if mark is Mark.SHOWN else 0 for f, mark in zip(row, line, strict=True)]
                       for row, line in zip(printed, marks, strict=True)]  # fmt: skip
            assert recovered(figures, marks, threshold) == [], (insight.spec.key, printed)


def test_the_outcomes_and_decisions_tables_read_together_give_no_small_count_back(personas: Personas) -> None:
    """Five formal cases under way and three decided (one not appealed, one under appeal,
    one that stands): the outcomes table's "8" less its "5" would give the decisions
    table's "<5" total, and three "<5" under it would each be 1. Read together, the two
    tables pin nothing."""
    from chorus.cases.models import Appeal, Party
    from tests.insights.test_disclosure_linked import decisions_attack

    org = personas.organization
    past_cases(org, "formal", "final", 5)
    not_appealed, under_appeal, stands = past_cases(org, "formal", "final", 3)
    decided(not_appealed, upheld=True)
    decided(under_appeal, upheld=False)
    party = Party.objects.create(case=under_appeal, role="respondent", label="Respondent")
    Appeal.objects.create(
        case=under_appeal, by=party, ground=Appeal.Ground.EVIDENCE, filed_at=under_appeal.opened_at + timedelta(days=12)
    )
    decided(stands, upheld=True, appeal=True)
    past_cases(org, "support", "closed", 10)
    past_cases(org, "support", "support", 10)
    outcomes, decisions = _table(personas, "outcomes"), _table(personas, "appeals")
    assert decisions_attack(outcomes.published, decisions.published, 0) == []
    assert decisions.published.total_only  # three decisions, each under 5
    assert decisions.note.startswith("Only the total is shown")
