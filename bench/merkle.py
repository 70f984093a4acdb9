"""``python -m bench merkle``: the ledger's Merkle tree at 10^6 leaves, in memory.

Appends through ``Frontier`` (leaf hash, append, store the completed nodes), the size of
inclusion and consistency proofs and the nodes a database would fetch for them, and the
time to build and to verify a proof in Python and, for verification, in Node (js/merkle.js,
the code the ledger page runs).
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chorus.crypto import merkle

ROOT = Path(__file__).resolve().parents[1]


def _microseconds(check: Callable[[], object], rounds: int) -> float:
    for _ in range(rounds):
        check()
    start = time.perf_counter()
    for _ in range(rounds):
        check()
    return (time.perf_counter() - start) * 1e6 / rounds


def bench_merkle(emit: Callable[..., None], leaves: int = 1_000_000, rounds: int = 2000) -> None:
    # Stored nodes as a table would hold them: per level, 32 bytes per index.
    levels = [bytearray() for _ in range(leaves.bit_length() + 1)]
    frontier = merkle.Frontier()
    stored = 0
    start = time.perf_counter()
    for number in range(leaves):
        for completed in frontier.append(merkle.leaf_hash(number.to_bytes(8, "big"))):
            levels[completed.level] += completed.hash
            stored += 1
    append_seconds = time.perf_counter() - start

    def node(level: int, index: int) -> bytes:
        return bytes(levels[level][32 * index : 32 * index + 32])

    root = frontier.root()
    generator = random.Random(9162)  # noqa: S311 (reproducible bench data, not secrets)
    indexes = [generator.randrange(leaves) for _ in range(1000)]
    inclusion = [len(merkle.needed_nodes_for_inclusion(index, leaves)) for index in indexes]
    inclusion_lengths = [len(merkle.inclusion_proof(index, leaves, node)) for index in indexes[:200]]
    old_sizes = [generator.randrange(1, leaves) for _ in range(1000)]
    consistency = [len(merkle.needed_nodes_for_consistency(old, leaves)) for old in old_sizes]
    consistency_lengths = [len(merkle.consistency_proof(old, leaves, node)) for old in old_sizes[:200]]
    emit(
        bench="merkle_append",
        leaves=leaves,
        appends_per_s=round(leaves / append_seconds),
        nodes_stored=stored,
        nodes_per_leaf=round(stored / leaves, 3),
        node_bytes=32 * stored,
    )
    emit(
        bench="merkle_proof_sizes",
        tree_size=leaves,
        inclusion_hashes_max=max(inclusion_lengths),
        inclusion_hashes_mean=round(statistics.fmean(inclusion_lengths), 1),
        inclusion_nodes_fetched_max=max(inclusion),
        consistency_hashes_max=max(consistency_lengths),
        consistency_hashes_mean=round(statistics.fmean(consistency_lengths), 1),
        consistency_nodes_fetched_max=max(consistency),
        consistency_bytes_max=32 * max(consistency_lengths),
    )

    # An old size with many bits set, so its proof is among the longest at this size.
    old_size = (1 << 19) + (1 << 17) + (1 << 13) + 2047
    old_root = merkle.range_hash(0, old_size, node)
    proof = merkle.consistency_proof(old_size, leaves, node)
    merkle.verify_consistency(old_size, leaves, old_root, root, proof)
    index = leaves - 3
    path = merkle.inclusion_proof(index, leaves, node)
    leaf = node(0, index)
    keys = merkle.needed_nodes_for_consistency(old_size, leaves)
    fetched = {key: node(*key) for key in keys}
    node_side = _node_time(
        {
            "oldSize": old_size,
            "newSize": leaves,
            "oldRoot": old_root.hex(),
            "newRoot": root.hex(),
            "proof": [value.hex() for value in proof],
            "rounds": rounds,
        }
    )
    emit(
        bench="merkle_verify",
        tree_size=leaves,
        old_size=old_size,
        consistency_hashes=len(proof),
        python_build_consistency_us=round(_microseconds(lambda: merkle.consistency_proof(old_size, leaves, fetched), rounds), 1),
        python_verify_consistency_us=round(
            _microseconds(lambda: merkle.verify_consistency(old_size, leaves, old_root, root, proof), rounds), 1
        ),
        python_verify_inclusion_us=round(
            _microseconds(lambda: merkle.verify_inclusion(leaf, index, leaves, path, root), rounds), 1
        ),
        node_verify_consistency_us=round(node_side["microseconds"], 1),
        node=node_side["version"],
    )  # fmt: skip


def _node_time(request: dict[str, Any]) -> Any:
    """Microseconds per consistency check in Node, and which Node."""
    result = subprocess.run(
        ["node", str(ROOT / "js" / "run_merkle.js"), "time"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    return {**json.loads(result.stdout), "version": version}
