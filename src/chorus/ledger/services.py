"""The one way anything is written to the ledger, and the ways it is checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chorus.crypto import signing
from chorus.crypto.errors import BadSignature
from chorus.ledger.keys import checkpoint_seed, trusted_public_key
from chorus.ledger.log import IMPORTANT, tree_extend
from chorus.ledger.models import LedgerCheckpoint, LedgerEvent, LedgerHead

GENESIS_HASH = "0" * 64
PLATFORM_CHAIN = "platform"


def chain_for(organization_id: object | None) -> str:
    return f"org:{organization_id}" if organization_id is not None else PLATFORM_CHAIN


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def payload_digest(payload: Mapping[str, Any] | None) -> str:
    return hashlib.sha256(_canonical(payload or {})).hexdigest()


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


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


def ledger_append(
    *,
    organization_id: object | None,
    actor: str,
    action: str,
    refs: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> LedgerEvent:
    """Append one event to the organization's chain, inside the caller's transaction.

    The head row is locked (PostgreSQL) or the write lock held (SQLite, whose
    transactions start IMMEDIATE), so two processes can never both extend the same
    head; the unique (chain, seq) constraint is the last line of defence.
    """
    chain = chain_for(organization_id)
    refs = dict(refs or {})
    with transaction.atomic():
        head = LedgerHead.objects.select_for_update().filter(chain=chain).first()
        if head is None:
            try:
                with transaction.atomic():
                    head = LedgerHead.objects.create(chain=chain, seq=0, hash=GENESIS_HASH)
            except IntegrityError:
                head = LedgerHead.objects.select_for_update().get(chain=chain)
        event = LedgerEvent(
            chain=chain,
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor=actor,
            action=action,
            refs=refs,
            payload_hash=payload_digest(payload),
            prev_hash=head.hash,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
        frontier = tree_extend(head, event)
        LedgerHead.objects.filter(chain=chain).update(seq=event.seq, hash=event.hash, frontier=frontier)
        if action in IMPORTANT:
            from chorus.ledger.tasks import witness_soon  # the queue's models load after the ledger's

            witness_soon(chain)
    return event


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


def ledger_verify(chain: str) -> VerifyResult:
    """Walk the chain from its start; name the first event that does not fit."""
    checkpoints = list(LedgerCheckpoint.objects.filter(chain=chain))
    wanted = {checkpoint.seq for checkpoint in checkpoints}
    hashes: dict[int, str] = {}  # only at checkpointed events, so memory stays flat
    count, head_hash = 0, GENESIS_HASH

    def broken(problem: str, seq: int) -> VerifyResult:
        return VerifyResult(chain, count, head_hash, problem, seq)

    for event in LedgerEvent.objects.filter(chain=chain).order_by("seq", "id").iterator(chunk_size=2000):
        if event.seq != count + 1:
            return broken(
                f"expected event {count + 1} but found {event.seq} (an event was removed, inserted or renumbered)",
                count + 1,
            )
        if event.prev_hash != head_hash:
            return broken(f"event {event.seq} does not point at the event before it", event.seq)
        if event_hash(event) != event.hash:
            return broken(f"event {event.seq} was modified (its hash does not match its content)", event.seq)
        if event.seq in wanted:
            hashes[event.seq] = event.hash
        count, head_hash = event.seq, event.hash
    head = LedgerHead.objects.filter(chain=chain).first()
    if head is not None and (head.seq != count or head.hash != head_hash):
        return broken(
            f"the chain ends at event {count} but its head says {head.seq} (events were removed from the end)",
            count + 1,
        )
    trusted = trusted_public_key()
    for checkpoint in checkpoints:
        problem = checkpoint_problem(checkpoint, hashes.get(checkpoint.seq), trusted_key=trusted)
        if problem:
            return broken(problem, checkpoint.seq)
    return VerifyResult(chain, count, head_hash)


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
