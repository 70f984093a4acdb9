"""An append-only Merkle tree as in RFC 9162 §2.1 (Certificate Transparency 2.0).

Hashes (SHA-256, 32 bytes):

    leaf_hash(d)     = SHA-256(0x00 || d)
    node_hash(l, r)  = SHA-256(0x01 || l || r)
    MTH({})          = SHA-256("")
    MTH(D[n])        = node_hash(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n

Storage. A tree of n leaves is stored as its *perfect, aligned subtrees*: the node at
``(level, index)`` is the hash of leaves ``[index * 2**level, (index + 1) * 2**level)``, so
level 0 holds the leaf hashes. A node never changes once complete, so each is written
once (``Frontier.append`` returns the nodes a new leaf completes: two per leaf on
average). Every hash a proof needs is the hash of a run of leaves that splits into at
most log2(n) such nodes, so a caller backed by a database asks first which nodes it will
need (``needed_nodes_for_inclusion`` / ``needed_nodes_for_consistency`` /
``needed_nodes_for_root``), fetches them in one query, and builds the proof from the dict:

    keys = merkle.needed_nodes_for_inclusion(index, size)
    stored = {(row.level, row.index): row.hash for row in rows_matching(keys)}
    proof = merkle.inclusion_proof(index, size, stored)

``position(level, index)`` numbers nodes with one integer, for a single indexed column
(in-order: leaf i is 2i, and a parent sits between its two children).

Proofs and their checks follow RFC 9162 §2.1.3 (inclusion) and §2.1.4 (consistency);
a check that fails raises ``MerkleProofError`` saying why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from chorus.crypto.errors import CryptoError, MalformedInput

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeKey = tuple[int, int]
"""``(level, index)``: the perfect subtree over leaves [index * 2**level, (index + 1) * 2**level)."""

NodeSource = Mapping[NodeKey, bytes | memoryview] | Callable[[int, int], bytes]
"""Stored nodes: a mapping from ``(level, index)`` to hash, or a function of (level, index)."""


class MerkleProofError(CryptoError):
    """A proof does not show what it was offered for (its message says why)."""


class MissingNode(CryptoError):
    """A node a computation needs is not among the nodes it was given."""


@dataclass(frozen=True, slots=True)
class Node:
    """A perfect subtree's hash, to be stored under ``(level, index)``."""

    level: int
    index: int
    hash: bytes


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf's data (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node from its children's hashes."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH of the leaves whose *hashes* are given, in O(n) time and O(log n) memory."""
    stack: list[bytes] = []
    for index, value in enumerate(leaf_hashes):
        current, merges = value, index
        while merges & 1:
            current = node_hash(stack.pop(), current)
            merges >>= 1
        stack.append(current)
    return _fold(stack)


def position(level: int, index: int) -> int:
    """One integer per node (in-order numbering: leaf i at 2i, parents between their
    children), for storing nodes under a single indexed column."""
    return ((2 * index + 1) << level) - 1


def _fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a run of leaves from its perfect subtrees, largest (leftmost) first."""
    if not hashes:
        return EMPTY_ROOT
    current = hashes[-1]
    for left in reversed(hashes[:-1]):
        current = node_hash(left, current)
    return current


def _lookup(nodes: NodeSource) -> Callable[[int, int], bytes]:
    if not isinstance(nodes, Mapping):
        return nodes

    def from_mapping(level: int, index: int) -> bytes:
        try:
            # bytes(): a database driver may hand back a memoryview.
            return bytes(nodes[level, index])
        except KeyError:
            raise MissingNode(f"node (level {level}, index {index}) was not fetched") from None

    return from_mapping


class Frontier:
    """The right edge of a growing tree: one perfect subtree per set bit of its size.

    ``append`` takes the next leaf hash and returns the perfect subtrees it completes,
    for storage; ``root`` is the current tree's MTH. ``restore`` rebuilds a frontier from
    stored nodes (``needed_nodes_for_root(size)``), so appending needs no other state.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def restore(cls, size: int, nodes: NodeSource) -> Frontier:
        lookup = _lookup(nodes)
        frontier = cls()
        frontier._size = size
        frontier._hashes = [lookup(level, index) for level, index in subtree_keys(0, size)]
        return frontier

    @classmethod
    def from_hashes(cls, size: int, hashes: Sequence[bytes]) -> Frontier:
        """A frontier kept as it was (``hashes``: one per set bit of ``size``, largest first)."""
        if len(hashes) != size.bit_count() or any(len(value) != HASH_SIZE for value in hashes):
            raise MalformedInput(f"a tree of {size} leaves has {size.bit_count()} frontier hashes of 32 bytes")
        frontier = cls()
        frontier._size = size
        frontier._hashes = [bytes(value) for value in hashes]
        return frontier

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        """The perfect subtrees of the right edge, largest first (see ``from_hashes``)."""
        return list(self._hashes)

    def append(self, leaf_hash: bytes) -> list[Node]:
        """Add the next leaf, by its hash; return the nodes this completes, the leaf
        itself (level 0) first."""
        if len(leaf_hash) != HASH_SIZE:
            raise MalformedInput("a leaf hash is 32 bytes")
        index = self._size
        completed = [Node(0, index, leaf_hash)]
        current, level = leaf_hash, 0
        while (index >> level) & 1:
            current = node_hash(self._hashes.pop(), current)
            level += 1
            completed.append(Node(level, index >> level, current))
        self._hashes.append(current)
        self._size += 1
        return completed

    def root(self) -> bytes:
        return _fold(self._hashes)


def subtree_keys(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees, largest first, whose hashes fold into MTH(D[start:end]).

    ``start`` must be a multiple of the smallest power of two >= ``end - start``, as it
    is for every subtree of an RFC 9162 tree (the only runs a proof asks about).
    """
    count = end - start
    if start < 0 or count < 0:
        raise MalformedInput("a run of leaves needs 0 <= start <= end")
    if count and start % (1 << (count - 1).bit_length()):
        raise MalformedInput(f"leaves [{start}, {end}) are not a subtree of any tree")
    keys = []
    for level in reversed(range(count.bit_length())):
        if count >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


def range_hash(start: int, end: int, nodes: NodeSource) -> bytes:
    """MTH(D[start:end]) from stored perfect subtrees, in at most log2(n) lookups."""
    lookup = _lookup(nodes)
    return _fold([lookup(level, index) for level, index in subtree_keys(start, end)])


def _split(count: int) -> int:
    """The largest power of two smaller than ``count`` (count >= 2)."""
    return 1 << ((count - 1).bit_length() - 1)


def _inclusion_runs(index: int, size: int) -> list[tuple[int, int]]:
    """The runs of leaves whose hashes make PATH(index, D[size]), leaf side first."""
    if not 0 <= index < size:
        raise MalformedInput(f"leaf {index} is not in a tree of {size} leaves")
    runs = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            runs.append((start + k, end))
            end = start + k
        else:
            runs.append((start, start + k))
            start += k
    runs.reverse()
    return runs


def _consistency_runs(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The runs of leaves whose hashes make PROOF(old_size, D[new_size]) (RFC 9162
    §2.1.4.1, SUBPROOF unrolled); empty when old_size is 0 or equals new_size."""
    if not 0 <= old_size <= new_size:
        raise MalformedInput("a consistency proof needs 0 <= old size <= new size")
    if old_size in (0, new_size):
        return []
    runs = []
    start, end = 0, new_size
    whole = True  # SUBPROOF's b: the old tree is still a complete subtree here
    while end != old_size:
        k = _split(end - start)
        if old_size - start <= k:
            runs.append((start + k, end))
            end = start + k
        else:
            runs.append((start, start + k))
            start += k
            whole = False
    runs.reverse()
    return runs if whole else [(start, end), *runs]


def _needed(runs: list[tuple[int, int]]) -> set[NodeKey]:
    return {key for start, end in runs for key in subtree_keys(start, end)}


def needed_nodes_for_root(size: int) -> set[NodeKey]:
    """The stored nodes ``range_hash(0, size, ...)`` and ``Frontier.restore`` read."""
    return set(subtree_keys(0, size))


def needed_nodes_for_inclusion(index: int, size: int) -> set[NodeKey]:
    """The stored nodes ``inclusion_proof(index, size, ...)`` reads (O(log size) of them)."""
    return _needed(_inclusion_runs(index, size))


def needed_nodes_for_consistency(old_size: int, new_size: int) -> set[NodeKey]:
    """The stored nodes ``consistency_proof(old_size, new_size, ...)`` reads."""
    return _needed(_consistency_runs(old_size, new_size))


def inclusion_proof(index: int, size: int, nodes: NodeSource) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1: sibling hashes from the leaf up."""
    return [range_hash(start, end, nodes) for start, end in _inclusion_runs(index, size)]


def consistency_proof(old_size: int, new_size: int, nodes: NodeSource) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1; empty when there is nothing to
    prove (old size 0, or equal sizes)."""
    return [range_hash(start, end, nodes) for start, end in _consistency_runs(old_size, new_size)]


def _check_hashes(root_hashes: Sequence[bytes], proof: Sequence[bytes]) -> None:
    if any(len(value) != HASH_SIZE for value in root_hashes):
        raise MerkleProofError("a tree hash is not 32 bytes")
    if any(len(value) != HASH_SIZE for value in proof):
        raise MerkleProofError("a proof hash is not 32 bytes")


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes) -> None:
    """Check that the leaf whose hash is ``leaf_hash`` is leaf ``index`` of the tree of
    ``size`` leaves whose root is ``root_hash`` (RFC 9162 §2.1.3.2); raise
    MerkleProofError if not.

    Take ``size`` and ``root_hash`` from the same signed tree head: a proof does not name
    the size it was made for, and one for leaf 0 of 3 leaves also checks as leaf 0 of 4
    against the same root (likewise for consistency proofs).
    """
    _check_hashes([leaf_hash, root_hash], proof)
    if not 0 <= index < size:
        raise MerkleProofError(f"leaf {index} is not in a tree of {size} leaves")
    fn, sn = index, size - 1
    result = leaf_hash
    for sibling in proof:
        if sn == 0:
            raise MerkleProofError("the proof is longer than the path from the leaf to the root")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise MerkleProofError("the proof is shorter than the path from the leaf to the root")
    if result != root_hash:
        raise MerkleProofError("the proof leads to another root: the leaf is not at that index in this tree")


def _verify_nothing_to_prove(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    if proof:
        raise MerkleProofError("a proof between these sizes is empty")
    if old_size == 0 and old_root != EMPTY_ROOT:
        raise MerkleProofError("the old root is not the root of an empty tree")
    if old_size == new_size and old_root != new_root:
        raise MerkleProofError("the two roots differ for the same tree size")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree of ``new_size`` leaves with root ``new_root`` extends the tree
    of ``old_size`` leaves with root ``old_root`` (RFC 9162 §2.1.4.2); raise
    MerkleProofError if not.

    Beyond the RFC's 0 < old_size < new_size: equal sizes need equal roots and an empty
    proof; an old size of 0 needs the empty tree's root and an empty proof.
    """
    _check_hashes([old_root, new_root], proof)
    if not 0 <= old_size <= new_size:
        raise MerkleProofError(f"a tree of {new_size} leaves cannot extend one of {old_size}")
    if old_size in (0, new_size):
        _verify_nothing_to_prove(old_size, new_size, old_root, new_root, proof)
        return
    if not proof:
        raise MerkleProofError("the proof is empty")
    # A power-of-two old tree is a complete subtree of the new one: its root starts the path.
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old_result = new_result = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise MerkleProofError("the proof is longer than the trees need")
        if fn & 1 or fn == sn:
            old_result = node_hash(sibling, old_result)
            new_result = node_hash(sibling, new_result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            new_result = node_hash(new_result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise MerkleProofError("the proof is shorter than the trees need")
    if old_result != old_root:
        raise MerkleProofError("the proof does not lead to the old root")
    if new_result != new_root:
        raise MerkleProofError("the proof does not lead to the new root: the new tree does not extend the old one")
