from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts import keyring
from chorus.accounts.errors import DisplayNameRefused
from chorus.accounts.models import Member, MemberRole, Organization
from chorus.accounts.names import MAX_KEY, name_clean, name_key
from chorus.accounts.roles import BY_CODE, POWER_ROLES, ROLE_CODES, separation_conflict
from chorus.guidance.services import guidance_seed
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
        guidance_seed(organization=organization)
    return organization


def display_name_available(organization: Organization, display_name: str) -> str:
    """The name as it will be stored, or DisplayNameRefused saying why it cannot be used."""
    cleaned = name_clean(display_name)
    key = name_key(cleaned)
    if not key:
        raise DisplayNameRefused(_("Enter a name others can read."))
    if len(key) > MAX_KEY:
        raise DisplayNameRefused(_("That name is too long. Choose a shorter one."))
    if Member.objects.filter(organization=organization, display_name_key=key).exists():
        raise DisplayNameRefused(
            _(
                "Someone in this organization already uses the name %(name)s. Choose another, for example "
                "with an initial, so nobody can be mistaken for you."
            )
            % {"name": cleaned}
        )
    return cleaned


def member_create(
    *,
    organization: Organization,
    email: str,
    display_name: str,
    password: str,
    roles: set[str],
    actor: str,
    founding: bool = True,
) -> tuple[Member, str, bytes]:
    """Create a member with keys. Returns (member, recovery code, vault key).

    ``founding``: made by the deployment's operator (``chorus demo``, an organization's
    setup), so its roles and membership stand as the operator's act, recorded as such and
    shown to members. An invitation makes members with ``founding=False``: unconfirmed, and
    holding no power role (those are proposed, then approved by a second person).
    """
    unknown = roles - set(ROLE_CODES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    if not founding and roles & set(POWER_ROLES):
        raise ValueError("power roles are proposed and approved, not given at sign-up")
    for role in roles:
        if separation_conflict(roles - {role}, role):
            raise ValueError(f"roles cannot be combined: {sorted(roles)}")
    display_name = display_name_available(organization, display_name)
    with transaction.atomic():
        member = Member.objects.create(
            organization=organization,
            email=email.strip().lower(),
            display_name=display_name,
            confirmed_at=timezone.now() if founding else None,
            confirmation="founding" if founding else "",
        )
        recovery_code, vault_key = keyring.keyring_create(member, password)
        MemberRole.objects.bulk_create(
            MemberRole.sealed(member=member, role=role, approval="founding" if BY_CODE[role].is_power else "direct")
            for role in sorted(roles)
        )
        if "oversight" in roles and organization.oversight_since is None:
            Organization.objects.filter(pk=organization.pk, oversight_since__isnull=True).update(
                oversight_since=timezone.now()
            )
        ledger_append(
            organization_id=organization.pk,
            actor=actor,
            action="member.created",
            refs={"member": member.pseudonym, "roles": sorted(roles), "founding": founding},
        )
    return member, recovery_code, vault_key


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
