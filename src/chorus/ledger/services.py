"""The one way anything is written to the ledger, and the ways it is checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from chorus.crypto import signing
from chorus.crypto.errors import BadSignature
from chorus.ledger.append import (
    GENESIS_HASH,
    PLATFORM_CHAIN,
    _canonical,
    _timestamp,
    chain_for,
    ledger_append,
    payload_digest,
)
from chorus.ledger.keys import checkpoint_seed, trusted_public_key
from chorus.ledger.log import pinned_keys, tree_head_problem
from chorus.ledger.models import LedgerCheckpoint, LedgerEvent, LedgerHead, LedgerTreeHead
from chorus.ledger.walk import Walk, walk_chain

# Where every service and check finds them (appending lives in ``append.py``).
__all__ = [
    "GENESIS_HASH",
    "PLATFORM_CHAIN",
    "chain_for",
    "event_hash",
    "ledger_append",
    "ledger_verify",
    "payload_digest",
]


def event_hash(event: LedgerEvent) -> str:
    """The hash an event must carry: over every field but itself."""
    body = {
        "v": 1,
        "chain": event.chain,
        "seq": event.seq,
        "at": _timestamp(event.created_at),
        "actor": event.actor,
        "action": event.action,
        "refs": event.refs,
        "payload": event.payload_hash,
        "prev": event.prev_hash,
    }
    return hashlib.sha256(_canonical(body)).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    chain: str
    events: int
    head_hash: str
    problem: str | None = None
    bad_seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def checkpoint_message(*, chain: str, seq: int, head_hash: str, signed_at: datetime) -> bytes:
    return _canonical({"v": 1, "chain": chain, "seq": seq, "head": head_hash, "at": _timestamp(signed_at)})


def ledger_verify(chain: str, *, witness: Mapping[str, list[tuple[int, bytes]]] | None = None) -> VerifyResult:
    """Walk the chain from its start; name the first event that does not fit.

    Besides each event's hash and link, the walk rebuilds the chain's Merkle tree and checks
    it against every stored tree head (signed by the pinned log key, countersigned by the
    pinned witness key) and against what the witness itself says it countersigned last
    (``witness``: chain → [(size, root)], from ``witness_view()``), which no database
    change can reach: a chain truncated, rewritten or re-signed below a witnessed size is
    caught even when every stored checkpoint and tree head was removed with it.
    """
    witnessed = list((witness or {}).get(chain, []))
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return _verify(chain, witnessed)
    # The events, the tree and the head as of one moment, while appends go on: on
    # PostgreSQL, one read-only snapshot (SQLite's reads already share one while they run).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _verify(chain, witnessed)


def _verify(chain: str, witnessed: list[tuple[int, bytes]]) -> VerifyResult:
    checkpoints = list(LedgerCheckpoint.objects.filter(chain=chain))
    tree_heads = list(LedgerTreeHead.objects.filter(chain=chain))
    sizes = {row.size for row in tree_heads} | {size for size, _ in witnessed}
    walk = walk_chain(chain, {checkpoint.seq for checkpoint in checkpoints}, sizes)
    if walk.problem is None:
        walk.problem, walk.bad_seq = _after_walk(chain, walk, witnessed, checkpoints, tree_heads)
    return VerifyResult(chain, walk.count, walk.head_hash, walk.problem, walk.bad_seq)


Found = tuple[str | None, int | None]  # a problem and the event it concerns, or (None, None)


def _after_walk(
    chain: str,
    walk: Walk,
    witnessed: list[tuple[int, bytes]],
    checkpoints: list[LedgerCheckpoint],
    tree_heads: list[LedgerTreeHead],
) -> Found:
    """The first problem the complete walk shows against what vouches for the chain."""
    for seen in witnessed:
        problem = _witness_problem(seen, walk.count, walk.roots)
        if problem:
            return problem, min(seen[0], walk.count + 1)
    found = _stored_problem(chain, walk)
    return found if found[0] else _signed_problem(walk, checkpoints, tree_heads)


def _stored_problem(chain: str, walk: Walk) -> Found:
    """The head row and the stored tree against the events."""
    head = LedgerHead.objects.filter(chain=chain).first()
    if head is not None and (head.seq != walk.count or head.hash != walk.head_hash):
        return (
            f"the chain ends at event {walk.count} but its head says {head.seq} (events were removed from the end)",
            walk.count + 1,
        )
    if head is not None and bytes(head.frontier) != b"".join(walk.frontier):
        return "the stored Merkle tree does not match the events (its right edge differs)", walk.count
    if not walk.nodes_match:
        return (
            f"the stored Merkle tree ({walk.stored_nodes} nodes) does not match the events ({walk.nodes} nodes): "
            "proofs served to members' browsers would not verify",
            walk.count,
        )
    return None, None


def _signed_problem(walk: Walk, checkpoints: list[LedgerCheckpoint], tree_heads: list[LedgerTreeHead]) -> Found:
    """Checkpoints and tree heads stored with the chain, under the pinned keys."""
    trusted = trusted_public_key()
    for checkpoint in checkpoints:
        problem = checkpoint_problem(checkpoint, walk.hashes.get(checkpoint.seq), trusted_key=trusted)
        if problem:
            return problem, checkpoint.seq
    witness_key = pinned_keys()[1] if tree_heads else None
    if witness_key is None and any(row.cosignature for row in tree_heads):
        return "no pinned witness key to check the countersignatures with: set CHORUS_WITNESS_PUBLIC_KEY", None
    for row in tree_heads:
        problem = _tree_head_mismatch(row, walk.roots, trusted, witness_key)
        if problem:
            return problem, row.size
    return None, None


def _witness_problem(witnessed: tuple[int, bytes], count: int, roots: Mapping[int, bytes]) -> str | None:
    size, root = witnessed
    if size > count:
        return (
            f"the witness countersigned {size} events of this chain but only {count} are stored "
            "(events were removed, or the chain was replaced)"
        )
    if roots.get(size) != root:
        return f"the first {size} events differ from what the witness countersigned (the history was rewritten)"
    return None


def _tree_head_mismatch(
    row: LedgerTreeHead, roots: Mapping[int, bytes], log_key: str | None, witness_key: str | None
) -> str | None:
    if log_key is None:
        return "no pinned log key to check the tree heads with: set CHORUS_LEDGER_PUBLIC_KEY"
    problem = tree_head_problem(row, log_key=log_key, witness_key=witness_key if row.cosignature else None)
    if problem:
        return problem
    if row.size not in roots:
        return f"the tree head of size {row.size} covers events that are not stored (the chain was truncated)"
    if roots[row.size].hex() != row.root_hash:
        return f"the first {row.size} events differ from the signed tree head"
    return None


class WitnessUnknown(Exception):
    """The witness could not be consulted, so a verification would be incomplete."""


def witness_view() -> dict[str, list[tuple[int, bytes]]]:
    """What the witness countersigned last for each chain of this deployment — its own
    answer, never the database's: chain → [(size, root)], over every log signed with this
    deployment's pinned key (whatever host name the deployment had then)."""
    from chorus.escrow.holders import CustodianUnavailable, custodian

    log_key = trusted_public_key()
    try:
        heads = custodian().witness_heads()
    except CustodianUnavailable as error:
        raise WitnessUnknown(f"the witness could not be consulted ({error})") from error
    view: dict[str, list[tuple[int, bytes]]] = {}
    for origin, (size, root, key) in heads.items():
        if log_key is not None and key.hex() == log_key and "/" in origin:
            view.setdefault(origin.split("/", 1)[1], []).append((size, root))
    return view


def ledger_verify_all(chains: list[str] | None = None) -> list[VerifyResult]:
    """``ledger_verify`` of the given chains, or of every chain that should exist: those
    stored, those the witness countersigned, and one per organization (made with it), so a
    chain deleted whole, with its head, checkpoints and tree heads, is noticed. A witness
    that cannot be consulted is a result of its own: the check was not complete."""
    from chorus.accounts.models import Organization

    results = []
    try:
        witness = witness_view()
    except WitnessUnknown as unknown:
        witness = {}
        results.append(VerifyResult("witness", 0, "", f"{unknown}: the chains were checked without it", None))
    organizations = {chain_for(pk) for pk in Organization.objects.values_list("pk", flat=True)}
    if chains is None:
        found = set(LedgerHead.objects.values_list("chain", flat=True)) | organizations
        chains = sorted(found | set(witness))
    for chain in chains:
        result = ledger_verify(chain, witness=witness)
        if result.ok and result.events == 0 and chain in organizations:
            result = VerifyResult(
                chain, 0, GENESIS_HASH, "the organization exists but its chain has no events (it was deleted)", 1
            )
        results.append(result)
    return results


def checkpoint_problem(
    checkpoint: LedgerCheckpoint, event_hash_at_seq: str | None, *, trusted_key: str | None = None
) -> str | None:
    """Why ``checkpoint`` does not vouch for the event hash at its sequence, or None.

    A checkpoint stored in the database names its own public key, which whoever can
    rewrite the database could replace; so where this deployment's key is known, the
    checkpoint must be signed by it.
    """
    if trusted_key is not None and checkpoint.public_key != trusted_key:
        return f"the checkpoint at event {checkpoint.seq} is signed by a key that is not this deployment's"
    message = checkpoint_message(
        chain=checkpoint.chain,
        seq=checkpoint.seq,
        head_hash=checkpoint.head_hash,
        signed_at=checkpoint.signed_at,
    )
    try:
        signing.verify(bytes.fromhex(checkpoint.public_key), message, bytes.fromhex(checkpoint.signature))
    except (BadSignature, ValueError):
        return f"the checkpoint at event {checkpoint.seq} has a bad signature"
    if event_hash_at_seq is None:
        return f"event {checkpoint.seq} named by the checkpoint is missing (the chain was truncated)"
    if event_hash_at_seq != checkpoint.head_hash:
        return f"event {checkpoint.seq} differs from the signed checkpoint"
    return None


def ledger_checkpoint(chain: str) -> LedgerCheckpoint | None:
    """Sign the current head of ``chain``; None when the chain is empty."""
    with transaction.atomic():
        head = LedgerHead.objects.select_for_update().filter(chain=chain).first()
        if head is None or head.seq == 0:
            return None
        existing = LedgerCheckpoint.objects.filter(chain=chain, seq=head.seq).first()
        if existing is not None:
            return existing
        seed = checkpoint_seed()
        signed_at = timezone.now().replace(microsecond=0)
        message = checkpoint_message(chain=chain, seq=head.seq, head_hash=head.hash, signed_at=signed_at)
        return LedgerCheckpoint.objects.create(
            chain=chain,
            seq=head.seq,
            head_hash=head.hash,
            signed_at=signed_at,
            public_key=signing.public_key_for(seed).hex(),
            signature=signing.sign(seed, message).hex(),
        )


def verify_against_checkpoint(chain: str, data: Mapping[str, Any], *, trusted_key: str | None = None) -> str | None:
    """Check the stored chain against a checkpoint kept outside the database, signed by the
    pinned key (``trusted_key``, else ``trusted_public_key()``): a file's own key proves
    nothing, since whoever forged the chain could sign a file for it with a key of theirs."""
    pinned = trusted_key or trusted_public_key()
    if pinned is None:
        return (
            "no pinned checkpoint key to check the file against: set CHORUS_LEDGER_PUBLIC_KEY "
            "(or pass --public-key) to the deployment's published key"
        )
    try:
        checkpoint = LedgerCheckpoint(
            chain=chain,
            seq=int(data["seq"]),
            head_hash=str(data["head_hash"]),
            signed_at=datetime.fromisoformat(str(data["signed_at"])),
            public_key=str(data["public_key"]),
            signature=str(data["signature"]),
        )
    except (KeyError, ValueError, TypeError):
        return "the checkpoint file is not a valid signed checkpoint for this chain"
    event = LedgerEvent.objects.filter(chain=chain, seq=checkpoint.seq).first()
    return checkpoint_problem(checkpoint, event.hash if event else None, trusted_key=pinned)


def checkpoint_as_dict(checkpoint: LedgerCheckpoint) -> dict[str, Any]:
    return {
        "chain": checkpoint.chain,
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "signed_at": _timestamp(checkpoint.signed_at),
        "public_key": checkpoint.public_key,
        "signature": checkpoint.signature,
    }


def published_checkpoint(chain: str) -> dict[str, Any]:
    """What the checkpoint section of a page shows (``ledger/checkpoint.html``): the latest
    signed checkpoint of a chain and the same as JSON, for a member to keep."""
    checkpoint = LedgerCheckpoint.objects.filter(chain=chain).order_by("-seq").first()
    return {
        "checkpoint": checkpoint,
        "checkpoint_json": json.dumps(checkpoint_as_dict(checkpoint), indent=2) if checkpoint else "",
    }
