"""The transparency report every member can see: what the processes did, and how often
someone tried to change a decision outside the appeal path.

Figures about cases are as of the start of the quarter, and a figure under the threshold
is shown as "<5", as in every other table: "one case was appealed this week" next to a
colleague's hearing would say whose. The count of refused attempts to change a decision
is different: it is about those who hold power over the process, not about anyone who
reported, so it is exact and up to date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Organization
from chorus.cases.machine import Pathway
from chorus.cases.models import Appeal, Case, Decision
from chorus.insights.aggregates import appeal_outcome, snapshot
from chorus.ledger.models import LedgerCheckpoint, LedgerEvent
from chorus.ledger.services import chain_for

REFUSED_ACTION = "case.decision_change_refused"


@dataclass(frozen=True)
class Figure:
    label: str | Promise
    count: int
    threshold: int

    @property
    def shown(self) -> str:
        return f"<{self.threshold}" if 0 < self.count < self.threshold else str(self.count)


@dataclass(frozen=True)
class Transparency:
    as_of: datetime
    figures: list[Figure]
    refused_changes: int
    checkpoint: LedgerCheckpoint | None


def transparency_report(organization: Organization, *, as_of: datetime | None = None) -> Transparency:
    as_of = as_of or snapshot()
    threshold = settings.CHORUS_INSIGHTS_THRESHOLD
    cases = Case.objects.filter(organization=organization, opened_at__lt=as_of).exclude(pathway=Pathway.SELF)
    formal = cases.filter(pathway=Pathway.FORMAL).select_related("appeal").prefetch_related("decisions")
    decided = Decision.objects.filter(case__in=cases, stage="panel", decided_at__lt=as_of)
    counts = [
        (_("Cases opened"), cases.count()),
        (_("Cases ended (closed or withdrawn)"), cases.filter(closed_at__lt=as_of).count()),
        (_("Formal cases decided"), decided.values("case").distinct().count()),
        (_("Decisions appealed"), Appeal.objects.filter(case__in=cases, filed_at__lt=as_of).count()),
        (_("Decisions reversed on appeal"), sum(appeal_outcome(case, as_of) == "reversed" for case in formal)),
    ]
    chain = chain_for(organization.pk)
    return Transparency(
        as_of=as_of,
        figures=[Figure(label, count, threshold) for label, count in counts],
        refused_changes=LedgerEvent.objects.filter(chain=chain, action=REFUSED_ACTION).count(),
        checkpoint=LedgerCheckpoint.objects.filter(chain=chain).order_by("-seq").first(),
    )
