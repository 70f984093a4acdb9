"""The browser's Merkle checks (js/merkle.js) under Node: the same roots, the same tree
head bytes, and the same verdict, word for word, on honest and tampered proofs as
chorus.crypto.merkle, over random trees of up to 2,000 leaves, in one Node run."""

from __future__ import annotations

import random
from functools import partial
from pathlib import Path
from typing import Any

from chorus.crypto import merkle
from chorus.crypto.merkle import EMPTY_ROOT
from chorus.crypto.tree_head import LARGEST, TreeHead
from tests.crypto import merkle_reference as rfc
from tests.crypto.test_merkle import LEAF_HASHES, ROOTS, STORED, _refusal, _tampered
from tests.helpers import run_node

ROOT = Path(__file__).resolve().parents[2]


def _node(command: str, request: dict[str, Any]) -> Any:
    return run_node("run_merkle.js", command, request)


def _hex(values: list[bytes]) -> list[str]:
    return [value.hex() for value in values]


def _inclusion_cases(index: int, size: int) -> list[tuple[bytes, int, int, list[bytes], bytes]]:
    leaf, root = LEAF_HASHES[index], ROOTS[size - 1]
    proof = merkle.inclusion_proof(index, size, STORED)
    cases = [(leaf, index, size, proof, root)]
    for other_index, other_size in ((index - 1, size), (index + 1, size), (index, size + 1), (index, size // 2)):
        cases.append((leaf, other_index, other_size, proof, root))
    cases += [(leaf, index, size, variant, root) for variant in _tampered(proof, [root])]
    cases += [(LEAF_HASHES[index ^ 1], index, size, proof, root), (leaf, index, size, proof, ROOTS[size])]
    cases += [(leaf[:31], index, size, proof, root), (leaf, index, size, [*proof, b"\0"], root)]
    return cases


def _consistency_cases(old_size: int, new_size: int) -> list[tuple[int, int, bytes, bytes, list[bytes]]]:
    old_root = ROOTS[old_size - 1] if old_size else EMPTY_ROOT
    new_root = ROOTS[new_size - 1]
    proof = merkle.consistency_proof(old_size, new_size, STORED)
    cases = [(old_size, new_size, old_root, new_root, proof), (old_size, new_size, new_root, old_root, proof)]
    for other_old, other_new in ((old_size - 1, new_size), (old_size + 1, new_size), (old_size, new_size + 1)):
        cases.append((other_old, other_new, old_root, new_root, proof))
    cases += [(old_size, new_size, old_root, new_root, variant) for variant in _tampered(proof, [old_root])]
    cases += [(old_size, new_size, old_root, ROOTS[new_size], proof), (old_size, new_size, old_root, new_root, [])]
    return cases


def test_node_and_python_agree_on_every_verdict() -> None:
    generator = random.Random(6962)
    sizes = [1, 2, 3, 4, 5, 7, 8, 9, 1023, 1024, 1999] + [generator.randint(1, 1999) for _ in range(40)]
    inclusion, consistency = [], []
    for size in sizes:
        for index in {0, size - 1, generator.randrange(size)}:
            inclusion += _inclusion_cases(index, size)
        for old_size in {0, size, 1, max(1, size // 2), generator.randint(1, size)}:
            consistency += _consistency_cases(old_size, size)
    heads = [
        TreeHead(origin="chorus.example.org/ledger/platform", size=size, root_hash=ROOTS[size - 1], timestamp=size**2)
        for size in sizes
    ]
    heads.append(
        TreeHead(origin="~!*,-./:;<=>?@[]^_`{|}" + "x" * 233, size=LARGEST, root_hash=bytes(32), timestamp=LARGEST)
    )
    trees = [rfc.LEAVES[:size] for size in (0, 1, 2, 3, 8, 9, 1000)]

    answer = _node(
        "check",
        {
            "trees": [[data.hex() for data in leaves] for leaves in trees],
            "inclusion": [[leaf.hex(), i, n, _hex(proof), root.hex()] for leaf, i, n, proof, root in inclusion],
            "consistency": [[m, n, old.hex(), new.hex(), _hex(proof)] for m, n, old, new, proof in consistency],
            "heads": [{"origin": h.origin, "size": h.size, "root": h.root_hash.hex(), "timestamp": h.timestamp} for h in heads],
        },
    )  # fmt: skip

    assert answer["roots"] == [rfc.mth(0, len(leaves)).hex() for leaves in trees]
    assert answer["heads"] == [head.message().hex() for head in heads]
    expected = [_refusal(partial(merkle.verify_inclusion, *case)) for case in inclusion]
    assert answer["inclusion"] == expected
    assert answer["consistency"] == [_refusal(partial(merkle.verify_consistency, *case)) for case in consistency]
    # Both sides accepted the honest proofs and refused the rest, for the same reasons.
    assert expected.count(None) >= len(sizes) * 2
    assert len(set(answer["inclusion"]) | set(answer["consistency"])) >= 10
