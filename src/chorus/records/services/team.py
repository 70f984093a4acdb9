"""A team's key pair: made when first needed, sealed to each member of the team.

The advocates' key opens what survivors share with the advocate team; the commission's
opens the stories survivors contribute. The private half never exists unsealed outside a
request of a team member who holds it; administrators never hold it (DESIGN.md
"Advocate team key").
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from chorus.accounts.models import Member, Organization
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Reader
from chorus.records.models import TeamKey, TeamKeyHolder

ADVOCATE = "advocate"
COMMISSION = "commission"
_REFUSALS = {
    ADVOCATE: gettext_lazy("You do not hold the advocate team's key yet. Another advocate's next visit passes it on."),
    COMMISSION: gettext_lazy(
        "You do not hold the commission's key yet. Another commission member's next visit passes it on."
    ),
}


class AccessRefused(Exception):
    """The reader may not (or may no longer) read this; the message says which."""


def team_members(organization: Organization, role: str) -> QuerySet[Member]:
    return Member.objects.filter(organization=organization, is_active=True, roles__role=role, keys__isnull=False)


def advocates_of(organization: Organization) -> QuerySet[Member]:
    return team_members(organization, ADVOCATE)


def team_key_of(organization: Organization, role: str = ADVOCATE) -> TeamKey | None:
    return TeamKey.objects.filter(organization=organization, role=role).first()


def team_key_ensure(organization: Organization, role: str = ADVOCATE) -> TeamKey | None:
    """The team key, made now (sealed to every current team member) if there is none yet.

    None when the organization has nobody in the role to hold it.
    """
    existing = team_key_of(organization, role)
    if existing is not None:
        return existing
    holders = list(team_members(organization, role).select_related("keys"))
    if not holders:
        return None
    pair = keys.new_key_pair()
    try:
        with transaction.atomic():
            team_key = TeamKey.objects.create(organization=organization, role=role, public_key=pair.public_key)
            for holder in holders:
                TeamKeyHolder.objects.create(
                    team_key=team_key,
                    member=holder,
                    private_key_sealed=keys.seal_to(keys.member_public_key(holder), pair.private_key),
                )
            ledger_append(
                organization_id=organization.pk,
                actor="system",
                action="team_key.created",
                refs={"role": role, "holders": sorted(holder.pseudonym for holder in holders)},
            )
    except IntegrityError:  # another request made it first
        return TeamKey.objects.get(organization=organization, role=role)
    return team_key


def team_private_key(reader: Reader, role: str = ADVOCATE) -> bytes:
    holder = TeamKeyHolder.objects.filter(
        member=reader.member, team_key__organization=reader.member.organization, team_key__role=role
    ).first()
    if holder is None or not reader.member.has_role(role):
        raise AccessRefused(_REFUSALS[role])
    return keys.open_from(keys.member_private_key(reader.member, reader.vault_key), holder.private_key_sealed)


def team_key_distribute(reader: Reader, role: str = ADVOCATE) -> int:
    """Pass the team key on to members of the role who lack it; take it back from former ones.

    Runs when a member who holds it opens their team's page (the advocates' inbox, the
    commission's stories). Returns how many received it. (A former member could have kept
    a copy of what they held; see the README.)
    """
    team_key = team_key_of(reader.member.organization, role)
    if team_key is None:
        return 0
    former = TeamKeyHolder.objects.filter(team_key=team_key).exclude(
        member__in=team_members(team_key.organization, role)
    )
    former_pseudonyms = sorted(former.values_list("member__pseudonym", flat=True))
    if former_pseudonyms:
        with transaction.atomic():
            former.delete()
            ledger_append(
                organization_id=team_key.organization_id,
                actor=reader.member.pseudonym,
                action="team_key.withdrawn",
                refs={"role": role, "from": former_pseudonyms},
            )
    missing = list(team_members(team_key.organization, role).exclude(team_key_holdings__team_key=team_key))
    if not missing:
        return 0
    try:
        private = team_private_key(reader, role)
    except AccessRefused:
        return 0
    with transaction.atomic():
        for holder in missing:
            TeamKeyHolder.objects.get_or_create(
                team_key=team_key,
                member=holder,
                defaults={"private_key_sealed": keys.seal_to(keys.member_public_key(holder), private)},
            )
        ledger_append(
            organization_id=team_key.organization_id,
            actor=reader.member.pseudonym,
            action="team_key.shared",
            refs={"role": role, "with": sorted(holder.pseudonym for holder in missing)},
        )
    return len(missing)
