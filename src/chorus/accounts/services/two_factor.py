"""TOTP (RFC 6238) second factor and single-use backup codes.

The TOTP secret is stored wrapped under a server key derived from the Django secret
key, not under the vault key: a password reset must still be able to ask for the
second factor before the vault can be opened.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

import pyotp
from django.db import transaction
from django.utils import timezone

from chorus.accounts import keyring
from chorus.accounts.models import BackupCode, Member, TwoFactor
from chorus.crypto import codes, envelope
from chorus.crypto.errors import CryptoError, MalformedInput
from chorus.ledger.services import ledger_append

BACKUP_CODE_COUNT = 10
_BACKUP_BITS = 50
_ISSUER = "Chorus"


def _server_key() -> bytes:
    return keyring.server_key(b"chorus.totp")


def _seal(member: Member, purpose: str, secret: str) -> bytes:
    return envelope.seal(_server_key(), secret.encode(), context=f"{purpose}:{member.pk}")


def _open(member: Member, purpose: str, blob: bytes) -> str:
    return envelope.open_sealed(_server_key(), blob, context=f"{purpose}:{member.pk}").decode()


def totp_new_secret() -> str:
    return pyotp.random_base32(32)


def enrolment_token(member: Member, secret: str) -> str:
    """The not-yet-confirmed secret, sealed for the enrolment form to carry.

    It waits in the member's form rather than in the session, so no unconfirmed
    secret ever sits in the database.
    """
    return base64.urlsafe_b64encode(_seal(member, "totp-enrol", secret)).decode()


def enrolment_secret(member: Member, token: str) -> str | None:
    try:
        return _open(member, "totp-enrol", base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, CryptoError):
        return None


def totp_uri(member: Member, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=member.email, issuer_name=f"{_ISSUER} ({member.organization.name})")


def _digits(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def _matching_step(secret: str, code: str, at: float) -> int | None:
    """The TOTP step ``code`` belongs to, allowing one step of clock drift either way."""
    code = _digits(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step_now = int(at) // totp.interval
    for step in (step_now, step_now - 1, step_now + 1):
        if hmac.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def two_factor_enrol(*, member: Member, secret: str, code: str) -> list[str] | None:
    """Confirm a new TOTP secret with a code from the app; returns fresh backup codes."""
    step = _matching_step(secret, code, time.time())
    if step is None:
        return None
    with transaction.atomic():
        TwoFactor.objects.update_or_create(
            member=member,
            defaults={
                "secret_wrapped": _seal(member, "totp", secret),
                "confirmed_at": timezone.now(),
                "last_step": step,
            },
        )
        backup_codes = _replace_backup_codes(member)
        ledger_append(
            organization_id=member.organization_id,
            actor=member.pseudonym,
            action="two_factor.enrolled",
            refs={"member": member.pseudonym},
        )
    return backup_codes


def _backup_hash(member: Member, canonical: str) -> str:
    return hmac.new(_server_key(), f"{member.pk}:{canonical}".encode(), hashlib.sha256).hexdigest()


def _replace_backup_codes(member: Member) -> list[str]:
    BackupCode.objects.filter(member=member).delete()
    fresh = [codes.new_code(_BACKUP_BITS) for _ in range(BACKUP_CODE_COUNT)]
    BackupCode.objects.bulk_create(BackupCode(member=member, code_hash=_backup_hash(member, code)) for code in fresh)
    return fresh


def backup_codes_regenerate(*, member: Member) -> list[str]:
    with transaction.atomic():
        fresh = _replace_backup_codes(member)
        ledger_append(
            organization_id=member.organization_id,
            actor=member.pseudonym,
            action="two_factor.backup_codes_replaced",
            refs={"member": member.pseudonym},
        )
    return fresh


def two_factor_check(*, member: Member, code: str, at: float | None = None) -> bool:
    """Accept a current TOTP code (never the same step twice) or an unused backup code."""
    device = TwoFactor.objects.filter(member=member).first()
    if device is None:
        return False
    step = _matching_step(_open(member, "totp", bytes(device.secret_wrapped)), code, at or time.time())
    if step is not None:
        # Conditional update: two requests racing with one code, only one wins.
        return bool(TwoFactor.objects.filter(member=member, last_step__lt=step).update(last_step=step))
    try:
        canonical = codes.normalize_code(code, bits=_BACKUP_BITS)
    except MalformedInput:
        return False
    return bool(
        BackupCode.objects.filter(
            member=member, code_hash=_backup_hash(member, canonical), used_at__isnull=True
        ).update(used_at=timezone.now())
    )


def backup_codes_left(member: Member) -> int:
    return BackupCode.objects.filter(member=member, used_at__isnull=True).count()
