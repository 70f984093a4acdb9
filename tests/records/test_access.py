"""Who reaches a record's rows (``records.access``): the reads written as SQL once give what
the ORM's rule gives, on both databases."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from chorus.accounts.models import Member
from chorus.records.access import Reader, grant_for_reader, grants_visible_to
from chorus.records.models import Grant, Purpose, Record
from chorus.records.services import writing
from tests.helpers import fields_with_types
from tests.personas import Personas, add_member
from tests.records.factory import advocate_reader, survivor_owner

pytestmark = pytest.mark.django_db


def _by_the_orm(member: Member, grant_id: uuid.UUID) -> Grant | None:
    return grants_visible_to(member).filter(pk=grant_id).select_related("record").first()


def _as_read(reader: Reader, grant_id: uuid.UUID) -> Grant | None:
    try:
        return grant_for_reader(reader, grant_id)
    except Http404:
        return None


def test_an_advocate_reaches_exactly_the_grants_the_orm_rule_gives(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    elsewhere = writing.record_create(owner)
    Record.objects.filter(pk=elsewhere.pk).update(organization=personas.other_organization)
    second, second_key = add_member(personas.organization, "second", {"advocate"})
    now = timezone.now()

    def grant(on: Record = record, purpose: str = Purpose.SUPPORT, **fields: object) -> Grant:
        made: Grant = Grant.objects.create(
            record=on, purpose=purpose, scope={"versions": [1], "parts": ["what"]}, **fields
        )
        return made

    grants = {
        "to the team": grant(expires_at=now + timedelta(days=3), key_sealed=b"sealed", content=b"content"),
        "to this advocate": grant(grantee=personas.advocate, purpose=Purpose.UNSURE),
        "to another advocate": grant(grantee=second),
        "to this advocate, as someone trusted": grant(grantee=personas.advocate, purpose=Purpose.ALLY),
        "to the team, as someone trusted": grant(purpose=Purpose.ALLY),
        "revoked": grant(revoked_at=now),
        "expired": grant(expires_at=now - timedelta(days=1)),
        "in another organization": grant(on=elsewhere),
    }
    readers = [advocate_reader(personas), Reader(member=second, vault_key=second_key)]
    for reader in readers:
        for name, made in grants.items():
            expected, read = _by_the_orm(reader.member, made.pk), _as_read(reader, made.pk)
            assert (read is None) == (expected is None), (reader, name)
            if read is not None and expected is not None:
                assert fields_with_types(read) == fields_with_types(expected), name
                assert fields_with_types(read.record) == fields_with_types(expected.record), name
                assert read._state.fields_cache["record"] is read.record  # no query to follow it
    reached = {name for name, made in grants.items() if _as_read(readers[0], made.pk) is not None}
    assert reached == {"to the team", "to this advocate", "revoked", "expired"}
    reached = {name for name, made in grants.items() if _as_read(readers[1], made.pk) is not None}
    assert reached == {"to the team", "to another advocate", "revoked", "expired"}


def test_an_unknown_grant_is_not_found(personas: Personas) -> None:
    with pytest.raises(Http404):
        grant_for_reader(advocate_reader(personas), uuid.uuid4())


def test_an_advocate_of_another_organization_reaches_none_of_these_grants(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    team = Grant.objects.create(record=record, purpose=Purpose.SUPPORT, scope={})
    outsider, key = add_member(personas.other_organization, "outsider", {"advocate"})
    assert _by_the_orm(outsider, team.pk) is None
    with pytest.raises(Http404):
        grant_for_reader(Reader(member=outsider, vault_key=key), team.pk)
