"""The checkpoint signing key: a 32-byte Ed25519 seed in a file, created once."""

from __future__ import annotations

from django.conf import settings

from chorus.config.keyfiles import read_or_create
from chorus.crypto import signing

_SETTING = "CHORUS_LEDGER_SIGNING_KEY_FILE"


def checkpoint_seed() -> bytes:
    return read_or_create(settings.CHORUS_LEDGER_SIGNING_KEY_PATH, 32, setting=_SETTING)


def trusted_public_key() -> str | None:
    """This deployment's checkpoint key, or None where no key was ever made (nothing signed)."""
    if not settings.CHORUS_LEDGER_SIGNING_KEY_PATH.exists():
        return None
    return signing.public_key_for(checkpoint_seed()).hex()
