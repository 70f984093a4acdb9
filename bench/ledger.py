"""``python -m bench ledger``: appends per second with one and with four writers on one
chain, a verify of a chain of 10^6 events next to bare SHA-256 over the same bytes, and
proofs served from a stored tree of 10^6 leaves (run it on PostgreSQL; the appends mean
something on SQLite too).

* Appends: each writer is its own process with its own database connection, appending to
  the same chain through ``ledger_append`` (each append its own transaction); the chain
  must come out gap-free and verify.
* Verify: the chain is written directly (rows chained and hashed as ``ledger_append``
  would, its tree built by ``merkle.Frontier``), then ``ledger_verify`` reads it back.
  The reference is ``hashlib.sha256`` over each event's canonical bytes, the least any
  verify must do per event.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

Emit = Callable[..., None]


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def bench_ledger(emit: Emit, django: Callable[[], str]) -> None:
    database = django()
    for writers in (1, 4):
        bench_appends(emit, database, writers=writers)
    bench_verify(emit, database)
    bench_proofs(emit, database)


# ---- appends -------------------------------------------------------------------------------


def _writer(chain_org: None, count: int, start: Any, results: Any) -> None:
    from django.db import connection

    from chorus.ledger.services import ledger_append

    samples = []
    start.wait()
    began = time.perf_counter()
    for number in range(count):
        one = time.perf_counter()
        ledger_append(organization_id=chain_org, actor="m_bench", action="bench.append", refs={"n": number})
        samples.append(time.perf_counter() - one)
    results.put((began, time.perf_counter(), samples))
    connection.close()


def bench_appends(emit: Emit, database: str, *, writers: int, each: int = 2000) -> None:
    """``writers`` processes append ``each`` events to the platform chain at once."""
    from django.db import connections

    from chorus.ledger.models import LedgerEvent
    from chorus.ledger.services import PLATFORM_CHAIN, ledger_verify

    before = LedgerEvent.objects.filter(chain=PLATFORM_CHAIN).count()
    connections.close_all()  # each process opens its own
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(writers), context.Queue()
    processes = [context.Process(target=_writer, args=(None, each, start, results)) for _ in range(writers)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    elapsed = max(end for _, end, _ in outcomes) - min(began for began, _, _ in outcomes)
    samples = [sample * 1000 for _, _, taken in outcomes for sample in taken]
    seqs = list(LedgerEvent.objects.filter(chain=PLATFORM_CHAIN).order_by("seq").values_list("seq", flat=True))
    result = ledger_verify(PLATFORM_CHAIN)
    emit(
        bench="ledger_append",
        database=database,
        writers=writers,
        events=writers * each,
        appends_per_s=round(writers * each / elapsed),
        p50_ms=round(statistics.median(samples), 2),
        p99_ms=round(_percentile(samples, 0.99), 2),
        gap_free=seqs == list(range(1, before + writers * each + 1)),
        verifies=result.ok,
    )


# ---- verify --------------------------------------------------------------------------------


def _fill_chain(chain: str, events: int, batch: int = 20_000) -> float:
    """Write a chain of ``events`` correctly chained events and its tree; returns the
    seconds bare SHA-256 took over the events' canonical bytes."""
    from django.db import connection, transaction

    from chorus.crypto import merkle
    from chorus.ledger.models import LedgerHead
    from chorus.ledger.services import GENESIS_HASH
    from chorus.ledger.walk import canonical_json, event_body

    frontier = merkle.Frontier()
    prev = GENESIS_HASH
    base = datetime(2026, 1, 1, tzinfo=UTC)
    hashing = 0.0
    for offset in range(0, events, batch):
        rows, bodies, nodes = [], [], []
        for seq in range(offset + 1, min(events, offset + batch) + 1):
            at = base + timedelta(microseconds=7 * seq)
            refs = {"case": f"c_{seq % 977}", "record": f"r_{seq}"}
            payload = hashlib.sha256(seq.to_bytes(8, "big")).hexdigest()
            body = event_body(
                chain=chain,
                seq=seq,
                at=at.isoformat(timespec="microseconds"),
                actor=f"m_{seq % 313:04d}",
                action="case.step",
                refs_json=canonical_json(refs),
                payload_hash=payload,
                prev_hash=prev,
            )
            bodies.append(body)
            digest = hashlib.sha256(body).hexdigest()
            rows.append(
                (chain, seq, at, f"m_{seq % 313:04d}", "case.step", canonical_json(refs), payload, prev, digest)
            )
            for node in frontier.append(merkle.leaf_hash(bytes.fromhex(digest))):
                nodes.append((chain, merkle.position(node.level, node.index), node.hash))
            prev = digest
        began = time.perf_counter()
        for body in bodies:
            hashlib.sha256(body).hexdigest()
        hashing += time.perf_counter() - began
        with transaction.atomic():
            _insert(connection, rows, nodes)
    LedgerHead.objects.create(chain=chain, seq=events, hash=prev, frontier=b"".join(frontier.hashes))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE ledger_ledgerevent; ANALYZE ledger_ledgernode")
    return hashing


def _insert(connection: Any, rows: list[tuple[Any, ...]], nodes: list[tuple[Any, ...]]) -> None:
    columns = "chain, seq, created_at, actor, action, refs, payload_hash, prev_hash, hash"
    if connection.vendor == "postgresql":
        raw = connection.connection.cursor()
        with raw.copy(f"COPY ledger_ledgerevent ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        with raw.copy("COPY ledger_ledgernode (chain, position, hash) FROM STDIN") as copy:
            for node in nodes:
                copy.write_row(node)
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO ledger_ledgerevent ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
            [(*row[:2], connection.ops.adapt_datetimefield_value(row[2]), *row[3:]) for row in rows],
        )
        cursor.executemany("INSERT INTO ledger_ledgernode (chain, position, hash) VALUES (%s, %s, %s)", nodes)


def bench_verify(emit: Emit, database: str, events: int = 1_000_000, rounds: int = 3) -> None:
    from django.db import connection

    from chorus.ledger.services import ledger_verify

    chain = "bench:verify"
    start = time.perf_counter()
    hashing = _fill_chain(chain, events)
    fill_s = time.perf_counter() - start
    samples, result = [], None
    for _ in range(rounds):
        connection.close()  # each round from a fresh connection, as the command runs
        began = time.perf_counter()
        result = ledger_verify(chain)
        samples.append(time.perf_counter() - began)
    assert result is not None
    best = min(samples)
    emit(
        bench="ledger_verify",
        database=database,
        events=result.events,
        ok=result.ok,
        fill_seconds=round(fill_s, 1),
        seconds=round(best, 2),
        seconds_median=round(statistics.median(samples), 2),
        events_per_s=round(events / best),
        sha256_events_per_s=round(events / hashing),
        ratio=round(hashing / best, 3),
    )


# ---- proofs --------------------------------------------------------------------------------


def bench_proofs(emit: Emit, database: str, leaves: int = 1_000_000, rounds: int = 300) -> None:
    """Serving the proofs members' browsers ask for, from a stored tree of 10^6 leaves: one
    query for the nodes, then the proof (the tree is stored as ``ledger_append`` stores it)."""
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
    emit(
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
