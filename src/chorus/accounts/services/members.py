from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from chorus.accounts import keyring
from chorus.accounts.errors import LastAdministrator
from chorus.accounts.models import Member, MemberRole, Organization
from chorus.accounts.roles import ROLE_CODES
from chorus.ledger.services import ledger_append


def organization_create(*, name: str, slug: str) -> Organization:
    with transaction.atomic():
        organization = Organization.objects.create(name=name, slug=slug)
        ledger_append(
            organization_id=organization.pk,
            actor="platform",
            action="organization.created",
            refs={"organization": slug},
        )
    return organization


def member_create(
    *,
    organization: Organization,
    email: str,
    display_name: str,
    password: str,
    roles: set[str],
    actor: str,
) -> tuple[Member, str, bytes]:
    """Create a member with keys. Returns (member, recovery code, vault key)."""
    unknown = roles - set(ROLE_CODES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    with transaction.atomic():
        member = Member.objects.create(
            organization=organization, email=email.strip().lower(), display_name=display_name
        )
        recovery_code, vault_key = keyring.keyring_create(member, password)
        MemberRole.objects.bulk_create(MemberRole(member=member, role=role) for role in sorted(roles))
        ledger_append(
            organization_id=organization.pk,
            actor=actor,
            action="member.created",
            refs={"member": member.pseudonym, "roles": sorted(roles)},
        )
    return member, recovery_code, vault_key


def member_set_roles(*, member: Member, roles: set[str], actor: Member) -> None:
    unknown = roles - set(ROLE_CODES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    with transaction.atomic():
        if "admin" not in roles:
            # Locked, so two administrators removing each other at once cannot both succeed.
            admins = set(
                MemberRole.objects.select_for_update()
                .filter(member__organization_id=member.organization_id, member__is_active=True, role="admin")
                .values_list("member_id", flat=True)
            )
            if admins == {member.pk}:
                raise LastAdministrator(_("An organization needs at least one administrator. Nothing was changed."))
        current = set(MemberRole.objects.filter(member=member).values_list("role", flat=True))
        if current == roles:
            return
        MemberRole.objects.filter(member=member).exclude(role__in=roles).delete()
        MemberRole.objects.bulk_create(MemberRole(member=member, role=role) for role in sorted(roles - current))
        ledger_append(
            organization_id=member.organization_id,
            actor=actor.pseudonym,
            action="member.roles_changed",
            refs={"member": member.pseudonym, "added": sorted(roles - current), "removed": sorted(current - roles)},
        )
    member.refresh_roles()


def recovery_code_replace(*, member: Member, vault_key: bytes) -> str:
    """A new recovery code for the same vault; the old code stops working."""
    with transaction.atomic():
        code = keyring.keyring_new_recovery_code(member, vault_key)
        ledger_append(
            organization_id=member.organization_id,
            actor=member.pseudonym,
            action="recovery_code.replaced",
        )
    return code


def member_set_language(*, member: Member, language: str) -> None:
    """A display preference, not a step of any process: kept on the account (so every device
    and every email follows it) and, unlike process changes, not written to the ledger."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language: {language!r}")
    member.language = language
    member.save(update_fields=["language"])
