"""Offboarding someone who leaves a role with power (an advocate leaving, a panel member
stepping down) while they stay a member.

One administrator does it, at once, as any removal of a role (one person may always reduce
power: ``accounts/services/power.py``), except where one person taking power away would
lose the organization something no second person could bring back: the only active
oversight member is refused (as for a suspension), and so is the only holder of the
advocate team's or the commission's key (what was shared with the team would be unreadable
for good). Nor does an administrator offboard the only other administrator: they would be
left the last one, whom nobody suspends. Every power role goes, the team keys they held are
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
from chorus.accounts.roles import POWER_ROLES, ROLE_LABELS
from chorus.accounts.services.leaving import (
    invitations_withdraw,
    proposals_close,
    team_keys_held_alone,
    team_keys_rotate,
)
from chorus.accounts.services.power import (
    PowerRefused,
    only_oversight_refusal,
    refuse_only_oversight,
    roles_remove,
    sole_administrator_refusal,
)
from chorus.cases.keys import member_tag
from chorus.cases.machine import Role
from chorus.cases.models import Measure, Party
from chorus.ledger.services import ledger_append
from chorus.records.models import Grant, Purpose

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
        personal_shares=Grant.objects.filter(grantee=member, revoked_at__isnull=True)
        .exclude(purpose=Purpose.ALLY)  # a request to step in reaches no one but the two of them
        .count(),
    )


def team_key_refusal(member: Member, roles: set[str], *, lock: bool = False) -> str | None:
    """Why ``member`` may not give up ``roles`` now: they alone hold one of those teams' keys."""
    alone = [role for role in team_keys_held_alone(member, lock=lock) if role in roles]
    if not alone:
        return None
    return _(
        "%(name)s is the only one holding the team key of: %(roles)s. Without it, nobody could read what was shared "
        "with the team, not even a newcomer. Have a second holder approved first, and ask them to open the "
        "team's page so the key passes on to them. Nothing was changed."
    ) % {"name": member.display_name, "roles": ", ".join(str(ROLE_LABELS[role]) for role in alone)}


def offboarding_refusal(member: Member, actor: Member) -> str | None:
    """Why offboarding ``member`` is refused, shown on the page before ``actor`` tries: the
    only active oversight member, the only holder of a team's key, or the only other
    administrator (``power.sole_administrator_refusal``)."""
    roles = member.role_codes & set(POWER_ROLES)
    if "oversight" in roles and not set(Member.objects.holding(member.organization_id, "oversight")) - {member}:
        return only_oversight_refusal(member)
    if "admin" in roles:
        refusal = sole_administrator_refusal(member, actor)
        if refusal is not None:
            return refusal
    return team_key_refusal(member, roles)


def member_offboard(*, member: Member, actor: Member) -> list[str]:
    """Removes every power role ``member`` holds, now, and retires the team keys they held.
    Returns the roles removed. Refuses the organization's last administrator, its only
    active oversight member and the only holder of a team's key."""
    if actor.organization_id != member.organization_id:
        raise PowerRefused(_("That person is not part of your organization."))
    if not actor.is_active or not actor.has_role("admin"):
        raise PowerRefused(_("Only an administrator of this organization offboards its members."))
    roles = member.role_codes & set(POWER_ROLES)
    if not roles:
        raise PowerRefused(_("%(name)s holds no role with power. Nothing was changed.") % {"name": member.display_name})
    with transaction.atomic():
        refuse_only_oversight(member)
        refusal = team_key_refusal(member, roles, lock=True)
        if refusal is not None:
            raise PowerRefused(refusal)
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
