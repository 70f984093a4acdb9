"""Escrow entries through the services: matching, repeats, quotas, withdrawal, reading."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from chorus.escrow.models import Entry, Match, Share, Tag
from chorus.escrow.services import matches
from chorus.escrow.services.entries import EscrowError, entries_of, entry_withdraw
from chorus.ledger.models import LedgerEvent
from chorus.notices.services import BATCH, notices_flush
from chorus.records.services.team import AccessRefused
from chorus.web.tasks import tasks_run_due
from tests.escrow.factory import SAM, member_owner, name
from tests.personas import Personas
from tests.records.factory import advocate_reader, survivor_owner


def test_two_members_naming_one_email_make_exactly_one_match(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = survivor_owner(personas), member_owner(personas, "robin")
    name(first, ("email", SAM), statement="At the spring offsite.")
    assert Match.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        name(second, ("email", "  sam.lee@EXAMPLE.ORG "))
    assert Match.objects.count() == 1
    tasks_run_due()
    notices_flush(now=timezone.now() + BATCH)
    tasks_run_due()
    assert [m.to for m in mail.outbox] == [[personas.advocate.email]]
    assert "sam" not in mail.outbox[0].body.lower()

    opened = matches.match_open(advocate_reader(personas), Match.objects.get())
    assert opened.identifier == "Email address: sam.lee@example.org"
    assert [e.name for e in opened.entries] == ["Survivor A", "Survivor B"]
    assert opened.entries[0].content["statement"] == "At the spring offsite."
    assert {e.member for e in opened.entries} == {first.member, second.member}


def test_one_member_naming_twice_counts_once(personas: Personas) -> None:
    owner = survivor_owner(personas)
    name(owner, ("email", SAM))
    name(owner, ("email", "sam.lee@example.org"))
    assert Share.objects.count() == 2
    assert Match.objects.count() == 0
    name(member_owner(personas, "robin"), ("email", SAM))
    assert Match.objects.count() == 1


def test_a_third_member_joins_the_match_without_a_second_one(personas: Personas) -> None:
    for who in ("a1", "a2"):
        name(member_owner(personas, who), ("phone", "+44 20 7946 0958"))
    matches.match_open(advocate_reader(personas), Match.objects.get())
    name(member_owner(personas, "a3"), ("phone", "+44 20 7946 0958"))
    assert Match.objects.count() == 1
    assert Match.objects.get().opened_at is None  # the newcomer needs the advocates' attention again
    assert len(matches.match_open(advocate_reader(personas), Match.objects.get()).entries) == 3


def test_different_people_do_not_match(personas: Personas) -> None:
    name(survivor_owner(personas), ("email", SAM))
    name(member_owner(personas, "robin"), ("email", "sam.leigh@example.org"))
    name(member_owner(personas, "kim"), ("phone", "+44 20 7946 0958"))
    assert Match.objects.count() == 0
    assert Tag.objects.count() == 3


def test_threshold_three_needs_three_members(personas: Personas) -> None:
    personas.organization.escrow_threshold = 3
    personas.organization.save()
    owners = [member_owner(personas, who) for who in ("a1", "a2", "a3")]
    name(owners[0], ("instagram", "https://instagram.com/Sam.Lee"))
    name(owners[1], ("instagram", "@sam.lee"))
    assert Match.objects.count() == 0
    name(owners[2], ("instagram", "instagram.com/sam.lee/"))
    assert Match.objects.count() == 1


def test_one_share_or_k_minus_one_cannot_be_read(personas: Personas) -> None:
    """An advocate holding every key still cannot read an unmatched entry."""
    name(survivor_owner(personas), ("email", SAM))
    tag = Tag.objects.get()
    fake = Match(organization=personas.organization, tag=tag)
    with pytest.raises(AccessRefused, match="do not combine"):
        matches.match_open(advocate_reader(personas), fake)


def test_bad_identifiers_are_refused_with_the_expected_form(personas: Personas) -> None:
    owner = survivor_owner(personas)
    with pytest.raises(EscrowError, match=r"name@example\.org") as refused:
        name(owner, ("phone", "+44 20 7946 0958"), ("email", "sam at example"))
    assert refused.value.field == 1
    with pytest.raises(EscrowError, match="country code"):
        name(owner, ("phone", "020 7946 0958"))
    assert Entry.objects.count() == 0


def test_phone_region_lets_national_numbers_match(personas: Personas) -> None:
    personas.organization.phone_region = "GB"
    personas.organization.save()
    name(survivor_owner(personas), ("phone", "020 7946 0958"))
    name(member_owner(personas, "robin"), ("phone", "+44 20 7946 0958"))
    assert Match.objects.count() == 1


@override_settings(CHORUS_ESCROW_ACTIVE_LIMIT=3)
def test_quota_of_active_identifiers(personas: Personas) -> None:
    owner = survivor_owner(personas)
    entry = name(owner, ("email", "a@example.org"), ("email", "b@example.org"))
    with pytest.raises(EscrowError, match="up to 3"):
        name(owner, ("email", "c@example.org"), ("email", "d@example.org"))
    entry_withdraw(owner, entry)
    name(owner, ("email", "c@example.org"), ("email", "d@example.org"))


@override_settings(CHORUS_ESCROW_EVALUATIONS_PER_HOUR=3, CHORUS_ESCROW_ACTIVE_LIMIT=100)
def test_platform_rate_limit(personas: Personas) -> None:
    owner = survivor_owner(personas)
    name(owner, ("email", "a@example.org"), ("email", "b@example.org"))
    entry = name(owner, ("email", "c@example.org"))
    entry_withdraw(owner, entry)
    events = LedgerEvent.objects.count()
    with pytest.raises(EscrowError, match="many identifiers this hour"):
        name(owner, ("email", "d@example.org"))
    assert Entry.objects.count() == 2 and LedgerEvent.objects.count() == events  # refused whole: nothing kept


def test_withdrawing_before_a_match_deletes_and_prevents_it(personas: Personas) -> None:
    owner = survivor_owner(personas)
    entry = name(owner, ("email", SAM))
    entry_withdraw(owner, entry)
    assert Share.objects.count() == 0 and Tag.objects.count() == 0
    assert bytes(Entry.objects.get(pk=entry.pk).released) == b""  # nothing could open it any more
    name(member_owner(personas, "robin"), ("email", SAM))
    assert Match.objects.count() == 0
    assert entries_of(owner)[0].withdrawn


def test_withdrawing_after_a_match_keeps_what_was_released(personas: Personas) -> None:
    owner = survivor_owner(personas)
    entry = name(owner, ("email", SAM))
    name(member_owner(personas, "robin"), ("email", SAM))
    entry_withdraw(owner, entry)
    opened = matches.match_open(advocate_reader(personas), Match.objects.get())
    assert [e.withdrawn for e in opened.entries] == [True, False]


def test_anonymous_reporters_cannot_escrow(personas: Personas) -> None:
    from chorus.records.access import Owner

    anonymous = Owner(organization=personas.organization, vault_key=bytes(32))
    with pytest.raises(EscrowError, match="needs an account"):
        name(anonymous, ("email", SAM))


def test_released_record_travels_with_the_entry(personas: Personas) -> None:
    from chorus.escrow.services.entries import Choices, Named, entry_submit
    from tests.records.factory import STORY, survivor_record

    built = survivor_record(personas)
    entry_submit(
        built.owner,
        named=[Named("email", SAM)],
        choices=Choices(tell_me=True, would_meet=False, release="record", record_id=built.record.pk),
    )
    name(member_owner(personas, "robin"), ("email", SAM))
    opened = matches.match_open(advocate_reader(personas), Match.objects.get())
    assert opened.entries[0].content["record"]["what"] == STORY["what"]
    assert opened.entries[1].content["record"] is None
