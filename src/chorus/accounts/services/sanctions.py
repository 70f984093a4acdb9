"""A sanction (or interim measure) decided in a case is carried out by a membership change
proposed from it (``lifecycle.member_suspend`` / ``member_remove`` with ``measure=``): the
case page calls ``sanction_carried_out`` to show that it was done, when, and by whom.

The change holds a keyed hash of the measure's id (``measure_tag``), not the measure: the
server, holding its secret key, finds the changes of a case's measures; a database dump does
not tie the member to the case in which they were the respondent.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from chorus.accounts import keyring
from chorus.accounts.models import Member, MembershipChange
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


def measure_tag(measure_id: object) -> bytes:
    """The keyed hash a membership change keeps of the measure it carries out."""
    return hmac.digest(keyring.server_key(b"chorus.sanction"), str(measure_id).encode(), "sha256")


def sanction_carried_out(measure: Measure) -> list[CarriedOut]:
    """The membership changes proposed to carry out ``measure``, oldest first, with who
    proposed and who decided each: for the case page ("carried out on …, by …")."""
    return sanctions_carried_out([measure]).get(measure.pk, [])


def sanctions_carried_out(measures: list[Measure]) -> dict[object, list[CarriedOut]]:
    """``sanction_carried_out`` for several measures of a case in one query, by measure id."""
    by_tag = {measure_tag(measure.pk): measure.pk for measure in measures}
    if not by_tag:
        return {}
    rows = (
        MembershipChange.objects.filter(measure_tag__in=list(by_tag))
        .select_related("proposed_by", "decided_by")
        .order_by("proposed_at")
    )
    found: dict[object, list[CarriedOut]] = {}
    for change in rows:
        found.setdefault(by_tag[bytes(change.measure_tag or b"")], []).append(
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


_CARRIED_OUT_KINDS = (Measure.Kind.SANCTION, Measure.Kind.INTERIM)
_DECIDED = (Measure.Status.AGREED, Measure.Status.DONE)


def _owned_by(measure: Measure, member: Member) -> bool:
    from chorus.cases.keys import member_tag  # cases imports accounts; this way round only here

    owner = measure.owner
    return (
        owner is not None
        and owner.case_id == measure.case_id
        and owner.recused_at is None
        and bytes(owner.tag or b"") == member_tag(member)
    )


def carrying_out_allowed(measure: Measure, member: Member) -> bool:
    """Whether ``member`` may propose, from the case, the change that carries ``measure`` out:
    a decided sanction or interim measure whose owner (the person the decision gave it to)
    is ``member``, an active administrator of the case's organization. Anyone else proposes
    suspensions from the members page, without a link to any case."""
    return (
        measure.kind in _CARRIED_OUT_KINDS
        and measure.status in _DECIDED
        and member.is_active
        and member.organization_id == measure.case.organization_id
        and member.has_role("admin")
        and _owned_by(measure, member)
    )


def respondent_of(measure: Measure) -> Member | None:
    """The member who is the respondent of ``measure``'s case (the case keeps them sealed for
    the server, ``cases.services.core.party_member``): for the owner who carries it out."""
    from chorus.cases.services.core import party_member  # cases imports accounts; this way round only here

    respondents = [p for p in measure.case.parties.all() if p.role == "respondent" and p.member_sealed is not None]
    return party_member(respondents[0]) if len(respondents) == 1 else None


def measure_to_carry_out(measure_id: UUID, member: Member, person: Member) -> Measure | None:
    """The measure ``member`` carries out on ``person`` from a link on the case page, or None
    when the link does not hold (another organization, not the owner, not the respondent):
    the members page then answers as for any unknown address."""
    measure = Measure.objects.select_related("case", "owner").filter(pk=measure_id).first()
    if measure is None or not carrying_out_allowed(measure, member):
        return None
    respondent = respondent_of(measure)
    return measure if respondent is not None and respondent.pk == person.pk else None
