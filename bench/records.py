"""``python -m bench records``: record saves per second in-process (encrypt, ledger, commit)
with 10^5 records already stored (run it on SQLite), beside a bare reference from the same
run: Django storing a row of the same size in its own transaction, with no encryption and
no ledger event. The machine's speed and load cancel out of the ratio, not of the figures."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def bench_record_saves(
    emit: Callable[..., None], django: Callable[[], str], existing: int = 100_000, saves: int = 500
) -> None:
    database = django()
    from django.db import transaction

    from chorus.accounts.services.members import organization_create
    from chorus.crypto import envelope
    from chorus.records.access import Owner
    from chorus.records.models import Record, RecordVersion
    from chorus.records.services import writing

    organization = organization_create(name="Bench", slug="bench")
    started = time.perf_counter()
    batch = 5000
    for offset in range(0, existing, batch):
        records = [
            Record(organization=organization, owner_tag=os.urandom(32), key_for_owner=os.urandom(73))
            for _ in range(min(batch, existing - offset))
        ]
        Record.objects.bulk_create(records)
        RecordVersion.objects.bulk_create(
            RecordVersion(record=record, number=1, ciphertext=os.urandom(600)) for record in records
        )
    filled_s = time.perf_counter() - started
    owner = Owner(organization=organization, vault_key=envelope.random_key())
    record = writing.record_create(owner)
    story = {"what": "x" * 2000, "when": "last spring", "impact": "y" * 500}
    samples = []
    for number in range(saves):
        start = time.perf_counter()
        writing.record_save(owner, record, {**story, "where": f"room {number}"})
        samples.append((time.perf_counter() - start) * 1000)
    size = len(bytes(RecordVersion.objects.filter(record=record).values_list("ciphertext", flat=True).last() or b""))
    bare = writing.record_create(owner)
    bare_samples = []
    for number in range(saves):
        start = time.perf_counter()
        with transaction.atomic():
            RecordVersion.objects.create(record=bare, number=number + 1, ciphertext=os.urandom(size))
        bare_samples.append((time.perf_counter() - start) * 1000)
    per_second = saves / (sum(samples) / 1000)
    bare_per_second = saves / (sum(bare_samples) / 1000)
    emit(
        bench="record_save",
        database=database,
        existing_records=Record.objects.count() - 2,
        fill_seconds=round(filled_s, 1),
        saves=saves,
        per_second=round(per_second, 1),
        p50_ms=round(statistics.median(samples), 2),
        p99_ms=round(_percentile(samples, 0.99), 2),
        bare_insert_per_second=round(bare_per_second, 1),
        bare_insert_p50_ms=round(statistics.median(bare_samples), 2),
        vs_bare_insert=round(per_second / bare_per_second, 3),
    )
