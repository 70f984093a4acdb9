"""Past records and cases, written straight to the tables the insights count.

Insights count only what existed before the current quarter began, so the data is dated
in the previous quarter. Only plaintext columns matter here; sealed columns hold bytes
that nothing opens.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from chorus.accounts.models import Organization
from chorus.cases.models import Allegation, Appeal, Case, Decision, Item, Measure, Party
from chorus.insights.aggregates import snapshot
from chorus.records.models import Record

LAST_QUARTER = snapshot() - timedelta(days=40)


def registered(organization: Organization, category: str, period: str, count: int) -> None:
    for _ in range(count):
        Record.objects.create(
            organization=organization,
            owner_tag=os.urandom(32),
            key_for_owner=b"sealed",
            created_at=LAST_QUARTER,
            registered_category=category,
            registered_period=period,
        )


def past_cases(
    organization: Organization, pathway: str, state: str, count: int, *, opened_at: datetime = LAST_QUARTER
) -> list[Case]:
    ended = state in ("closed", "withdrawn")
    return [
        Case.objects.create(
            organization=organization,
            pathway=pathway,
            state=state,
            opened_at=opened_at,
            closed_at=opened_at + timedelta(days=20) if ended else None,
        )
        for _ in range(count)
    ]


def responded(case: Case, after: timedelta) -> None:
    """The advocates wrote in the case ``after`` its opening."""
    Item.objects.create(
        case=case, kind="note", compartment="support", author_label="Advocates", created_at=case.opened_at + after
    )


def measure(case: Case, category: str, *, due_in: int, done_in: int | None) -> None:
    Measure.objects.create(
        case=case,
        number=case.measures.count() + 1,
        kind=Measure.Kind.SUPPORTIVE,
        category=category,
        status=Measure.Status.DONE if done_in is not None else Measure.Status.AGREED,
        requested_at=case.opened_at,
        due_at=case.opened_at + timedelta(days=due_in),
        done_at=case.opened_at + timedelta(days=done_in) if done_in is not None else None,
    )


def decided(case: Case, *, upheld: bool, appeal: bool | None = None) -> None:
    """A panel decision on one allegation; ``appeal``: the appeal panel's finding, if appealed."""
    allegation = Allegation.objects.create(case=case, number=1)
    at = case.opened_at + timedelta(days=10)
    Decision.objects.create(case=case, allegation=allegation, stage="panel", upheld=upheld, decided_at=at)
    if appeal is not None:
        party = Party.objects.create(case=case, role="respondent", label="Respondent")
        Appeal.objects.create(case=case, by=party, ground=Appeal.Ground.EVIDENCE, filed_at=at + timedelta(days=2))
        Decision.objects.create(
            case=case, allegation=allegation, stage="appeal", upheld=appeal, decided_at=at + timedelta(days=9)
        )
