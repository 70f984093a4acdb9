"""Password and recovery-code key derivation.

One Argon2id run over the password yields 64 bytes. They are split with keyed
BLAKE2b into two independent values:

* a *verifier*, stored, that proves the password at sign-in, and
* a *wrapping key*, never stored, that unwraps the person's vault key.

Knowing the verifier (a database dump) does not give the wrapping key, and a guess at
the password costs one full Argon2id run either way. Doing it in one run halves the
sign-in cost compared with hashing twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw

from chorus.crypto.errors import MalformedInput

SALT_SIZE = 16
_SCHEME = "chorus-argon2id"


@dataclass(frozen=True)
class Argon2Params:
    memory_kib: int
    iterations: int
    parallelism: int

    def encode(self) -> str:
        return f"m={self.memory_kib},t={self.iterations},p={self.parallelism}"

    @classmethod
    def decode(cls, text: str) -> Argon2Params:
        try:
            fields = dict(part.split("=", 1) for part in text.split(","))
            return cls(int(fields["m"]), int(fields["t"]), int(fields["p"]))
        except (KeyError, ValueError) as error:
            raise MalformedInput("not an Argon2 parameter string") from error


@dataclass(frozen=True)
class DerivedKeys:
    verifier: bytes
    wrapping_key: bytes

    def __repr__(self) -> str:
        return "DerivedKeys(…)"


def _split(material: bytes, salt: bytes) -> DerivedKeys:
    verifier = hashlib.blake2b(material, digest_size=32, key=salt, person=b"chorus.verify").digest()
    wrapping = hashlib.blake2b(material, digest_size=32, key=salt, person=b"chorus.wrap").digest()
    return DerivedKeys(verifier=verifier, wrapping_key=wrapping)


def derive_from_password(password: str, salt: bytes, params: Argon2Params) -> DerivedKeys:
    if len(salt) != SALT_SIZE:
        raise MalformedInput(f"salts are {SALT_SIZE} bytes")
    material = hash_secret_raw(
        password.encode("utf-8"),
        salt,
        time_cost=params.iterations,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=64,
        type=Type.ID,
    )
    return _split(material, salt)


def derive_from_code(code: bytes, salt: bytes) -> DerivedKeys:
    """Keys from a high-entropy code (>=128 bits): a fast KDF is enough, no guess is cheap."""
    if len(code) < 16:
        raise MalformedInput("codes carry at least 128 bits")
    return _split(hashlib.sha512(code).digest(), salt)


def encode_password_hash(salt: bytes, params: Argon2Params, verifier: bytes) -> str:
    b64 = base64.urlsafe_b64encode
    return f"{_SCHEME}${params.encode()}${b64(salt).decode()}${b64(verifier).decode()}"


def decode_password_hash(encoded: str) -> tuple[bytes, Argon2Params, bytes]:
    try:
        scheme, params, salt, verifier = encoded.split("$")
        if scheme != _SCHEME:
            raise ValueError(scheme)
        return (
            base64.urlsafe_b64decode(salt),
            Argon2Params.decode(params),
            base64.urlsafe_b64decode(verifier),
        )
    except ValueError as error:
        raise MalformedInput("not a Chorus password hash") from error


def hash_password(password: str, params: Argon2Params) -> tuple[str, DerivedKeys]:
    """A new salted hash of ``password`` to store, and the keys derived with it."""
    salt = secrets.token_bytes(SALT_SIZE)
    derived = derive_from_password(password, salt, params)
    return encode_password_hash(salt, params, derived.verifier), derived


def check_password(password: str, encoded: str) -> DerivedKeys | None:
    """The derived keys if ``password`` matches the stored hash; None otherwise."""
    try:
        salt, params, verifier = decode_password_hash(encoded)
    except MalformedInput:
        return None
    derived = derive_from_password(password, salt, params)
    return derived if verifier_matches(verifier, derived) else None


def verifier_matches(expected: bytes, derived: DerivedKeys) -> bool:
    return hmac.compare_digest(expected, derived.verifier)


def is_password_hash(encoded: str) -> bool:
    return encoded.startswith(_SCHEME + "$")
