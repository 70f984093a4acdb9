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
from chorus.ledger.keys import checkpoint_seed
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


def event_hash(
    *,
    chain: str,
    seq: int,
    created_at: datetime,
    actor: str,
    action: str,
    refs: Mapping[str, Any],
    payload_hash: str,
    prev_hash: str,
) -> str:
    body = {
        "v": 1,
        "chain": chain,
        "seq": seq,
        "at": _timestamp(created_at),
        "actor": actor,
        "action": action,
        "refs": refs,
        "payload": payload_hash,
        "prev": prev_hash,
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
        created_at = timezone.now()
        seq = head.seq + 1
        digest = payload_digest(payload)
        this_hash = event_hash(
            chain=chain,
            seq=seq,
            created_at=created_at,
            actor=actor,
            action=action,
            refs=refs,
            payload_hash=digest,
            prev_hash=head.hash,
        )
        event = LedgerEvent.objects.create(
            chain=chain,
            seq=seq,
            created_at=created_at,
            actor=actor,
            action=action,
            refs=refs,
            payload_hash=digest,
            prev_hash=head.hash,
            hash=this_hash,
        )
        LedgerHead.objects.filter(chain=chain).update(seq=seq, hash=this_hash)
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
    expected_prev = GENESIS_HASH
    expected_seq = 1
    hashes: dict[int, str] = {}
    events = LedgerEvent.objects.filter(chain=chain).order_by("seq", "id")
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return VerifyResult(
                chain,
                expected_seq - 1,
                expected_prev,
                f"expected event {expected_seq} but found {event.seq} (an event was removed, inserted or renumbered)",
                expected_seq,
            )
        if event.prev_hash != expected_prev:
            return VerifyResult(
                chain,
                expected_seq - 1,
                expected_prev,
                f"event {event.seq} does not point at the event before it",
                event.seq,
            )
        recomputed = event_hash(
            chain=event.chain,
            seq=event.seq,
            created_at=event.created_at,
            actor=event.actor,
            action=event.action,
            refs=event.refs,
            payload_hash=event.payload_hash,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            return VerifyResult(
                chain,
                expected_seq - 1,
                expected_prev,
                f"event {event.seq} was modified (its hash does not match its content)",
                event.seq,
            )
        hashes[event.seq] = event.hash
        expected_prev = event.hash
        expected_seq += 1
    count = expected_seq - 1
    head = LedgerHead.objects.filter(chain=chain).first()
    if head is not None and (head.seq != count or head.hash != expected_prev):
        return VerifyResult(
            chain,
            count,
            expected_prev,
            f"the chain ends at event {count} but its head says {head.seq} (events were removed from the end)",
            count + 1,
        )
    for checkpoint in LedgerCheckpoint.objects.filter(chain=chain):
        problem = checkpoint_problem(checkpoint, hashes.get(checkpoint.seq))
        if problem:
            return VerifyResult(chain, count, expected_prev, problem, checkpoint.seq)
    return VerifyResult(chain, count, expected_prev)


def checkpoint_problem(checkpoint: LedgerCheckpoint, event_hash_at_seq: str | None) -> str | None:
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


def verify_against_checkpoint(chain: str, checkpoint: Mapping[str, Any]) -> str | None:
    """Check the stored chain against a checkpoint kept outside the database."""
    try:
        seq = int(checkpoint["seq"])
        head_hash = str(checkpoint["head_hash"])
        signed_at = datetime.fromisoformat(str(checkpoint["signed_at"]))
        message = checkpoint_message(chain=chain, seq=seq, head_hash=head_hash, signed_at=signed_at)
        signing.verify(
            bytes.fromhex(str(checkpoint["public_key"])), message, bytes.fromhex(str(checkpoint["signature"]))
        )
    except (KeyError, ValueError, TypeError, BadSignature):
        return "the checkpoint file is not a valid signed checkpoint for this chain"
    event = LedgerEvent.objects.filter(chain=chain, seq=seq).first()
    if event is None:
        return f"event {seq} named by the checkpoint is missing (the chain was truncated)"
    if event.hash != head_hash:
        return f"event {seq} differs from the signed checkpoint"
    return None


def checkpoint_as_dict(checkpoint: LedgerCheckpoint) -> dict[str, Any]:
    return {
        "chain": checkpoint.chain,
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "signed_at": _timestamp(checkpoint.signed_at),
        "public_key": checkpoint.public_key,
        "signature": checkpoint.signature,
    }
