"""RFC 9162 §2.1 written out as the RFC states it, recursively and without shortcuts, to
check chorus.crypto.merkle against: MTH, PATH and PROOF/SUBPROOF over one fixed list of
2,000 leaves (the tree of size n is its first n leaves)."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

LEAVES = [hashlib.sha256(b"chorus leaf %d" % number).digest()[: number % 41] for number in range(2000)]


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def split(count: int) -> int:
    """k: the largest power of two smaller than count."""
    k = 1
    while k * 2 < count:
        k *= 2
    return k


@functools.cache
def mth(low: int, high: int) -> bytes:
    """MTH(D[low:high])."""
    if high == low:
        return sha256(b"")
    if high - low == 1:
        return sha256(b"\x00" + LEAVES[low])
    k = split(high - low)
    return sha256(b"\x01" + mth(low, low + k) + mth(low + k, high))


def path_runs(m: int, low: int, high: int) -> list[tuple[int, int]]:
    """PATH(m, D[low:high]), each element named by the run of leaves it is the MTH of."""
    if high - low == 1:
        return []
    k = split(high - low)
    if m < k:
        return [*path_runs(m, low, low + k), (low + k, high)]
    return [*path_runs(m - k, low + k, high), (low, low + k)]


def subproof_runs(m: int, low: int, high: int, complete: bool) -> list[tuple[int, int]]:
    """SUBPROOF(m, D[low:high], b), likewise."""
    if m == high - low:
        return [] if complete else [(low, high)]
    k = split(high - low)
    if m <= k:
        return [*subproof_runs(m, low, low + k, complete), (low + k, high)]
    return [*subproof_runs(m - k, low + k, high, False), (low, low + k)]


def path(m: int, n: int) -> list[bytes]:
    return [mth(*run) for run in path_runs(m, 0, n)]


def proof(m: int, n: int) -> list[bytes]:
    """PROOF(m, D[n]) for 0 < m < n."""
    return [mth(*run) for run in subproof_runs(m, 0, n, True)]


def _shape(low: int, high: int, atoms: dict[tuple[int, int], Any]) -> Any:
    """MTH(D[low:high]) as an expression over named hashes, where ``atoms`` names some runs."""
    if (low, high) in atoms:
        return atoms[low, high]
    if high - low == 1:
        return ("unknown leaf", low)
    k = split(high - low)
    return ("node", _shape(low, low + k, atoms), _shape(low + k, high, atoms))


def inclusion_shape(m: int, n: int, length: int) -> Any:
    """The root a proof of ``length`` hashes yields when offered for leaf m of a tree of n,
    as an expression over "leaf" and "p0", "p1", ... (None if the lengths differ)."""
    runs = path_runs(m, 0, n)
    if len(runs) != length:
        return None
    atoms: dict[tuple[int, int], Any] = {run: f"p{j}" for j, run in enumerate(runs)}
    atoms[m, m + 1] = "leaf"
    return _shape(0, n, atoms)


def consistency_shape(m: int, n: int, length: int) -> Any:
    """(old root, new root) as expressions over "old" (the old root offered) and "p0", ...
    when a proof of ``length`` hashes is offered for sizes 0 < m < n (None if the lengths
    differ)."""
    runs = subproof_runs(m, 0, n, True)
    if len(runs) != length:
        return None
    atoms: dict[tuple[int, int], Any] = {run: f"p{j}" for j, run in enumerate(runs)}
    if m & (m - 1) == 0:
        atoms[0, m] = "old"
    return _shape(0, m, atoms), _shape(0, n, atoms)


def substitute(expression: Any, atom: str, value: Any) -> Any:
    if expression == atom:
        return value
    if isinstance(expression, tuple) and expression[0] == "node":
        return ("node", substitute(expression[1], atom, value), substitute(expression[2], atom, value))
    return expression
