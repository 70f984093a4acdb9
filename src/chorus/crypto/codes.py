"""Human-friendly high-entropy codes (vault recovery codes, receipts, backup codes).

Codes are Crockford base32: no I, L, O or U, case-insensitive, and the letters people
confuse with digits are read as those digits. Groups of four keep them copyable.
"""

from __future__ import annotations

import secrets

from chorus.crypto.errors import MalformedInput

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"O": "0", "I": "1", "L": "1"}


def new_code(bits: int = 160) -> str:
    """A random code of at least ``bits`` bits, grouped in fours."""
    length = -(-bits // 5)
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(length))
    return "-".join(chars[i : i + 4] for i in range(0, length, 4))


def normalize_code(text: str, *, bits: int = 160) -> str:
    """Canonical form of a typed code; raises ``MalformedInput`` if it cannot be one."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\r\n")
    cleaned = "".join(_READ_AS.get(ch, ch) for ch in cleaned)
    length = -(-bits // 5)
    if len(cleaned) != length or any(ch not in _ALPHABET for ch in cleaned):
        raise MalformedInput(f"expected {length} letters and digits")
    return "-".join(cleaned[i : i + 4] for i in range(0, length, 4))


def code_bytes(canonical: str) -> bytes:
    return canonical.replace("-", "").encode("ascii")
