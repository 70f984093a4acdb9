"""Each ledger chain as a transparency log: an append-only Merkle tree (RFC 9162) over its
events, signed tree heads, and the custodian as the witness that countersigns them.

* Leaf ``seq - 1`` of a chain's tree is ``merkle.leaf_hash`` of event ``seq``'s 32-byte
  chain hash, which covers every field of the event and, through ``prev_hash``, every
  event before it. ``ledger_append`` extends the tree in the same transaction: the head row keeps the tree's right edge, and the perfect subtrees an
  event completes (two on average) go to ``LedgerNode``.
* A tree head (``crypto/tree_head.py``) is signed with the deployment's ledger key and then
  countersigned by the witness, which first checks a consistency proof from the last head
  it countersigned (``custodian/witness.py``). The worker does this on a schedule for every
  chain that grew, and at once after an important event (``IMPORTANT``).
* Members' browsers keep the last witnessed head they saw and check, on each visit, a
  consistency proof from it to the newest (``ledger/views.py``, ``js/ledger.js``).

Any proof needs at most about 2·log2(n) stored nodes, fetched in one query.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from chorus.crypto import merkle, signing
from chorus.crypto.errors import BadSignature, MalformedInput
from chorus.crypto.tree_head import TreeHead
from chorus.ledger.keys import checkpoint_seed, trusted_public_key
from chorus.ledger.models import LedgerEvent, LedgerHead, LedgerNode, LedgerTreeHead

log = logging.getLogger("chorus.ledger")

# Events after which a witnessed tree head is made at once, not only on the schedule: the
# steps a member most needs to be able to show later were recorded.
IMPORTANT = frozenset(
    {
        "case.decide",
        "case.appeal",
        "case.appeal_decide",
        "case.sanction",
        "case.withdraw",
        "case.close",
        "escrow.match_opened",
        "role.approved",
        "role.seated",
        "role.removed",
        "grant.created",
        "grant.revoked",
    }
)


class LogProblem(Exception):
    """The stored tree cannot answer (a node is missing or the request is out of range)."""


def origin_for(chain: str) -> str:
    """The log's name in its tree heads: this deployment's host, then the chain."""
    host = urlsplit(str(settings.CHORUS_BASE_URL)).netloc or "chorus"
    return f"{host}/{chain}"


def leaf_for(event_hash: str) -> bytes:
    return merkle.leaf_hash(bytes.fromhex(event_hash))


def _frontier(head: LedgerHead) -> merkle.Frontier:
    data = bytes(head.frontier)
    hashes = [data[offset : offset + merkle.HASH_SIZE] for offset in range(0, len(data), merkle.HASH_SIZE)]
    return merkle.Frontier.from_hashes(head.seq, hashes)


def _fetch(chain: str, keys: Iterable[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
    wanted = {merkle.position(level, index): (level, index) for level, index in keys}
    if not wanted:
        return {}
    rows = LedgerNode.objects.filter(chain=chain, position__in=list(wanted)).values_list("position", "hash")
    return {wanted[position]: bytes(value) for position, value in rows}


def tree_size(chain: str) -> int:
    head = LedgerHead.objects.filter(chain=chain).only("seq").first()
    return head.seq if head else 0


def tree_root(chain: str, size: int) -> bytes:
    """The root of the chain's tree when it had ``size`` events."""
    _check_range(chain, size)
    try:
        return merkle.range_hash(0, size, _fetch(chain, merkle.needed_nodes_for_root(size)))
    except merkle.MissingNode as missing:
        raise LogProblem(f"the stored tree is missing a node: {missing}") from None


def consistency(chain: str, old_size: int, new_size: int) -> list[bytes]:
    """The proof that the tree of ``old_size`` events is a prefix of that of ``new_size``."""
    _check_range(chain, new_size)
    if not 0 <= old_size <= new_size:
        raise LogProblem("a consistency proof goes from a smaller tree to a larger one")
    try:
        nodes = _fetch(chain, merkle.needed_nodes_for_consistency(old_size, new_size))
        return merkle.consistency_proof(old_size, new_size, nodes)
    except merkle.MissingNode as missing:
        raise LogProblem(f"the stored tree is missing a node: {missing}") from None


def inclusion(chain: str, seq: int, size: int) -> list[bytes]:
    """The proof that event ``seq`` is leaf ``seq - 1`` of the tree of ``size`` events."""
    _check_range(chain, size)
    if not 1 <= seq <= size:
        raise LogProblem(f"event {seq} is not in a tree of {size} events")
    try:
        return merkle.inclusion_proof(seq - 1, size, _fetch(chain, merkle.needed_nodes_for_inclusion(seq - 1, size)))
    except merkle.MissingNode as missing:
        raise LogProblem(f"the stored tree is missing a node: {missing}") from None


def _check_range(chain: str, size: int) -> None:
    if size < 0 or size > tree_size(chain):
        raise LogProblem(f"the chain has no tree of {size} events")


# ---- tree heads ----------------------------------------------------------------------


def as_tree_head(row: LedgerTreeHead) -> TreeHead:
    return TreeHead(origin=row.origin, size=row.size, root_hash=bytes.fromhex(row.root_hash), timestamp=row.timestamp)


def latest_witnessed(chain: str) -> LedgerTreeHead | None:
    return LedgerTreeHead.objects.filter(chain=chain).exclude(cosignature="").order_by("-size", "-timestamp").first()


@dataclass(frozen=True)
class Signed:
    row: LedgerTreeHead
    problem: str = ""  # why the witness did not countersign it, if it did not


def tree_head_sign(chain: str) -> Signed | None:
    """Sign the chain's current tree head and have the witness countersign it; None for an
    empty chain. A head the witness refuses or cannot be reached for is kept unwitnessed,
    with the reason (and logged: a refusal means the stored log no longer extends what
    the witness saw)."""
    from chorus.escrow.holders import CustodianUnavailable, WitnessRefused, custodian

    with transaction.atomic():
        head = LedgerHead.objects.select_for_update().filter(chain=chain).first()
        if head is None or head.seq == 0:
            return None
        tree = TreeHead(
            origin=origin_for(chain), size=head.seq, root_hash=_frontier(head).root(), timestamp=int(time.time())
        )
    seed = checkpoint_seed()
    log_key = signing.public_key_for(seed)
    signature = signing.sign(seed, tree.message())
    fields = {
        "chain": chain,
        "origin": tree.origin,
        "size": tree.size,
        "root_hash": tree.root_hash.hex(),
        "timestamp": tree.timestamp,
        "log_key": log_key.hex(),
        "signature": signature.hex(),
    }
    witness = custodian()
    previous = latest_witnessed(chain)
    old_size = previous.size if previous else 0
    problem = ""
    for _attempt in range(2):
        try:
            cosignature = witness.witness_cosign(
                tree,
                log_key=log_key,
                signature=signature,
                old_size=old_size,
                proof=consistency(chain, old_size, tree.size) if old_size else [],
            )
        except WitnessRefused as refused:
            problem = str(refused)
            if refused.size is not None and refused.size != old_size and 0 <= refused.size <= tree.size:
                old_size = refused.size  # the witness saw a later head than this database records
                continue
            log.error("ledger: the witness refused the tree head of %s: %s", chain, refused)
        except (CustodianUnavailable, LogProblem, MalformedInput) as error:
            problem = f"the witness could not be asked: {error}"
            log.warning("ledger: tree head of %s not witnessed: %s", chain, type(error).__name__)
        else:
            fields.update(
                witness_key=cosignature.witness_key.hex(),
                witness_timestamp=cosignature.timestamp,
                cosignature=cosignature.signature.hex(),
            )
            problem = ""
        break
    return Signed(row=LedgerTreeHead.objects.create(**fields), problem=problem)


def tree_head_problem(row: LedgerTreeHead, *, log_key: str, witness_key: str | None) -> str | None:
    """Why ``row`` is not a head signed by the pinned log key (and countersigned by the
    pinned witness key, when one is given), or None. Keys stored in the row are never
    trusted: only compared with the pinned ones."""
    try:
        tree = as_tree_head(row)
        if row.log_key != log_key:
            return f"the tree head of size {row.size} is signed by a key that is not this deployment's"
        signing.verify(bytes.fromhex(log_key), tree.message(), bytes.fromhex(row.signature))
        if witness_key is not None:
            if not row.cosignature:
                return f"the tree head of size {row.size} was not countersigned by the witness"
            if row.witness_key != witness_key or row.witness_timestamp is None:
                return f"the tree head of size {row.size} is countersigned by a key that is not the witness's"
            message = tree.cosignature_message(row.witness_timestamp)
            signing.verify(bytes.fromhex(witness_key), message, bytes.fromhex(row.cosignature))
    except (BadSignature, MalformedInput, ValueError):
        return f"the tree head of size {row.size} has a bad signature"
    return None


def pinned_keys() -> tuple[str | None, str | None]:
    """(log key, witness key) in hex, as this deployment pins them: ``CHORUS_LEDGER_PUBLIC_KEY``
    else its own signing key; ``CHORUS_WITNESS_PUBLIC_KEY`` else the in-process witness's."""
    from chorus.escrow.holders import CustodianUnavailable, custodian

    try:
        witness = custodian().witness_key().hex()
    except CustodianUnavailable:
        witness = None
    return trusted_public_key(), witness


def head_as_dict(row: LedgerTreeHead) -> dict[str, object]:
    """A witnessed head as members' browsers and the standalone verifier read it."""
    return {
        "origin": row.origin,
        "size": row.size,
        "root_hash": base64.b64encode(bytes.fromhex(row.root_hash)).decode("ascii"),
        "timestamp": row.timestamp,
        "log_key": row.log_key,
        "signature": row.signature,
        "witness_key": row.witness_key,
        "witness_timestamp": row.witness_timestamp,
        "cosignature": row.cosignature,
    }


def receipt(event: LedgerEvent) -> dict[str, object] | None:
    """A receipt a member keeps for an event: the event as hashed (so its action, time, actor
    pseudonym and references are covered by its hash — the caller gives receipts only to
    those the event concerns), the newest witnessed head that covers it, and the inclusion proof of its
    leaf in that head's tree. Anyone holding the pinned keys can check it offline
    (``chorus.ledger.standalone``) and show later that the event was in the log. None while
    no witnessed head covers the event yet (the next one is at most
    ``CHORUS_LEDGER_WITNESS_MINUTES`` away)."""
    head = (
        LedgerTreeHead.objects.filter(chain=event.chain, size__gte=event.seq)
        .exclude(cosignature="")
        .order_by("-size", "-timestamp")
        .first()
    )
    if head is None:
        return None
    return {
        "kind": "chorus-ledger-receipt/v1",
        "event": {
            "seq": event.seq,
            "created_at": event.created_at.isoformat(),
            "action": event.action,
            "actor": event.actor,
            "refs": event.refs,
            "payload_hash": event.payload_hash,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        },
        "leaf_index": event.seq - 1,
        "inclusion_proof": [
            base64.b64encode(node).decode("ascii") for node in inclusion(event.chain, event.seq, head.size)
        ],
        "tree_head": head_as_dict(head),
    }


def chains_to_witness(*, now: float | None = None) -> list[str]:
    """Chains whose newest event no witnessed head covers yet, and whose last head (witnessed
    or not) is older than ``CHORUS_LEDGER_WITNESS_MINUTES``."""
    moment = time.time() if now is None else now
    heads = dict(LedgerHead.objects.filter(seq__gt=0).values_list("chain", "seq"))
    covered = dict(
        LedgerTreeHead.objects.exclude(cosignature="")
        .values("chain")
        .annotate(size=Max("size"))
        .values_list("chain", "size")
    )
    latest = dict(LedgerTreeHead.objects.values("chain").annotate(at=Max("timestamp")).values_list("chain", "at"))
    wait = settings.CHORUS_LEDGER_WITNESS_MINUTES * 60
    return sorted(
        chain for chain, seq in heads.items() if covered.get(chain, 0) < seq and moment - latest.get(chain, 0) >= wait
    )


def witness_due(*, now: float | None = None) -> int:
    """The worker's scheduled job: a witnessed head for every chain that grew. Returns how many."""
    chains = chains_to_witness(now=now)
    for chain in chains:
        tree_head_sign(chain)
    return len(chains)
