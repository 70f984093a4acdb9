from __future__ import annotations

import itertools
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import ledger_append, ledger_checkpoint, ledger_verify

CHAIN = "platform"


def _append(count: int) -> None:
    for number in range(count):
        ledger_append(
            organization_id=None, actor="m_test", action="test.step", refs={"n": number}, payload={"n": number}
        )


def _run_verify(*extra: str) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("ledger", "verify", "--chain", CHAIN, *extra, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def _raw(sql: str, params: list[int | str] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.mark.django_db
def test_it_chains_events() -> None:
    _append(5)
    events = list(LedgerEvent.objects.filter(chain=CHAIN))
    assert [event.seq for event in events] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    assert ledger_verify(CHAIN).ok
    assert _run_verify() == (0, f"{CHAIN}: intact, 5 events, head {events[-1].hash}\n")


@pytest.mark.django_db
def test_it_keeps_payloads_out_and_only_their_hash_in() -> None:
    event = ledger_append(organization_id=None, actor="m_x", action="record.saved", payload={"text": "what happened"})
    stored = json.dumps([event.refs, event.payload_hash, event.action])
    assert "what happened" not in stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement", ["UPDATE ledger_ledgerevent SET action = 'forged'", "DELETE FROM ledger_ledgerevent"]
)
def test_triggers_refuse_update_and_delete(statement: str) -> None:
    _append(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(statement)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEvent.objects.filter(seq=1).update(action="forged")
    assert LedgerEvent.objects.filter(action="test.step").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE ledger_ledgernode SET hash = hash", "the ledger tree is append-only"),
        ("DELETE FROM ledger_ledgernode", "the ledger tree is append-only"),
        ("UPDATE ledger_ledgertreehead SET cosignature = ''", "a signed tree head is never changed"),
        ("DELETE FROM ledger_ledgertreehead", "a signed tree head is never changed"),
    ],
)
def test_the_tree_and_its_heads_refuse_update_and_delete(statement: str, refusal: str) -> None:
    from chorus.ledger.log import tree_head_sign

    _append(3)
    tree_head_sign(CHAIN)
    with pytest.raises(DatabaseError, match=refusal), transaction.atomic():
        _raw(statement)


@pytest.mark.usefixtures("tamperable_ledger")
@pytest.mark.parametrize(
    ("tamper", "bad_seq"),
    [
        ("UPDATE ledger_ledgerevent SET action = 'forged' WHERE seq = 3", 3),
        ("UPDATE ledger_ledgerevent SET refs = '{\"n\": 99}' WHERE seq = 2", 2),
        ("DELETE FROM ledger_ledgerevent WHERE seq = 4", 4),
        ("DELETE FROM ledger_ledgerevent WHERE seq = 6", 6),  # the last one: caught by the head
        ("UPDATE ledger_ledgerevent SET seq = seq + 100 WHERE seq >= 3", 3),  # room for an insertion
        ("UPDATE ledger_ledgerevent SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END WHERE seq IN (2, 3)", 2),
    ],
)
def test_verify_names_the_first_bad_event(tamper: str, bad_seq: int) -> None:
    _append(6)
    if "seq + 100" in tamper:
        _raw(tamper)
        first = LedgerEvent.objects.get(seq=1)
        _raw(
            "INSERT INTO ledger_ledgerevent (chain, seq, created_at, actor, action, refs, payload_hash, prev_hash, hash) "
            "SELECT chain, 3, created_at, actor, 'inserted', refs, payload_hash, prev_hash, hash FROM ledger_ledgerevent WHERE id = %s",
            [first.pk],
        )
    elif "CASE" in tamper:
        _raw("UPDATE ledger_ledgerevent SET seq = seq + 1000 WHERE seq IN (2, 3)")
        _raw("UPDATE ledger_ledgerevent SET seq = CASE seq WHEN 1002 THEN 3 ELSE 2 END WHERE seq IN (1002, 1003)")
    else:
        _raw(tamper)
    result = ledger_verify(CHAIN)
    assert not result.ok
    assert result.bad_seq == bad_seq
    code, output = _run_verify()
    assert code == 1
    assert f"BROKEN at event {bad_seq}" in output


@pytest.mark.usefixtures("tamperable_ledger")
def test_a_checkpoint_kept_outside_catches_a_rewritten_chain(tmp_path: Path) -> None:
    _append(3)
    out = tmp_path / "checkpoint.json"
    call_command("ledger", "checkpoint", "--chain", CHAIN, "--out", str(out), stdout=StringIO())
    assert _run_verify("--checkpoint", str(out))[0] == 0
    # The owner rewrites the whole chain consistently (recomputing every hash) ...
    _raw("DELETE FROM ledger_ledgerevent")
    _raw("DELETE FROM ledger_ledgerhead")
    _raw("DELETE FROM ledger_ledgernode")
    _raw("DELETE FROM ledger_ledgercheckpoint")
    _raw("DELETE FROM ledger_ledgertreehead")
    _append(3)
    assert ledger_verify(CHAIN).ok  # ... so the chain alone looks intact,
    code, output = _run_verify("--checkpoint", str(out))
    assert code == 1  # but the checkpoint the members kept does not match.
    assert "differs from the signed checkpoint" in output


@pytest.mark.usefixtures("tamperable_ledger")
def test_a_stored_checkpoint_is_checked_too() -> None:
    _append(3)
    checkpoint = ledger_checkpoint(CHAIN)
    assert checkpoint is not None
    _raw("UPDATE ledger_ledgercheckpoint SET head_hash = %s", ["f" * 64])
    result = ledger_verify(CHAIN)
    assert result.problem == "the checkpoint at event 3 has a bad signature"


def test_a_bad_checkpoint_file_is_a_clear_error(tmp_path: Path, db: None) -> None:
    bad = tmp_path / "c.json"
    bad.write_text("{not json")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cannot read checkpoint file"):
        call_command("ledger", "verify", "--checkpoint", str(bad), stdout=StringIO())


@pytest.mark.usefixtures("tamperable_ledger")
def test_a_checkpoint_re_signed_with_another_key_is_caught() -> None:
    from chorus.crypto import signing
    from chorus.ledger.models import LedgerCheckpoint
    from chorus.ledger.services import checkpoint_message

    _append(3)
    checkpoint = ledger_checkpoint(CHAIN)
    assert checkpoint is not None
    # Whoever can rewrite the database forges event 3 and signs a checkpoint for it with a key of their own.
    forged_seed = bytes(range(32))
    _raw("UPDATE ledger_ledgerevent SET action = 'forged' WHERE seq = 3")
    message = checkpoint_message(chain=CHAIN, seq=3, head_hash=checkpoint.head_hash, signed_at=checkpoint.signed_at)
    LedgerCheckpoint.objects.filter(pk=checkpoint.pk).update(
        public_key=signing.public_key_for(forged_seed).hex(), signature=signing.sign(forged_seed, message).hex()
    )
    _raw("UPDATE ledger_ledgerevent SET action = 'test.step' WHERE seq = 3")
    result = ledger_verify(CHAIN)
    assert result.problem == "the checkpoint at event 3 is signed by a key that is not this deployment's"


def _forged_checkpoint_file(tmp_path: Path) -> Path:
    """A chain rewritten by whoever holds the database, with a checkpoint file for the forged
    chain signed by a key of their own (and naming that key)."""
    from chorus.crypto import signing
    from chorus.ledger.models import LedgerEvent
    from chorus.ledger.services import checkpoint_as_dict, checkpoint_message

    _append(3)
    _raw("DELETE FROM ledger_ledgerevent")
    _raw("DELETE FROM ledger_ledgerhead")
    _raw("DELETE FROM ledger_ledgernode")
    _raw("DELETE FROM ledger_ledgercheckpoint")
    _append(3)
    head = LedgerEvent.objects.get(chain=CHAIN, seq=3)
    forged_seed = bytes(range(32))
    checkpoint = ledger_checkpoint(CHAIN)
    assert checkpoint is not None
    message = checkpoint_message(chain=CHAIN, seq=3, head_hash=head.hash, signed_at=checkpoint.signed_at)
    forged = {
        **checkpoint_as_dict(checkpoint),
        "public_key": signing.public_key_for(forged_seed).hex(),
        "signature": signing.sign(forged_seed, message).hex(),
    }
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    return path


@pytest.mark.usefixtures("tamperable_ledger")
def test_a_checkpoint_file_signed_by_any_other_key_is_refused(tmp_path: Path) -> None:
    forged = _forged_checkpoint_file(tmp_path)
    code, output = _run_verify("--checkpoint", str(forged))
    assert code == 1
    assert "signed by a key that is not this deployment's" in output


@pytest.mark.usefixtures("tamperable_ledger")
def test_a_verifier_without_the_signing_key_pins_the_published_key(tmp_path: Path, settings: Any) -> None:
    from chorus.crypto import signing
    from chorus.ledger.keys import checkpoint_seed

    forged = _forged_checkpoint_file(tmp_path)
    published = signing.public_key_for(checkpoint_seed()).hex()
    settings.CHORUS_LEDGER_SIGNING_KEY_PATH = tmp_path / "absent.key"  # an outsider holds no key file
    code, output = _run_verify("--checkpoint", str(forged), "--public-key", published)
    assert code == 1
    assert "signed by a key that is not this deployment's" in output
    code, output = _run_verify("--checkpoint", str(forged))
    assert code == 1
    assert "no pinned checkpoint key" in output
