"""Anonymous reports: a receipt, shown once, is the only way back in.

The receipt carries 160 random bits (32 Crockford base32 characters). The vault key is
derived from it with a fast keyed hash (no guess is cheap at 160 bits), so Chorus
stores nothing that identifies the reporter and cannot recover a lost receipt.
New receipts and wrong receipts are both rate limited per network address.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from chorus.accounts.models import Organization
from chorus.crypto import codes, kdf
from chorus.crypto.errors import MalformedInput
from chorus.records.access import Owner
from chorus.records.models import Record
from chorus.records.services.writing import RecordError
from chorus.web import ratelimit

RECEIPT_BITS = 160
_CREATE = "anonymous-create"
_OPEN = "anonymous-open"
_WINDOW = timedelta(hours=1)


def _owner(organization: Organization, canonical: str) -> Owner:
    derived = kdf.derive_from_code(codes.code_bytes(canonical), organization.pk.bytes)
    return Owner(organization=organization, vault_key=derived.wrapping_key)


def _check_lock(scope: str, client_ip: str) -> None:
    if ratelimit.locked_until(scope, client_ip) is not None:
        raise RecordError(
            _(
                "Too many attempts from this network in the last hour. Please wait an hour and try again, "
                "or ask an advocate for help."
            )
        )


def _count(scope: str, client_ip: str) -> None:
    ratelimit.record_failure(scope, client_ip, limit=settings.CHORUS_ANONYMOUS_REPORTS_PER_HOUR, window=_WINDOW)


def receipt_issue(organization: Organization, *, client_ip: str) -> tuple[str, Owner]:
    """A new receipt and the owner it opens. Counted against the network's hourly limit."""
    _check_lock(_CREATE, client_ip)
    _count(_CREATE, client_ip)
    receipt = codes.new_code(RECEIPT_BITS)
    return receipt, _owner(organization, receipt)


def receipt_open(organization: Organization, typed: str, *, client_ip: str) -> Owner:
    _check_lock(_OPEN, client_ip)
    try:
        canonical = codes.normalize_code(typed, bits=RECEIPT_BITS)
    except MalformedInput as error:
        _count(_OPEN, client_ip)
        raise RecordError(
            _(
                "A receipt has 32 letters and digits, usually written in eight groups of four. "
                "Please check it and try again."
            )
        ) from error
    owner = _owner(organization, canonical)
    if not Record.objects.filter(organization=organization, owner_tag=owner.tag).exists():
        _count(_OPEN, client_ip)
        raise RecordError(
            _(
                "This receipt does not open any report here. Check each group of four; "
                "O and 0, I, L and 1 are read the same."
            )
        )
    return owner
