"""A sanction (or interim measure) decided in a case is carried out by a membership change
proposed from it (``lifecycle.member_suspend`` / ``member_remove`` with ``measure=``): the
case page calls ``sanction_carried_out`` to show that it was done, when, and by whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chorus.accounts.models import MembershipChange
from chorus.cases.models import Measure


@dataclass(frozen=True)
class CarriedOut:
    """What a case page shows of the membership change that carries out one of its measures."""

    change: MembershipChange
    kind: str  # suspend, remove
    outcome: str  # "" while it waits for a second person; approved, declined, withdrawn, expired
    proposed_by: str
    proposed_at: datetime
    decided_by: str
    decided_at: datetime | None

    @property
    def done(self) -> bool:
        return self.outcome == "approved"


def sanction_carried_out(measure: Measure) -> list[CarriedOut]:
    """The membership changes proposed to carry out ``measure``, oldest first, with who
    proposed and who decided each: for the case page ("carried out on …, by …")."""
    return sanctions_carried_out([measure]).get(measure.pk, [])


def sanctions_carried_out(measures: list[Measure]) -> dict[object, list[CarriedOut]]:
    """``sanction_carried_out`` for several measures of a case in one query, by measure id."""
    rows = (
        MembershipChange.objects.filter(measure__in=measures)
        .select_related("proposed_by", "decided_by")
        .order_by("proposed_at")
    )
    found: dict[object, list[CarriedOut]] = {}
    for change in rows:
        found.setdefault(change.measure_id, []).append(
            CarriedOut(
                change=change,
                kind=change.kind,
                outcome="expired" if change.expired else change.outcome,
                proposed_by=change.proposed_by.display_name,
                proposed_at=change.proposed_at,
                decided_by=change.decided_by.display_name if change.decided_by else "",
                decided_at=change.decided_at,
            )
        )
    return found
