"""The checkpoint signing key: a 32-byte Ed25519 seed in a file, created once."""

from __future__ import annotations

import secrets

from django.conf import settings

from chorus.config.env import ImproperSetting


def checkpoint_seed() -> bytes:
    path = settings.CHORUS_LEDGER_SIGNING_KEY_PATH
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(secrets.token_bytes(32))
    seed = path.read_bytes()
    if len(seed) != 32:
        raise ImproperSetting(f"CHORUS_LEDGER_SIGNING_KEY_FILE: {path} must hold exactly 32 bytes, found {len(seed)}")
    return seed
