"""The transparency report every member can see: what the processes did, and how often
someone tried to change a decision outside the appeal path.

Figures about cases are as of the start of the quarter, and a figure under the threshold
is shown as "<5", as in every other table: "one case was appealed this week" next to a
colleague's hearing would say whose. The count of refused attempts to change a decision
is different: it is about those who hold power over the process, not about anyone who
reported, so it is exact and up to date. It counts real attempts: each person once per
deciding step and case, and only on cases of this organization (the ledger may hold older
events about case ids that never existed; they are not counted).

These figures need no complementary suppression: each is a single count, shown exactly
when it is 0 or at least the threshold and as "<5" (1 to 4) otherwise, and what links them
is only "at most" (no more cases ended than were opened, no more reversed than appealed),
which never pins a "<5": all of them equal to 1, or all equal to 2, fits. "Cases opened"
is also the grand total of three insights tables, which is why those tables never
withhold their grand total (``disclosure._complement_for``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Organization
from chorus.cases.models import Case
from chorus.insights.aggregates import Source, snapshot
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for

REFUSED_ACTION = "case.decision_change_refused"


@dataclass(frozen=True)
class Figure:
    label: str | Promise
    count: int
    threshold: int

    @property
    def small(self) -> bool:
        return 0 < self.count < self.threshold

    @property
    def shown(self) -> str:
        return f"<{self.threshold}" if self.small else str(self.count)


@dataclass(frozen=True)
class Transparency:
    as_of: datetime
    figures: list[Figure]
    refused_changes: int


def transparency_report(organization: Organization, *, as_of: datetime | None = None) -> Transparency:
    as_of = as_of or snapshot()
    threshold = settings.CHORUS_INSIGHTS_THRESHOLD
    source = Source(organization, as_of)
    outcomes = [source.appeal_outcome(case_id) for case_id in source.decisions]
    counts = [
        (_("Cases opened"), len(source.cases)),
        (
            _("Cases ended (closed or withdrawn)"),
            sum(c.closed_at is not None and c.closed_at < as_of for c in source.cases),
        ),
        (_("Formal cases decided"), len(outcomes)),
        (_("Decisions appealed"), len(source.appeals)),
        (_("Decisions reversed on appeal"), outcomes.count("reversed")),
    ]
    return Transparency(
        as_of=as_of,
        figures=[Figure(label, count, threshold) for label, count in counts],
        refused_changes=refused_changes(organization),
    )


def _case_id(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def refused_changes(organization: Organization) -> int:
    """Refused attempts to set or change a decision: one per (person, step, case), for cases
    of this organization. Each member's refused attempts are rate-limited where they are
    made (``cases.services.act``), so the events read here stay few."""
    attempts = {
        (actor, _case_id(refs.get("case")), refs.get("action"))
        for actor, refs in LedgerEvent.objects.filter(
            chain=chain_for(organization.pk), action=REFUSED_ACTION
        ).values_list("actor", "refs")
    }
    named = {case_id for _actor, case_id, _step in attempts if case_id is not None}
    real = set(Case.objects.filter(organization=organization, pk__in=named).values_list("pk", flat=True))
    return sum(case_id in real for _actor, case_id, _step in attempts)
