"""``python -m bench team-key``: what rotating the advocates' team key costs.

An organization with 10^4 share grants to the advocate team, plus conversations, case key
bundles and items for the team, escrow shares and group keys, every one sealed to the
team key with the real sealing. One advocate leaves; the rotation is run batch by batch
(each batch its own transaction, as a visit runs it) and timed; then a second advocate
leaves and the second rotation is run by whole inbox visits, as advocates would run it.
Prints the seconds per 10^4 rows, per batch, per visit, and for the retiring visit.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

GRANTS = 10_000
CONVERSATIONS = 1_000
CASES = 1_000
ESCROW_SHARES = 1_000
GROUPS = 100


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _fill(organization: Any, public_key: bytes) -> int:
    """Rows sealed to ``public_key`` as the services seal them; returns how many."""
    from django.db import transaction

    from chorus.cases.models import Case, Item
    from chorus.escrow.models import Entry, Group, Match, Share, Tag
    from chorus.records import keys
    from chorus.records.models import Conversation, Grant, Record

    def sealed(size: int = 32) -> bytes:
        return keys.seal_to(public_key, os.urandom(size))

    with transaction.atomic():
        records = Record.objects.bulk_create(
            Record(organization=organization, owner_tag=os.urandom(32), key_for_owner=os.urandom(72))
            for _ in range(GRANTS)
        )
        Grant.objects.bulk_create(
            (Grant(record=record, purpose="support", scope={"versions": [1], "parts": ["what"], "attachments": []},
                   key_sealed=sealed(), content=os.urandom(2000)) for record in records),
            batch_size=2000,
        )  # fmt: skip
        Conversation.objects.bulk_create(
            Conversation(record=record, key_for_owner=os.urandom(72), key_for_team=sealed())
            for record in records[:CONVERSATIONS]
        )
        bundle = json.dumps(dict.fromkeys(("support", "file", "respondent", "panel", "appeal"), "k" * 44))
        cases = Case.objects.bulk_create(
            Case(organization=organization, pathway="support", state="support",
                 keys_for_team=keys.seal_to(public_key, bundle.encode())) for _ in range(CASES)
        )  # fmt: skip
        Item.objects.bulk_create(
            Item(case=case, kind="measure_done", compartment="team", author_label="Complainant 1",
                 body_sealed=sealed(200)) for case in cases[: CASES // 2]
        )  # fmt: skip
        entries = Entry.objects.bulk_create(
            Entry(id=uuid.uuid4(), organization=organization, owner_tag=os.urandom(32), for_owner=os.urandom(300))
            for _ in range(ESCROW_SHARES)
        )
        tags = Tag.objects.bulk_create(Tag(tag=os.urandom(32), threshold=2) for _ in range(ESCROW_SHARES))
        Share.objects.bulk_create(
            Share(entry=entry, tag=tag, sealed=sealed(64 + 41 + 120)) for entry, tag in zip(entries, tags, strict=True)
        )
        matches = Match.objects.bulk_create(Match(organization=organization, tag=tag) for tag in tags[:GROUPS])
        Group.objects.bulk_create(Group(match=match, key_for_team=sealed()) for match in matches)
    return GRANTS + CONVERSATIONS + CASES + CASES // 2 + ESCROW_SHARES + GROUPS


def bench_team_key(emit: Callable[..., None], django_setup: Callable[[], str]) -> None:
    database = django_setup()
    from chorus.accounts.models import Member
    from chorus.accounts.services.members import member_create, organization_create
    from chorus.records.access import Reader
    from chorus.records.models import TeamKeyRotation
    from chorus.records.services.rotation import BATCH, VISIT_SECONDS, Batch, rotation_batch, team_key_visit
    from chorus.records.services.team import team_key_ensure, team_keyring

    run = uuid.uuid4().hex[:8]
    organization = organization_create(name="Bench", slug=f"bench-team-key-{run}")
    readers = []
    for name in ("stays", "leaves", "leaves-later"):
        member, _, vault_key = member_create(
            organization=organization, email=f"{name}-{run}@bench.example", display_name=name, password="a bench passphrase",
            roles={"advocate"}, actor="bench",
        )  # fmt: skip
        readers.append(Reader(member=member, vault_key=vault_key))
    stays = readers[0]
    team_key = team_key_ensure(organization)
    assert team_key is not None
    started = time.perf_counter()
    rows = _fill(organization, bytes(team_key.public_key))
    fill_seconds = time.perf_counter() - started

    def leaves(reader: Reader) -> float:
        """An advocate leaves; the next visit of one who stays retires the key. Returns its ms."""
        Member.objects.filter(pk=reader.member.pk).update(is_active=False)
        started = time.perf_counter()
        team_key_visit(stays)
        elapsed = (time.perf_counter() - started) * 1000
        TeamKeyRotation.objects.update(reseal_from=TeamKeyRotation.objects.get().started_at)  # no request under way
        return elapsed

    retire_ms = leaves(readers[1])
    ring = team_keyring(stays)
    batches: list[float] = []
    outcome = Batch.MORE
    while outcome is Batch.MORE:
        started = time.perf_counter()
        outcome = rotation_batch(ring, actor=stays.member.pseudonym, batch=BATCH)
        batches.append(time.perf_counter() - started)
    total = sum(batches)
    emit(
        bench="team_key_rotation",
        database=database,
        rows=rows,
        grants=GRANTS,
        fill_seconds=round(fill_seconds, 1),
        retiring_visit_ms=round(retire_ms, 1),
        batch_rows=BATCH,
        batches=len(batches),
        seconds=round(total, 2),
        seconds_per_10k_rows=round(total * 10_000 / rows, 2),
        batch_p50_ms=round(statistics.median(batches) * 1000, 1),
        batch_p99_ms=round(_percentile(batches, 0.99) * 1000, 1),
        batch_max_ms=round(max(batches) * 1000, 1),
    )

    leaves(readers[2])
    visits: list[float] = []
    while TeamKeyRotation.objects.exists():
        started = time.perf_counter()
        team_key_visit(stays)
        visits.append(time.perf_counter() - started)
    emit(
        bench="team_key_rotation_by_visits",
        database=database,
        rows=rows,
        visit_budget_seconds=VISIT_SECONDS,
        visits=len(visits),
        seconds=round(sum(visits), 2),
        visit_p50_ms=round(statistics.median(visits) * 1000, 1),
        visit_max_ms=round(max(visits) * 1000, 1),
    )
