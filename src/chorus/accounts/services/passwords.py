from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts import keyring, tokens
from chorus.accounts.errors import ResetUnusable, SignInRefused, WrongCode
from chorus.accounts.models import Member, PasswordReset
from chorus.accounts.services.signin import sign_in_second_factor
from chorus.ledger.services import ledger_append
from chorus.web import mail


def password_change(*, member: Member, current_password: str, new_password: str) -> bytes:
    """Re-wrap the member's vault key for a new password; returns the vault key."""
    wrapping = keyring.password_wrapping_key(member, current_password)
    if wrapping is None:
        raise SignInRefused(_("Your current password is not right. Nothing was changed."))
    with transaction.atomic():
        vault_key = keyring.vault_from_password_key(member, wrapping)
        keyring.keyring_set_password(member, vault_key, new_password)
        ledger_append(
            organization_id=member.organization_id,
            actor=member.pseudonym,
            action="password.changed",
        )
    return vault_key


def password_reset_request(*, email: str) -> None:
    """Email a reset link if the address has an account; say nothing either way."""
    member = Member.objects.select_related("organization").filter(email=email.strip().lower(), is_active=True).first()
    if member is None:
        return
    token, digest = tokens.new_token()
    with transaction.atomic():
        PasswordReset.objects.filter(member=member, used_at__isnull=True).update(used_at=timezone.now())
        PasswordReset.objects.create(
            member=member,
            token_hash=digest,
            expires_at=timezone.now() + timedelta(minutes=settings.CHORUS_PASSWORD_RESET_TTL_MINUTES),
        )
        ledger_append(
            organization_id=member.organization_id,
            actor=member.pseudonym,
            action="password.reset_requested",
        )
        mail.send(
            "accounts/email/password_reset",
            member.email,
            {
                "path": f"/password-reset/{token}/",
                "minutes": settings.CHORUS_PASSWORD_RESET_TTL_MINUTES,
            },
        )


def reset_for_token(token: str) -> PasswordReset:
    reset = None
    if tokens.plausible(token):
        reset = PasswordReset.objects.select_related("member").filter(token_hash=tokens.token_hash(token)).first()
    if reset is None:
        raise ResetUnusable(
            _("This reset link is not valid. Check that you copied the whole link, or ask for a new one.")
        )
    if reset.used_at is not None:
        raise ResetUnusable(_("This reset link has already been used. Ask for a new one if you still need it."))
    if reset.expires_at <= timezone.now() or not reset.member.is_active:
        raise ResetUnusable(_("This reset link has expired. Ask for a new one."))
    return reset


@dataclass(frozen=True)
class ResetDone:
    member: Member
    vault_key: bytes
    vault_kept: bool
    new_recovery_code: str | None

    def __repr__(self) -> str:
        return f"ResetDone(member={self.member.pseudonym}, vault_kept={self.vault_kept})"


def password_reset_complete(
    *, token: str, new_password: str, recovery_code: str, second_factor_code: str, ip: str
) -> ResetDone:
    """Set a new password from an emailed link.

    With the recovery code the vault is kept; without it a new, empty vault is made,
    because nobody (Chorus included) can open the old one. Two-factor members must
    also give a code, checked like a sign-in's (wrong codes count towards the same
    lock), so a stolen mailbox alone is never enough.
    """
    member = reset_for_token(token).member
    vault_key = keyring.vault_from_recovery_code(member, recovery_code) if recovery_code.strip() else None
    if recovery_code.strip() and vault_key is None:
        raise WrongCode(
            _(
                "That recovery code does not match this account. Check it, or leave it empty to start a new, empty vault."
            )
        )
    if member.has_two_factor:
        try:
            sign_in_second_factor(member=member, code=second_factor_code, ip=ip)
        except WrongCode as wrong:
            raise WrongCode(
                _("That two-factor code did not work. Use the code your app shows now, or a backup code.")
            ) from wrong
    with transaction.atomic():
        claimed = PasswordReset.objects.filter(
            token_hash=tokens.token_hash(token), used_at__isnull=True, expires_at__gt=timezone.now()
        ).update(used_at=timezone.now())
        if not claimed:
            raise ResetUnusable(_("This reset link has already been used."))
        if vault_key is not None:
            keyring.keyring_set_password(member, vault_key, new_password)
            new_code = None
        else:
            new_code, vault_key = keyring.keyring_create(member, new_password)
            # A new vault means a new escrow author: until a second person confirms the
            # membership again, its entries do not count, or one person could reset and
            # name the same person twice to make a match alone.
            Member.objects.filter(pk=member.pk).update(confirmed_at=None, confirmed_by=None, confirmation="")
        ledger_append(
            organization_id=member.organization_id,
            actor=member.pseudonym,
            action="password.reset",
            refs={"vault_kept": new_code is None},
        )
    return ResetDone(member=member, vault_key=vault_key, vault_kept=new_code is None, new_recovery_code=new_code)
