"""Ed25519 signatures for ledger checkpoints."""

from __future__ import annotations

from nacl import exceptions, signing

from chorus.crypto.errors import BadSignature, MalformedInput


def public_key_for(seed: bytes) -> bytes:
    return bytes(_signing_key(seed).verify_key)


def sign(seed: bytes, message: bytes) -> bytes:
    return _signing_key(seed).sign(message).signature


def verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    try:
        signing.VerifyKey(public_key).verify(message, signature)
    except (exceptions.BadSignatureError, ValueError, exceptions.TypeError) as error:
        raise BadSignature("the checkpoint signature does not verify") from error


def _signing_key(seed: bytes) -> signing.SigningKey:
    if len(seed) != 32:
        raise MalformedInput("Ed25519 seeds are 32 bytes")
    return signing.SigningKey(seed)
