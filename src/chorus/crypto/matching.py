"""The escrow construction (DESIGN.md "Matching escrow", step 3), on bytes, without Django.

From the two-holder OPRF output ``y`` of one canonical identifier, HKDF-SHA512 derives:

* the match **tag** (32 bytes), the only value stored in the clear — bound to the
  organization and the threshold k, so tags never coincide across organizations and
  entries made under different thresholds never mix;
* the secret **K**, a scalar, and the other k−1 **coefficients** of f, with f(0) = K;
* per author, the share's **x** — the same author naming the same person always gets
  the same point, so one member's repeated entries can never stand in for k members.

An entry's payload for the advocate team is ``x ‖ f(x) ‖ content sealed under a key
derived from K``. One payload (or k−1) says nothing about K; k payloads from k authors
interpolate it. The browser builds the same bytes (fixed-randomness vectors check it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from chorus.crypto import envelope, threshold
from chorus.crypto.errors import MalformedInput

SALT = b"chorus escrow v1"
TAG_SIZE = 32
SHARE_SIZE = 2 * threshold.SCALAR_SIZE
MAX_THRESHOLD = 10


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha512).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF-Expand with SHA-512."""
    if length > 255 * 64:
        raise MalformedInput("HKDF cannot expand that far")
    output, block, counter = b"", b"", 1
    while len(output) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha512).digest()
        output += block
        counter += 1
    return output[:length]


def _scalar(prk: bytes, info: bytes) -> int:
    """A uniform nonzero scalar: 64 bytes reduced mod L (bias below 2^-250)."""
    value = int.from_bytes(hkdf_expand(prk, info, 64), "little") % threshold.ORDER
    return value or 1


@dataclass(frozen=True)
class Derived:
    tag: bytes
    coefficients: tuple[int, ...]  # f = c0 + c1 x + …, with c0 = K
    _prk: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"Derived(tag={self.tag.hex()[:16]}…, k={len(self.coefficients)})"

    @property
    def secret(self) -> int:
        return self.coefficients[0]

    def share_for(self, author: bytes) -> threshold.Share:
        x = _scalar(self._prk, b"x\x00" + author)
        return threshold.Share(x, threshold.evaluate(self.coefficients, x))


def derive(output: bytes, *, organization: str, k: int) -> Derived:
    if len(output) != 64:
        raise MalformedInput("the OPRF output is 64 bytes")
    if not 2 <= k <= MAX_THRESHOLD:
        raise MalformedInput(f"the threshold is 2 to {MAX_THRESHOLD}")
    prk = hkdf_extract(SALT, output)
    scope = f"{organization}\x00{k}".encode()
    tag = hkdf_expand(prk, b"tag\x00" + scope, TAG_SIZE)
    coefficients = tuple(_scalar(prk, f"coefficient\x00{i}\x00".encode() + scope) for i in range(k))
    return Derived(tag=tag, coefficients=coefficients, _prk=prk)


def content_key(secret: int) -> bytes:
    return hkdf_expand(hkdf_extract(SALT, secret.to_bytes(32, "little")), b"content", envelope.KEY_SIZE)


def payload(derived: Derived, author: bytes, content: bytes, *, nonce: bytes | None = None) -> bytes:
    """What is sealed to the advocate team for one identifier of one entry."""
    share = derived.share_for(author)
    sealed = envelope.seal(content_key(derived.secret), content, context=f"escrow:{derived.tag.hex()}", nonce=nonce)
    return share.to_bytes() + sealed


def payload_open(data: bytes) -> tuple[threshold.Share, bytes]:
    if len(data) <= SHARE_SIZE:
        raise MalformedInput("an escrow payload holds a share and sealed content")
    return threshold.Share.from_bytes(data[:SHARE_SIZE]), data[SHARE_SIZE:]


def recover(shares: Sequence[threshold.Share], k: int) -> int:
    """K from k distinct shares; extra shares must lie on the same polynomial."""
    distinct = list({share.x: share for share in shares}.values())
    if len(distinct) < k:
        raise MalformedInput(f"{k} distinct shares are needed, {len(distinct)} given")
    secret = threshold.interpolate(distinct[:k], 0)
    for extra in distinct[k:]:
        if threshold.interpolate(distinct[:k], extra.x) != extra.y:
            raise MalformedInput("a share does not lie on the others' polynomial")
    return secret


def content_open(secret: int, tag: bytes, sealed: bytes) -> bytes:
    return envelope.open_sealed(content_key(secret), sealed, context=f"escrow:{tag.hex()}")
