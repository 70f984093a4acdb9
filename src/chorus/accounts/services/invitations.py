from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts import tokens
from chorus.accounts.errors import DisplayNameRefused, InvitationUnusable
from chorus.accounts.models import Invitation, Member, Organization
from chorus.accounts.roles import POWER_ROLES, ROLE_CODES, separation_conflict
from chorus.accounts.services.members import member_create
from chorus.accounts.services.power import role_propose
from chorus.ledger.services import ledger_append
from chorus.web import mail


def invitation_create(*, inviter: Member, email: str, roles: set[str]) -> tuple[Invitation, str]:
    """An administrator's invitation, emailed. Power roles it names are proposed by the
    inviter when it is accepted. Returns (invitation, token)."""
    return _invite(organization=inviter.organization, inviter=inviter, email=email, roles=roles)


def invitation_by_operator(*, organization: Organization, email: str, roles: set[str]) -> tuple[Invitation, str]:
    """The deployment operator's invitation (``chorus organization``): the first
    administrators and oversight members of an organization, or a new oversight member
    where nobody holds it any more. Its roles are held on acceptance, as the operator's act."""
    return _invite(organization=organization, inviter=None, email=email, roles=roles)


def _invite(
    *, organization: Organization, inviter: Member | None, email: str, roles: set[str]
) -> tuple[Invitation, str]:
    if roles - set(ROLE_CODES):
        raise ValueError("unknown role")
    if any(separation_conflict(roles - {role}, role) for role in roles):
        raise ValueError("roles cannot be combined")
    token, digest = tokens.new_token()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=organization,
            email=email.strip().lower(),
            roles=sorted(roles),
            token_hash=digest,
            invited_by=inviter,
            by_operator=inviter is None,
            expires_at=timezone.now() + timedelta(hours=settings.CHORUS_INVITATION_TTL_HOURS),
        )
        ledger_append(
            organization_id=organization.pk,
            actor=inviter.pseudonym if inviter else "operator",
            action="invitation.created",
            refs={"invitation": str(invitation.pk), "roles": sorted(roles)},
        )
        # Sent inside the transaction: if the mail server refuses, no dangling invitation.
        mail.send(
            "accounts/email/invitation",
            invitation.email,
            {
                "organization": organization.name,
                "path": f"/invitations/{token}/",
                "hours": settings.CHORUS_INVITATION_TTL_HOURS,
            },
        )
    return invitation, token


def invitation_for_token(token: str) -> Invitation:
    """The usable invitation for ``token``, or ``InvitationUnusable`` saying why not."""
    invitation = None
    if tokens.plausible(token):
        invitation = (
            Invitation.objects.select_related("organization", "invited_by").filter(token_hash=tokens.token_hash(token)).first()
        )
    if invitation is None:
        raise InvitationUnusable(
            _("This invitation link is not valid. Check that you copied the whole link from the email.")
        )
    if invitation.accepted_at is not None:
        raise InvitationUnusable(
            _(
                "This invitation has already been used. If that was you, sign in instead; if it was not, tell your organization's administrator."
            )
        )
    inviter = invitation.invited_by
    # Withdrawn when the inviter was suspended or removed (``leaving.invitations_withdraw``);
    # also refused here, so an invitation sent by someone who cannot sign in never brings anyone in.
    if invitation.revoked_at is not None or (inviter is not None and not inviter.is_active):
        raise InvitationUnusable(
            _("This invitation was withdrawn. Ask your organization's administrator for a new one.")
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable(
            _("This invitation has expired. Ask your organization's administrator to send a new one.")
        )
    return invitation


def invitation_accept(*, token: str, display_name: str, password: str) -> tuple[Member, str, bytes]:
    """Turn an invitation into a member. Returns (member, recovery code, vault key)."""
    with transaction.atomic():
        invitation = invitation_for_token(token)
        # Lock the row so two tabs submitting at once cannot both use it.
        claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now()
        )
        if not claimed:
            raise InvitationUnusable(_("This invitation has already been used."))
        if Member.objects.filter(email__iexact=invitation.email).exists():
            raise InvitationUnusable(
                _(
                    "This email address already has a Chorus account. Ask the person who invited you to use a different address, or sign in."
                )
            )
        try:
            member, recovery_code, vault_key = member_create(
                organization=invitation.organization,
                email=invitation.email,
                display_name=display_name,
                password=password,
                roles=set(invitation.roles) if invitation.by_operator else set(invitation.roles) - set(POWER_ROLES),
                actor="operator" if invitation.by_operator else "invitation",
                founding=invitation.by_operator,
            )
        except IntegrityError as error:
            # Two people accepting at once with one name, or one address twice.
            if Member.objects.filter(email__iexact=invitation.email).exists():
                raise InvitationUnusable(_("This email address already has a Chorus account.")) from error
            raise DisplayNameRefused(_("Someone has just taken that name. Choose another.")) from error
        # The power roles the invitation names wait for a second person's approval, proposed
        # by the inviter (if they are still an administrator: otherwise someone proposes again).
        inviter = invitation.invited_by
        for role in sorted(set(invitation.roles) & set(POWER_ROLES) if not invitation.by_operator else ()):
            if inviter is not None and inviter.is_active and inviter.has_role("admin"):
                role_propose(member=member, role=role, proposer=inviter)
        Invitation.objects.filter(pk=invitation.pk).update(accepted_member=member)
        ledger_append(
            organization_id=invitation.organization_id,
            actor=member.pseudonym,
            action="invitation.accepted",
            refs={"invitation": str(invitation.pk), "member": member.pseudonym},
        )
    return member, recovery_code, vault_key


def invitation_revoke(*, invitation: Invitation, actor: Member) -> None:
    if invitation.by_operator:
        # The first administrators and oversight members are the operator's act: an
        # administrator withdrawing the oversight member's invitation would leave them
        # approving in oversight's place.
        raise InvitationUnusable(
            _("The deployment's operator sent this invitation; only they can withdraw or replace it.")
        )
    with transaction.atomic():
        revoked = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            ledger_append(
                organization_id=invitation.organization_id,
                actor=actor.pseudonym,
                action="invitation.revoked",
                refs={"invitation": str(invitation.pk)},
            )
