"""Consent grants: exactly the chosen scope is readable, every read is visible, revoking ends it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chorus.accounts.services.power import member_set_roles
from chorus.ledger.services import ledger_verify
from chorus.records.access import Reader
from chorus.records.models import Grant, TeamKeyHolder
from chorus.records.services import sharing, writing
from chorus.records.services.team import AccessRefused, team_key_distribute
from chorus.records.services.writing import RecordError
from tests.personas import Personas
from tests.records.factory import STORY, advocate_reader, survivor_owner, survivor_record

pytestmark = pytest.mark.django_db


def test_an_advocate_reads_exactly_the_shared_scope_and_the_survivor_sees_the_read(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    writing.record_save(owner, record, {"what": "first telling", "who": "a name"})
    writing.record_save(owner, record, {"what": "second telling", "who": "a name", "impact": "I stopped going"})
    grant = sharing.grant_create(
        owner,
        record,
        grantee=None,
        purpose="support",
        versions=[2],
        parts=["what", "impact"],
        attachment_ids=[],
        expires_at=None,
    )
    shared = sharing.grant_open(advocate_reader(personas), grant)
    assert [v.number for v in shared.versions] == [2]
    assert shared.versions[0].parts == {"what": "second telling", "impact": "I stopped going"}
    history = sharing.access_history(owner, record)
    assert [(a.who, a.what) for a in history] == [("Advocate", "read what you shared")]
    assert ledger_verify(chain=f"org:{personas.organization.pk}").problem is None


def test_nobody_but_the_advocates_can_open_a_team_grant(personas: Personas) -> None:
    built = survivor_record(personas)
    admin = Reader(member=personas.admin, vault_key=personas.vault_keys["admin"])
    with pytest.raises(AccessRefused):
        sharing.grant_open(admin, built.grant)


def test_revoking_deletes_the_key_and_later_reads_are_refused_and_ledgered(personas: Personas) -> None:
    built = survivor_record(personas)
    reader = advocate_reader(personas)
    sharing.grant_open(reader, built.grant)
    sharing.grant_revoke(built.owner, built.record, built.grant.pk)
    grant = Grant.objects.get(pk=built.grant.pk)
    assert grant.key_sealed is None and grant.content is None and grant.revoked_at is not None
    with pytest.raises(AccessRefused, match="stopped sharing"):
        sharing.grant_open(reader, grant)
    with pytest.raises(AccessRefused):
        sharing.grant_attachment(reader, grant, built.attachment_id)
    whats = [a.what for a in sharing.access_history(built.owner, built.record)]
    assert whats[0].startswith("tried to read after sharing ended")


def test_an_expired_grant_is_refused_and_its_key_deleted(personas: Personas) -> None:
    built = survivor_record(personas)
    Grant.objects.filter(pk=built.grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    grant = Grant.objects.get(pk=built.grant.pk)
    with pytest.raises(AccessRefused, match="date that has passed"):
        sharing.grant_open(advocate_reader(personas), grant)
    assert Grant.objects.get(pk=grant.pk).key_sealed is None


def test_a_share_needs_a_version_a_part_a_purpose_and_a_future_end(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    writing.record_save(owner, record, STORY)
    base: dict[str, Any] = {
        "grantee": None,
        "purpose": "support",
        "versions": [1],
        "parts": ["what"],
        "attachment_ids": [],
        "expires_at": None,
    }
    changes: list[tuple[dict[str, Any], str]] = [
        ({"versions": []}, "at least one"),
        ({"parts": ["password"]}, "at least one"),
        ({"purpose": "revenge"}, "would like"),
        ({"expires_at": timezone.now() - timedelta(days=1)}, "already passed"),
        ({"grantee": personas.admin}, "advocate team"),
    ]
    for change, message in changes:
        with pytest.raises(RecordError, match=message):
            sharing.grant_create(owner, record, **{**base, **change})


def test_a_grant_to_one_advocate_is_not_readable_by_another(personas: Personas) -> None:
    second, _code, second_key = _second_advocate(personas)
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    writing.record_save(owner, record, STORY)
    grant = sharing.grant_create(
        owner,
        record,
        grantee=personas.advocate,
        purpose="unsure",
        versions=[1],
        parts=["what"],
        attachment_ids=[],
        expires_at=None,
    )
    assert sharing.grant_open(advocate_reader(personas), grant).versions[0].parts == {"what": STORY["what"]}
    with pytest.raises(AccessRefused):
        sharing.grant_open(Reader(member=second, vault_key=second_key), grant)


def _second_advocate(personas: Personas):  # type: ignore[no-untyped-def]
    from chorus.accounts.services.members import member_create

    return member_create(
        organization=personas.organization,
        email="second@riverside.example",
        display_name="Second",
        password="another long password",
        roles={"advocate"},
        actor="test",
    )


def test_the_team_key_passes_to_new_advocates_and_leaves_former_ones(personas: Personas) -> None:
    built = survivor_record(personas)  # makes the team key, held by the one advocate
    second, _code, second_key = _second_advocate(personas)
    newcomer = Reader(member=second, vault_key=second_key)
    with pytest.raises(AccessRefused, match="team's key"):
        sharing.grant_open(newcomer, built.grant)
    assert team_key_distribute(advocate_reader(personas)) == 1
    assert sharing.grant_open(newcomer, built.grant).versions
    member_set_roles(member=second, roles=set(), actor=personas.admin)
    team_key_distribute(advocate_reader(personas))
    assert not TeamKeyHolder.objects.filter(member=second).exists()
