class CryptoError(Exception):
    """Base class for every error raised by ``chorus.crypto``."""


class DecryptionError(CryptoError):
    """A ciphertext did not open: wrong key, wrong context, or tampered data."""


class MalformedInput(CryptoError):
    """Bytes or text that do not have the shape the function expects."""


class BadSignature(CryptoError):
    """A signature did not verify under the given public key."""
