"""The organization's tables, charts, PDF report and the transparency report, as the
people who read them would check them."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from pypdf import PdfReader

from chorus.cases.services.act import decision_change_refused
from chorus.insights.aggregates import Insight, insights
from chorus.insights.disclosure import Mark
from chorus.insights.transparency import transparency_report
from chorus.ledger.services import chain_for, ledger_append, ledger_checkpoint
from tests.escrow.factory import client_for
from tests.insights.factory import decided, measure, past_cases, registered, responded
from tests.insights.test_disclosure import recovered
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def _table(personas: Personas, key: str) -> Insight:
    return next(insight for insight in insights(personas.organization) if insight.spec.key == key)


def _cell(insight: Insight, row: str, column: str) -> str:
    return insight.figure(insight.rows.index(row), insight.columns.index(column))


def _seed(personas: Personas) -> None:
    org = personas.organization
    registered(org, "verbal", "2025-H1", 12)
    registered(org, "touching", "2025-H1", 3)
    registered(org, "verbal", "2025-H2", 7)
    registered(org, "touching", "2025-H2", 9)
    registered(org, "online", "2025-H2", 6)


def test_it_counts_registered_experiences_and_never_shows_a_small_count(personas: Personas) -> None:
    _seed(personas)
    table = _table(personas, "registered")
    touching = "Unwanted touching"
    assert table.columns == ["2025-H1", "2025-H2"]
    assert _cell(table, touching, "2025-H1") == "<5"
    assert _cell(table, "Comments, jokes or questions of a sexual nature", "2025-H1") in ("12", "withheld")
    # The row total and the column total would give the 3 back: something else is withheld.
    assert "withheld" in [figure for _, figures in table.grid() for figure in figures]
    assert recovered(table.published.values, [list(row) for row in table.published.marks]) == []


def test_every_table_resists_the_adversary(personas: Personas) -> None:
    _seed(personas)
    cases = past_cases(personas.organization, "support", "support", 7)
    cases += past_cases(personas.organization, "formal", "final", 6)
    cases += past_cases(personas.organization, "restorative", "withdrawn", 2)
    for index, case in enumerate(cases):
        responded(case, timedelta(days=1 if index % 3 else 5))
        measure(case, "room", due_in=10, done_in=5 if index % 2 else 14)
    for index, case in enumerate(cases[7:13]):
        decided(case, upheld=index % 2 == 0, appeal=(index % 2 == 1) if index < 3 else None)
    past_cases(personas.organization, "self", "plan", 6)  # self-initiated plans have a table of their own
    for insight in insights(personas.organization):
        assert not insight.empty, insight.spec.key
        marks = [list(row) for row in insight.published.marks]
        assert recovered(insight.published.values, marks) == [], insight.spec.key
        for r, row in enumerate(insight.published.values):
            for c, value in enumerate(row):
                assert not (0 < value < 5 and marks[r][c] is Mark.SHOWN), (insight.spec.key, r, c, value)


def test_it_sorts_cases_by_first_response_measures_by_due_date_and_outcomes(personas: Personas) -> None:
    org = personas.organization
    quick = past_cases(org, "support", "support", 6)
    slow = past_cases(org, "support", "closed", 6)
    for case in quick:
        responded(case, timedelta(hours=20))
        measure(case, "supervisor", due_in=10, done_in=3)
    for case in slow:
        responded(case, timedelta(days=9))
        measure(case, "supervisor", due_in=10, done_in=15)
    response = _table(personas, "first_response")
    assert _cell(response, "Support only", "Within 2 days") == "6"
    assert _cell(response, "Support only", "More than a week") == "6"
    measures = _table(personas, "measures")
    assert _cell(measures, "Another supervisor", "Done on time") == "6"
    assert _cell(measures, "Another supervisor", "Done late") == "6"
    outcomes = _table(personas, "outcomes")
    assert _cell(outcomes, "Support only", "Ongoing") == "6"
    assert _cell(outcomes, "Support only", "Closed") == "6"


def test_figures_move_only_once_a_quarter(personas: Personas) -> None:
    """A case opened today does not show until the next quarter: no one learns when it was opened."""
    past_cases(personas.organization, "formal", "filed", 6)
    before = _table(personas, "opened").published.values
    past_cases(personas.organization, "formal", "filed", 1, opened_at=timezone.now())
    assert _table(personas, "opened").published.values == before


def test_the_page_draws_accessible_charts_and_the_pdf_carries_the_same_figures(personas: Personas) -> None:
    _seed(personas)
    client = client_for(personas.admin, personas.vault_keys["admin"])
    page = client.get("/insights/").content.decode()
    assert 'role="img"' in page and '<title id="chart-registered-title">Experiences registered</title>' in page
    description = re.search(r'<desc id="chart-registered-desc">(.*?)</desc>', page)
    assert description and "Unwanted touching:" in description.group(1)
    assert "&lt;5" in page and "withheld" in page
    assert "<script" not in page.split("<main", 1)[1]  # nothing needs JavaScript
    response = client.get("/insights/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Experiences registered" in text and "<5" in text and "withheld" in text and "2025-H2" in text


def test_the_transparency_report_counts_refused_changes_at_once_and_shows_a_checkpoint_that_verifies(
    personas: Personas, tmp_path: Path
) -> None:
    org = personas.organization
    cases = past_cases(org, "formal", "final", 6)
    for index, case in enumerate(cases):
        decided(case, upheld=True, appeal=False if index < 2 else None)
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    page = client.get("/transparency/").content.decode()
    assert re.search(r"Formal cases decided</th><td>6<", page)
    # Four not appealed and two reversed: each column's total is small, so the decisions
    # table is its total alone, and the report does not split it either.
    assert re.search(r"Decisions reversed on appeal</th><td>not shown<", page)
    assert '<strong id="refused-changes">0</strong>' in page
    decision_change_refused(personas.admin, cases[0].pk, "decide")
    ledger_checkpoint(chain_for(org.pk))
    page = client.get("/transparency/").content.decode()
    assert '<strong id="refused-changes">1</strong>' in page
    shown = re.search(r'<pre class="mono"[^>]*>(.*?)</pre>', page, re.S)
    assert shown is not None
    checkpoint = json.loads(shown.group(1).replace("&quot;", '"'))
    file = tmp_path / "checkpoint.json"
    file.write_text(json.dumps(checkpoint))
    call_command("ledger", "verify", "--chain", checkpoint["chain"], "--checkpoint", str(file))


def test_the_transparency_report_counts_each_person_step_and_case_once_and_only_real_cases(
    personas: Personas,
) -> None:
    org = personas.organization
    cases = past_cases(org, "formal", "deliberation", 2)
    for _attempt in range(3):
        decision_change_refused(personas.admin, cases[0].pk, "decide")
    decision_change_refused(personas.admin, cases[0].pk, "vote")
    decision_change_refused(personas.admin, cases[1].pk, "decide")
    decision_change_refused(personas.oversight, cases[0].pk, "decide")
    assert transparency_report(org).refused_changes == 4
    # A made-up case, or another organization's, is not found and not recorded.
    elsewhere = past_cases(personas.other_organization, "formal", "deliberation", 1)[0]
    for case_id in (uuid.uuid4(), elsewhere.pk):
        with pytest.raises(Http404):
            decision_change_refused(personas.admin, case_id, "decide")
    # What the ledger may already hold about cases that never were is not counted either.
    for case_ref in ("unknown", str(uuid.uuid4()), str(elsewhere.pk)):
        with transaction.atomic():
            ledger_append(
                organization_id=org.pk,
                actor=personas.admin.pseudonym,
                action="case.decision_change_refused",
                refs={"case": case_ref, "action": "decide"},
            )
    assert transparency_report(org).refused_changes == 4
    page = client_for(personas.survivor, personas.vault_keys["survivor"]).get("/transparency/").content.decode()
    assert '<strong id="refused-changes">4</strong>' in page and "counted once per step and case" in page
