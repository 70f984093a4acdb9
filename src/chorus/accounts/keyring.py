"""The member's keys: password hash, vault key wrappings and X25519 key pair.

The only module in accounts that touches ``chorus.crypto`` key material; services
call it, views never do.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.utils import timezone

from chorus.accounts.hashers import current_params
from chorus.accounts.models import Member, MemberKeys
from chorus.crypto import codes, envelope, kdf
from chorus.crypto.errors import DecryptionError, MalformedInput
from chorus.web.rows import Columns

# A fixed salt used when no member matches an address, so a failed sign-in for an
# unknown address costs the same Argon2id run as one for a real account.
_DUMMY_SALT = b"chorus-no-member"


def server_key(person: bytes) -> bytes:
    """A key only the running server holds (derived from its secret key), one per use
    (``person``): for what it must read without the member present."""
    return hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=32, person=person).digest()


def _ctx(kind: str, member: Member) -> str:
    return f"{kind}:{member.pk}"


def _set_password(member: Member, password: str) -> bytes:
    """Store a new password hash; return the password's wrapping key."""
    encoded, derived = kdf.hash_password(password, current_params())
    member.password = encoded
    member.save(update_fields=["password"])
    return derived.wrapping_key


def _wrap_for_recovery(member: Member, vault_key: bytes) -> tuple[str, dict[str, bytes]]:
    """A new recovery code and the MemberKeys fields that let it open ``vault_key``."""
    recovery_code = codes.new_code()
    salt = secrets.token_bytes(kdf.SALT_SIZE)
    derived = kdf.derive_from_code(codes.code_bytes(recovery_code), salt)
    wrapped = envelope.wrap_key(derived.wrapping_key, vault_key, context=_ctx("vault-by-recovery", member))
    return recovery_code, {"vault_by_recovery": wrapped, "recovery_salt": salt}


def password_wrapping_key(member: Member | None, password: str) -> bytes | None:
    """The password's wrapping key if ``password`` is the member's; None otherwise."""
    if member is None or not kdf.is_password_hash(member.password):
        kdf.derive_from_password(password, _DUMMY_SALT, current_params())
        return None
    derived = kdf.check_password(password, member.password)
    return derived.wrapping_key if derived else None


def keyring_create(member: Member, password: str) -> tuple[str, bytes]:
    """Give a member a password and a new, empty vault: vault key, recovery code, key pair.

    Used when a member joins, and on a password reset without the recovery code
    (then what the old vault key protected can no longer be opened by anyone).
    Returns (recovery code, vault key). The caller saves ``member`` first.
    """
    wrapping = _set_password(member, password)
    vault_key = envelope.random_key()
    pair = envelope.generate_key_pair()
    recovery_code, recovery_fields = _wrap_for_recovery(member, vault_key)
    MemberKeys.objects.update_or_create(
        member=member,
        defaults={
            "public_key": pair.public_key,
            "private_key_wrapped": envelope.wrap_key(vault_key, pair.private_key, context=_ctx("private-key", member)),
            "vault_by_password": envelope.wrap_key(wrapping, vault_key, context=_ctx("vault-by-password", member)),
            **recovery_fields,
            "updated_at": timezone.now(),
        },
    )
    return recovery_code, vault_key


def vault_from_password_key(member: Member, wrapping: bytes) -> bytes:
    keys = MemberKeys.objects.get(member=member)
    return envelope.unwrap_key(wrapping, bytes(keys.vault_by_password), context=_ctx("vault-by-password", member))


def vault_from_recovery_code(member: Member, typed_code: str) -> bytes | None:
    try:
        canonical = codes.normalize_code(typed_code)
    except MalformedInput:
        return None
    keys = MemberKeys.objects.get(member=member)
    derived = kdf.derive_from_code(codes.code_bytes(canonical), bytes(keys.recovery_salt))
    try:
        return envelope.unwrap_key(
            derived.wrapping_key, bytes(keys.vault_by_recovery), context=_ctx("vault-by-recovery", member)
        )
    except DecryptionError:
        return None


_KEYS = Columns(MemberKeys, "k")
# Read whenever a member opens what was sealed to them (every advocate's page): written once.
_MEMBER_KEYS = f'SELECT {_KEYS.sql} FROM {_KEYS.table} WHERE "k"."member_id" = %(member)s'  # noqa: S608


def private_key(member: Member, vault_key: bytes) -> bytes:
    found = _KEYS.select(_MEMBER_KEYS, member=member.pk)
    if not found:
        raise MemberKeys.DoesNotExist
    keys = found[0]
    return envelope.unwrap_key(vault_key, bytes(keys.private_key_wrapped), context=_ctx("private-key", member))


def keyring_set_password(member: Member, vault_key: bytes, new_password: str) -> None:
    """Re-wrap the same vault key for a new password: nothing written before is lost."""
    wrapping = _set_password(member, new_password)
    MemberKeys.objects.filter(member=member).update(
        vault_by_password=envelope.wrap_key(wrapping, vault_key, context=_ctx("vault-by-password", member)),
        updated_at=timezone.now(),
    )


def keyring_new_recovery_code(member: Member, vault_key: bytes) -> str:
    recovery_code, recovery_fields = _wrap_for_recovery(member, vault_key)
    MemberKeys.objects.filter(member=member).update(**recovery_fields, updated_at=timezone.now())
    return recovery_code
