"""Key files that Chorus makes itself the first time they are needed."""

from __future__ import annotations

import secrets
from pathlib import Path

from chorus.config.env import ImproperSetting


def read_or_create(path: Path, size: int, *, setting: str) -> bytes:
    """Read ``size`` bytes of key material from ``path``, creating it (owner-only) if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(secrets.token_bytes(size))
    data = path.read_bytes()
    if len(data) != size:
        raise ImproperSetting(f"{setting}: {path} must hold exactly {size} bytes of key material, found {len(data)}")
    return data
