"""Symmetric sealing and key wrapping (XChaCha20-Poly1305) and X25519 key pairs.

Every ciphertext is bound to a *context* string through the AEAD's associated data,
so a blob wrapped for one purpose (say, a vault key under a password) can never be
replayed as another (a private key under a vault key).
"""

from __future__ import annotations

from dataclasses import dataclass

from nacl import bindings, exceptions, public, utils

from chorus.crypto.errors import DecryptionError, MalformedInput

KEY_SIZE = 32
_NONCE_SIZE = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
_VERSION = b"\x01"


def random_key() -> bytes:
    return utils.random(KEY_SIZE)


def seal(key: bytes, plaintext: bytes, *, context: str, nonce: bytes | None = None) -> bytes:
    """Encrypt and authenticate ``plaintext`` under ``key`` for ``context``.

    ``nonce`` is for fixed-randomness test vectors only; everything else lets it be random.
    """
    _check_key(key)
    nonce = utils.random(_NONCE_SIZE) if nonce is None else nonce
    if len(nonce) != _NONCE_SIZE:
        raise MalformedInput(f"the nonce is {_NONCE_SIZE} bytes")
    ciphertext = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, _VERSION + context.encode(), nonce, key)
    return _VERSION + nonce + ciphertext


def open_sealed(key: bytes, blob: bytes, *, context: str) -> bytes:
    """Reverse ``seal``; raises ``DecryptionError`` on any mismatch."""
    _check_key(key)
    if len(blob) < 1 + _NONCE_SIZE + 16 or blob[:1] != _VERSION:
        raise DecryptionError("not a sealed blob of a known version")
    nonce, ciphertext = blob[1 : 1 + _NONCE_SIZE], blob[1 + _NONCE_SIZE :]
    try:
        return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, _VERSION + context.encode(), nonce, key)
    except exceptions.CryptoError as error:
        raise DecryptionError("the key or context does not open this blob") from error


def wrap_key(wrapping_key: bytes, key: bytes, *, context: str) -> bytes:
    _check_key(key)
    return seal(wrapping_key, key, context=context)


def unwrap_key(wrapping_key: bytes, blob: bytes, *, context: str) -> bytes:
    key = open_sealed(wrapping_key, blob, context=context)
    _check_key(key)
    return key


@dataclass(frozen=True)
class KeyPair:
    public_key: bytes
    private_key: bytes = b""

    def __repr__(self) -> str:  # never print key material
        return f"KeyPair(public_key={self.public_key.hex()[:16]}…)"


def generate_key_pair() -> KeyPair:
    private = public.PrivateKey.generate()
    return KeyPair(public_key=bytes(private.public_key), private_key=bytes(private))


def seal_to_public_key(public_key: bytes, plaintext: bytes) -> bytes:
    """Anonymous sealed box: only the holder of the private key opens it."""
    return public.SealedBox(public.PublicKey(public_key)).encrypt(plaintext)


def open_with_private_key(private_key: bytes, blob: bytes) -> bytes:
    try:
        return public.SealedBox(public.PrivateKey(private_key)).decrypt(blob)
    except exceptions.CryptoError as error:
        raise DecryptionError("the private key does not open this blob") from error


def public_key_of(private_key: bytes) -> bytes:
    return bytes(public.PrivateKey(private_key).public_key)


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise MalformedInput(f"keys are {KEY_SIZE} bytes")
