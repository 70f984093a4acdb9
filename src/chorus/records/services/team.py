"""The advocate team's key pair: made when first needed, sealed to each advocate.

The private half never exists unsealed outside a request of an advocate who holds it;
administrators never hold it (DESIGN.md "Advocate team key").
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from chorus.accounts.models import Member, Organization
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Reader
from chorus.records.models import TeamKey, TeamKeyHolder

ADVOCATE = "advocate"


class AccessRefused(Exception):
    """The reader may not (or may no longer) read this; the message says which."""


def advocates_of(organization: Organization) -> QuerySet[Member]:
    return Member.objects.filter(organization=organization, is_active=True, roles__role=ADVOCATE, keys__isnull=False)


def team_key_ensure(organization: Organization) -> TeamKey | None:
    """The team key, made now (sealed to every current advocate) if there is none yet.

    None when the organization has no advocate to hold it.
    """
    existing = TeamKey.objects.filter(organization=organization).first()
    if existing is not None:
        return existing
    advocates = list(advocates_of(organization).select_related("keys"))
    if not advocates:
        return None
    pair = keys.new_key_pair()
    try:
        with transaction.atomic():
            team_key = TeamKey.objects.create(organization=organization, public_key=pair.public_key)
            for advocate in advocates:
                TeamKeyHolder.objects.create(
                    team_key=team_key,
                    member=advocate,
                    private_key_sealed=keys.seal_to(keys.member_public_key(advocate), pair.private_key),
                )
            ledger_append(
                organization_id=organization.pk,
                actor="system",
                action="team_key.created",
                refs={"holders": sorted(advocate.pseudonym for advocate in advocates)},
            )
    except IntegrityError:  # another request made it first
        return TeamKey.objects.get(organization=organization)
    return team_key


def team_private_key(reader: Reader) -> bytes:
    holder = TeamKeyHolder.objects.filter(
        member=reader.member, team_key__organization=reader.member.organization
    ).first()
    if holder is None or not reader.member.has_role(ADVOCATE):
        raise AccessRefused("You do not hold the advocate team's key yet. Another advocate's next visit passes it on.")
    return keys.open_from(keys.member_private_key(reader.member, reader.vault_key), holder.private_key_sealed)


def team_key_distribute(reader: Reader) -> int:
    """Pass the team key on to advocates who lack it; take it back from former advocates.

    Runs when an advocate who holds it opens the inbox. Returns how many received it.
    (A former advocate could have kept a copy of what they held; see the README.)
    """
    team_key = TeamKey.objects.filter(organization=reader.member.organization).first()
    if team_key is None:
        return 0
    former = TeamKeyHolder.objects.filter(team_key=team_key).exclude(member__in=advocates_of(team_key.organization))
    former_pseudonyms = sorted(former.values_list("member__pseudonym", flat=True))
    if former_pseudonyms:
        with transaction.atomic():
            former.delete()
            ledger_append(
                organization_id=team_key.organization_id,
                actor=reader.member.pseudonym,
                action="team_key.withdrawn",
                refs={"from": former_pseudonyms},
            )
    missing = list(advocates_of(team_key.organization).exclude(team_key_holdings__team_key=team_key))
    if not missing:
        return 0
    try:
        private = team_private_key(reader)
    except AccessRefused:
        return 0
    with transaction.atomic():
        for advocate in missing:
            TeamKeyHolder.objects.get_or_create(
                team_key=team_key,
                member=advocate,
                defaults={"private_key_sealed": keys.seal_to(keys.member_public_key(advocate), private)},
            )
        ledger_append(
            organization_id=team_key.organization_id,
            actor=reader.member.pseudonym,
            action="team_key.shared",
            refs={"with": sorted(advocate.pseudonym for advocate in missing)},
        )
    return len(missing)
