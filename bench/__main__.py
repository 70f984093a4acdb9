"""``make bench``: measured figures as JSON lines on stdout, never asserted by tests.

python -m bench sign-in     one Argon2id derivation with the production defaults
python -m bench records     record saves per second in-process (encrypt, ledger, commit)
                            with 10^5 records already stored (run it on SQLite)
python -m bench ledger      ledger appends per second (the Merkle tree kept on each), a full verify,
                            and proofs served from a stored tree of 10^6 leaves (run on PostgreSQL)
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
    bench_ledger_proofs(database)


def bench_ledger_proofs(database: str, leaves: int = 1_000_000, rounds: int = 300) -> None:
    """Serving the proofs members' browsers ask for, from a stored tree of 10^6 leaves: one
    query for the nodes, then the proof (the tree is stored as ``ledger_append`` stores it)."""
    import random

    from chorus.crypto import merkle
    from chorus.ledger import log
    from chorus.ledger.models import LedgerHead, LedgerNode

    chain = "bench:proofs"
    frontier = merkle.Frontier()
    batch: list[LedgerNode] = []
    start = time.perf_counter()
    for number in range(leaves):
        for node in frontier.append(merkle.leaf_hash(number.to_bytes(8, "big"))):
            batch.append(LedgerNode(chain=chain, position=merkle.position(node.level, node.index), hash=node.hash))
        if len(batch) >= 20_000:
            LedgerNode.objects.bulk_create(batch)
            batch = []
    LedgerNode.objects.bulk_create(batch)
    LedgerHead.objects.create(chain=chain, seq=leaves, hash="0" * 64, frontier=b"".join(frontier.hashes))
    fill_s = time.perf_counter() - start
    rng = random.Random(1)  # noqa: S311 - which proofs to time, not a secret
    consistency_ms, inclusion_ms, sizes = [], [], []
    for _ in range(rounds):
        old = rng.randint(1, leaves - 1)
        began = time.perf_counter()
        proof = log.consistency(chain, old, leaves)
        consistency_ms.append((time.perf_counter() - began) * 1000)
        sizes.append(len(proof))
        began = time.perf_counter()
        log.inclusion(chain, rng.randint(1, leaves), leaves)
        inclusion_ms.append((time.perf_counter() - began) * 1000)
    _emit(
        bench="ledger_proofs_served",
        database=database,
        leaves=leaves,
        stored_nodes=LedgerNode.objects.filter(chain=chain).count(),
        fill_seconds=round(fill_s, 1),
        consistency_p50_ms=round(statistics.median(consistency_ms), 2),
        consistency_p99_ms=round(_percentile(consistency_ms, 0.99), 2),
        inclusion_p50_ms=round(statistics.median(inclusion_ms), 2),
        consistency_proof_hashes_max=max(sizes),
    )


def _fill_escrow(organization_id: Any, count: int, *, sizes: tuple[int, int, int]) -> list[bytes]:
    """Store ``count`` entries of one identifier each, with blobs of the real sizes, as fast
    as the database takes them. Returns a sample of the stored tags."""
    import uuid

    from django.db import connection, transaction
    from django.utils import timezone

    from chorus.escrow.models import Tag

    for_owner_size, released_size, sealed_size = sizes
    sample: list[bytes] = []
    next_tag = (Tag.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    now = timezone.now()
    batch = 20_000
    for offset in range(0, count, batch):
        rows = []
        for number in range(min(batch, count - offset)):
            tag_id = next_tag + offset + number
            tag = os.urandom(32)
            if len(sample) < 1000 and number % 97 == 0:
                sample.append(tag)
            rows.append(
                (uuid.uuid4(), tag_id, tag, os.urandom(32), os.urandom(for_owner_size), os.urandom(sealed_size))
            )
        released = os.urandom(released_size)  # its size is what counts here
        with transaction.atomic():
            if connection.vendor == "postgresql":
                raw = connection.connection.cursor()
                with raw.copy(
                    "COPY escrow_entry (id, organization_id, owner_tag, for_owner, released, created_at) FROM STDIN"
                ) as copy:
                    for entry_id, _, _, owner_tag, for_owner, _ in rows:
                        copy.write_row((entry_id, organization_id, owner_tag, for_owner, released, now))
                with raw.copy("COPY escrow_tag (id, tag, threshold) FROM STDIN") as copy:
                    for _, tag_id, tag, _, _, _ in rows:
                        copy.write_row((tag_id, tag, 2))
                with raw.copy("COPY escrow_share (entry_id, tag_id, sealed) FROM STDIN") as copy:
                    for entry_id, tag_id, _, _, _, sealed in rows:
                        copy.write_row((entry_id, tag_id, sealed))
            else:
                with connection.cursor() as cursor:
                    org = uuid.UUID(str(organization_id)).hex
                    cursor.executemany(
                        "INSERT INTO escrow_entry (id, organization_id, owner_tag, for_owner, released, created_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s)",
                        [(e.hex, org, o, f, released, now.isoformat()) for e, _, _, o, f, _ in rows],
                    )
                    cursor.executemany(
                        "INSERT INTO escrow_tag (id, tag, threshold) VALUES (%s, %s, 2)",
                        [(t, g) for _, t, g, _, _, _ in rows],
                    )
                    cursor.executemany(
                        "INSERT INTO escrow_share (entry_id, tag_id, sealed) VALUES (%s, %s, %s)",
                        [(e.hex, t, s) for e, t, _, _, _, s in rows],
                    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("escrow_tag", "escrow_share"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
            cursor.execute("ANALYZE escrow_entry; ANALYZE escrow_tag; ANALYZE escrow_share")
    return sample


def _escrow_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT sum(pg_total_relation_size(t)) FROM unnest(ARRAY['escrow_entry', 'escrow_tag', 'escrow_share']) t"
            )
        else:
            cursor.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'escrow_entry%' OR name LIKE 'escrow_tag%' "
                "OR name LIKE 'escrow_share%' OR name LIKE 'sqlite_autoindex_escrow_%'"
            )
        return int(cursor.fetchone()[0])


def bench_escrow(stored: int = 1_000_000, entries: int = 300, lookups: int = 2000) -> None:
    database = _django()
    from django.db.models import Count

    from chorus.accounts.services.members import member_create, organization_create
    from chorus.crypto import oprf
    from chorus.escrow.models import Entry, Share, Tag
    from chorus.escrow.services.entries import Choices, Named, entry_submit
    from chorus.records.access import Owner
    from chorus.records.services.team import team_key_ensure

    # Bare two-hop: the platform's and the custodian's blind evaluation, nothing else.
    k1, k2 = oprf.random_scalar(), oprf.random_scalar()
    _, blinded = oprf.blind(b"email:someone@example.org", oprf.VOPRF)
    rounds = 4000
    start = time.perf_counter()
    for _ in range(rounds):
        oprf.blind_evaluate(k2, oprf.blind_evaluate(k1, blinded, oprf.OPRF), oprf.OPRF)  # type: ignore[arg-type]
    raw_rate = rounds / (time.perf_counter() - start)

    organization = organization_create(name="Bench", slug="bench-escrow")
    for email, roles in (("advocate@bench.example", {"advocate"}), ("survivor@bench.example", set())):
        member, _, vault_key = member_create(
            organization=organization,
            email=email,
            display_name="Bench",
            password="a bench passphrase",
            roles=roles,
            actor="bench",
        )
    team_key_ensure(organization)
    owner = Owner(organization=organization, vault_key=vault_key, member=member)
    # Whole entries, server side: both evaluations, derivation, sealing, insert, match check, ledger.
    start = time.perf_counter()
    for number in range(entries):
        entry_submit(
            owner,
            named=[Named("email", f"person.{number}@example.org")],
            choices=Choices(
                tell_me=True, would_meet=True, release="contact", statement="a few words for the advocates"
            ),
        )
    escrow_rate = entries / (time.perf_counter() - start)
    share = Share.objects.select_related("entry").first()
    assert share is not None
    sizes = (len(bytes(share.entry.for_owner)), len(bytes(share.entry.released)), len(bytes(share.sealed)))

    start = time.perf_counter()
    sample = _fill_escrow(organization.pk, stored - Entry.objects.count(), sizes=sizes)
    fill_seconds = time.perf_counter() - start
    in_db = Share.objects.count()

    # The lookup a new entry makes: its tag by the unique index, then its siblings' authors.
    samples = []
    for number in range(lookups):
        value = sample[number % len(sample)] if number % 2 == 0 else os.urandom(32)
        start = time.perf_counter()
        tag = Tag.objects.filter(tag=value).first()
        if tag is not None:
            Share.objects.filter(tag=tag).aggregate(n=Count("entry__owner_tag", distinct=True))
        samples.append((time.perf_counter() - start) * 1000)
    _emit(
        bench="escrow",
        database=database,
        raw_two_hop_evals_per_s=round(raw_rate),
        escrow_entries_per_s=round(escrow_rate, 1),
        escrow_vs_raw=round(escrow_rate / raw_rate, 3),
        entries_in_db=in_db,
        fill_seconds=round(fill_seconds, 1),
        match_lookup_p50_ms=round(statistics.median(samples), 3),
        match_lookup_p99_ms=round(_percentile(samples, 0.99), 3),
        db_bytes_per_entry=round(_escrow_bytes() / in_db),
    )


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


def bench_load() -> None:
    from bench.load import bench_load as run

    run(_emit)


def bench_requests() -> None:
    _django()
    from bench.requests import bench_requests as run

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
    "ledger": bench_ledger_appends,
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
