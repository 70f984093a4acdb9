"""The ledger's Merkle tree against RFC 9162 as written (tests/crypto/merkle_reference.py)
and against the known answers of the Go reference implementation."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.crypto import merkle
from chorus.crypto.errors import MalformedInput
from chorus.crypto.merkle import EMPTY_ROOT, MerkleProofError, MissingNode, NodeKey
from tests.crypto import merkle_reference as rfc

LEAF_HASHES = [merkle.leaf_hash(data) for data in rfc.LEAVES]


def _grow() -> tuple[dict[NodeKey, bytes], list[bytes]]:
    """Every node a frontier hands out for storage over the 2,000 leaves, and the root
    after each append."""
    frontier, stored, roots = merkle.Frontier(), {}, []
    for value in LEAF_HASHES:
        for node in frontier.append(value):
            assert (node.level, node.index) not in stored  # each node is written once
            stored[node.level, node.index] = node.hash
        roots.append(frontier.root())
    return stored, roots


STORED, ROOTS = _grow()


def _reader(size: int, seen: set[NodeKey]) -> Callable[[int, int], bytes]:
    """STORED as a tree of ``size`` leaves has it: a node completed later is a failure."""

    def node(level: int, index: int) -> bytes:
        assert (index + 1) << level <= size, f"node {(level, index)} is not complete at size {size}"
        seen.add((level, index))
        return STORED[level, index]

    return node


def _refusal(check: Callable[[], None]) -> str | None:
    try:
        check()
    except MerkleProofError as error:
        return str(error)
    return None


def _tampered(proof: Sequence[bytes], extra: Sequence[bytes]) -> list[list[bytes]]:
    """The proof with one element changed, removed, added or moved."""
    variants = []
    for position, value in enumerate(proof):
        flipped = bytearray(value)
        flipped[position % 32] ^= 8
        variants.append([*proof[:position], bytes(flipped), *proof[position + 1 :]])
    if proof:
        variants += [list(proof[:-1]), list(proof[1:]), [*proof, proof[0]], [proof[0], *proof]]
    if len(proof) > 1:
        variants += [[proof[1], proof[0], *proof[2:]], [proof[0], rfc.sha256(b"some hash"), *proof[1:]]]
    for value in extra:
        variants += [[*proof, value], [value, *proof]]
    return [variant for variant in variants if variant != list(proof)]


def _check_inclusion(index: int, size: int) -> None:
    """The proof from storage is RFC 9162's PATH, reads exactly the nodes announced, and
    verifies; every tampered claim is refused, save one the RFC's own algebra accepts."""
    seen: set[NodeKey] = set()
    proof = merkle.inclusion_proof(index, size, _reader(size, seen))
    assert proof == rfc.path(index, size)
    assert seen == merkle.needed_nodes_for_inclusion(index, size)
    assert len(seen) <= 2 * size.bit_length()
    leaf, root = LEAF_HASHES[index], ROOTS[size - 1]
    merkle.verify_inclusion(leaf, index, size, proof, root)

    honest = rfc.inclusion_shape(index, size, len(proof))
    claims = {(index - 1, size), (index + 1, size), (index ^ 2, size), (index, size - 1), (index, size + 1)}
    claims |= {(index, size * 2), (index, size // 2), (index ^ 1, size + 3)}
    for other_index, other_size in claims - {(index, size)}:
        # A proof names no size: it verifies for any leaf and size whose path has the same
        # shape (e.g. leaf 0 of 3 and of 4), which is why a root is only ever trusted
        # together with the size it was signed with.
        same = 0 <= other_index < other_size and rfc.inclusion_shape(other_index, other_size, len(proof)) == honest
        refusal = _refusal(lambda: merkle.verify_inclusion(leaf, other_index, other_size, proof, root))  # noqa: B023
        assert (refusal is None) == same, (index, size, other_index, other_size)
    for variant in _tampered(proof, [root, leaf]):
        assert _refusal(lambda: merkle.verify_inclusion(leaf, index, size, variant, root)), (index, size, variant)  # noqa: B023
    for wrong_leaf in (rfc.sha256(b"another leaf"), merkle.leaf_hash(leaf)):
        assert _refusal(lambda: merkle.verify_inclusion(wrong_leaf, index, size, proof, root))  # noqa: B023
    for wrong_root in (EMPTY_ROOT, ROOTS[size], leaf if size > 1 else ROOTS[1]):
        assert _refusal(lambda: merkle.verify_inclusion(leaf, index, size, proof, wrong_root))  # noqa: B023


def _check_consistency(old_size: int, new_size: int) -> None:
    seen: set[NodeKey] = set()
    proof = merkle.consistency_proof(old_size, new_size, _reader(new_size, seen))
    assert seen == merkle.needed_nodes_for_consistency(old_size, new_size)
    assert len(seen) <= 2 * new_size.bit_length()
    old_root = ROOTS[old_size - 1] if old_size else EMPTY_ROOT
    new_root = ROOTS[new_size - 1]
    merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)
    if old_size in (0, new_size):
        assert proof == []
        return
    assert proof == rfc.proof(old_size, new_size)

    honest = rfc.consistency_shape(old_size, new_size, len(proof))
    claims = {(old_size - 1, new_size), (old_size + 1, new_size), (old_size ^ 2, new_size)}
    claims |= {(old_size, new_size - 1), (old_size, new_size + 1), (old_size, new_size * 2), (old_size, new_size // 2)}
    for other_old, other_new in claims - {(old_size, new_size)}:
        same = False
        if 0 < other_old < other_new:
            shape = rfc.consistency_shape(other_old, other_new, len(proof))
            same = shape is not None and tuple(rfc.substitute(part, "old", honest[0]) for part in shape) == honest
        refusal = _refusal(lambda: merkle.verify_consistency(other_old, other_new, old_root, new_root, proof))  # noqa: B023
        assert (refusal is None) == same, (old_size, new_size, other_old, other_new)
    for variant in [*_tampered(proof, [old_root, new_root]), []]:
        assert _refusal(lambda: merkle.verify_consistency(old_size, new_size, old_root, new_root, variant))  # noqa: B023
    wrong_old = ROOTS[old_size - 2] if old_size > 1 else rfc.sha256(b"another root")
    for roots in ((new_root, old_root), (wrong_old, new_root), (old_root, ROOTS[new_size]), (old_root, old_root)):
        assert _refusal(lambda: merkle.verify_consistency(old_size, new_size, *roots, proof))  # noqa: B023


def test_roots_match_the_rfc_for_every_size_to_2000() -> None:
    assert merkle.root([]) == EMPTY_ROOT == rfc.mth(0, 0)
    for size in range(1, 2001):
        assert ROOTS[size - 1] == rfc.mth(0, size)
    for size in [*range(1, 300), 1023, 1024, 1025, 2000]:
        assert merkle.root(LEAF_HASHES[:size]) == rfc.mth(0, size)
        assert merkle.range_hash(0, size, STORED) == rfc.mth(0, size)


def test_storage_holds_about_two_nodes_per_leaf() -> None:
    assert len(STORED) == sum(2000 >> level for level in range(11))  # 3,989
    assert all(STORED[0, index] == value for index, value in enumerate(LEAF_HASHES))


def test_proofs_match_the_rfc_for_every_size_to_300() -> None:
    generator = random.Random(9162)
    for size in range(1, 301):
        for index in {0, size - 1, size // 2, generator.randrange(size), generator.randrange(size)}:
            _check_inclusion(index, size)
        powers = [1 << bit for bit in range(size.bit_length())]
        for old_size in {0, 1, size - 1, size // 2, size, powers[-1], generator.randrange(size)}:
            _check_consistency(old_size, size)


def test_every_proof_of_small_trees() -> None:
    for size in range(1, 65):
        for index in range(size):
            _check_inclusion(index, size)
        for old_size in range(size + 1):
            _check_consistency(old_size, size)


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 1999), data=st.data())
def test_proofs_match_the_rfc_for_random_trees_to_2000(size: int, data: st.DataObject) -> None:
    _check_inclusion(data.draw(st.integers(0, size - 1)), size)
    _check_consistency(data.draw(st.integers(0, size)), size)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(0, 1900), more=st.integers(1, 100))
def test_a_restored_frontier_carries_on_as_if_never_stopped(size: int, more: int) -> None:
    keys = merkle.needed_nodes_for_root(size)
    frontier = merkle.Frontier.restore(size, {key: STORED[key] for key in keys})
    assert frontier.size == size
    assert frontier.root() == (ROOTS[size - 1] if size else EMPTY_ROOT)
    for index in range(size, size + more):
        for node in frontier.append(LEAF_HASHES[index]):
            assert STORED[node.level, node.index] == node.hash
        assert frontier.root() == ROOTS[index]


def test_node_positions_are_the_in_order_numbering() -> None:
    expected: dict[NodeKey, int] = {}

    def visit(level: int, index: int) -> None:
        if level:
            visit(level - 1, 2 * index)
        expected[level, index] = len(expected)
        if level:
            visit(level - 1, 2 * index + 1)

    visit(8, 0)
    assert all(merkle.position(*key) == value for key, value in expected.items())
    assert len({merkle.position(*key) for key in STORED}) == len(STORED)


# Known answers from transparency-dev/merkle, proof/verify_test.go at commit
# 02194e9afb6c1d95b5381350007963aa70fff472 (the RFC 6962 reference tree of 8 leaves;
# the Go vectors number leaves from 1).
KNOWN_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
KNOWN_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
KNOWN_INCLUSION = [  # (leaf index from 0, tree size, proof)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
KNOWN_CONSISTENCY = [  # (old size, new size, proof)
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (1, 1, []),
]  # fmt: skip


def _known_tree() -> tuple[list[bytes], dict[NodeKey, bytes], list[bytes]]:
    frontier, stored, roots = merkle.Frontier(), {}, []
    hashes = [merkle.leaf_hash(bytes.fromhex(data)) for data in KNOWN_LEAVES]
    for value in hashes:
        stored.update({(node.level, node.index): node.hash for node in frontier.append(value)})
        roots.append(frontier.root())
    return hashes, stored, roots


def test_the_reference_tree_of_eight_leaves() -> None:
    hashes, stored, roots = _known_tree()
    assert [root.hex() for root in roots] == KNOWN_ROOTS
    assert [merkle.root(hashes[:size]).hex() for size in range(1, 9)] == KNOWN_ROOTS
    for index, size, expected in KNOWN_INCLUSION:
        proof = merkle.inclusion_proof(index, size, stored)
        assert [value.hex() for value in proof] == expected
        merkle.verify_inclusion(hashes[index], index, size, proof, roots[size - 1])
        assert _refusal(lambda: merkle.verify_inclusion(hashes[index], index, size * 2, proof, roots[size - 1]))  # noqa: B023
    for old_size, new_size, expected in KNOWN_CONSISTENCY:
        proof = merkle.consistency_proof(old_size, new_size, stored)
        assert [value.hex() for value in proof] == expected
        merkle.verify_consistency(old_size, new_size, roots[old_size - 1], roots[new_size - 1], proof)


def test_trivial_consistency() -> None:
    root = ROOTS[9]
    merkle.verify_consistency(0, 10, EMPTY_ROOT, root, [])
    merkle.verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    merkle.verify_consistency(10, 10, root, root, [])
    assert _refusal(lambda: merkle.verify_consistency(0, 10, root, root, [])) == (
        "the old root is not the root of an empty tree"
    )
    assert _refusal(lambda: merkle.verify_consistency(0, 10, EMPTY_ROOT, root, [root])) == (
        "a proof between these sizes is empty"
    )
    assert _refusal(lambda: merkle.verify_consistency(10, 10, root, ROOTS[8], [])) == (
        "the two roots differ for the same tree size"
    )
    assert _refusal(lambda: merkle.verify_consistency(11, 10, root, root, [root])) == (
        "a tree of 10 leaves cannot extend one of 11"
    )
    assert _refusal(lambda: merkle.verify_consistency(3, 10, ROOTS[2], root, [])) == "the proof is empty"


def test_refusals_say_why() -> None:
    leaf, root = LEAF_HASHES[3], ROOTS[9]
    proof = rfc.path(3, 10)
    assert _refusal(lambda: merkle.verify_inclusion(leaf, 10, 10, proof, root)) == (
        "leaf 10 is not in a tree of 10 leaves"
    )
    assert (
        _refusal(lambda: merkle.verify_inclusion(leaf, 0, 0, [], EMPTY_ROOT)) == "leaf 0 is not in a tree of 0 leaves"
    )
    assert (
        _refusal(lambda: merkle.verify_inclusion(leaf, -1, 10, proof, root)) == "leaf -1 is not in a tree of 10 leaves"
    )
    assert _refusal(lambda: merkle.verify_inclusion(leaf[:31], 3, 10, proof, root)) == "a tree hash is not 32 bytes"
    assert _refusal(lambda: merkle.verify_inclusion(leaf, 3, 10, [*proof[:-1], b""], root)) == (
        "a proof hash is not 32 bytes"
    )
    assert _refusal(lambda: merkle.verify_inclusion(leaf, 3, 10, proof[:-1], root)) == (
        "the proof is shorter than the path from the leaf to the root"
    )
    assert _refusal(lambda: merkle.verify_inclusion(leaf, 3, 10, [*proof, root], root)) == (
        "the proof is longer than the path from the leaf to the root"
    )
    assert _refusal(lambda: merkle.verify_inclusion(LEAF_HASHES[4], 3, 10, proof, root)) == (
        "the proof leads to another root: the leaf is not at that index in this tree"
    )
    consistency = rfc.proof(6, 10)
    assert _refusal(lambda: merkle.verify_consistency(6, 10, ROOTS[4], root, consistency)) == (
        "the proof does not lead to the old root"
    )
    assert _refusal(lambda: merkle.verify_consistency(6, 10, ROOTS[5], ROOTS[10], consistency)) == (
        "the proof does not lead to the new root: the new tree does not extend the old one"
    )


def test_it_refuses_to_build_what_does_not_exist() -> None:
    with pytest.raises(MalformedInput):
        merkle.inclusion_proof(5, 5, STORED)
    with pytest.raises(MalformedInput):
        merkle.consistency_proof(6, 5, STORED)
    with pytest.raises(MalformedInput):
        merkle.range_hash(1, 3, STORED)  # leaves 1 and 2 are not one subtree
    with pytest.raises(MalformedInput):
        merkle.Frontier().append(b"short")
    with pytest.raises(MissingNode, match=r"node \(level 2, index 1\) was not fetched"):
        merkle.inclusion_proof(0, 8, {(0, 1): LEAF_HASHES[1], (1, 1): STORED[1, 1]})


def test_a_database_may_hand_back_memoryviews() -> None:
    keys = merkle.needed_nodes_for_consistency(300, 1000)
    fetched = {key: memoryview(STORED[key]) for key in keys}
    proof = merkle.consistency_proof(300, 1000, fetched)
    assert all(type(value) is bytes for value in proof)
    assert proof == rfc.proof(300, 1000)


def test_hashes_are_domain_separated() -> None:
    assert merkle.leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert merkle.node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
