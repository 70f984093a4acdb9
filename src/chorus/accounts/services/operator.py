"""What the deployment's operator does from the command line (``chorus organization``):
start an organization with its first administrators and oversight members, and seat a new
administrator or oversight member where the organization has none left.

These are the only roles anyone receives without a second person's approval. They are
recorded in the ledger as the operator's act and shown to every member on "Who holds
power" as "set up by the deployment's operator", so an operator who seats someone does it
in the open. From then on the two-person rule runs inside the organization: the oversight
member approves investigators, panels and further oversight members, and the first
administrator's proposals (see ``accounts/services/power.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.utils import timezone

from chorus.accounts.errors import AccountError
from chorus.accounts.models import Member, MemberRole, Organization
from chorus.accounts.roles import separation_conflict
from chorus.accounts.services.invitations import invitation_by_operator
from chorus.accounts.services.members import organization_create
from chorus.ledger.services import ledger_append

# The roles the operator may give: those that restart two-person approval.
SEATABLE = ("admin", "oversight")


class OperatorRefused(AccountError):
    """The command cannot do what was asked; the message says why and nothing was changed."""


@dataclass
class Founded:
    organization: Organization
    invited: list[tuple[str, str]] = field(default_factory=list)  # (email, role)


def _address(email: str) -> str:
    address = email.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise OperatorRefused(f"{email!r} is not an email address. Nothing was changed.") from None
    return address


def organization_found(*, name: str, slug: str, admins: list[str], oversight: list[str], threshold: int = 2) -> Founded:
    """Create the organization and email its first administrators and oversight members
    their invitations, in one transaction: if any address is refused or an email cannot be
    sent, nothing is created."""
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise OperatorRefused("The organization's name must be 1 to 120 characters. Nothing was changed.")
    try:
        validate_slug(slug)
    except ValidationError:
        raise OperatorRefused(
            f"{slug!r} cannot be a slug: use lower-case letters, digits and hyphens. Nothing was changed."
        ) from None
    if len(slug) > 60:
        raise OperatorRefused("The slug must be at most 60 characters. Nothing was changed.")
    if Organization.objects.filter(slug=slug).exists():
        raise OperatorRefused(f"An organization with the slug {slug!r} exists already. Nothing was changed.")
    if not admins or not oversight:
        raise OperatorRefused(
            "An organization starts with at least one administrator and one oversight member: they are "
            "the two people who approve each other's first proposals. Nothing was changed."
        )
    if not 2 <= threshold <= 10:
        raise OperatorRefused("The escrow threshold must be between 2 and 10. Nothing was changed.")
    wanted = [(_address(email), "admin") for email in admins] + [(_address(email), "oversight") for email in oversight]
    addresses = [email for email, _ in wanted]
    twice = sorted({email for email in addresses if addresses.count(email) > 1})
    if twice:
        raise OperatorRefused(
            f"{', '.join(twice)} is named more than once. An administrator is never also an oversight member "
            "(oversight checks the administrators). Nothing was changed."
        )
    taken = sorted(Member.objects.filter(email__in=addresses).values_list("email", flat=True))
    if taken:
        raise OperatorRefused(f"{', '.join(taken)} already has a Chorus account. Nothing was changed.")
    with transaction.atomic():
        organization = organization_create(name=name, slug=slug)
        # Created with an oversight member: administrators never approve in oversight's place,
        # even before the oversight member has accepted.
        Organization.objects.filter(pk=organization.pk).update(
            escrow_threshold=threshold, oversight_since=timezone.now()
        )
        organization.escrow_threshold = threshold
        founded = Founded(organization=organization)
        for email, role in wanted:
            invitation_by_operator(organization=organization, email=email, roles={role})
            founded.invited.append((email, role))
    return founded


def role_seat(*, organization: Organization, email: str, role: str) -> str:
    """Give ``role`` (administrator or oversight) to a member of the organization at once,
    or invite a new address to it. Returns "seated" or "invited"."""
    if role not in SEATABLE:
        raise OperatorRefused(
            f"The operator seats only {' or '.join(SEATABLE)}; every other role is proposed and approved inside "
            "the organization. Nothing was changed."
        )
    address = _address(email)
    member = Member.objects.filter(email=address).first()
    if member is None:
        invitation_by_operator(organization=organization, email=address, roles={role})
        return "invited"
    if member.organization_id != organization.pk:
        raise OperatorRefused(
            f"{address} has an account in another organization; an account never spans two. Nothing was changed."
        )
    if not member.is_active:
        raise OperatorRefused(f"{address}'s account is not active. Nothing was changed.")
    held = set(MemberRole.objects.filter(member=member).values_list("role", flat=True))
    if role in held:
        raise OperatorRefused(f"{address} already holds the {role} role. Nothing was changed.")
    clash = separation_conflict(held, role)
    if clash:
        raise OperatorRefused(
            f"{address} holds the {clash} role, which cannot be combined with {role}. Nothing was changed."
        )
    with transaction.atomic():
        MemberRole.objects.create(member=member, role=role, approval="founding")
        if role == "oversight":
            Organization.objects.filter(pk=organization.pk, oversight_since__isnull=True).update(
                oversight_since=timezone.now()
            )
        ledger_append(
            organization_id=organization.pk,
            actor="operator",
            action="role.seated",
            refs={"member": member.pseudonym, "role": role},
        )
    return "seated"
