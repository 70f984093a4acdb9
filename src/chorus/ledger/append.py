"""``ledger_append``: the one way anything is written to the ledger.

An append must extend the chain's current head, so appends to one chain are serialized by
the head row: locked (PostgreSQL) or under SQLite's write lock (its transactions start
IMMEDIATE). What makes many writers fast is holding that lock as briefly as possible:

* everything that does not depend on the head — the payload's digest, the references'
  canonical JSON, the time, every byte of the event's canonical form but the previous hash
  and the sequence number — is done before the lock is taken;
* on PostgreSQL the rest is one call of ``ledger_append_event`` (migration 0004): it locks
  the head, hashes the event (the bytes given, with the head's hash and next number put
  in), inserts it and the tree nodes it completes and moves the head, in one round trip.
  Outside a transaction that is the whole transaction, so the lock lasts as long as the
  append itself; inside a caller's transaction it lasts until the caller commits, so a
  service appends as its last step;
* on SQLite the same steps run here, in Python, under the write lock the caller's
  transaction already holds.

Either way the unique (chain, seq) constraint is the last line of defence, and
``ledger_verify`` recomputes every hash from the stored fields, trusting none of this.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from chorus.crypto import merkle
from chorus.ledger.log import IMPORTANT, leaf_for
from chorus.ledger.models import LedgerEvent, LedgerHead, LedgerNode
from chorus.ledger.walk import canonical_json, json_string

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


def ledger_append(
    *,
    organization_id: object | None,
    actor: str,
    action: str,
    refs: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> LedgerEvent:
    """Append one event to the organization's chain, inside the caller's transaction if
    there is one (the event is then written if and only if the caller's work is)."""
    refs = dict(refs or {})
    draft = _Draft(
        chain=chain_for(organization_id),
        created_at=timezone.now(),
        actor=actor,
        action=action,
        refs=refs,
        refs_json=canonical_json(refs),
        payload_hash=payload_digest(payload),
    )
    # No savepoint inside the caller's transaction: an append that fails fails the caller's
    # work with it (the event is written if and only if that work is), so a savepoint would
    # cost two round trips and protect nothing.
    if connection.vendor != "postgresql":
        with transaction.atomic(savepoint=False):
            _witness_if_important(draft)
            event = _append_here(draft)
    elif action in IMPORTANT or connection.in_atomic_block:
        with transaction.atomic(savepoint=False):
            _witness_if_important(draft)
            event = _append_in_database(draft)
    else:
        event = _append_in_database(draft)  # one statement, its own transaction
    event._state.adding, event._state.db = False, connection.alias
    return event


def event_frame(
    *, organization_id: object | None, actor: str, action: str, created_at: datetime
) -> tuple[str, str, bytes, bytes]:
    """For a function in the database that writes an event's references itself (an escrow
    entry's, ``escrow/filing.py``) and then calls ``ledger_append_event``: the chain, the
    digest of no payload, and the event's canonical bytes before the previous hash and after
    the sequence number. Between them goes ``","refs":`` + the references' canonical JSON +
    ``,"seq":``, as ``_Draft.parts`` puts them. The action must not be IMPORTANT (nothing
    here asks for a witness)."""
    if action in IMPORTANT:
        raise ValueError(f"{action} asks for a witness; append it with ledger_append")
    draft = _Draft(
        chain=chain_for(organization_id),
        created_at=created_at,
        actor=actor,
        action=action,
        refs={},
        refs_json="",
        payload_hash=payload_digest(None),
    )
    before, _between, after = draft.parts()
    return draft.chain, draft.payload_hash, before, after


def _witness_if_important(draft: _Draft) -> None:
    if draft.action in IMPORTANT:
        from chorus.ledger.tasks import witness_soon  # the queue's models load after the ledger's

        witness_soon(draft.chain)  # in the event's transaction, before the lock: it does not need it


@dataclass(frozen=True)
class _Draft:
    """An event before it has a place in its chain."""

    chain: str
    created_at: datetime
    actor: str
    action: str
    refs: dict[str, Any]
    refs_json: str
    payload_hash: str

    def parts(self) -> tuple[bytes, bytes, bytes]:
        """The event's canonical bytes around the previous hash and the sequence number:
        ``before + prev + between + seq + after`` (``walk.event_body``, keys sorted)."""
        before = (
            f'{{"action":{json_string(self.action)},"actor":{json_string(self.actor)},'
            f'"at":{json_string(_timestamp(self.created_at))},"chain":{json_string(self.chain)},'
            f'"payload":{json_string(self.payload_hash)},"prev":"'
        )
        return before.encode(), f'","refs":{self.refs_json},"seq":'.encode(), b',"v":1}'

    def event(self, seq: int, prev_hash: str, event_hash: str) -> LedgerEvent:
        return LedgerEvent(
            chain=self.chain,
            seq=seq,
            created_at=self.created_at,
            actor=self.actor,
            action=self.action,
            refs=self.refs,
            payload_hash=self.payload_hash,
            prev_hash=prev_hash,
            hash=event_hash,
        )


# ---- PostgreSQL: one call ----------------------------------------------------------------


def _append_in_database(draft: _Draft) -> LedgerEvent:
    before, between, after = draft.parts()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM ledger_append_event(%s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s)",
            [
                draft.chain,
                draft.created_at,
                draft.actor,
                draft.action,
                draft.refs_json,
                draft.payload_hash,
                before,
                between,
                after,
            ],
        )
        event_id, seq, prev_hash, event_hash = cursor.fetchone()
    event = draft.event(seq, prev_hash, event_hash)
    event.pk = event_id
    return event


# The function ``_append_in_database`` calls (installed by migration 0004): lock the head
# (made if the chain is new; refused if its tree edge does not fit its size), hash the event's bytes with the head put in, insert the event
# and the tree nodes its leaf completes (``merkle.Frontier.append``: pop a frontier hash
# and hash it with the current one while the leaf index has a 1 bit there), move the head.
APPEND_FUNCTION = r"""
CREATE OR REPLACE FUNCTION ledger_append_event(
    p_chain text, p_at timestamptz, p_actor text, p_action text, p_refs jsonb, p_payload text,
    p_before bytea, p_between bytea, p_after bytea
) RETURNS TABLE (event_id bigint, event_seq bigint, event_prev text, event_hash text) AS $$
DECLARE
    v_head ledger_ledgerhead%ROWTYPE;
    v_seq bigint;
    v_hash text;
    v_id bigint;
    v_node bytea;
    v_frontier bytea;
    v_level int := 0;
    v_end int;
BEGIN
    SELECT * INTO v_head FROM ledger_ledgerhead WHERE chain = p_chain FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ledger_ledgerhead (chain, seq, hash, frontier)
            VALUES (p_chain, 0, repeat('0', 64), ''::bytea) ON CONFLICT DO NOTHING;
        SELECT * INTO v_head FROM ledger_ledgerhead WHERE chain = p_chain FOR UPDATE;
    END IF;
    IF length(v_head.frontier) <> 32 * length(replace(v_head.seq::bit(64)::text, '0', '')) THEN
        RAISE EXCEPTION 'the ledger head of % does not hold its tree''s right edge', p_chain;
    END IF;
    v_seq := v_head.seq + 1;
    v_hash := encode(sha256(
        p_before || convert_to(v_head.hash, 'UTF8') || p_between || convert_to(v_seq::text, 'UTF8') || p_after
    ), 'hex');
    INSERT INTO ledger_ledgerevent (chain, seq, created_at, actor, action, refs, payload_hash, prev_hash, hash)
        VALUES (p_chain, v_seq, p_at, p_actor, p_action, p_refs, p_payload, v_head.hash, v_hash)
        RETURNING id INTO v_id;
    v_node := sha256('\x00'::bytea || decode(v_hash, 'hex'));
    INSERT INTO ledger_ledgernode (chain, position, hash) VALUES (p_chain, 2 * (v_seq - 1), v_node);
    v_frontier := v_head.frontier;
    WHILE (((v_seq - 1) >> v_level) & 1) = 1 LOOP
        v_end := length(v_frontier);
        v_node := sha256('\x01'::bytea || substring(v_frontier FROM v_end - 31 FOR 32) || v_node);
        v_frontier := substring(v_frontier FROM 1 FOR v_end - 32);
        v_level := v_level + 1;
        INSERT INTO ledger_ledgernode (chain, position, hash)
            VALUES (p_chain, ((2 * ((v_seq - 1) >> v_level) + 1) << v_level) - 1, v_node);
    END LOOP;
    UPDATE ledger_ledgerhead SET seq = v_seq, hash = v_hash, frontier = v_frontier || v_node
        WHERE chain = p_chain;
    RETURN QUERY SELECT v_id, v_seq, v_head.hash::text, v_hash;
END;
$$ LANGUAGE plpgsql
"""
DROP_APPEND_FUNCTION = (
    "DROP FUNCTION IF EXISTS ledger_append_event(text, timestamptz, text, text, jsonb, text, bytea, bytea, bytea)"
)


# ---- SQLite: the same steps here -----------------------------------------------------------

_EVENTS, _NODES, _HEADS = (model._meta.db_table for model in (LedgerEvent, LedgerNode, LedgerHead))
# The tables' own names, never input.
_INSERT_EVENT = (
    f"INSERT INTO {_EVENTS} (chain, seq, created_at, actor, action, refs, payload_hash, prev_hash, hash) "  # noqa: S608
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_INSERT_NODE = f"INSERT INTO {_NODES} (chain, position, hash) VALUES (%s, %s, %s)"  # noqa: S608
_MOVE_HEAD = f"UPDATE {_HEADS} SET seq = %s, hash = %s, frontier = %s WHERE chain = %s"  # noqa: S608
_READ_HEAD = f"SELECT seq, hash, frontier FROM {_HEADS} WHERE chain = %s"  # noqa: S608


def _append_here(draft: _Draft) -> LedgerEvent:
    seq, prev_hash, frontier = _head(draft.chain)
    seq += 1
    before, between, after = draft.parts()
    event = draft.event(
        seq,
        prev_hash,
        hashlib.sha256(b"".join((before, prev_hash.encode(), between, str(seq).encode(), after))).hexdigest(),
    )
    nodes = frontier.append(leaf_for(event.hash))
    created_at = connection.ops.adapt_datetimefield_value(event.created_at)
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_EVENT,
            [
                draft.chain,
                seq,
                created_at,
                draft.actor,
                draft.action,
                draft.refs_json,
                draft.payload_hash,
                prev_hash,
                event.hash,
            ],
        )
        event.pk = int(cursor.lastrowid)
        cursor.executemany(
            _INSERT_NODE, [(draft.chain, merkle.position(node.level, node.index), node.hash) for node in nodes]
        )
        cursor.execute(_MOVE_HEAD, [seq, event.hash, b"".join(frontier.hashes), draft.chain])
    return event


def _head(chain: str) -> tuple[int, str, merkle.Frontier]:
    """The chain's head (made if the chain is new)."""
    with connection.cursor() as cursor:
        cursor.execute(_READ_HEAD, [chain])
        row = cursor.fetchone()
    if row is None:
        try:
            with transaction.atomic():
                LedgerHead.objects.create(chain=chain, seq=0, hash=GENESIS_HASH)
        except IntegrityError:
            pass  # another process made it first
        return _head(chain)
    seq, head_hash, frontier = row[0], row[1], bytes(row[2])
    size = merkle.HASH_SIZE
    hashes = [frontier[at : at + size] for at in range(0, len(frontier), size)]
    return seq, head_hash, merkle.Frontier.from_hashes(seq, hashes)
