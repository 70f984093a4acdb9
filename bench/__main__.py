"""``make bench``: measured figures as JSON lines on stdout, never asserted by tests.

python -m bench sign-in     one Argon2id derivation with the production defaults
python -m bench records     record saves per second in-process (encrypt, ledger, commit)
                            with 10^5 records already stored (run it on SQLite)
python -m bench ledger      ledger appends per second with 1 and 4 writers on one chain, a verify
                            of 10^6 events beside bare SHA-256 over the same bytes, and proofs
                            served from a stored tree of 10^6 leaves (run on PostgreSQL)
python -m bench escrow      the two-hop OPRF, whole escrow entries, and match lookups among
                            10^6 stored entries (run on each database)
python -m bench insights    publishing a table (suppression audited by maximum flow) by size,
                            and every insights table for an organization with 10^4 cases
python -m bench browser-escrow
                            the browser construction's own cost per identifier in Chromium
python -m bench team-key    rotating the advocates' team key: 10^4 share grants and more
                            re-sealed in batches, per batch and per inbox visit
python -m bench merkle      the ledger's Merkle tree at 10^6 leaves: appends per second,
                            proof sizes, and proof checks in Python and in Node
python -m bench load        the production deployment (gunicorn, custodian service, task worker)
                            under a mixed load from locust, against its bare Django view
                            (run it on PostgreSQL)
python -m bench requests    the load mix's requests in-process: per kind, median time, CPU, SQL
                            queries and commits (--profile: time in crypto, templates, database)
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


def bench_record_saves() -> None:
    from bench.records import bench_record_saves as run

    run(_emit, _django)


def bench_ledger() -> None:
    from bench.ledger import bench_ledger as run

    run(_emit, _django)


# The page's work for one identifier, timed in the page: normalize and blind; then, with
# both holders' answers (made here, outside the timing), check both proofs, finalize,
# derive, build the payload and seal it to the team key.
_BLIND = """async ({rules, inputs}) => {
  const escrow = await import("/escrow.js");
  window.pending = [];
  const times = [], blinded = [];
  for (const [kind, text] of inputs) {
    const start = performance.now();
    const value = new TextEncoder().encode(escrow.normalize(rules, kind, text, "GB"));
    const item = escrow.blind(value);
    times.push(performance.now() - start);
    window.pending.push({ value, item });
    blinded.push(Array.from(item.blinded));
  }
  return { times, blinded };
}"""
_FINISH = """async ({answers, platformKey, custodianKey, teamKey}) => {
  const escrow = await import("/escrow.js");
  const bytes = (list) => Uint8Array.from(list);
  const times = [];
  answers.forEach((answer, i) => {
    const { value, item } = window.pending[i];
    const start = performance.now();
    const [output] = escrow.finalizeTwoHop([value], [item.blind], {
      blinded: [item.blinded], byPlatform: [bytes(answer.byPlatform)], platformKey: bytes(platformKey),
      platformProof: bytes(answer.platformProof), byCustodian: [bytes(answer.byCustodian)],
      custodianKey: bytes(custodianKey), custodianProof: bytes(answer.custodianProof),
    });
    const derived = escrow.derive(output, "3f1c0a5e-0000-4000-8000-000000000001", 2);
    const content = new TextEncoder().encode(JSON.stringify({ identifier: "x".repeat(40), released: "k".repeat(44) }));
    escrow.sealTo(bytes(teamKey), escrow.payload(derived, new Uint8Array(32), content));
    times.push(performance.now() - start);
  });
  return times;
}"""


def bench_browser_escrow(identifiers: int = 300) -> None:
    """Per identifier, what the page computes in Chromium (the round trip to the platform
    and custodian is the server's cost, measured by the escrow bench)."""
    from pathlib import Path

    from nacl.public import PrivateKey
    from playwright.sync_api import sync_playwright

    from chorus.crypto import oprf
    from chorus.escrow.identifiers import browser_rules

    bundle = (Path(__file__).resolve().parents[1] / "src/chorus/escrow/static/escrow/escrow.js").read_bytes()
    k1, pk1 = oprf.derive_key_pair(os.urandom(32), b"platform", oprf.VOPRF)
    k2, pk2 = oprf.derive_key_pair(os.urandom(32), b"custodian", oprf.VOPRF)
    team = bytes(PrivateKey.generate().public_key)
    kinds = [("email", "Sam.Lee.{}@Example.org"), ("phone", "+44 20 7946 {:04d}"), ("instagram", "@sam_{}")]
    inputs = [(kind, form.format(n % 10000)) for n in range(identifiers) for kind, form in [kinds[n % 3]]]

    def serve(route: Any) -> None:
        if route.request.url.endswith("/escrow.js"):
            route.fulfill(body=bundle, content_type="text/javascript")
        else:
            route.fulfill(body="<!doctype html><title>bench</title>", content_type="text/html")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.route("http://bench.chorus/**", serve)
        page.goto("http://bench.chorus/")
        load_ms = page.evaluate(
            "async () => { const s = performance.now(); await import('/escrow.js'); return performance.now() - s; }"
        )
        samples: list[float] = []
        for round_ in ("warm-up", "measured"):
            blinded = page.evaluate(_BLIND, {"rules": browser_rules(), "inputs": inputs})
            answers = []
            for element in blinded["blinded"]:
                (by_platform,), platform_proof = oprf.blind_evaluate_batch(k1, [bytes(element)], oprf.VOPRF)
                (by_custodian,), custodian_proof = oprf.blind_evaluate_batch(k2, [by_platform], oprf.VOPRF)
                answers.append(
                    {
                        "byPlatform": list(by_platform),
                        "platformProof": list(platform_proof),
                        "byCustodian": list(by_custodian),
                        "custodianProof": list(custodian_proof),
                    }
                )
            finished = page.evaluate(
                _FINISH,
                {"answers": answers, "platformKey": list(pk1), "custodianKey": list(pk2), "teamKey": list(team)},
            )
            if round_ == "measured":
                samples = [first + second for first, second in zip(blinded["times"], finished, strict=True)]
        version = browser.version
        browser.close()
    _emit(
        bench="browser_escrow",
        chromium=version,
        identifiers=identifiers,
        bundle_kib=round(len(bundle) / 1024),
        module_load_ms=round(load_ms, 1),
        per_identifier_p50_ms=round(statistics.median(samples), 2),
        per_identifier_p99_ms=round(_percentile(samples, 0.99), 2),
        per_identifier_mean_ms=round(statistics.fmean(samples), 2),
    )


def bench_insights(cases: int = 10_000, records: int = 20_000, rounds: int = 40) -> None:
    import random
    from datetime import timedelta

    from chorus.insights.disclosure import Mark, Table, publish

    generator = random.Random(7)  # noqa: S311 (reproducible bench data, not secrets)
    for height, width in ((8, 2), (8, 8), (12, 12)):
        samples, withheld = [], []
        for index in range(rounds):
            counts = tuple(
                tuple(generator.choice((0, 0, 1, 2, 3, 4, 6, 9, 15, 40)) for _ in range(width)) for _ in range(height)
            )
            table = Table(f"bench{index}", tuple(map(str, range(height))), tuple(map(str, range(width))), counts)
            started = time.perf_counter()
            published = publish(table)
            samples.append((time.perf_counter() - started) * 1000)
            withheld.append(sum(mark is Mark.WITHHELD for row in published.marks for mark in row))
        _emit(
            bench="insights_publish",
            table=f"{height}x{width}",
            p50_ms=round(statistics.median(samples), 1),
            p99_ms=round(_percentile(samples, 0.99), 1),
            withheld_mean=round(statistics.fmean(withheld), 1),
        )

    vendor = _django()
    from chorus.accounts.services.members import organization_create
    from chorus.cases.models import Case, Item, Measure
    from chorus.insights.aggregates import insights, snapshot
    from chorus.records.models import Record

    organization = organization_create(name="Bench", slug=f"bench-insights-{os.getpid()}")
    past = snapshot() - timedelta(days=400)
    pathways = (("support", "support"), ("restorative", "plan"), ("formal", "investigation"), ("support", "closed"))
    rows = []
    for index in range(cases):
        pathway, state = pathways[index % len(pathways)]
        opened = past + timedelta(hours=index)
        rows.append(Case(organization=organization, pathway=pathway, state=state, opened_at=opened,
                         closed_at=opened + timedelta(days=30) if state == "closed" else None))  # fmt: skip
    Case.objects.bulk_create(rows, batch_size=2000)
    Item.objects.bulk_create(
        [Item(case=case, kind="note", compartment="support", author_label="Advocates",
              created_at=case.opened_at + timedelta(hours=generator.randint(1, 300))) for case in rows],
        batch_size=2000,
    )  # fmt: skip
    Measure.objects.bulk_create(
        [Measure(case=case, number=1, kind="supportive", category="room", status="done", requested_at=case.opened_at,
                 due_at=case.opened_at + timedelta(days=10),
                 done_at=case.opened_at + timedelta(days=generator.randint(1, 20))) for case in rows[::2]],
        batch_size=2000,
    )  # fmt: skip
    categories = ("verbal", "nonverbal", "online", "touching", "coercion", "stalking", "assault", "other")
    Record.objects.bulk_create(
        [Record(organization=organization, owner_tag=os.urandom(32), key_for_owner=b"x", created_at=past,
                registered_category=generator.choice(categories), registered_period=f"202{generator.randint(3, 5)}")
         for _ in range(records)],
        batch_size=2000,
    )  # fmt: skip
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        insights(organization)
        samples.append((time.perf_counter() - started) * 1000)
    _emit(bench="insights_page", database=vendor, cases=cases, records=records,
          median_ms=round(statistics.median(samples)), worst_ms=round(max(samples)))  # fmt: skip


def bench_escrow() -> None:
    from bench.escrow import bench_escrow as run

    run(_emit, _django)


def bench_load() -> None:
    from bench.load import bench_load as run

    run(_emit)


def bench_requests() -> None:
    _django()
    from bench.request_cost import bench_requests as run

    run(_emit, profile="--profile" in sys.argv)


def bench_merkle() -> None:
    from bench.merkle import bench_merkle as run

    run(_emit)


def bench_team_key() -> None:
    from bench.team_key import bench_team_key as run

    run(_emit, _django)


BENCHES: dict[str, Callable[[], None]] = {
    "insights": bench_insights,
    "sign-in": bench_sign_in_cost,
    "records": bench_record_saves,
    "ledger": bench_ledger,
    "escrow": bench_escrow,
    "browser-escrow": bench_browser_escrow,
    "team-key": bench_team_key,
    "merkle": bench_merkle,
    "load": bench_load,
    "requests": bench_requests,
}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.config.settings")
    os.environ.setdefault("CHORUS_DATA_DIR", tempfile.mkdtemp(prefix="chorus-bench-"))
    # The bench names far more people than any member could; lift the per-member limits.
    for limit in (
        "CHORUS_ESCROW_EVALUATIONS_PER_HOUR",
        "CHORUS_ESCROW_ACTIVE_LIMIT",
        "CHORUS_CUSTODIAN_TOTAL_PER_HOUR",
    ):
        os.environ.setdefault(limit, "100000000")
    for name in [argument for argument in sys.argv[1:] if not argument.startswith("--")] or list(BENCHES):
        BENCHES[name]()
