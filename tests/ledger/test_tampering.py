"""Whoever can bypass the ledger's triggers (the database owner, and in the worst cases the
holder of the ledger signing key too) attacks one organization's chain; each attack is
caught both by ``chorus ledger verify`` and by the standalone check of an export taken
after the attack, run with the keys a member pinned and, where the export alone cannot
show it, the witnessed head the member kept from before the attack."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from chorus.accounts.models import Organization
from chorus.crypto import merkle, signing
from chorus.crypto.tree_head import TreeHead
from chorus.ledger import log, standalone
from chorus.ledger.keys import checkpoint_seed
from chorus.ledger.models import LedgerEvent, LedgerHead, LedgerNode, LedgerTreeHead
from chorus.ledger.services import chain_for, event_hash, ledger_append, ledger_checkpoint

pytestmark = pytest.mark.usefixtures("tamperable_ledger")

FOREIGN = bytes(range(32))  # a signing key the attacker holds
FAKE_WITNESS = bytes(range(1, 33))  # a "witness" the attacker runs


@dataclass
class Scene:
    """One organization's chain of 8 events with witnessed heads at 5 and 8, a checkpoint
    at 8, and what a member kept before the attack: the pinned keys and the head at 8."""

    organization_id: object
    chain: str
    log_key: str
    witness_key: str
    tmp: Path
    kept: Path
    monkeypatch: pytest.MonkeyPatch


def _append(organization_id: object, numbers: range, *, forged: int | None = None) -> None:
    for number in numbers:
        ledger_append(
            organization_id=organization_id,
            actor="m_test",
            action="forged" if number == forged else "test.step",
            # Non-ASCII on purpose: the standalone check must hash JSON exactly as services do.
            refs={"case": f"c_{number}", "place": "Zürich"},
            payload={"n": number},
        )


def _witnessed(chain: str) -> LedgerTreeHead:
    signed = log.tree_head_sign(chain)
    assert signed is not None and signed.row.witnessed, signed
    return signed.row


def _scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sizes: tuple[int, ...] = (5, 8)) -> Scene:
    organization = Organization.objects.create(name="Riverside Workers Union", slug="riverside")
    chain = chain_for(organization.pk)
    done = 0
    for size in sizes:
        _append(organization.pk, range(done, size))
        head = _witnessed(chain)
        done = size
    ledger_checkpoint(chain)
    log_key, witness_key = log.pinned_keys()
    assert log_key is not None and witness_key is not None
    kept = tmp_path / "kept.json"  # as saved from /ledger/log/head/
    kept.write_text(json.dumps({"origin": head.origin, "head": log.head_as_dict(head)}))
    return Scene(organization.pk, chain, log_key, witness_key, tmp_path, kept, monkeypatch)


def _sql(statement: str, params: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _delete(chain: str, *tables: str) -> None:
    for table in tables:
        _sql(f"DELETE FROM ledger_{table} WHERE chain = %s", [chain])  # noqa: S608 - fixed table names


def _rebuild_tree(chain: str) -> None:
    """What a careful attacker does after removing events: make the head row and the stored
    tree match what is left, so nothing but signed heads can tell."""
    _delete(chain, "ledgernode")
    frontier = merkle.Frontier()
    last = None
    for event in LedgerEvent.objects.filter(chain=chain).order_by("seq"):
        for node in frontier.append(log.leaf_for(event.hash)):
            LedgerNode.objects.create(chain=chain, position=merkle.position(node.level, node.index), hash=node.hash)
        last = event
    assert last is not None
    LedgerHead.objects.filter(chain=chain).update(seq=last.seq, hash=last.hash, frontier=b"".join(frontier.hashes))


def _rewrite(scene: Scene, *, drop_signed: bool) -> None:
    """A different history of the same length, every hash, link and tree node consistent."""
    _delete(scene.chain, "ledgerevent", "ledgerhead", "ledgernode")
    if drop_signed:
        _delete(scene.chain, "ledgercheckpoint", "ledgertreehead")
    _append(scene.organization_id, range(8), forged=2)


def _forged_head(chain: str, *, log_seed: bytes, witness_seed: bytes) -> LedgerTreeHead:
    """A head of the chain as it is stored now, signed and "countersigned" by the given keys."""
    stamp = int(time.time()) + 1
    tree = TreeHead(origin=log.origin_for(chain), size=8, root_hash=log.tree_root(chain, 8), timestamp=stamp)
    return LedgerTreeHead(
        chain=chain,
        origin=tree.origin,
        size=tree.size,
        root_hash=tree.root_hash.hex(),
        timestamp=stamp,
        log_key=signing.public_key_for(log_seed).hex(),
        signature=signing.sign(log_seed, tree.message()).hex(),
        witness_key=signing.public_key_for(witness_seed).hex(),
        witness_timestamp=stamp,
        cosignature=signing.sign(witness_seed, tree.cosignature_message(stamp)).hex(),
    )


# ---- the attacks ---------------------------------------------------------------------------


def modify(scene: Scene) -> None:
    _sql("UPDATE ledger_ledgerevent SET action = 'forged' WHERE chain = %s AND seq = 3", [scene.chain])


def modify_and_rehash(scene: Scene) -> None:
    event = LedgerEvent.objects.get(chain=scene.chain, seq=3)
    event.action = "forged"
    LedgerEvent.objects.filter(pk=event.pk).update(action=event.action, hash=event_hash(event))


def delete_one(scene: Scene) -> None:
    _sql("DELETE FROM ledger_ledgerevent WHERE chain = %s AND seq = 4", [scene.chain])


def insert_one(scene: Scene) -> None:
    _sql("UPDATE ledger_ledgerevent SET seq = seq + 1000 WHERE chain = %s AND seq >= 4", [scene.chain])
    _sql("UPDATE ledger_ledgerevent SET seq = seq - 999 WHERE chain = %s AND seq >= 1000", [scene.chain])
    before = LedgerEvent.objects.get(chain=scene.chain, seq=3)
    inserted = LedgerEvent(
        chain=scene.chain,
        seq=4,
        created_at=before.created_at,
        actor=before.actor,
        action="forged",
        refs={},
        payload_hash=before.payload_hash,
        prev_hash=before.hash,
    )
    inserted.hash = event_hash(inserted)
    inserted.save(force_insert=True)


def reorder(scene: Scene) -> None:
    _sql("UPDATE ledger_ledgerevent SET seq = seq + 1000 WHERE chain = %s AND seq IN (2, 3)", [scene.chain])
    _sql(
        "UPDATE ledger_ledgerevent SET seq = CASE seq WHEN 1002 THEN 3 ELSE 2 END WHERE chain = %s AND seq > 1000",
        [scene.chain],
    )


def truncate(scene: Scene) -> None:
    _sql("DELETE FROM ledger_ledgerevent WHERE chain = %s AND seq > 6", [scene.chain])
    _rebuild_tree(scene.chain)


def truncate_with_its_heads(scene: Scene) -> None:
    truncate(scene)
    for table, column in (("ledgercheckpoint", "seq"), ("ledgertreehead", "size")):
        _sql(f"DELETE FROM ledger_{table} WHERE chain = %s AND {column} > 6", [scene.chain])  # noqa: S608


def rewrite(scene: Scene) -> None:
    _rewrite(scene, drop_signed=False)


def rewrite_without_heads(scene: Scene) -> None:
    _rewrite(scene, drop_signed=True)


def rewrite_and_sign(scene: Scene) -> None:
    """With the stolen ledger key: new checkpoints and tree heads (the witness refuses to
    countersign them, so they stay unwitnessed)."""
    _rewrite(scene, drop_signed=True)
    ledger_checkpoint(scene.chain)
    signed = log.tree_head_sign(scene.chain)
    assert signed is not None and not signed.row.witnessed


def rewrite_and_resign_stored_heads(scene: Scene) -> None:
    """With the stolen ledger key: every stored head re-signed over the new roots, the
    witness's cosignatures left in place."""
    _rewrite(scene, drop_signed=False)
    seed = checkpoint_seed()
    for row in LedgerTreeHead.objects.filter(chain=scene.chain):
        root = log.tree_root(scene.chain, row.size)
        tree = TreeHead(origin=row.origin, size=row.size, root_hash=root, timestamp=row.timestamp)
        LedgerTreeHead.objects.filter(pk=row.pk).update(
            root_hash=root.hex(), signature=signing.sign(seed, tree.message()).hex()
        )


def delete_chain(scene: Scene) -> None:
    _delete(scene.chain, "ledgerevent", "ledgerhead", "ledgernode", "ledgercheckpoint", "ledgertreehead")


def delete_chain_witness_unreachable(scene: Scene) -> None:
    delete_chain(scene)
    scene.monkeypatch.setattr("chorus.ledger.services.witness_view", dict)


def foreign_head_row(scene: Scene) -> None:
    _forged_head(scene.chain, log_seed=FOREIGN, witness_seed=FAKE_WITNESS).save()


def _forged_file(scene: Scene, *, log_seed: bytes) -> None:
    _rewrite(scene, drop_signed=True)
    forged = _forged_head(scene.chain, log_seed=log_seed, witness_seed=FAKE_WITNESS)
    (scene.tmp / "forged.json").write_text(json.dumps({"head": log.head_as_dict(forged)}))


def foreign_head_file(scene: Scene) -> None:
    _forged_file(scene, log_seed=FOREIGN)


def fake_witness_head_file(scene: Scene) -> None:
    _forged_file(scene, log_seed=checkpoint_seed())


@dataclass(frozen=True)
class Attack:
    do: Callable[[Scene], None]
    verify_says: str  # in `chorus ledger verify`'s output
    export_says: str  # in the standalone check's output
    with_refs: bool = False  # the export carries actor and references (oversight)
    kept: str = ""  # the standalone check is given this head file (the member's, or a forged one)


WITNESS_SAW_8 = "the witness countersigned 8 events of this chain but only"
WITNESS_ROOT = "the first 8 events differ from what the witness countersigned"
KEPT = "kept.json"

ATTACKS = [
    Attack(modify, "event 3 was modified", "event 3 was modified", with_refs=True),
    Attack(modify_and_rehash, "event 4 does not point at the event before it", "event 4 does not point"),
    Attack(delete_one, "expected event 4 but found 5", "expected event 4 but found 5"),
    Attack(insert_one, "event 5 does not point at the event before it", "event 5 does not point"),
    Attack(reorder, "event 2 does not point at the event before it", "event 2 does not point"),
    Attack(truncate, f"{WITNESS_SAW_8} 6 are stored", "the tree head of size 8 covers events the export does not hold"),
    Attack(
        truncate_with_its_heads,
        f"{WITNESS_SAW_8} 6 are stored",
        "the kept tree head of size 8 covers events the export does not hold (it has 6",
        kept=KEPT,
    ),
    Attack(rewrite, WITNESS_ROOT, "the first 5 events differ from the signed tree head"),
    Attack(
        rewrite_without_heads, WITNESS_ROOT, "the first 8 events differ from the kept tree head of size 8", kept=KEPT
    ),
    Attack(rewrite_and_sign, WITNESS_ROOT, "the first 8 events differ from the kept tree head of size 8", kept=KEPT),
    Attack(rewrite_and_resign_stored_heads, WITNESS_ROOT, "the tree head of size 5 has a bad cosignature"),
    Attack(
        delete_chain,
        f"{WITNESS_SAW_8} 0 are stored",
        "the kept tree head of size 8 covers events the export does not hold (it has 0",
        kept=KEPT,
    ),
    Attack(
        delete_chain_witness_unreachable,
        "the organization exists but its chain has no events (it was deleted)",
        "the kept tree head of size 8 covers events the export does not hold (it has 0",
        kept=KEPT,
    ),
    Attack(
        foreign_head_row,
        "the tree head of size 8 is signed by a key that is not this deployment's",
        "the tree head of size 8 is signed by a key that is not this deployment's",
    ),
    Attack(
        foreign_head_file,
        "the kept tree head of size 8 is signed by a key that is not this deployment's",
        "the kept tree head of size 8 is signed by a key that is not this deployment's",
        kept="forged.json",
    ),
    Attack(
        fake_witness_head_file,
        "the kept tree head of size 8 is countersigned by a key that is not the witness's",
        "the kept tree head of size 8 is countersigned by a key that is not the witness's",
        kept="forged.json",
    ),
]


def _verify(*args: str) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("ledger", "verify", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def _check_export(scene: Scene, *, with_refs: bool = False, kept: Path | None = None) -> tuple[int, str]:
    export = scene.tmp / ("export-refs.json" if with_refs else "export.json")
    refs = ["--with-refs"] if with_refs else []
    call_command("ledger", "export", "--chain", scene.chain, "--out", str(export), *refs, stdout=StringIO())
    out, err = StringIO(), StringIO()
    code = standalone.run(
        export, log_key=scene.log_key, witness_key=scene.witness_key, head_path=kept, stdout=out, stderr=err
    )
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.do.__name__ for attack in ATTACKS])
def test_each_attack_is_caught_by_verify_and_by_the_standalone_check(
    attack: Attack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = _scene(tmp_path, monkeypatch)
    attack.do(scene)
    head_file = tmp_path / attack.kept if attack.kept else None
    code, output = _verify(*(["--head", str(head_file)] if head_file and attack.kept != KEPT else []))
    assert code == 1, output
    assert attack.verify_says in output
    code, output = _check_export(scene, with_refs=attack.with_refs, kept=head_file)
    assert code == 1, output
    assert f"{scene.chain}: BROKEN: {attack.export_says}" in output


def test_an_untampered_chain_with_several_witnessed_heads_passes_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = _scene(tmp_path, monkeypatch, sizes=(3, 5, 8))
    oldest = LedgerTreeHead.objects.filter(chain=scene.chain).order_by("size").first()
    assert oldest is not None and oldest.size == 3
    (tmp_path / "oldest.json").write_text(json.dumps(log.head_as_dict(oldest)))
    for kept in (scene.kept, tmp_path / "oldest.json"):
        code, output = _verify("--head", str(kept))
        assert code == 0, output
        assert f"{scene.chain}: intact, 8 events" in output and "extends the kept tree head" in output
    for with_refs in (False, True):
        code, output = _check_export(scene, with_refs=with_refs, kept=tmp_path / "oldest.json")
        assert code == 0, output
        unhashed = "" if with_refs else (
            "; event hashes were not recomputed (no references in the export): actions and times are not covered"
        )
        assert output == (
            f"{scene.chain}: intact, 8 events, 3 signed tree head(s), 3 countersigned by the witness"
            f"; extends the kept tree head of 3 events{unhashed}\n"
        )
    # The same check as a Chorus command.
    out = StringIO()
    call_command(
        "ledger",
        "verify-export",
        str(tmp_path / "export.json"),
        "--log-key",
        scene.log_key,
        "--witness-key",
        scene.witness_key,
        "--head",
        str(scene.kept),
        "--origin",
        log.origin_for(scene.chain),
        stdout=out,
    )
    assert "extends the kept tree head of 8 events" in out.getvalue()
