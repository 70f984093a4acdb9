"""``make bench``: measured figures as JSON lines on stdout, never asserted by tests.

    python -m bench sign-in     one Argon2id derivation with the production defaults
    python -m bench records     record saves per second in-process (encrypt, ledger, commit)
                                with 10^5 records already stored (run it on SQLite)
    python -m bench ledger      ledger appends per second and a full verify (run it on PostgreSQL)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _emit(**figures: Any) -> None:
    print(json.dumps(figures), flush=True)


def _django() -> str:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    return connection.vendor


def bench_sign_in_cost(rounds: int = 20) -> None:
    from chorus.config.env import read
    from chorus.crypto import kdf

    params = kdf.Argon2Params(
        read("CHORUS_ARGON2_MEMORY_KIB"), read("CHORUS_ARGON2_ITERATIONS"), read("CHORUS_ARGON2_PARALLELISM")
    )
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        kdf.derive_from_password("a long and careful passphrase", os.urandom(16), params)
        samples.append((time.perf_counter() - start) * 1000)
    _emit(
        bench="sign_in_key_derivation",
        argon2id=params.encode(),
        runs=rounds,
        median_ms=round(statistics.median(samples), 1),
        p95_ms=round(_percentile(samples, 0.95), 1),
    )


def bench_record_saves(existing: int = 100_000, saves: int = 500) -> None:
    database = _django()
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
    total_s = sum(samples) / 1000
    _emit(
        bench="record_save",
        database=database,
        existing_records=Record.objects.count() - 1,
        fill_seconds=round(filled_s, 1),
        saves=saves,
        per_second=round(saves / total_s, 1),
        p50_ms=round(statistics.median(samples), 2),
        p99_ms=round(_percentile(samples, 0.99), 2),
    )


def bench_ledger_appends(count: int = 2000) -> None:
    database = _django()
    from chorus.ledger.services import ledger_append, ledger_verify

    start = time.perf_counter()
    for number in range(count):
        ledger_append(organization_id=None, actor="bench", action="bench.append", refs={"n": number})
    elapsed = time.perf_counter() - start
    _emit(bench="ledger_append", database=database, events=count, per_second=round(count / elapsed))
    start = time.perf_counter()
    result = ledger_verify("platform")
    _emit(
        bench="ledger_verify",
        database=database,
        events=result.events,
        ms=round((time.perf_counter() - start) * 1000),
        ok=result.ok,
    )


BENCHES: dict[str, Callable[[], None]] = {
    "sign-in": bench_sign_in_cost,
    "records": bench_record_saves,
    "ledger": bench_ledger_appends,
}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.config.settings")
    os.environ.setdefault("CHORUS_DATA_DIR", tempfile.mkdtemp(prefix="chorus-bench-"))
    for name in sys.argv[1:] or list(BENCHES):
        BENCHES[name]()
