"""Offboarding someone who leaves a role with power (an advocate leaving, a panel member
stepping down) while they stay a member.

One administrator does it, at once, as any removal of a role (one person may always reduce
power: ``accounts/services/power.py``): every power role goes, the team keys they held are
retired straight away (``records.services.team``), the invitations they sent stop working if
they were an administrator, and it is ledgered. What they were doing is listed first, so it
can be handed over: the seats they hold in open cases (which end with the role), the measures
they were to carry out, and the records survivors shared with them personally (only the
survivor can share those again with someone else).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from chorus.accounts.models import Member
from chorus.accounts.roles import POWER_ROLES
from chorus.accounts.services.leaving import invitations_withdraw, proposals_close, team_keys_rotate
from chorus.accounts.services.power import PowerRefused, roles_remove
from chorus.cases.keys import member_tag
from chorus.cases.machine import Role
from chorus.cases.models import Measure, Party
from chorus.ledger.services import ledger_append
from chorus.records.models import Grant

# Seats given for a role or a task, which someone else must take over.
_HANDED_OVER = (Role.FACILITATOR, Role.INVESTIGATOR, Role.PANEL, Role.APPEAL_PANEL, Role.OWNER)


@dataclass(frozen=True)
class Assignment:
    case: str  # the case's reference, or when it was opened
    seat: str
    since: datetime | None


@dataclass(frozen=True)
class Handover:
    roles: list[str]  # power roles held now
    seats: list[Assignment]
    measures: int  # open measures they were to carry out
    personal_shares: int


def _case_label(party: Party) -> str:
    reference = getattr(party.case, "reference", None)
    if reference:
        return str(reference)
    return _("the case opened on %(date)s") % {"date": formats.date_format(party.case.opened_at, "DATE_FORMAT")}


def handover_of(member: Member) -> Handover:
    """What ``member`` holds and does that someone else must take over."""
    seats = (
        Party.objects.filter(
            tag=member_tag(member),
            role__in=_HANDED_OVER,
            joined_at__isnull=False,
            recused_at__isnull=True,
            case__closed_at__isnull=True,
            case__organization_id=member.organization_id,
        )
        .select_related("case")
        .order_by("case__opened_at")
    )
    owned = Measure.objects.filter(
        owner__in=seats.filter(role=Role.OWNER), status__in=[Measure.Status.REQUESTED, Measure.Status.AGREED]
    )
    return Handover(
        roles=sorted(member.role_codes & set(POWER_ROLES)),
        seats=[
            Assignment(case=_case_label(party), seat=str(Role(party.role).label), since=party.joined_at)
            for party in seats
        ],
        measures=owned.count(),
        personal_shares=Grant.objects.filter(grantee=member, revoked_at__isnull=True).count(),
    )


def member_offboard(*, member: Member, actor: Member) -> list[str]:
    """Removes every power role ``member`` holds, now, and retires the team keys they held.
    Returns the roles removed. Refuses the organization's last administrator."""
    if actor.organization_id != member.organization_id:
        raise PowerRefused(_("That person is not part of your organization."))
    if not actor.is_active or not actor.has_role("admin"):
        raise PowerRefused(_("Only an administrator of this organization offboards its members."))
    roles = member.role_codes & set(POWER_ROLES)
    if not roles:
        raise PowerRefused(_("%(name)s holds no role with power. Nothing was changed.") % {"name": member.display_name})
    with transaction.atomic():
        roles_remove(member=member, roles=roles, actor=actor)
        proposals_close(member, actor=actor.pseudonym)  # no power comes back through a pending proposal
        if "admin" in roles:
            invitations_withdraw(member, actor=actor.pseudonym)
        ledger_append(
            organization_id=member.organization_id,
            actor=actor.pseudonym,
            action="member.offboarded",
            refs={"member": member.pseudonym, "roles": sorted(roles)},
        )
        team_keys_rotate(member.organization, actor=actor.pseudonym)
    return sorted(roles)
