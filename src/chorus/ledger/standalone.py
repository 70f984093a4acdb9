"""Check an export of one ledger chain (``chorus ledger export``) alone: no Django, no
database, nothing but this file, ``chorus.crypto`` and PyNaCl.

    python -m chorus.ledger.standalone EXPORT.json --log-key HEX --witness-key HEX [--head HEAD.json]

(also ``chorus ledger verify-export``, with the same arguments). It checks that

* the events are numbered 1, 2, 3, … and each one's ``prev_hash`` is the hash before it;
* where the export carries references (``--with-refs``), each event's hash recomputes;
* the Merkle tree over the events (RFC 9162, leaf ``seq - 1`` = the leaf hash of event
  ``seq``'s hash) has, at every tree head's size, the root that head signs;
* every tree head is signed by the pinned log key and, where countersigned, by the pinned
  witness key: the keys given on the command line, never the keys a file names;
* with ``--head`` (a witnessed head a member kept, e.g. the ``head`` of ``/ledger/log/head/``),
  the export extends it: it holds at least that many events, with that root.

Given a receipt (``log.receipt``) instead of an export, it checks that the receipt's head is
signed and countersigned under the pinned keys and that its inclusion proof puts the event's
hash at leaf ``seq - 1`` of that head's tree.

Exit 0 with a one-line summary, 1 naming the first problem, 2 when the input cannot be
checked at all. Nothing here is trusted from the file but the events and signatures it
checks; a problem found is never "repaired".
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from chorus.crypto import merkle, signing
from chorus.crypto.errors import BadSignature, MalformedInput
from chorus.crypto.tree_head import TreeHead

EXPORT_KIND = "chorus-ledger-export/v1"
RECEIPT_KIND = "chorus-ledger-receipt/v1"
GENESIS_HASH = "0" * 64
_HEX_HASH = re.compile(r"[0-9a-f]{64}")


class Unusable(Exception):
    """The input cannot be checked at all: a file that is not an export, a key that is not
    a key (exit 2)."""


class Broken(Exception):
    """The first thing the export shows was changed, removed or forged (exit 1)."""


class _Writer(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class Event:
    seq: int
    created_at: str
    action: str
    prev_hash: str
    hash: str
    # Only in an export made --with-refs: what the hash covers besides the fields above.
    actor: str | None = None
    refs: object = None
    payload_hash: str | None = None


@dataclass(frozen=True)
class SignedHead:
    tree: TreeHead
    log_key: str
    signature: str
    witness_key: str
    witness_timestamp: int | None
    cosignature: str

    @property
    def witnessed(self) -> bool:
        return bool(self.cosignature)


@dataclass(frozen=True)
class Export:
    chain: str
    with_refs: bool
    events: list[Event]
    heads: list[SignedHead]


# ---- what the file must look like ---------------------------------------------------------


def _field(data: dict[str, Any], name: str, kind: type, where: str, *, optional: bool = False) -> Any:
    value = data.get(name)
    if optional and value is None:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):  # JSON true is no number
        raise Unusable(f"{where} has no valid {name!r}")
    return value


def _hash_field(data: dict[str, Any], name: str, where: str) -> str:
    value = _field(data, name, str, where)
    if not _HEX_HASH.fullmatch(value):
        raise Unusable(f"{where} has a {name!r} that is not 64 lowercase hex digits")
    return str(value)


def _event(data: object, where: str, *, with_refs: bool) -> Event:
    if not isinstance(data, dict):
        raise Unusable(f"{where} is not an object")
    extra: dict[str, Any] = {}
    if with_refs:
        if "refs" not in data:
            raise Unusable(f"{where} has no 'refs'")
        extra = {
            "actor": _field(data, "actor", str, where),
            "refs": data["refs"],
            "payload_hash": _hash_field(data, "payload_hash", where),
        }
    return Event(
        seq=_field(data, "seq", int, where),
        created_at=_field(data, "created_at", str, where),
        action=_field(data, "action", str, where),
        prev_hash=_hash_field(data, "prev_hash", where),
        hash=_hash_field(data, "hash", where),
        **extra,
    )


def parse_head(data: object, where: str = "the tree head") -> SignedHead:
    """A head as ``log.head_as_dict`` writes it (root in base64, keys and signatures in hex)."""
    if not isinstance(data, dict):
        raise Unusable(f"{where} is not an object")
    try:
        root = base64.b64decode(_field(data, "root_hash", str, where), validate=True)
        tree = TreeHead(
            origin=_field(data, "origin", str, where),
            size=_field(data, "size", int, where),
            root_hash=root,
            timestamp=_field(data, "timestamp", int, where),
        )
    except (binascii.Error, MalformedInput) as error:
        raise Unusable(f"{where} is not a tree head: {error}") from None
    return SignedHead(
        tree=tree,
        log_key=_field(data, "log_key", str, where),
        signature=_field(data, "signature", str, where),
        witness_key=str(data.get("witness_key") or ""),
        witness_timestamp=_field(data, "witness_timestamp", int, where, optional=True),
        cosignature=str(data.get("cosignature") or ""),
    )


def parse_export(data: object) -> Export:
    if not isinstance(data, dict) or data.get("kind") != EXPORT_KIND:
        raise Unusable(f"the file is not a ledger export ({EXPORT_KIND})")
    chain = _field(data, "chain", str, "the export")
    with_refs = _field(data, "with_refs", bool, "the export")
    events = _field(data, "events", list, "the export")
    heads = _field(data, "tree_heads", list, "the export")
    return Export(
        chain=chain,
        with_refs=with_refs,
        events=[
            _event(event, f"event #{number} in the file", with_refs=with_refs)
            for number, event in enumerate(events, start=1)
        ],
        heads=[parse_head(head, f"tree head #{number} in the file") for number, head in enumerate(heads, start=1)],
    )


def parse_kept(data: object) -> SignedHead:
    """A head a member kept: the head itself, or the whole answer of ``/ledger/log/head/``
    (``{"head": …}``), or a receipt (``{"tree_head": …}``)."""
    if isinstance(data, dict):
        for wrapper in ("head", "tree_head"):
            if wrapper in data:
                if data[wrapper] is None:
                    raise Unusable("the kept head file holds no head (nothing was witnessed yet)")
                return parse_head(data[wrapper], "the kept head")
    return parse_head(data, "the kept head")


# ---- the checks -----------------------------------------------------------------------------


def event_hash(chain: str, event: Event) -> str:
    """The hash ``ledger.services.event_hash`` gives an event: SHA-256 of the same
    canonical JSON (sorted keys, no spaces, UTF-8)."""
    body = {
        "v": 1,
        "chain": chain,
        "seq": event.seq,
        "at": event.created_at,
        "actor": event.actor,
        "action": event.action,
        "refs": event.refs,
        "payload": event.payload_hash,
        "prev": event.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(canonical).hexdigest()


def head_problem(head: SignedHead, *, log_key: bytes, witness_key: bytes, name: str = "") -> str | None:
    """Why ``head`` is not signed by the pinned log key (and, where countersigned, by the
    pinned witness key), or None. The keys the head names are only compared, never used."""
    name = name or f"the tree head of size {head.tree.size}"
    if head.log_key.lower() != log_key.hex():
        return f"{name} is signed by a key that is not this deployment's"
    try:
        signing.verify(log_key, head.tree.message(), bytes.fromhex(head.signature))
    except (BadSignature, ValueError):
        return f"{name} has a bad signature"
    if not head.witnessed:
        return None
    if head.witness_key.lower() != witness_key.hex() or head.witness_timestamp is None:
        return f"{name} is countersigned by a key that is not the witness's"
    try:
        message = head.tree.cosignature_message(head.witness_timestamp)
        signing.verify(witness_key, message, bytes.fromhex(head.cosignature))
    except (BadSignature, MalformedInput, ValueError):
        return f"{name} has a bad cosignature (the witness did not countersign this root)"
    return None


def _roots(export: Export, sizes: set[int]) -> dict[int, bytes]:
    """Walk the events as ``ledger_verify`` does; the tree's root at each of ``sizes``."""
    roots = {0: merkle.EMPTY_ROOT}
    frontier = merkle.Frontier()
    previous = GENESIS_HASH
    for position, event in enumerate(export.events, start=1):
        if event.seq != position:
            raise Broken(
                f"expected event {position} but found {event.seq} (an event was removed, inserted or renumbered)"
            )
        if event.prev_hash != previous:
            raise Broken(f"event {event.seq} does not point at the event before it")
        if export.with_refs and event_hash(export.chain, event) != event.hash:
            raise Broken(f"event {event.seq} was modified (its hash does not match its content)")
        frontier.append(merkle.leaf_hash(bytes.fromhex(event.hash)))
        if event.seq in sizes:
            roots[event.seq] = frontier.root()
        previous = event.hash
    return roots


def _same_log(head: SignedHead, origin: str | None, chain: str, name: str) -> str:
    """The origin every head must share (``<host>/<chain>``)."""
    if origin is None and not head.tree.origin.endswith(f"/{chain}"):
        raise Broken(f"{name} is for another log ({head.tree.origin}), not chain {chain}")
    if origin is not None and head.tree.origin != origin:
        raise Broken(f"{name} is for another log ({head.tree.origin}, not {origin})")
    return head.tree.origin


def check(export: Export, *, log_key: bytes, witness_key: bytes, kept: SignedHead | None = None) -> str:
    """The one-line summary of an export that passes every check; Broken naming the first
    that fails."""
    count = len(export.events)
    sizes = {head.tree.size for head in export.heads} | ({kept.tree.size} if kept else set())
    roots = _roots(export, sizes)
    origin = None
    for head in sorted(export.heads, key=lambda head: (head.tree.size, head.tree.timestamp)):
        size = head.tree.size
        origin = _same_log(head, origin, export.chain, f"the tree head of size {size}")
        problem = head_problem(head, log_key=log_key, witness_key=witness_key)
        if problem:
            raise Broken(problem)
        if size > count:
            raise Broken(
                f"the tree head of size {size} covers events the export does not hold "
                f"(it has {count}: the chain was truncated)"
            )
        if roots[size] != head.tree.root_hash:
            raise Broken(f"the first {size} events differ from the signed tree head")
    witnessed = max((head.tree.size for head in export.heads if head.witnessed), default=0)
    summary = (
        f"{export.chain}: intact, {count} events, {len(export.heads)} signed tree head(s), "
        f"{sum(head.witnessed for head in export.heads)} countersigned by the witness"
    )
    if witnessed < count:  # what only links vouch for: a member's kept head is what protects it
        summary += f" (events {witnessed + 1} to {count} are not covered by a countersigned head yet)"
    if kept is not None:
        summary += _check_kept(kept, roots, count, origin, export.chain, log_key=log_key, witness_key=witness_key)
    elif witnessed == 0:
        summary += (
            "; WARNING: no head in it is countersigned by the witness and no kept head was given, so this "
            "shows only that the file agrees with itself (whoever holds the ledger key could have written it)"
        )
    if not export.with_refs:
        summary += "; event hashes were not recomputed (no references in the export): actions and times are not covered"
    return summary


def _check_kept(
    kept: SignedHead,
    roots: dict[int, bytes],
    count: int,
    origin: str | None,
    chain: str,
    *,
    log_key: bytes,
    witness_key: bytes,
) -> str:
    size, name = kept.tree.size, f"the kept tree head of size {kept.tree.size}"
    if not kept.witnessed:
        raise Broken(f"{name} was not countersigned by the witness; keep a witnessed head")
    problem = head_problem(kept, log_key=log_key, witness_key=witness_key, name=name)
    if problem:
        raise Broken(problem)
    _same_log(kept, origin, chain, name)
    if size > count:
        raise Broken(
            f"{name} covers events the export does not hold (it has {count}: "
            "events were removed, or the chain was replaced)"
        )
    if roots[size] != kept.tree.root_hash:
        raise Broken(f"the first {size} events differ from {name} (the history was rewritten)")
    return f"; extends the kept tree head of {size} events"


def check_receipt(data: dict[str, Any], *, log_key: bytes, witness_key: bytes) -> str:
    """The summary of a receipt whose event is in its witnessed head's tree; Broken if not.
    Where the receipt carries the event's actor and references (receipts Chorus gives do),
    its hash is recomputed, so its action and time are covered too; otherwise what it proves
    is only that an event with this hash is leaf ``seq - 1`` of the log."""
    raw = data.get("event")
    with_refs = isinstance(raw, dict) and "refs" in raw
    event = _event(raw, "the receipt's event", with_refs=with_refs)
    index = _field(data, "leaf_index", int, "the receipt")
    try:
        proof = [base64.b64decode(node, validate=True) for node in _field(data, "inclusion_proof", list, "the receipt")]
    except (binascii.Error, TypeError, ValueError):
        raise Unusable("the receipt's inclusion proof is not a list of base64 hashes") from None
    head = parse_head(data.get("tree_head"), "the receipt's tree head")
    size = head.tree.size
    if index != event.seq - 1:
        raise Broken(f"the receipt puts event {event.seq} at leaf {index}; event n is leaf n - 1")
    if not head.witnessed:
        raise Broken(f"the receipt's tree head of size {size} was not countersigned by the witness")
    problem = head_problem(
        head, log_key=log_key, witness_key=witness_key, name=f"the receipt's tree head of size {size}"
    )
    if problem:
        raise Broken(problem)
    chain = head.tree.origin.split("/", 1)[-1]
    if with_refs and event_hash(chain, event) != event.hash:
        raise Broken(f"the receipt's event {event.seq} was changed: its fields do not give its hash")
    try:
        leaf = merkle.leaf_hash(bytes.fromhex(event.hash))
        merkle.verify_inclusion(leaf, index, size, proof, head.tree.root_hash)
    except merkle.MerkleProofError as error:
        raise Broken(f"event {event.seq} is not in the countersigned tree of {size} events: {error}") from None
    covered = f"'{event.action}' at {event.created_at}, " if with_refs else ""
    return (
        f"{head.tree.origin}: event {event.seq} ({covered}hash {event.hash}) is in the log's tree of {size} "
        "events, signed by the log and countersigned by the witness"
    )


# ---- the command ------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("export", type=Path, help="the file `chorus ledger export` wrote, or a receipt")
    parser.add_argument(
        "--log-key",
        required=True,
        help="the deployment's ledger key (hex), from the oversight body or your first visit; never from the file",
    )
    parser.add_argument("--witness-key", required=True, help="the witness's (custodian's) key (hex), likewise")
    parser.add_argument(
        "--origin",
        required=True,
        help="the log's name, as your organization's Ledger page shows it (e.g. chorus.example.org/org:<id>): "
        "a head under any other name proves nothing about your organization's log",
    )
    parser.add_argument(
        "--head",
        type=Path,
        help="a witnessed tree head you kept (JSON: the head, or /ledger/log/head/'s answer); the export must extend it",
    )


def _key(value: str, option: str) -> bytes:
    try:
        key = bytes.fromhex(value)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise Unusable(f"{option} is not an Ed25519 public key (64 hex digits)")
    return key


def _load(path: Path, what: str) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise Unusable(f"cannot read {what} {path}: {error}") from None
    except RecursionError:
        raise Unusable(f"cannot read {what} {path}: it is nested too deeply to be a Chorus file") from None


def _origin_problem(data: object, origin: str) -> str | None:
    """Every head a receipt or an export carries must be for the log the person named."""
    heads: list[object] = []
    if isinstance(data, dict):
        heads = [data.get("tree_head")] if data.get("kind") == RECEIPT_KIND else list(data.get("tree_heads") or [])
        if data.get("kind") != RECEIPT_KIND and data.get("origin") not in (None, origin):
            return f"the export is of another log ({data.get('origin')}), not {origin}"
    for head in heads:
        named = head.get("origin") if isinstance(head, dict) else None
        if named != origin:
            return f"a tree head in the file is for another log ({named}), not {origin}"
    return None


def run(
    export_path: Path,
    *,
    log_key: str,
    witness_key: str,
    head_path: Path | None = None,
    origin: str | None = None,
    stdout: _Writer | None = None,
    stderr: _Writer | None = None,
) -> int:
    """Check one export; the exit status (0 intact, 1 broken, 2 unusable input). With
    ``origin`` (the command line requires it), every head must be for that log."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    chain = "?"
    try:
        log_key_bytes, witness_key_bytes = _key(log_key, "--log-key"), _key(witness_key, "--witness-key")
        data = _load(export_path, "the export")
        problem = _origin_problem(data, origin) if origin is not None else None
        if problem:
            raise Broken(problem)
        if isinstance(data, dict) and data.get("kind") == RECEIPT_KIND:
            if head_path is not None:
                raise Unusable("--head is for exports; a receipt carries its own witnessed head")
            chain = "the receipt"
            summary = check_receipt(data, log_key=log_key_bytes, witness_key=witness_key_bytes)
        else:
            export = parse_export(data)
            chain = export.chain
            kept = parse_kept(_load(head_path, "the kept head")) if head_path else None
            summary = check(export, log_key=log_key_bytes, witness_key=witness_key_bytes, kept=kept)
    except Unusable as error:
        stderr.write(f"cannot check: {error}\n")
        return 2
    except Broken as problem:
        stderr.write(f"{chain}: BROKEN: {problem}\n")
        return 1
    stdout.write(summary + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chorus.ledger.standalone",
        description="Check an export of one ledger chain without Chorus's database: exit 0 intact, "
        "1 broken (naming the first problem), 2 unusable input.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args.export, log_key=args.log_key, witness_key=args.witness_key, head_path=args.head, origin=args.origin)


if __name__ == "__main__":
    raise SystemExit(main())
