"""One construction, two implementations: the browser module (js/escrow.js) reproduces
the Python vectors byte for byte, under Node (the Chromium run is in tests/browser)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from nacl.public import PrivateKey, SealedBox

from tests.escrow.both_sides import node
from tests.escrow.vectors import TEAM_SECRET, make_vectors

ROOT = Path(__file__).resolve().parents[2]


def _expected(vectors: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [vector["expected"] for vector in vectors]


def _node(vectors: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    return node("vectors", vectors, check=False, timeout=60)


def test_node_reproduces_the_python_vectors() -> None:
    vectors = make_vectors()
    result = _node(vectors)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == _expected(vectors)


def test_node_refuses_a_proof_under_another_key() -> None:
    vectors = make_vectors()[:1]
    vectors[0]["custodianKey"] = vectors[0]["platformKey"]
    result = _node(vectors)
    assert result.returncode != 0
    assert "proof" in result.stderr.lower(), result.stderr


def test_the_sealed_box_vector_is_what_libsodium_opens() -> None:
    for vector in make_vectors():
        opened = SealedBox(PrivateKey(TEAM_SECRET)).decrypt(bytes.fromhex(vector["expected"]["sealed"]))
        assert opened.decode() == vector["content"]
