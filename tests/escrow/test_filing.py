"""The escrow entry's function in PostgreSQL (``escrow/filing.py``) against the Python steps it
replaces there (still the only ones on SQLite): the same submissions, made both ways, must
leave the same entries, shares, matches, advocates' notices, refusals and ledger."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as examples_of
from hypothesis import strategies as st

from chorus.escrow import filing
from chorus.escrow.holders import RateLimited
from chorus.escrow.models import Entry, Match, Share, Tag
from chorus.escrow.services.entries import (
    Choices,
    EscrowError,
    SealedShare,
    _draft,
    _save,
    _team_public,
    entry_submit_sealed,
    entry_withdraw,
)
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import ledger_verify
from chorus.records.access import Owner
from chorus.web import ratelimit
from chorus.web.models import RateLimit, Task
from tests.escrow.factory import member_owner
from tests.personas import Personas

pytestmark = pytest.mark.django_db

PEOPLE = 4
AUTHORS = 4
CHOICES = Choices(tell_me=True, would_meet=False, release="contact")

# A step: an author names some people (as the browser construction does, or as the server
# construction does, whose evaluations the platform counts), the advocates open every
# match, or an author withdraws their oldest entry still standing.
steps = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["name", "name counted"]),
            st.integers(0, AUTHORS - 1),
            st.lists(st.integers(0, PEOPLE - 1), min_size=1, max_size=3, unique=True),
        ),
        st.tuples(st.just("open"), st.just(0), st.just([])),
        st.tuples(st.just("withdraw"), st.integers(0, AUTHORS - 1), st.just([])),
    ),
    min_size=1,
    max_size=12,
)


@dataclass
class Run:
    """One way of filing: what it left, told apart from the other way's rows by its tags."""

    label: str
    authors: list[Owner]
    tags: dict[bytes, int] = field(default_factory=dict)  # tag → person
    entries: list[Entry] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # step number, refusal

    def tag(self, person: int, nonce: bytes) -> bytes:
        value = hashlib.sha256(self.label.encode() + nonce + bytes([person])).digest()
        self.tags[value] = person
        return value


@contextmanager
def python_steps() -> Iterator[None]:
    with mock.patch.object(filing, "in_database", return_value=False):
        yield


def _play(run: Run, plan: list[tuple[str, int, list[int]]], nonce: bytes, team_key: bytes) -> None:
    for number, (kind, author, people) in enumerate(plan):
        owner = run.authors[author]
        if kind == "open":
            Match.objects.filter(tag__tag__in=list(run.tags)).update(opened_at=timezone.now())
        elif kind == "withdraw":
            standing = [
                entry for entry in run.entries if entry.owner_tag == _owner_tag(owner) and not entry.withdrawn_at
            ]
            if standing:
                entry_withdraw(owner, standing[0])
        else:
            shares = [SealedShare(run.tag(person, nonce), os.urandom(300)) for person in people]
            try:
                if kind == "name counted":  # the server construction's saving step
                    draft = _draft(owner, CHOICES)
                    entry = _save(owner, draft, shares, os.urandom(32), draft.owner_copy, evaluations=len(shares))
                else:
                    entry = entry_submit_sealed(
                        owner,
                        shares=shares,
                        named_copy=os.urandom(60),
                        released_key=os.urandom(32),
                        k=owner.organization.escrow_threshold,
                        team_key=team_key,
                        choices=CHOICES,
                    )
            except (EscrowError, RateLimited) as refusal:
                run.refused.append((number, str(refusal)))
            else:
                run.entries.append(entry)


def _owner_tag(owner: Owner) -> bytes:
    from chorus.escrow.services.entries import escrow_tag

    return escrow_tag(owner)


def _counted(run: Run) -> list[int]:
    """The platform's count of each author's member's evaluations this hour."""
    keys = [ratelimit.key_for("escrow-evaluations", str(owner.member.pk)) for owner in run.authors if owner.member]
    rows = {row.key: row.failures for row in RateLimit.objects.filter(key__in=keys)}
    return [rows.get(key, 0) for key in keys]


def _left(run: Run) -> dict[str, Any]:
    """What the run left, in terms both runs share: people, authors and step order."""
    entry_number = {str(entry.pk): number for number, entry in enumerate(run.entries)}
    tags = Tag.objects.filter(tag__in=list(run.tags))
    matches = {
        run.tags[bytes(match.tag.tag)]: match.opened_at is None
        for match in Match.objects.filter(tag__in=tags).select_related("tag")
    }
    match_person = {
        str(match.pk): run.tags[bytes(match.tag.tag)]
        for match in Match.objects.filter(tag__in=tags).select_related("tag")
    }
    shares = sorted(
        (entry_number[str(share.entry_id)], run.tags[bytes(share.tag.tag)])
        for share in Share.objects.filter(tag__in=tags).select_related("tag")
    )
    events = []
    for event in LedgerEvent.objects.filter(action=filing.ACTION, refs__entry__in=list(entry_number)).order_by("seq"):
        assert event.refs["matches"] == sorted(event.refs["matches"])  # the order the refs promise
        events.append(
            (
                entry_number[event.refs["entry"]],
                event.refs["identifiers"],
                sorted(match_person[match] for match in event.refs["matches"]),
            )
        )
    return {
        "refused": run.refused,
        "counted": _counted(run),
        "entries": [
            (entry.counts, entry.withdrawn_at is None)
            for entry in Entry.objects.filter(pk__in=list(entry_number)).order_by("created_at")
        ],
        "shares": shares,
        "matches": matches,
        "events": events,
        "tags": sorted(run.tags[bytes(tag.tag)] for tag in tags),
    }


def test_the_database_function_files_entries_as_the_python_steps_do(personas: Personas, settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the function exists on PostgreSQL; SQLite has only the Python steps")
    settings.CHORUS_ESCROW_ACTIVE_LIMIT = 4  # reached within a plan
    settings.CHORUS_ESCROW_EVALUATIONS_PER_HOUR = 3  # reached within a plan too
    organization = personas.organization
    team_key = _team_public(organization)
    assert team_key is not None
    # Each way its own members, so the platform's counts of one do not reach the other.
    members = {}
    for label in ("function", "python"):
        confirmed = member_owner(personas, f"confirmed.{label}")
        assert confirmed.member is not None
        confirmed.member.confirmed_at = timezone.now()
        confirmed.member.save(update_fields=["confirmed_at"])
        members[label] = (confirmed, member_owner(personas, f"unconfirmed.{label}"))
    examples = {"matched": 0, "refused": 0, "over the count": 0}

    @examples_of(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(plan=steps, counting=st.lists(st.booleans(), min_size=AUTHORS, max_size=AUTHORS))
    # A match made, opened by the advocates, and joined by a third author: unopened again.
    @example(
        plan=[("name", 0, [0, 1]), ("name", 1, [1]), ("open", 0, []), ("name counted", 2, [2, 1]), ("name", 3, [3])],
        counting=[True, True, True, False],
    )
    # Two authors of one member: the second entry is over the member's count of evaluations.
    @example(plan=[("name counted", 0, [0, 1, 2]), ("name counted", 1, [3, 0])], counting=[True, True, True, True])
    def both_ways(plan: list[tuple[str, int, list[int]]], counting: list[bool]) -> None:
        nonce = os.urandom(8)
        left = []
        RateLimit.objects.all().delete()  # each plan starts its hour afresh
        for label in ("function", "python"):
            confirmed, unconfirmed = members[label]
            authors = [
                Owner(
                    organization=organization,
                    vault_key=os.urandom(32),
                    member=(confirmed if counts else unconfirmed).member,
                )
                for counts in counting
            ]
            run = Run(label, authors)
            notices = Task.objects.filter(kind=filing.NOTICE).count()
            if label == "python":
                with python_steps():
                    _play(run, plan, nonce, team_key)
            else:
                _play(run, plan, nonce, team_key)
            left.append({**_left(run), "notices": Task.objects.filter(kind=filing.NOTICE).count() - notices})
        assert left[0] == left[1]
        examples["matched"] += bool(left[0]["matches"])
        examples["refused"] += bool(left[0]["refused"])
        examples["over the count"] += any("this hour" in refusal for _, refusal in left[0]["refused"])

    both_ways()
    assert ledger_verify(f"org:{organization.pk}").ok
    # The plans reached the paths that matter.
    assert all(examples.values()), examples


def test_the_function_takes_the_platform_count_and_refuses_over_it_writing_nothing(
    personas: Personas, settings: Any
) -> None:
    """The server construction's evaluations are counted in the same call; over the member's
    hourly allowance the call writes nothing (no entry, share or event). The window's start
    is kept to the minute, so it does not give the entry's time."""
    if connection.vendor != "postgresql":
        pytest.skip("the function exists on PostgreSQL")
    settings.CHORUS_ESCROW_EVALUATIONS_PER_HOUR = 3
    owner = member_owner(personas, "counted")
    assert owner.member is not None
    key = ratelimit.key_for("escrow-evaluations", str(owner.member.pk))

    def save(count: int) -> Entry:
        # The saving step alone: the in-process custodian would refuse first at this limit.
        draft = _draft(owner, CHOICES)
        shares = [SealedShare(os.urandom(32), os.urandom(300)) for _ in range(count)]
        return _save(owner, draft, shares, os.urandom(32), draft.owner_copy, evaluations=count)

    first = save(2)
    window = RateLimit.objects.get(key=key)
    assert window.failures == 2
    assert (window.window_started_at.second, window.window_started_at.microsecond) == (0, 0)
    assert window.window_started_at != first.created_at
    rows = (Entry.objects.count(), Share.objects.count(), LedgerEvent.objects.count())
    with pytest.raises(RateLimited, match="many identifiers this hour"):
        save(2)
    assert (Entry.objects.count(), Share.objects.count(), LedgerEvent.objects.count()) == rows
    assert RateLimit.objects.get(key=key).failures == 2
    save(1)
    assert RateLimit.objects.get(key=key).failures == 3


def _consumed(vendor_steps: str) -> list[tuple[bool, int, datetime]]:
    """A sequence of takes (minutes and seconds after a start, count) and, after each, the
    answer and the stored row: its count and the start of its window."""
    window, answers = timedelta(hours=1), []
    python = mock.patch.object(ratelimit, "connection", SimpleNamespace(vendor="sqlite"))
    takes = [
        (0, 30, 2),
        (1, 0, 2),
        (2, 59, 1),
        (3, 0, 1),
        (60, 10, 1),
        (60, 40, 3),
        (61, 0, 2),
        (61, 1, 0),
        (200, 5, 5),
        (201, 0, 1),
    ]
    with python if vendor_steps == "python" else nullcontext(), mock.patch.object(timezone, "now") as now:
        for minutes, seconds, count in takes:
            now.return_value = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes, seconds=seconds)
            taken = ratelimit.consume("test", vendor_steps, count=count, limit=5, window=window)
            row = RateLimit.objects.get(key=ratelimit.key_for("test", vendor_steps))
            answers.append((taken, row.failures, row.window_started_at))
    return answers


def test_a_rate_limit_takes_and_refuses_alike_in_the_database_and_in_python() -> None:
    """``ratelimit.consume``: PostgreSQL's function and the Python steps (SQLite's) give the
    same answers and store the same rows over a window, its expiry and a refused request
    that takes nothing. A window starts on the minute, and so ends up to a minute early."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    expected = [
        (True, 2, start),
        (True, 4, start),
        (True, 5, start),
        (False, 5, start),  # over the limit: nothing taken
        (True, 1, start + timedelta(minutes=60)),  # 60:10 is past 0:00 + 1 h: a new window, on the minute
        (True, 4, start + timedelta(minutes=60)),
        (False, 4, start + timedelta(minutes=60)),
        (True, 4, start + timedelta(minutes=60)),  # taking nothing is always allowed
        (True, 5, start + timedelta(minutes=200)),
        (False, 5, start + timedelta(minutes=200)),
    ]
    assert _consumed("python") == expected
    if connection.vendor == "postgresql":
        assert _consumed("database") == expected


def test_a_rate_limit_window_is_whole_minutes() -> None:
    with pytest.raises(ValueError, match="whole minutes"):
        ratelimit.consume("test", "seconds", count=1, limit=5, window=timedelta(seconds=30))
    with pytest.raises(ValueError, match="whole minutes"):
        ratelimit.consume("test", "seconds", count=1, limit=5, window=timedelta(minutes=1, seconds=30))


@pytest.mark.usefixtures("ledger_flushable")
def test_a_second_entry_of_one_author_counts_the_first_before_passing_the_limit(
    personas: Personas, settings: Any
) -> None:
    """The active limit is counted where the entry is saved, one entry of an author at a
    time: a second entry sent while the first's transaction is still open waits for it,
    then counts it and is refused, instead of counting without it and passing the limit."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's transactions take its one write lock at once; the function's lock is PostgreSQL's")
    settings.CHORUS_ESCROW_ACTIVE_LIMIT = 1
    owner = member_owner(personas, "twice")

    def save() -> Entry:
        draft = _draft(owner, CHOICES)
        return _save(owner, draft, [SealedShare(os.urandom(32), os.urandom(300))], os.urandom(32), draft.owner_copy)

    first_open, first_may_end = threading.Event(), threading.Event()
    second: list[BaseException | Entry] = []

    def first() -> None:
        try:
            with transaction.atomic():
                save()
                first_open.set()
                first_may_end.wait(timeout=30)
        finally:
            connections.close_all()

    def then_second() -> None:
        try:
            second.append(save())
        except EscrowError as refusal:
            second.append(refusal)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=then_second)]
    threads[0].start()
    try:
        assert first_open.wait(timeout=30)
        threads[1].start()
        with connection.cursor() as cursor:  # until the second waits on a lock the first holds
            for _ in range(300):
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the second entry never waited for the first")
    finally:
        first_may_end.set()
        for thread in threads:
            thread.join(timeout=30)
    assert len(second) == 1 and isinstance(second[0], EscrowError), second
    assert Share.objects.filter(entry__owner_tag=_owner_tag(owner)).count() == 1
