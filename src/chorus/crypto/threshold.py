"""Shamir secret sharing, k of n, over the ristretto255 scalar field (integers mod L).

A secret is the constant term of a random polynomial of degree k-1; a share is a point
(x, f(x)) with x != 0. Any k shares interpolate f(0); k-1 shares are consistent with
every possible secret, so they say nothing about it. The escrow derives the polynomial
from the OPRF output instead of drawing it at random (DESIGN.md "Matching escrow"),
hence ``evaluate`` on given coefficients.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from chorus.crypto.errors import MalformedInput

ORDER = 2**252 + 27742317777372353535851937790883648493
SCALAR_SIZE = 32


@dataclass(frozen=True)
class Share:
    x: int
    y: int

    def to_bytes(self) -> bytes:
        return self.x.to_bytes(SCALAR_SIZE, "little") + self.y.to_bytes(SCALAR_SIZE, "little")

    @classmethod
    def from_bytes(cls, data: bytes) -> Share:
        if len(data) != 2 * SCALAR_SIZE:
            raise MalformedInput("a share is 64 bytes")
        x, y = int.from_bytes(data[:SCALAR_SIZE], "little"), int.from_bytes(data[SCALAR_SIZE:], "little")
        if not 0 < x < ORDER or not 0 <= y < ORDER:
            raise MalformedInput("a share's coordinates are scalars, x not zero")
        return cls(x, y)


def scalar(data: bytes) -> int:
    """A canonical 32-byte little-endian scalar as an integer."""
    value = int.from_bytes(data, "little")
    if len(data) != SCALAR_SIZE or value >= ORDER:
        raise MalformedInput("not a canonical scalar")
    return value


def evaluate(coefficients: Sequence[int], x: int) -> int:
    """f(x) for f = c0 + c1 x + ... (Horner), mod L."""
    result = 0
    for coefficient in reversed(coefficients):
        result = (result * x + coefficient) % ORDER
    return result


def split(secret: int, k: int, n: int) -> list[Share]:
    """n shares of ``secret``, any k of which recover it; x = 1..n."""
    if not 1 <= k <= n < ORDER:
        raise MalformedInput("need 1 <= k <= n")
    if not 0 <= secret < ORDER:
        raise MalformedInput("the secret is a scalar")
    coefficients = [secret] + [secrets.randbelow(ORDER) for _ in range(k - 1)]
    return [Share(x, evaluate(coefficients, x)) for x in range(1, n + 1)]


def interpolate(shares: Sequence[Share], at: int = 0) -> int:
    """The value at ``at`` of the lowest-degree polynomial through ``shares`` (Lagrange)."""
    xs = [share.x for share in shares]
    if not shares or len(set(xs)) != len(xs):
        raise MalformedInput("shares need distinct x")
    total = 0
    for i, share in enumerate(shares):
        numerator, denominator = 1, 1
        for j, other in enumerate(xs):
            if i != j:
                numerator = numerator * (at - other) % ORDER
                denominator = denominator * (share.x - other) % ORDER
        total = (total + share.y * numerator * pow(denominator, -1, ORDER)) % ORDER
    return total


def combine(shares: Sequence[Share]) -> int:
    """The secret, from at least k shares of it."""
    return interpolate(shares, 0)
