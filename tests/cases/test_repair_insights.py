"""Self-initiated plans and their requests for repair in the insights: counted once each,
by outcome, through the same small-count suppression as every table."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chorus.cases.models import Case, RepairRequest
from chorus.insights.aggregates import Insight, insights
from chorus.insights.disclosure import Mark
from tests.insights.factory import LAST_QUARTER, past_cases
from tests.insights.test_disclosure import recovered
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def _answered(case: Case, answer: str) -> None:
    RepairRequest.objects.create(
        case=case,
        status="answered",
        answer=answer,
        requested_at=LAST_QUARTER + timedelta(days=1),
        closed_at=LAST_QUARTER + timedelta(days=9),
        body_sealed=b"sealed",
        key_for_case=b"sealed",
    )


def _table(personas: Personas) -> Insight:
    return next(insight for insight in insights(personas.organization) if insight.spec.key == "self_initiated")


def test_it_counts_plans_and_outcomes_and_hides_small_counts(personas: Personas) -> None:
    past_cases(personas.organization, "self", "plan", 7)
    for case in past_cases(personas.organization, "self", "plan", 8):
        _answered(case, "nothing")
    for case in past_cases(personas.organization, "self", "closed", 2):
        _answered(case, "apology")
    table = _table(personas)
    assert table.spec.title == "Self-initiated accountability"
    values, marks = table.published.values, [list(row) for row in table.published.marks]
    assert values[-1][-1] == 17, "every plan once"
    assert recovered(values, marks) == []
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            assert not (0 < value < 5 and marks[r][c] is Mark.SHOWN), (r, c, value)
    shown = " ".join(figure for _, figures in table.grid() for figure in figures)
    assert "2" not in shown.split(), "the two apologies are not shown as such"


def test_it_leaves_self_initiated_plans_out_of_the_reported_experiences(personas: Personas) -> None:
    past_cases(personas.organization, "self", "plan", 6)
    opened = next(insight for insight in insights(personas.organization) if insight.spec.key == "opened")
    assert opened.published.values[-1][-1] == 0
    assert _table(personas).published.values[-1][-1] == 6
