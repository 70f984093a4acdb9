"""Signing in: password (deriving the vault key), then the second factor, with
database-backed lockout shared by every app process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from chorus.accounts import keyring
from chorus.accounts.errors import SignInLocked, SignInRefused, WrongCode
from chorus.accounts.models import Member
from chorus.accounts.services.leaving import export_until
from chorus.accounts.services.two_factor import two_factor_check
from chorus.ledger.services import ledger_append
from chorus.web import ratelimit

_BY_ADDRESS = "signin:email"
_BY_NETWORK = "signin:ip"


@dataclass(frozen=True)
class PasswordAccepted:
    member: Member
    vault_key: bytes
    needs_second_factor: bool

    def __repr__(self) -> str:
        return f"PasswordAccepted(member={self.member.pseudonym})"


def _window() -> timedelta:
    return timedelta(minutes=settings.CHORUS_SIGNIN_LOCKOUT_MINUTES)


def _locked_message() -> str:
    return _(
        "Too many attempts. For your safety, signing in is paused for %(minutes)s minutes. "
        "If this was not you, tell your organization's administrator."
    ) % {"minutes": settings.CHORUS_SIGNIN_LOCKOUT_MINUTES}


def _check_not_locked(email: str, ip: str) -> None:
    if ratelimit.locked_until(_BY_ADDRESS, email) or ratelimit.locked_until(_BY_NETWORK, ip):
        raise SignInLocked(_locked_message())


def _count_failure(member: Member | None, email: str, ip: str, step: str) -> None:
    organization_id = member.organization_id if member else None
    actor = member.pseudonym if member else "unknown"
    with transaction.atomic():
        ledger_append(organization_id=organization_id, actor=actor, action="signin.failed", refs={"step": step})
        locked_address = ratelimit.record_failure(
            _BY_ADDRESS, email, limit=settings.CHORUS_SIGNIN_MAX_FAILURES, window=_window()
        )
        locked_network = ratelimit.record_failure(
            _BY_NETWORK, ip, limit=settings.CHORUS_SIGNIN_MAX_FAILURES_PER_IP, window=_window()
        )
        if locked_address or locked_network:
            ledger_append(
                organization_id=organization_id,
                actor=actor,
                action="signin.locked",
                refs={"by": "address" if locked_address else "network"},
            )


def sign_in_password(*, email: str, password: str, ip: str) -> PasswordAccepted:
    email = email.strip().lower()
    _check_not_locked(email, ip)
    member = Member.objects.select_related("organization").filter(email=email).first()
    wrapping = keyring.password_wrapping_key(member, password)
    if member is None or wrapping is None:
        _count_failure(member, email, ip, "password")
        raise SignInRefused(_("That email address and password do not match. Please check both and try again."))
    if not member.is_active and export_until(member) is None:
        # Said only to whoever knows the password, so it tells nobody else that the address
        # has an account; still counted, so it is no way around the lockout.
        _count_failure(member, email, ip, "suspended")
        if member.removed_at is not None:
            raise SignInRefused(
                _(
                    "Your membership of this organization has ended, and the days to take your records away have "
                    "passed. Nothing you wrote was destroyed by the organization, and nobody else can read it. "
                    "Ask your organization's administrator or oversight body."
                )
            )
        raise SignInRefused(_("Your account is suspended. Ask your organization's administrator or oversight body."))
    return PasswordAccepted(
        member=member,
        vault_key=keyring.vault_from_password_key(member, wrapping),
        needs_second_factor=member.has_two_factor,
    )


def sign_in_second_factor(*, member: Member, code: str, ip: str) -> None:
    _check_not_locked(member.email, ip)
    if not two_factor_check(member=member, code=code):
        _count_failure(member, member.email, ip, "second_factor")
        raise WrongCode(
            _(
                "That code did not work. Codes change every 30 seconds: use the one your app shows now, or one of your backup codes."
            )
        )


def sign_in_succeeded(*, member: Member, ip: str) -> None:
    ratelimit.clear(_BY_ADDRESS, member.email)
    ledger_append(
        organization_id=member.organization_id,
        actor=member.pseudonym,
        action="signin.succeeded",
        refs={"second_factor": member.has_two_factor},
    )


def sign_out_recorded(*, member: Member) -> None:
    ledger_append(organization_id=member.organization_id, actor=member.pseudonym, action="signout")
