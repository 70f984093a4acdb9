"""The per-request reads written as SQL once (``accounts.backends.signed_in_member``, the
session store's row) give what the ORM gives, on both databases."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db.models import Model
from django.utils import timezone

from chorus.accounts.backends import MemberBackend, signed_in_member
from chorus.accounts.models import Member, MemberRole
from chorus.accounts.sessions import SessionStore
from tests.personas import PERSONA_ROLES, Personas

pytestmark = pytest.mark.django_db


def _fields(instance: Model) -> dict[str, object]:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def _as_the_orm_reads(member_id: uuid.UUID) -> Member:
    return Member.objects.select_related("organization").get(pk=member_id)


@pytest.mark.parametrize("persona", [*PERSONA_ROLES, "other_org"])
def test_it_reads_each_member_as_the_orm_does(personas: Personas, persona: str) -> None:
    member = personas.members[persona]
    read = signed_in_member(str(member.pk))
    expected = _as_the_orm_reads(member.pk)
    assert read is not None
    assert _fields(read) == _fields(expected)
    assert _fields(read.organization) == _fields(expected.organization)
    assert read.role_codes == expected.role_codes == PERSONA_ROLES.get(persona, {"admin"})
    assert read.two_factor_enrolled == expected.has_two_factor
    assert read._state.adding is False and read._state.db == "default"
    # The organization came with the member: reading it asks nothing more.
    assert read.organization.slug == expected.organization.slug


def test_it_leaves_out_a_role_whose_seal_does_not_verify(personas: Personas) -> None:
    member = personas.advocate
    MemberRole.objects.filter(member=member, role="advocate").update(seal="0" * 64)
    MemberRole.objects.create(member=member, role="admin")  # sealed by save
    MemberRole.objects.filter(member=member, role="admin").update(granted_at=timezone.now() - timedelta(days=1))
    read = signed_in_member(member.pk)
    assert read is not None
    assert read.role_codes == _as_the_orm_reads(member.pk).role_codes == set()


def test_it_reads_a_member_with_no_role_and_no_second_factor(personas: Personas) -> None:
    member = personas.survivor
    MemberRole.objects.filter(member=member).delete()
    read = signed_in_member(member.pk)
    assert read is not None
    assert read.role_codes == set()
    assert read.two_factor_enrolled is False


@pytest.mark.parametrize("member_id", [uuid.uuid4(), str(uuid.uuid4()), "not a uuid", ""])
def test_it_finds_nobody_for_an_unknown_or_malformed_id(personas: Personas, member_id: object) -> None:
    assert signed_in_member(member_id) is None
    assert MemberBackend().get_user(member_id) is None


def test_the_backend_refuses_a_member_made_inactive(personas: Personas) -> None:
    Member.objects.filter(pk=personas.survivor.pk).update(is_active=False)
    assert MemberBackend().get_user(personas.survivor.pk) is None


def test_the_session_store_reads_a_live_row_and_forgets_an_expired_key() -> None:
    store = SessionStore()
    store["kept"] = "yes"
    store.create()
    key = store.session_key
    row = Session.objects.get(pk=key)

    loaded = SessionStore(session_key=key)
    assert loaded["kept"] == "yes"
    assert loaded.loaded_expiry == row.expire_date

    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(session_key=key)
    assert expired.load() == {}
    assert expired.session_key is None  # a new session never takes a key the browser sent
    assert SessionStore(session_key="k" * 32).load() == {}
