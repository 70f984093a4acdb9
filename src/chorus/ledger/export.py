"""What leaves the database for checking elsewhere, and what comes back to be checked.

* ``ledger_export`` writes one chain as JSON for ``chorus.ledger.standalone``: each event's
  public fields and hashes, every stored tree head and the keys this deployment pins. By
  default nothing in it names anyone: the actor (a pseudonym) and the references (pseudonyms
  and object ids) are left out, so the links, the tree and the signatures can be checked
  but not each event's hash. ``with_refs`` (for the oversight body) adds them.
* ``verify_against_kept_head`` checks the stored chain against a witnessed tree head a
  member kept, as ``chorus ledger verify --head`` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from chorus.ledger.log import head_as_dict, origin_for, pinned_keys
from chorus.ledger.models import LedgerEvent, LedgerTreeHead
from chorus.ledger.services import ledger_verify
from chorus.ledger.standalone import EXPORT_KIND, SignedHead, Unusable, head_problem, parse_kept

NOTE = (
    "Public fields and hashes only: each event's number, time, action and hashes. Who acted "
    "(a pseudonym) and what the event concerned (pseudonyms and object ids) are left out, so "
    "this file names no one; without them each event's own hash cannot be recomputed, but the "
    "links between events, the Merkle tree and every signed tree head can. Check it with "
    "`python -m chorus.ledger.standalone FILE --log-key HEX --witness-key HEX [--head HEAD.json]`, "
    "with keys from the oversight body or your first visit, never the ones below."
)
NOTE_WITH_REFS = (
    "For the oversight body: besides public fields and hashes, each event's actor (a pseudonym), "
    "references (pseudonyms and object ids) and payload hash, so that every event's hash can be "
    "recomputed. Do not publish this file. Check it with "
    "`python -m chorus.ledger.standalone FILE --log-key HEX --witness-key HEX [--head HEAD.json]`."
)
KEYS_NOTE = "The keys this deployment pins, to compare with your own copy; a verifier never takes them from here."


def _event(event: LedgerEvent, *, with_refs: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "seq": event.seq,
        # As ``services.event_hash`` writes the time, so the standalone check recomputes it.
        "created_at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": event.action,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
    if with_refs:
        fields.update(actor=event.actor, refs=event.refs, payload_hash=event.payload_hash)
    return fields


def _write_list(out: IO[str], name: str, items: Iterable[dict[str, Any]], *, last: bool = False) -> None:
    """One item per line, so a large chain is written as it is read."""
    out.write(f"  {json.dumps(name)}: [")
    for index, item in enumerate(items):
        out.write(("," if index else "") + "\n    " + json.dumps(item))
    out.write("\n  ]" + ("\n" if last else ",\n"))


def ledger_export(*, chain: str, out: IO[str], with_refs: bool = False) -> int:
    """Write ``chain`` as a ``chorus-ledger-export/v1`` file; returns how many events.
    Events are written as stored (ordered by sequence number), so whatever was done to
    them shows in the file."""
    log_key, witness_key = pinned_keys()
    header = {
        "kind": EXPORT_KIND,
        "note": NOTE_WITH_REFS if with_refs else NOTE,
        "chain": chain,
        "origin": origin_for(chain),
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "with_refs": with_refs,
        "pinned_keys": {"log_key": log_key, "witness_key": witness_key, "note": KEYS_NOTE},
    }
    out.write("{\n")
    for name, value in header.items():
        out.write(f"  {json.dumps(name)}: {json.dumps(value)},\n")
    _write_list(out, "tree_heads", (head_as_dict(row) for row in LedgerTreeHead.objects.filter(chain=chain)))
    count = 0

    def events() -> Iterable[dict[str, Any]]:
        nonlocal count
        for event in LedgerEvent.objects.filter(chain=chain).order_by("seq", "id").iterator(chunk_size=2000):
            count += 1
            yield _event(event, with_refs=with_refs)

    _write_list(out, "events", events(), last=True)
    out.write("}\n")
    return count


def verify_against_kept_head(data: object, *, log_key: str | None, witness_key: str | None) -> tuple[str, str | None]:
    """(chain, why the stored chain does not extend the witnessed head a member kept, or
    None). The head must be signed by the pinned log key and countersigned by the pinned
    witness key; the keys it names are never trusted."""
    try:
        head = parse_kept(data)
    except Unusable as error:
        return "?", str(error)
    prefix = origin_for("")
    chain = head.tree.origin.removeprefix(prefix) if head.tree.origin.startswith(prefix) else "?"
    problem = _signature_problem(head, log_key=log_key, witness_key=witness_key)
    if problem is None and chain == "?":
        problem = f"the kept tree head is for another deployment's log ({head.tree.origin})"
    if problem is None:
        # Checked like the witness's own record of the chain: a head it countersigned.
        problem = ledger_verify(chain, witness={chain: [(head.tree.size, head.tree.root_hash)]}).problem
    return chain, problem


def _signature_problem(head: SignedHead, *, log_key: str | None, witness_key: str | None) -> str | None:
    name = f"the kept tree head of size {head.tree.size}"
    if not head.witnessed:
        return f"{name} was not countersigned by the witness"
    try:
        pinned = bytes.fromhex(log_key or ""), bytes.fromhex(witness_key or "")
    except ValueError:
        pinned = b"", b""
    if len(pinned[0]) != 32 or len(pinned[1]) != 32:
        return (
            "no pinned log and witness keys to check the kept head with: set CHORUS_LEDGER_PUBLIC_KEY "
            "and CHORUS_WITNESS_PUBLIC_KEY to the published keys"
        )
    return head_problem(head, log_key=pinned[0], witness_key=pinned[1], name=name)
