"""The browser's check of a transparency log (js/log_check.js) under Node, against the
server's own checks: the same cosignature bytes as TreeHead.cosignature_message (and the
same refusals), the same Ed25519 verdicts as libsodium, and, visit after visit, the same
verdict on honest, grown, shrunk, forked, re-keyed and tampered logs as a browser built
from the server's checks (log.tree_head_problem under the pinned keys, then
merkle.verify_consistency from the head kept at the last visit)."""

from __future__ import annotations

import base64
import binascii
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chorus.crypto import merkle, signing
from chorus.crypto.errors import BadSignature, MalformedInput
from chorus.crypto.tree_head import LARGEST, TreeHead
from chorus.ledger import log
from chorus.ledger.models import LedgerTreeHead
from tests.crypto.test_merkle import ROOTS, STORED, _tampered
from tests.helpers import run_node

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "chorus.example.org/org:7"
HEAD_URL = "/ledger/log/head/"
LOG_SEED, OTHER_LOG_SEED = bytes(range(32)), bytes(range(1, 33))
WITNESS_SEED, OTHER_WITNESS_SEED = bytes(range(2, 34)), bytes(range(3, 35))
LOG_KEY, OTHER_LOG_KEY = signing.public_key_for(LOG_SEED).hex(), signing.public_key_for(OTHER_LOG_SEED).hex()
WITNESS_KEY = signing.public_key_for(WITNESS_SEED).hex()
OTHER_WITNESS_KEY = signing.public_key_for(OTHER_WITNESS_SEED).hex()


def _node(command: str, request: dict[str, Any]) -> Any:
    return run_node("run_log_check.js", command, request)


# ---- the cosignature message and Ed25519 ----------------------------------------------


def test_cosignature_messages_are_the_servers_byte_for_byte() -> None:
    generator = random.Random(9162)
    heads: list[dict[str, Any]] = [
        {
            "origin": ORIGIN,
            "size": size,
            "root": ROOTS[size - 1].hex(),
            "timestamp": size * 7,
            "witness_timestamp": stamp,
        }
        for size, stamp in [(1, 0), (2, 1), (1999, LARGEST), (64, 1_700_000_000)]
    ]
    heads += [
        {
            "origin": "~!*,-./:;<=>?@[]^_`{|}" + "x" * generator.randint(0, 233),
            "size": generator.randint(0, LARGEST),
            "root": generator.randbytes(32).hex(),
            "timestamp": generator.randint(0, LARGEST),
            "witness_timestamp": generator.randint(0, LARGEST),
        }
        for _ in range(40)
    ]
    # What either side must refuse, for the same reason.
    good = heads[0]
    heads += [
        {**good, "witness_timestamp": bad} for bad in (-1, LARGEST + 1, 1.5, "3", True, None)
    ] + [
        {**good, "timestamp": -1},
        {**good, "size": LARGEST + 1},
        {**good, "origin": "has space"},
        {**good, "origin": "plus+sign"},
        {**good, "origin": ""},
        {**good, "root": "00" * 31},
    ]  # fmt: skip

    def python(head: dict[str, Any]) -> Any:
        try:
            tree = TreeHead(
                origin=head["origin"],
                size=head["size"],
                root_hash=bytes.fromhex(head["root"]),
                timestamp=head["timestamp"],
            )
            return tree.cosignature_message(head["witness_timestamp"]).hex()
        except MalformedInput as error:
            return {"error": str(error)}

    expected = [python(head) for head in heads]
    assert _node("messages", {"heads": heads}) == expected
    assert sum(isinstance(value, dict) for value in expected) == 12


def test_signatures_verify_as_libsodium_verifies_them() -> None:
    generator = random.Random(25519)
    order = 2**252 + 27742317777372353535851937790883648493  # L, the group's order
    cases = []
    for number in range(30):
        seed, message = generator.randbytes(32), generator.randbytes(number * 3)
        key, signature = signing.public_key_for(seed), signing.sign(seed, message)
        s = int.from_bytes(signature[32:], "little")
        cases += [
            (key, message, signature),
            (key, message + b"\n", signature),
            (signing.public_key_for(generator.randbytes(32)), message, signature),
            (key, message, signature[:number] + bytes([signature[number] ^ 1]) + signature[number + 1 :]),
            (key, message, signature[:32] + (s + order).to_bytes(32, "little")),  # S not reduced
            (key, message, bytes(64)),
            (bytes(32), message, signature),
        ]

    def python(key: bytes, message: bytes, signature: bytes) -> bool:
        try:
            signing.verify(key, message, signature)
        except BadSignature:
            return False
        return True

    expected = [python(*case) for case in cases]
    assert _node("signatures", {"cases": [[part.hex() for part in case] for case in cases]}) == expected
    assert expected.count(True) == 30


# ---- checkLog, visit after visit ---------------------------------------------------------


def _other_history() -> tuple[dict[merkle.NodeKey, bytes], list[bytes]]:
    """A different log: what someone who rewrote the database would serve."""
    frontier, stored, roots = merkle.Frontier(), {}, []
    for number in range(80):
        for node in frontier.append(merkle.leaf_hash(b"rewritten %d" % number)):
            stored[node.level, node.index] = node.hash
        roots.append(frontier.root())
    return stored, roots


FORK_STORED, FORK_ROOTS = _other_history()


def _head(
    size: int,
    *,
    fork: bool = False,
    log_seed: bytes = LOG_SEED,
    witness_seed: bytes = WITNESS_SEED,
    origin: str = ORIGIN,
    **changed: Any,
) -> dict[str, Any]:
    """A head as /ledger/log/head/ gives it, signed and countersigned; ``changed`` fields
    are replaced after signing."""
    root = (FORK_ROOTS if fork else ROOTS)[size - 1]
    tree = TreeHead(origin=origin, size=size, root_hash=root, timestamp=1_700_000_000 + size)
    witnessed_at = tree.timestamp + 5
    head = {
        "origin": origin,
        "size": size,
        "root_hash": base64.b64encode(root).decode(),
        "timestamp": tree.timestamp,
        "log_key": signing.public_key_for(log_seed).hex(),
        "signature": signing.sign(log_seed, tree.message()).hex(),
        "witness_key": signing.public_key_for(witness_seed).hex(),
        "witness_timestamp": witnessed_at,
        "cosignature": signing.sign(witness_seed, tree.cosignature_message(witnessed_at)).hex(),
    }
    return {**head, **changed}


def _proof(old: int, new: int, *, fork: bool = False) -> list[str]:
    return [base64.b64encode(h).decode() for h in merkle.consistency_proof(old, new, FORK_STORED if fork else STORED)]


def _visit(
    head: dict[str, Any] | None,
    *,
    proofs: dict[tuple[int, int], list[str]] | None = None,
    statuses: dict[str, int] | None = None,
    log_key: str | None = LOG_KEY,
    witness_key: str | None = WITNESS_KEY,
    origin: str = ORIGIN,
) -> dict[str, Any]:
    answers: dict[str, Any] = {
        HEAD_URL: {"origin": origin, "log_key": log_key, "witness_key": witness_key, "head": head}
    }
    for (old, new), proof in (proofs or {}).items():
        answers[f"/ledger/log/consistency/?from={old}&to={new}"] = {"from": old, "to": new, "proof": proof}
    return {"answers": answers, "statuses": statuses or {}}


def _grown(head: dict[str, Any], kept: int, *, fork: bool = False) -> dict[str, Any]:
    """A visit that offers ``head`` and the honest proof from ``kept`` to it."""
    return _visit(head, proofs={(kept, head["size"]): _proof(kept, head["size"], fork=fork)})


@dataclass
class Browser:
    """What a browser that used the server's own checks would decide, visit after visit."""

    pins: tuple[str, str] | None = None
    origin: str | None = None  # the log's name is pinned with the keys: a new name is a new, unwitnessed log
    kept: dict[str, dict[str, Any]] = field(default_factory=dict)

    def visit(self, visit: dict[str, Any]) -> dict[str, bool]:
        verdict = self._verdict(visit)
        return {"ok": verdict == "ok", "unavailable": verdict == "unavailable"}

    def _verdict(self, visit: dict[str, Any]) -> str:
        answer = visit["answers"][HEAD_URL]
        pins, origin, head = (answer["log_key"], answer["witness_key"]), answer["origin"], answer["head"]
        if None in pins:
            return "unavailable"
        kept = self.kept.get(origin)
        if self.pins not in (None, pins) or self.origin not in (None, origin) or (head is None and kept is not None):
            return "failed"
        if head is not None:
            verdict = self._head(head, origin, pins)
            if verdict == "ok" and kept is not None:
                verdict = self._extends(kept, head, visit)
            if verdict != "ok":
                return verdict
            self.kept[origin] = head
        self.pins, self.origin = pins, origin
        return "ok"

    @staticmethod
    def _head(head: dict[str, Any], origin: str, pins: tuple[str, str]) -> str:
        try:
            root_hash = base64.b64decode(head["root_hash"], validate=True)
        except binascii.Error:
            return "failed"
        row = LedgerTreeHead(
            origin=head["origin"],
            size=head["size"],
            root_hash=root_hash.hex(),
            timestamp=head["timestamp"],
            log_key=head["log_key"],
            signature=head["signature"],
            witness_key=head["witness_key"],
            witness_timestamp=head["witness_timestamp"],
            cosignature=head["cosignature"],
        )
        if head["origin"] != origin or len(root_hash) != merkle.HASH_SIZE:
            return "failed"
        return "ok" if log.tree_head_problem(row, log_key=pins[0], witness_key=pins[1]) is None else "failed"

    @staticmethod
    def _extends(kept: dict[str, Any], head: dict[str, Any], visit: dict[str, Any]) -> str:
        proof: list[bytes] = []
        if head["size"] > kept["size"]:
            path = f"/ledger/log/consistency/?from={kept['size']}&to={head['size']}"
            if visit["statuses"].get(path, 404) != 404:
                return "unavailable"
            given = visit["answers"].get(path, {"from": None, "to": None})
            if (given["from"], given["to"]) != (kept["size"], head["size"]):
                return "failed"  # no proof (the server answered 404), or one for other sizes
            proof = [base64.b64decode(value) for value in given["proof"]]
        old_root, new_root = base64.b64decode(kept["root_hash"]), base64.b64decode(head["root_hash"])
        try:
            merkle.verify_consistency(kept["size"], head["size"], old_root, new_root, proof)
        except merkle.MerkleProofError:
            return "failed"  # a smaller tree among them
        return "ok"


def _scenarios() -> dict[str, list[dict[str, Any]]]:
    honest = [_visit(_head(5)), _visit(_head(5)), _grown(_head(9), 5), _grown(_head(32), 9), _grown(_head(33), 32)]
    first = _visit(_head(10))
    scenarios = {
        "honest growth": [*honest, _grown(_head(1999), 33)],
        "nothing witnessed yet, then growth": [_visit(None), _visit(None), _visit(_head(4)), _grown(_head(8), 4)],
        "shrunk": [first, _visit(_head(7))],
        "forked, longer": [first, _grown(_head(12, fork=True), 10, fork=True)],
        "forked, same size": [first, _visit(_head(10, fork=True))],
        "forked from the start, first visit": [
            _visit(_head(12, fork=True)),
            _grown(_head(20, fork=True), 12, fork=True),
        ],
        "witnessed heads removed": [first, _visit(None)],
        "signed by another log key": [first, _grown(_head(12, log_seed=OTHER_LOG_SEED), 10)],
        "signed by another log key, naming the pinned one": [
            first,
            _grown(_head(12, log_seed=OTHER_LOG_SEED, log_key=LOG_KEY), 10),
        ],
        "countersigned by another witness": [first, _grown(_head(12, witness_seed=OTHER_WITNESS_SEED), 10)],
        "countersigned by another witness, naming the pinned one": [
            first,
            _grown(_head(12, witness_seed=OTHER_WITNESS_SEED, witness_key=WITNESS_KEY), 10),
        ],
        "not countersigned": [first, _grown(_head(12, witness_key="", cosignature="", witness_timestamp=None), 10)],
        "first visit under other keys": [_visit(_head(6, log_seed=OTHER_LOG_SEED), log_key=OTHER_LOG_KEY)],
        "no pinned witness key": [_visit(_head(6), witness_key=None), _visit(_head(6))],
        "proof refused": [first, _visit(_head(12))],
        "proof unavailable": [first, _visit(_head(12), statuses={"/ledger/log/consistency/?from=10&to=12": 503})],
        "proof for other sizes": [first, _visit(_head(12), proofs={(10, 12): _proof(9, 12)})],
        "the log renamed": [
            first,
            _visit(_head(3, origin="chorus.example.org/org:8"), origin="chorus.example.org/org:8"),
        ],
        "head for another log": [first, _grown(_head(12, origin="chorus.example.org/org:8"), 10)],
        "uppercase signature": [_visit(_head(6) | {"signature": _head(6)["signature"].upper()})],
    }
    # Re-pinned keys: the deployment now names other keys, and a head that verifies under them.
    rekeyed = _head(12, log_seed=OTHER_LOG_SEED, witness_seed=OTHER_WITNESS_SEED)
    scenarios["both keys replaced and pinned anew"] = [
        first,
        _visit(rekeyed, proofs={(10, 12): _proof(10, 12)}, log_key=OTHER_LOG_KEY, witness_key=OTHER_WITNESS_KEY),
    ]
    scenarios["witness key replaced"] = [
        first,
        _visit(
            _head(12, witness_seed=OTHER_WITNESS_SEED), proofs={(10, 12): _proof(10, 12)}, witness_key=OTHER_WITNESS_KEY
        ),
    ]
    # A changed field after signing.
    signature = _head(12)["signature"]
    for name, value in [
        ("signature", f"{int(signature[:2], 16) ^ 1:02x}{signature[2:]}"),
        ("cosignature", "ab" * 64),
        ("witness_timestamp", 1_700_000_016),
        ("timestamp", 1_700_000_001),
        ("root_hash", base64.b64encode(ROOTS[12]).decode()),
        ("size", 13),
        ("root_hash", "not base64"),
    ]:
        scenarios[f"{name} changed to {str(value)[:12]}"] = [first, _grown(_head(12) | {name: value}, 10)]
    # Every way of spoiling the proof from 10 to 12, and from 33 to 1999.
    for old, new in ((10, 12), (33, 1999)):
        honest_proof = merkle.consistency_proof(old, new, STORED)
        for number, variant in enumerate(_tampered(honest_proof, [ROOTS[old - 1], ROOTS[new - 1]])):
            proof = [base64.b64encode(h).decode() for h in variant]
            scenarios[f"proof {old}-{new} spoiled {number}"] = [
                _visit(_head(old)),
                _visit(_head(new), proofs={(old, new): proof}),
            ]
    return scenarios


def test_check_log_decides_as_the_servers_checks_do() -> None:
    scenarios = _scenarios()
    answers = _node("visits", {"scenarios": list(scenarios.values())})
    for (name, visits), results in zip(scenarios.items(), answers, strict=True):
        browser = Browser()
        expected = [browser.visit(visit) for visit in visits]
        seen = [{"ok": result["ok"], "unavailable": result["unavailable"]} for result in results]
        assert seen == expected, (name, results)
        for result in results:  # a failure always says why
            assert result["ok"] or result["problem"], (name, result)
    # The scenarios cover passes, failures and checks that could not be made.
    verdicts = [(r["ok"], r["unavailable"]) for results in answers for r in results]
    assert verdicts.count((True, False)) >= 20 and verdicts.count((False, False)) >= 40
    assert (False, True) in verdicts
    # The honest browser kept the last head and reports its size and when it was witnessed.
    assert answers[0][-1] == {
        "ok": True,
        "problem": "",
        "size": 1999,
        "witnessedAt": 1_700_000_000 + 1999 + 5,
        "origin": ORIGIN,
        "unavailable": False,
    }


def test_failures_say_what_was_found() -> None:
    scenarios = _scenarios()
    picked = ["shrunk", "forked, longer", "witnessed heads removed", "countersigned by another witness"]
    answers = _node("visits", {"scenarios": [scenarios[name] for name in picked]})
    problems = [results[-1]["problem"] for results in answers]
    assert problems == [
        "the ledger has 7 events, fewer than the 10 this browser saw",
        "the ledger of 12 events does not extend the one of 10 this browser saw: "
        "the proof does not lead to the old root",
        "no countersigned tree head is offered, though this browser saw one of 10 events",
        "the tree head of size 12 is countersigned by a key that is not the pinned witness key",
    ]
