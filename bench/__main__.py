"""``make bench``: measured figures, never asserted by tests.

* sign-in cost: one Argon2id derivation with the production defaults, as a sign-in does;
* ledger appends per second on the configured database (PostgreSQL under ``make bench``).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


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
    print(
        f"sign-in key derivation (Argon2id {params.encode()}): median {statistics.median(samples):.1f} ms, "
        f"p95 {_percentile(samples, 0.95):.1f} ms over {rounds} runs"
    )


def bench_ledger_appends(count: int = 2000) -> None:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    from chorus.ledger.services import ledger_append, ledger_verify

    start = time.perf_counter()
    for number in range(count):
        ledger_append(organization_id=None, actor="bench", action="bench.append", refs={"n": number})
    elapsed = time.perf_counter() - start
    print(f"ledger appends on {connection.vendor}: {count / elapsed:.0f} per second ({count} events)")
    start = time.perf_counter()
    result = ledger_verify("platform")
    print(f"ledger verify: {result.events} events in {(time.perf_counter() - start) * 1000:.0f} ms, ok={result.ok}")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.config.settings")
    os.environ.setdefault("CHORUS_DATA_DIR", tempfile.mkdtemp(prefix="chorus-bench-"))
    bench_sign_in_cost()
    bench_ledger_appends()
