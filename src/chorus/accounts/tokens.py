"""Single-use link tokens: 256 random bits in the link, only a hash in the database."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 64


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def plausible(token: str) -> bool:
    return 20 <= len(token) <= MAX_TOKEN_LENGTH and all(c.isalnum() or c in "-_" for c in token)
