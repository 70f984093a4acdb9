"""Each chain as a transparency log: the tree kept on every append matches an independent
computation, proofs verify, heads are signed and witnessed, and the witness refuses a head
that does not extend the last one it countersigned."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from chorus.crypto import merkle
from chorus.custodian.witness import Witness, WitnessRefused
from chorus.ledger import log
from chorus.ledger.models import LedgerEvent, LedgerTreeHead
from chorus.ledger.services import chain_for, ledger_append
from tests.personas import Personas

CHAIN = "platform"


def _append(count: int) -> None:
    for number in range(count):
        ledger_append(organization_id=None, actor="test", action="append", refs={"n": number})


def _leaves() -> list[bytes]:
    return [
        log.leaf_for(value)
        for value in LedgerEvent.objects.filter(chain=CHAIN).order_by("seq").values_list("hash", flat=True)
    ]


@pytest.mark.django_db
def test_the_tree_kept_on_append_has_the_independent_root_at_every_size() -> None:
    _append(37)
    leaves = _leaves()
    for size in range(38):
        assert log.tree_root(CHAIN, size) == merkle.root(leaves[:size])


@pytest.mark.django_db
def test_proofs_from_the_stored_tree_verify() -> None:
    _append(70)
    leaves = _leaves()
    rng = random.Random(7)
    for _ in range(60):
        new = rng.randint(1, 70)
        old = rng.randint(0, new)
        root_new = merkle.root(leaves[:new])
        merkle.verify_consistency(old, new, merkle.root(leaves[:old]), root_new, log.consistency(CHAIN, old, new))
        seq = rng.randint(1, new)
        merkle.verify_inclusion(leaves[seq - 1], seq - 1, new, log.inclusion(CHAIN, seq, new), root_new)
    with pytest.raises(log.LogProblem):
        log.consistency(CHAIN, 5, 71)
    with pytest.raises(log.LogProblem):
        log.inclusion(CHAIN, 0, 5)


@pytest.mark.django_db
def test_heads_are_signed_and_witnessed() -> None:
    _append(5)
    signed = log.tree_head_sign(CHAIN)
    assert signed is not None and signed.problem == ""
    row = signed.row
    assert row.witnessed and row.size == 5
    assert bytes.fromhex(row.root_hash) == merkle.root(_leaves())
    log_key, witness_key = log.pinned_keys()
    assert log_key is not None and witness_key == row.witness_key
    assert log.tree_head_problem(row, log_key=log_key, witness_key=witness_key) is None
    _append(4)
    second = log.tree_head_sign(CHAIN)
    assert second is not None and second.row.witnessed and second.row.size == 9
    # A key the deployment does not pin is not trusted, whatever the row says.
    assert "not this deployment's" in str(log.tree_head_problem(row, log_key="00" * 32, witness_key=witness_key))
    assert "not the witness's" in str(log.tree_head_problem(row, log_key=log_key, witness_key="11" * 32))


@pytest.mark.usefixtures("tamperable_ledger")
def test_the_witness_refuses_a_rewritten_history() -> None:
    """Whoever holds the database and the signing key rewrites the log: the witness
    countersigned the old one, so it refuses the new head and nothing new gets witnessed."""
    from django.db import connection

    _append(6)
    assert log.tree_head_sign(CHAIN).row.witnessed  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        for table in ("ledger_ledgerevent", "ledger_ledgerhead", "ledger_ledgernode", "ledger_ledgertreehead"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    _append(8)  # a different history, longer than the witnessed one
    refused = log.tree_head_sign(CHAIN)
    assert refused is not None and not refused.row.witnessed
    assert "does not extend" in refused.problem
    assert not LedgerTreeHead.objects.exclude(cosignature="").exists()


def test_the_witness_refuses_a_smaller_tree_and_a_foreign_key(tmp_path: Path) -> None:
    from chorus.crypto import signing
    from chorus.crypto.tree_head import TreeHead

    witness = Witness(key_file=tmp_path / "w.key", state_file=tmp_path / "w.sqlite3")
    seed, other = bytes(32), bytes(range(32))
    leaves = [merkle.leaf_hash(bytes([n])) for n in range(10)]

    def head(size: int, key: bytes = seed, stamp: int = 100) -> tuple[TreeHead, bytes]:
        tree = TreeHead(origin="example.org/platform", size=size, root_hash=merkle.root(leaves[:size]), timestamp=stamp)
        return tree, signing.sign(key, tree.message())

    tree, signature = head(6)
    witness.cosign(tree, log_key=signing.public_key_for(seed), signature=signature, old_size=0, proof=[])
    smaller, signature = head(4)
    with pytest.raises(WitnessRefused, match="would remove some") as refused:
        witness.cosign(smaller, log_key=signing.public_key_for(seed), signature=signature, old_size=6, proof=[])
    assert refused.value.size == 6
    foreign, signature = head(8, other)
    with pytest.raises(WitnessRefused, match="different key"):
        witness.cosign(foreign, log_key=signing.public_key_for(other), signature=signature, old_size=6, proof=[])
    bigger, signature = head(8)
    with pytest.raises(WitnessRefused, match="send a consistency proof from size 6"):
        witness.cosign(bigger, log_key=signing.public_key_for(seed), signature=signature, old_size=0, proof=[])
    proof = merkle.consistency_proof(6, 8, {(0, i): leaf for i, leaf in enumerate(leaves)} | _internal(leaves))
    cosignature = witness.cosign(
        bigger, log_key=signing.public_key_for(seed), signature=signature, old_size=6, proof=proof
    )
    signing.verify(witness.public_key, bigger.cosignature_message(cosignature.timestamp), cosignature.signature)
    assert witness.last("example.org/platform") == (8, merkle.root(leaves[:8]))


def _internal(leaves: list[bytes]) -> dict[merkle.NodeKey, bytes]:
    frontier = merkle.Frontier()
    nodes: dict[merkle.NodeKey, bytes] = {}
    for leaf in leaves:
        for node in frontier.append(leaf):
            nodes[node.level, node.index] = node.hash
    return nodes


@pytest.mark.django_db
def test_an_important_event_is_witnessed_by_the_next_worker_pass_and_the_rest_on_schedule() -> None:
    from chorus.ledger.tasks import KIND
    from chorus.web.models import Task
    from chorus.web.tasks import tasks_run_due

    _append(3)
    assert not Task.objects.filter(kind=KIND).exists()  # ordinary events wait for the schedule
    ledger_append(organization_id=None, actor="test", action="escrow.match_opened")
    ledger_append(organization_id=None, actor="test", action="role.approved")
    assert Task.objects.filter(kind=KIND, done_at__isnull=True).count() == 1  # one pending per chain
    tasks_run_due()
    (head,) = LedgerTreeHead.objects.filter(chain=CHAIN)
    assert head.witnessed and head.size == 5
    # Nothing new: the schedule skips the chain; after more events and the interval, it signs.
    assert log.chains_to_witness() == []
    _append(2)
    assert log.chains_to_witness() == []  # the last head is younger than the interval
    later = head.timestamp + 60 * 60
    assert log.witness_due(now=later) == 1
    assert LedgerTreeHead.objects.filter(chain=CHAIN).order_by("-size").first().size == 7  # type: ignore[union-attr]


def test_a_receipt_proves_the_access_to_a_survivors_record_offline(personas: Personas) -> None:
    """The survivor downloads a receipt for an advocate's read of her record; its inclusion
    proof and both signatures check out against the pinned keys alone."""
    import base64
    import json

    from django.test import Client

    from chorus.crypto import signing
    from chorus.crypto.tree_head import TreeHead
    from chorus.records.services import sharing
    from tests.helpers import sign_in
    from tests.records.factory import advocate_reader, survivor_record

    built = survivor_record(personas)
    sharing.grant_open(advocate_reader(personas), built.grant)
    client = Client()
    sign_in(client, personas.survivor)
    page = client.get(f"/records/{built.record.pk}/access/").content.decode()
    read = LedgerEvent.objects.filter(action="record.read").latest("seq")
    url = f"/records/{built.record.pk}/access/{read.seq}/receipt/"
    assert url in page
    assert client.get(url).status_code == 409  # no witnessed head covers it yet
    log.tree_head_sign(chain_for(personas.organization.pk))
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    receipt = json.loads(response.content)
    assert receipt["event"]["refs"]["record"] == str(built.record.pk)  # covered by the event's hash
    head = receipt["tree_head"]
    tree = TreeHead(
        origin=head["origin"],
        size=head["size"],
        root_hash=base64.b64decode(head["root_hash"]),
        timestamp=head["timestamp"],
    )
    log_key, witness_key = log.pinned_keys()
    assert log_key is not None and witness_key is not None
    signing.verify(bytes.fromhex(log_key), tree.message(), bytes.fromhex(head["signature"]))
    signing.verify(
        bytes.fromhex(witness_key),
        tree.cosignature_message(head["witness_timestamp"]),
        bytes.fromhex(head["cosignature"]),
    )
    merkle.verify_inclusion(
        log.leaf_for(receipt["event"]["hash"]),
        receipt["leaf_index"],
        tree.size,
        [base64.b64decode(node) for node in receipt["inclusion_proof"]],
        tree.root_hash,
    )
    # Another member cannot fetch it; the same event by its number on the log's own URL
    # is refused too, since it does not name the survivor.
    other = Client()
    sign_in(other, personas.members["respondent"], totp_secret=personas.totp_secrets["respondent"])
    assert other.get(url).status_code in (403, 404)
    assert client.get(f"/ledger/log/receipt/{read.seq}/").status_code == 404


@pytest.mark.usefixtures("tamperable_ledger")
def test_verify_compares_every_stored_node_with_the_events() -> None:
    from django.db import connection

    from chorus.ledger.services import ledger_verify

    _append(12)
    assert ledger_verify(CHAIN).ok
    with connection.cursor() as cursor:  # one interior node, on no path a root or head uses
        cursor.execute(
            "UPDATE ledger_ledgernode SET hash = %s WHERE chain = %s AND position = %s", [b"\0" * 32, CHAIN, 1]
        )
    assert "stored Merkle tree" in str(ledger_verify(CHAIN).problem)


@pytest.mark.usefixtures("tamperable_ledger")
def test_a_new_host_name_does_not_hide_what_the_witness_countersigned() -> None:
    """The deployment's address changes (so its logs' origins do) and the history is then
    rewritten: the witness's record under the old name still catches it, by the log key."""
    from django.db import connection
    from django.test import override_settings

    from chorus.ledger.services import ledger_verify_all

    with override_settings(CHORUS_BASE_URL="https://old.example.org"):
        _append(5)
        assert log.tree_head_sign(CHAIN).row.witnessed  # type: ignore[union-attr]
    with override_settings(CHORUS_BASE_URL="https://new.example.org"):
        with connection.cursor() as cursor:
            for table in ("ledger_ledgerevent", "ledger_ledgerhead", "ledger_ledgernode", "ledger_ledgertreehead"):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        _append(7)
        (result,) = ledger_verify_all([CHAIN])
        assert "differ from what the witness countersigned" in str(result.problem)


@pytest.mark.django_db
def test_a_witness_that_cannot_be_consulted_makes_the_check_incomplete() -> None:
    from django.test import override_settings

    from chorus.escrow import holders
    from chorus.ledger.services import ledger_verify_all

    _append(2)
    holders.custodian.cache_clear()
    try:
        with override_settings(CHORUS_CUSTODIAN_URL="http://127.0.0.1:9", CHORUS_WITNESS_PUBLIC_KEY="ab" * 32):
            results = ledger_verify_all([CHAIN])
    finally:
        holders.custodian.cache_clear()
    assert results[0].chain == "witness"
    assert "could not be consulted" in str(results[0].problem)
    assert results[1].ok


def test_the_witness_binds_a_log_key_to_one_host(tmp_path: Path) -> None:
    """A rewritten history under a new name (same stolen key, another host spelling) is a
    log the witness never saw: refused, as is another key for a known host, a head from the
    far future, and, once hosts are pinned, any other host."""
    from chorus.crypto import signing
    from chorus.crypto.tree_head import TreeHead

    seed, other = bytes(32), bytes(range(32))
    leaves = [merkle.leaf_hash(bytes([n])) for n in range(8)]

    def cosign(witness: Witness, origin: str, size: int, key: bytes = seed, stamp: int = 100) -> None:
        tree = TreeHead(origin=origin, size=size, root_hash=merkle.root(leaves[:size]), timestamp=stamp)
        witness.cosign(
            tree,
            log_key=signing.public_key_for(key),
            signature=signing.sign(key, tree.message()),
            old_size=0,
            proof=[],
            now=1000,
        )

    witness = Witness(key_file=tmp_path / "w.key", state_file=tmp_path / "w.sqlite3")
    cosign(witness, "chorus.example.org/org:7", 8)
    cosign(witness, "chorus.example.org/org:8", 2)  # a new organization on the same host: fine
    for origin in ("chorus.example.org./org:7", "chorus.example.org:443/org:7", "evil/org:7"):
        with pytest.raises(WitnessRefused, match="signs another host's logs"):
            cosign(witness, origin, 3)
    with pytest.raises(WitnessRefused, match="another key signs this host's logs"):
        cosign(witness, "chorus.example.org/org:9", 3, key=other)
    with pytest.raises(WitnessRefused, match="ahead of the witness's clock"):
        cosign(witness, "chorus.example.org/org:10", 3, stamp=2**53 - 1)
    pinned = Witness(
        key_file=tmp_path / "p.key",
        state_file=tmp_path / "p.sqlite3",
        log_keys={"chorus.example.org/": signing.public_key_for(seed)},
    )
    cosign(pinned, "chorus.example.org/org:1", 3)
    with pytest.raises(WitnessRefused, match="only the logs it was configured for"):
        cosign(pinned, "squatter.example/org:1", 3, key=other)


def test_log_urls_refuse_sizes_that_are_not_plain_digits(personas: Personas) -> None:
    from django.test import Client

    from tests.helpers import sign_in

    client = Client()
    sign_in(client, personas.survivor)
    for query in ("from=%C2%B2&to=1", "from=1&to=%D9%A1", "from=-1&to=1", "from=1&to=" + "9" * 17):
        assert client.get(f"/ledger/log/consistency/?{query}").status_code == 404


def test_a_receipt_is_given_only_to_whom_a_reference_names_not_to_a_name_in_free_text(personas: Personas) -> None:
    from django.test import Client

    from tests.helpers import sign_in

    chain = chain_for(personas.organization.pk)
    mention = ledger_append(
        organization_id=personas.organization.pk,
        actor="someone",
        action="grant.created",
        refs={"purpose": f"about {personas.survivor.pseudonym}"},
    )
    named = ledger_append(
        organization_id=personas.organization.pk,
        actor="someone",
        action="membership.confirmed",
        refs={"members": [personas.survivor.pseudonym]},
    )
    log.tree_head_sign(chain)
    client = Client()
    sign_in(client, personas.survivor)
    assert client.get(f"/ledger/log/receipt/{mention.seq}/").status_code == 404
    assert client.get(f"/ledger/log/receipt/{named.seq}/").status_code == 200
