"""Time in each stage and the share within target: counted from the stages' dates as of the
quarter's start, published with the same suppression as every table, and attacked the same way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chorus.accounts.models import Organization
from chorus.cases.models import StagePeriod
from chorus.cases.services.stages import targets_set
from chorus.insights.aggregates import Insight, snapshot
from chorus.insights.disclosure import Mark
from chorus.insights.stage_times import stage_times
from tests.escrow.factory import client_for
from tests.insights.factory import LAST_QUARTER, past_cases
from tests.insights.test_disclosure import attack
from tests.insights.test_disclosure_attack import truthful
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def _stays(
    organization: Organization, pathway: str, state: str, days: float, count: int, *, ongoing: bool = False
) -> None:
    for case in past_cases(organization, pathway, state, count):
        entered = LAST_QUARTER - timedelta(days=days + 1)
        StagePeriod.objects.create(
            case=case,
            pathway=pathway,
            state=state,
            entered_at=entered,
            left_at=None if ongoing else entered + timedelta(days=days),
        )


def _row(insight: Insight, label: str) -> list[str]:
    return dict(insight.grid())[label]


def test_it_counts_finished_stages_by_time_and_against_the_target(personas: Personas) -> None:
    organization = personas.organization
    _stays(organization, "formal", "filed", 3, 12)  # within the 7-day default
    _stays(organization, "formal", "filed", 12, 6)  # past it
    _stays(organization, "formal", "investigation", 20, 9)
    _stays(organization, "formal", "notice", 40, 7, ongoing=True)  # still open, past 14 days
    result = stage_times(organization)
    assert _row(result.time, "Formal process: Filed")[:2] == ["12", "6"]
    assert _row(result.time, "Formal process: Investigation")[1] == "9"
    assert "Formal process: Notice given" not in dict(result.time.grid())  # not finished: no time yet
    assert _row(result.target, "Formal process: Filed") == ["12", "6", "18"]
    assert _row(result.target, "Formal process: Notice given") == ["0", "7", "7"]
    assert dict(result.shares)["Formal process: Filed"] == "67%"


def test_the_organizations_targets_decide_what_is_within(personas: Personas) -> None:
    organization = personas.organization
    _stays(organization, "formal", "filed", 12, 6)
    targets_set(organization=organization, actor=personas.admin, targets={("formal", "filed"): 14})
    assert _row(stage_times(organization).target, "Formal process: Filed")[:2] == ["6", "0"]


def test_stays_after_the_quarter_began_are_not_counted(personas: Personas) -> None:
    organization = personas.organization
    case = past_cases(organization, "formal", "filed", 1)[0]
    StagePeriod.objects.create(case=case, pathway="formal", state="filed", entered_at=snapshot() + timedelta(hours=1))
    result = stage_times(organization)
    assert result.time.empty and result.target.empty


@pytest.mark.parametrize(
    "stays",
    [
        [("filed", 3, 2)],
        [("filed", 3, 1), ("filed", 12, 1), ("notice", 3, 6)],
        [("filed", 3, 7), ("filed", 12, 2), ("notice", 3, 3), ("notice", 20, 8), ("investigation", 100, 1)],
        [("filed", 3, 9), ("notice", 20, 4), ("investigation", 50, 5), ("report", 2, 6)],
    ],
)
def test_small_counts_cannot_be_worked_out_from_the_published_tables(
    personas: Personas, stays: list[tuple[str, float, int]]
) -> None:
    for state, days, count in stays:
        _stays(personas.organization, "formal", state, days, count)
    result = stage_times(personas.organization)
    for insight in (result.time, result.target):
        published = insight.published
        assert attack(published) == []
        counts = [list(row) for row in published.table.counts]
        truthful(published, counts)
    # A share is worked out only from shown figures.
    for row, (label, share) in enumerate(result.shares):
        if share != "—":
            assert result.target.published.marks[row][0] is Mark.SHOWN, label


def test_the_insights_page_shows_the_stage_tables(personas: Personas) -> None:
    _stays(personas.organization, "formal", "filed", 3, 12)
    client = client_for(personas.admin, personas.vault_keys["admin"])
    page = client.get("/insights/").content.decode()
    assert "Time in each stage" in page and "Stages within the organization" in page
    assert 'id="stage-target-shares"' in page
