"""``ledger_verify`` reads a chain in blocks (``ledger/walk.py``): whatever block a changed
event or tree node falls in, and wherever a chain's sizes fall against the blocks, it is
found and named as an event-by-event walk would; and the bytes an append hashes are the
ones ``event_hash`` (and the standalone check) recompute, for awkward values too."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from chorus.crypto import merkle
from chorus.ledger import log, walk
from chorus.ledger.models import LedgerEvent, LedgerHead
from chorus.ledger.services import event_hash, ledger_append, ledger_verify

CHAIN = "platform"
EVENTS = 23  # blocks of 4, 2 and 1 events at the end, with the block size made 4 below


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(walk, "BLOCK_LEVEL", 2)
    monkeypatch.setattr(walk, "BLOCK", 4)


def _append(count: int) -> None:
    for number in range(count):
        ledger_append(organization_id=None, actor="m_test", action="test.step", refs={"n": number})


def _roots(sizes: tuple[int, ...]) -> list[tuple[int, bytes]]:
    hashes = LedgerEvent.objects.filter(chain=CHAIN).order_by("seq").values_list("hash", flat=True)
    leaves = [log.leaf_for(value) for value in hashes]
    return [(size, merkle.root(leaves[:size])) for size in sizes]


def _sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db
def test_an_appended_event_hashes_as_event_hash_does_for_awkward_values() -> None:
    event = ledger_append(
        organization_id=None,
        actor='m_"quoted" \\ back',
        action="ação\u2028\n\tdone",
        refs={"z": [1, 2.5, None, True], "a": 'Zürich "x"', "é": {"b": "\x01 \u00e9 \U0001f600"}},
        payload={"text": "what happened"},
    )
    stored = LedgerEvent.objects.get(pk=event.pk)
    assert stored.seq == event.seq == 1
    assert stored.hash == event.hash == event_hash(stored)
    assert LedgerHead.objects.get(chain=CHAIN).hash == event.hash
    assert ledger_verify(CHAIN).ok


@pytest.mark.django_db
@pytest.mark.usefixtures("small_blocks")
def test_a_chain_of_many_blocks_verifies_with_roots_at_any_size() -> None:
    _append(EVENTS)
    sizes = (0, 1, 3, 4, 5, 11, 16, 22, 23)
    result = ledger_verify(CHAIN, witness={CHAIN: _roots(sizes)})
    assert result.ok, result.problem
    assert result.events == EVENTS
    # A root the witness holds that the events do not give, inside a block.
    wrong = [(size, root if size != 11 else b"\1" * 32) for size, root in _roots(sizes)]
    assert "the first 11 events differ" in str(ledger_verify(CHAIN, witness={CHAIN: wrong}).problem)


NODE_TAMPERING = [
    # a leaf in a later block; an interior node of a block; a node above the blocks (level 3)
    ("UPDATE ledger_ledgernode SET hash = %s WHERE chain = %s AND position = 36", [b"\0" * 32, CHAIN]),
    ("UPDATE ledger_ledgernode SET hash = %s WHERE chain = %s AND position = 41", [b"\0" * 32, CHAIN]),
    ("UPDATE ledger_ledgernode SET hash = %s WHERE chain = %s AND position = 23", [b"\0" * 32, CHAIN]),
    # a node removed; nodes added before the first, between blocks and after the last
    ("DELETE FROM ledger_ledgernode WHERE chain = %s AND position = 17", [CHAIN]),
    ("INSERT INTO ledger_ledgernode (chain, position, hash) VALUES (%s, -2, %s)", [CHAIN, b"\0" * 32]),
    ("INSERT INTO ledger_ledgernode (chain, position, hash) VALUES (%s, 43, %s)", [CHAIN, b"\0" * 32]),
    ("INSERT INTO ledger_ledgernode (chain, position, hash) VALUES (%s, 1000, %s)", [CHAIN, b"\0" * 32]),
]


@pytest.mark.usefixtures("tamperable_ledger", "small_blocks")
@pytest.mark.parametrize(("statement", "params"), NODE_TAMPERING)
def test_a_stored_node_changed_removed_or_added_anywhere_is_found(statement: str, params: list[Any]) -> None:
    _append(EVENTS)
    assert ledger_verify(CHAIN).ok
    _sql(statement, params)
    problem = str(ledger_verify(CHAIN).problem)
    assert "the stored Merkle tree" in problem and "does not match the events" in problem


@pytest.mark.usefixtures("tamperable_ledger", "small_blocks")
@pytest.mark.parametrize(
    ("tamper", "says", "bad_seq"),
    [
        ("UPDATE ledger_ledgerevent SET actor = 'forged' WHERE seq = 14", "event 14 was modified", 14),
        ("UPDATE ledger_ledgerevent SET refs = '{\"n\": 1}' WHERE seq = 21", "event 21 was modified", 21),
        ("DELETE FROM ledger_ledgerevent WHERE seq = 9", "expected event 9 but found 10", 9),
        ("UPDATE ledger_ledgerevent SET prev_hash = hash WHERE seq = 17", "event 17 does not point", 17),
    ],
)
def test_a_changed_event_in_a_later_block_is_named(tamper: str, says: str, bad_seq: int) -> None:
    _append(EVENTS)
    _sql(tamper, [])
    result = ledger_verify(CHAIN)
    assert result.problem is not None and says in result.problem
    assert result.bad_seq == bad_seq
    assert result.events == bad_seq - 1
