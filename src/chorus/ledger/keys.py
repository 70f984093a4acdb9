"""The checkpoint signing key: a 32-byte Ed25519 seed in a file, created once."""

from __future__ import annotations

from django.conf import settings

from chorus.config.keyfiles import read_or_create
from chorus.crypto import signing

_SETTING = "CHORUS_LEDGER_SIGNING_KEY_FILE"


def checkpoint_seed() -> bytes:
    return read_or_create(settings.CHORUS_LEDGER_SIGNING_KEY_PATH, 32, setting=_SETTING)


def trusted_public_key() -> str | None:
    """The pinned checkpoint key: ``CHORUS_LEDGER_PUBLIC_KEY`` where set (as a verifier who
    does not hold the signing key sets it), else this deployment's own key; None where
    neither exists (nothing was ever signed here). Never a key carried by a checkpoint."""
    if settings.CHORUS_LEDGER_PUBLIC_KEY:
        return str(settings.CHORUS_LEDGER_PUBLIC_KEY)
    if not settings.CHORUS_LEDGER_SIGNING_KEY_PATH.exists():
        return None
    return signing.public_key_for(checkpoint_seed()).hex()
