"""Lets Django recognise Chorus's password format (for the session auth hash and
``has_usable_password``). Sign-in itself goes through ``services.signin``, which needs
the derived wrapping key that this interface cannot return."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import BasePasswordHasher

from chorus.crypto import kdf


def current_params() -> kdf.Argon2Params:
    return kdf.Argon2Params(**settings.CHORUS_ARGON2)


class VaultArgon2idHasher(BasePasswordHasher):
    algorithm = "chorus-argon2id"

    def salt(self) -> str:
        return ""

    def encode(self, password: str, salt: str) -> str:
        return kdf.hash_password(password, current_params())[0]

    def verify(self, password: str, encoded: str) -> bool:
        return kdf.check_password(password, encoded) is not None

    def safe_summary(self, encoded: str) -> dict[Any, Any]:
        return {"algorithm": self.algorithm}

    def must_update(self, encoded: str) -> bool:
        return False

    def harden_runtime(self, password: str, encoded: str) -> None:
        return None
