"""The per-request reads written as SQL once (``accounts.backends.signed_in_member``, the
session store's row) give what the ORM gives, on both databases."""

from __future__ import annotations

import gc
import threading
import uuid
import weakref
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.utils import timezone

from chorus.accounts.backends import MemberBackend, signed_in_member
from chorus.accounts.models import Member, MemberRole
from chorus.accounts.sessions import SessionStore
from chorus.web.rows import Columns
from tests.helpers import fields_with_types
from tests.personas import PERSONA_ROLES, Personas

pytestmark = pytest.mark.django_db


def _as_the_orm_reads(member_id: uuid.UUID) -> Member:
    return Member.objects.select_related("organization").get(pk=member_id)


@pytest.mark.parametrize("persona", [*PERSONA_ROLES, "other_org"])
def test_it_reads_each_member_as_the_orm_does(personas: Personas, persona: str) -> None:
    member = personas.members[persona]
    read = signed_in_member(str(member.pk))
    expected = _as_the_orm_reads(member.pk)
    assert read is not None
    assert fields_with_types(read) == fields_with_types(expected)
    assert fields_with_types(read.organization) == fields_with_types(expected.organization)
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


def test_it_counts_every_role_of_a_member_who_holds_several(personas: Personas) -> None:
    member = personas.advocate
    for role in ("admin", "facilitator", "investigator"):
        MemberRole.objects.create(member=member, role=role)  # sealed by save
    MemberRole.objects.filter(member=member, role="facilitator").update(seal="0" * 64)
    read = signed_in_member(member.pk)
    assert read is not None
    assert read.role_codes == _as_the_orm_reads(member.pk).role_codes == {"advocate", "admin", "investigator"}


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


def test_the_backend_lets_a_removed_member_in_to_take_their_records_away_until_they_delete(
    personas: Personas,
) -> None:
    member = personas.survivor
    Member.objects.filter(pk=member.pk).update(is_active=False, removed_at=timezone.now() - timedelta(days=1))
    read = MemberBackend().get_user(member.pk)
    assert read is not None and read.removed_at is not None and read.is_active is False
    Member.objects.filter(pk=member.pk).update(removed_at=timezone.now() - timedelta(days=3650))
    assert MemberBackend().get_user(member.pk) is None  # the days to take them away have passed
    Member.objects.filter(pk=member.pk).update(removed_at=timezone.now(), deleted_at=timezone.now())
    assert MemberBackend().get_user(member.pk) is None


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
    unknown = SessionStore(session_key="k" * 32)
    assert unknown.load() == {}
    assert unknown.session_key is None


@pytest.mark.parametrize("cookie", ["\x00" * 32, "A" * 32, "k" * 32 + "'; --", "kkkkkkkk"])
def test_a_session_cookie_no_key_could_be_is_nobody_session(client: Client, cookie: str) -> None:
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = client.get("/sign-in/")
    assert response.status_code == 200
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != cookie


def test_a_thread_connection_is_let_go_once_the_thread_is_done() -> None:
    """What ``web.rows`` keeps for a connection goes with it: a server that starts a thread per
    request (``make run``) must not keep every thread's connection for ever."""
    kept: list[weakref.ref[object]] = []
    columns = Columns(Member, "m")

    def request() -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        assert columns.convert(connection, [None] * len(columns)) == [None] * len(columns)
        kept.append(weakref.ref(connection))
        connection.close()

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    gc.collect()
    assert len(kept) == 1
    assert kept[0]() is None
