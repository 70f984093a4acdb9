"""``python -m bench escrow``: whole escrow entries against the bare two-hop OPRF, and the
match lookup among 10^6 stored entries (run on each database).

    {"bench": "escrow_entries", "database", "entries_per_s", "raw_two_hop_per_s", "ratio", ...}
    {"bench": "escrow_match_lookup", "database", "entries_in_db", "match_lookup_p50_ms", ...}

Entries and bare evaluations are timed in alternating blocks, so a machine busy with
something else slows both alike and their ratio stays meaningful. Besides the rates, the
line counts the durable writes an entry costs: database commits, and the in-process
custodian's batches of evaluation counts (``chorus.custodian.service.EvaluationLimits``).
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

Emit = Callable[..., None]


def _fill_escrow(organization_id: Any, count: int, *, sizes: tuple[int, int, int]) -> list[bytes]:
    """Store ``count`` entries of one identifier each, with blobs of the real sizes, as fast
    as the database takes them. Returns a sample of the stored tags."""
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
                    "COPY escrow_entry (id, organization_id, owner_tag, for_owner, released, created_at, counts) FROM STDIN"
                ) as copy:
                    for entry_id, _, _, owner_tag, for_owner, _ in rows:
                        copy.write_row((entry_id, organization_id, owner_tag, for_owner, released, now, True))
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
                        "INSERT INTO escrow_entry (id, organization_id, owner_tag, for_owner, released, created_at, counts) "
                        "VALUES (%s, %s, %s, %s, %s, %s, 1)",
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


class _Commits:
    """Counts the database commits made while it is installed. SQLite: Django's one commit
    path. PostgreSQL: transaction ids assigned, one per transaction that wrote, since an
    entry there is one statement committing on its own, which Django never sees commit."""

    def __init__(self) -> None:
        from django.db import connection

        self.count = 0
        self._connection = cast(Any, connection)  # its private _commit is what every commit calls
        self._commit = self._connection._commit
        self._xid = 0

    def _next_xid(self) -> int:
        with self._connection.cursor() as cursor:  # reading it assigns none
            cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            return int(cursor.fetchone()[0])

    def __enter__(self) -> _Commits:
        if self._connection.vendor == "postgresql":
            self._xid = self._next_xid()
            return self

        def counted() -> None:
            self.count += 1
            self._commit()

        self._connection._commit = counted
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._connection.vendor == "postgresql":
            self.count = self._next_xid() - self._xid
        else:
            self._connection._commit = self._commit


def _raw_two_hop(rounds: int) -> float:
    """Seconds for ``rounds`` bare two-hop evaluations: each holder's blind evaluation."""
    from chorus.crypto import oprf

    k1, k2 = oprf.random_scalar(), oprf.random_scalar()
    _, blinded = oprf.blind(b"email:someone@example.org", oprf.VOPRF)
    start = time.perf_counter()
    for _ in range(rounds):
        oprf.blind_evaluate(k2, oprf.blind_evaluate(k1, blinded, oprf.OPRF), oprf.OPRF)  # type: ignore[arg-type]
    return time.perf_counter() - start


def bench_escrow(
    emit: Emit, django_setup: Callable[[], str], *, stored: int = 1_000_000, entries: int = 600, lookups: int = 2000
) -> None:
    database = django_setup()
    from django.db.models import Count

    from chorus.accounts.services.members import member_create, organization_create
    from chorus.crypto import envelope
    from chorus.escrow import holders
    from chorus.escrow.models import Entry, Share, Tag
    from chorus.escrow.services.entries import Choices, Named, entry_submit
    from chorus.records.access import Owner
    from chorus.records.services.team import team_key_ensure

    organization = organization_create(name="Bench", slug=f"bench-escrow-{os.getpid()}")
    for email, name, roles in (
        ("advocate@bench.example", "Bench advocate", {"advocate"}),
        ("survivor@bench.example", "Bench survivor", set()),
    ):
        member, _, vault_key = member_create(
            organization=organization,
            email=email,
            display_name=name,
            password="a bench passphrase",
            roles=roles,
            actor="bench",
        )
    team_key_ensure(organization)
    # The entries come from many authors, each holding at most the default 20 identifiers
    # (CHORUS_ESCROW_ACTIVE_LIMIT), as in an organization: one author holding all of them
    # would time the count of their own entries instead. Authors differ by vault key (the
    # owner tag is keyed by it); one member's account stands for them all.
    authors = [Owner(organization=organization, vault_key=vault_key, member=member)] + [
        Owner(organization=organization, vault_key=envelope.random_key(), member=member) for _ in range(entries // 20)
    ]
    choices = Choices(tell_me=True, would_meet=True, release="contact", statement="a few words for the advocates")

    def submit(number: int) -> None:
        owner = authors[number % len(authors)]
        entry_submit(owner, named=[Named("email", f"person.{number}@example.org")], choices=choices)

    submit(-1)  # the first entry makes the ledger's chain and warms the caches
    local = getattr(holders.custodian(), "_custodian", None)
    custodian_writes = local.limits.writes if local is not None else 0
    # Whole entries, server side (both evaluations, derivation, sealing, the match check,
    # the ledger, one commit), in blocks alternating with bare two-hop evaluations.
    blocks, raw_rounds = 10, 600
    entry_s, raw_s, per_entry_ms = 0.0, 0.0, []
    with _Commits() as commits:
        for block in range(blocks):
            raw_s += _raw_two_hop(raw_rounds)
            for number in range(block * entries // blocks, (block + 1) * entries // blocks):
                start = time.perf_counter()
                submit(number)
                per_entry_ms.append((time.perf_counter() - start) * 1000)
            entry_s += sum(per_entry_ms[-(entries // blocks) :]) / 1000
    if local is not None:
        custodian_writes = local.limits.writes - custodian_writes
    entry_rate, raw_rate = entries / entry_s, blocks * raw_rounds / raw_s
    emit(
        bench="escrow_entries",
        database=database,
        entries=entries,
        entries_per_s=round(entry_rate, 1),
        raw_two_hop_per_s=round(raw_rate),
        ratio=round(entry_rate / raw_rate, 3),
        entry_p50_ms=round(statistics.median(per_entry_ms), 3),
        entry_p99_ms=round(sorted(per_entry_ms)[int(len(per_entry_ms) * 0.99)], 3),
        db_commits_per_entry=round(commits.count / entries, 3),
        custodian_writes_per_entry=round(custodian_writes / entries, 3) if local is not None else None,
    )

    share = Share.objects.select_related("entry").first()
    assert share is not None
    sizes = (len(bytes(share.entry.for_owner)), len(bytes(share.entry.released)), len(bytes(share.sealed)))
    start = time.perf_counter()
    sample = _fill_escrow(organization.pk, max(0, stored - Entry.objects.count()), sizes=sizes)
    fill_seconds = time.perf_counter() - start
    in_db = Share.objects.count()

    # The lookup a new entry makes: its tag by the unique index, then its siblings' authors.
    samples = []
    for number in range(lookups):
        value = sample[number % len(sample)] if number % 2 == 0 and sample else os.urandom(32)
        start = time.perf_counter()
        tag = Tag.objects.filter(tag=value).first()
        if tag is not None:
            Share.objects.filter(tag=tag).aggregate(n=Count("entry__owner_tag", distinct=True))
        samples.append((time.perf_counter() - start) * 1000)
    ordered = sorted(samples)
    emit(
        bench="escrow_match_lookup",
        database=database,
        entries_in_db=in_db,
        fill_seconds=round(fill_seconds, 1),
        match_lookup_p50_ms=round(statistics.median(samples), 3),
        match_lookup_p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
        db_bytes_per_entry=round(_escrow_bytes() / in_db),
    )
