"""How many queries each role's main pages make, and that the number does not grow with
the rows behind the page: each page is asked once, the rows it lists are multiplied, and it
is asked again under the same bound (and shows the new rows)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from chorus.cases.models import Case
from chorus.records.models import Grant, Record
from chorus.records.services import messaging, sharing, writing
from tests.cases.factory import IN_A_MONTH, PANELS, formal_decided, opened, people
from tests.escrow.factory import client_for, member_owner, name
from tests.insights.factory import past_cases, registered
from tests.personas import Personas
from tests.records.factory import STORY, survivor_owner

pytestmark = pytest.mark.django_db

# The most queries each page may make, whatever the number of rows behind it. Three of them are
# every signed-in request's: the session, the member (with their organization, whether they
# enrolled a second factor and their roles, in one), and the page's own object or list.
BOUNDS = {
    "home": 6,
    "records": 3,
    # The first opening in an hour restarts the record's retention clock (six more queries).
    "record": 13,
    # Typing after a save inserts the draft again (three more than the UPDATE while typing).
    "autosave": 7,
    "inbox": 10,
    # The grant with its record, the advocate's team key and key pair, and the reading's ledger
    # event (one query on PostgreSQL, more on SQLite). The files' names only when files were shared.
    "shared record": 12,
    # Reading a case writes its ledger event (six queries). The case's parties, measures,
    # milestones, stays, decisions and allegations are read once each, whatever the page
    # works out from them.
    "case": 24,
    # A decided formal case: findings, a sanction handed to an administrator, its carry-out.
    "formal case": 25,
    "escrow": 6,
    "insights": 12,
}


def _assert_bounded(
    django_assert_max_num_queries: Any,
    client: Client,
    page: str,
    path: str,
    grow: Callable[[], object],
    *,
    shows: Callable[[str], bool],
    post: dict[str, str] | None = None,
) -> None:
    def ask() -> str:
        with django_assert_max_num_queries(BOUNDS[page]):
            response = client.post(path, post) if post is not None else client.get(path)
        assert response.status_code == 200, response.content.decode()[:300]
        return response.content.decode()

    ask()
    grow()
    assert shows(ask())


def _story(number: int) -> dict[str, str]:
    return {**STORY, "title": f"What happened, part {number}"}


def _records(personas: Personas, count: int, *, versions: int = 2, share: bool = False) -> list[Record]:
    """Records of the survivor persona, each with several versions, a draft and a message;
    shared with the advocates when ``share``."""
    owner = survivor_owner(personas)
    made = []
    for number in range(count):
        record = writing.record_create(owner)
        numbers = []
        for edit in range(versions):
            version = writing.record_save(owner, record, {**_story(number), "when": f"edit {edit}"})
            assert version is not None
            numbers.append(version.number)
        writing.draft_save(owner, record, {**_story(number), "when": "still typing"})
        if share:
            sharing.grant_create(
                owner, record, grantee=None, purpose="support", versions=numbers[-1:], parts=list(STORY),
                attachment_ids=[], expires_at=None,
            )  # fmt: skip
            messaging.message_from_owner(owner, record, f"Message {number}")
        made.append(record)
    return made


def _client(personas: Personas, persona: str) -> Client:
    return client_for(personas.members[persona], personas.vault_keys[persona])


def test_it_bounds_the_survivor_home_page(personas: Personas, django_assert_max_num_queries: Any) -> None:
    _records(personas, 1, share=True)
    owner = survivor_owner(personas)

    def grow() -> None:
        _records(personas, 6, share=True)
        for number in range(4):
            name(owner, ("email", f"person{number}@example.org"))

    client = _client(personas, "survivor")
    _assert_bounded(django_assert_max_num_queries, client, "home", "/", grow, shows=lambda page: "Survivor" in page)


def test_it_bounds_the_records_list(personas: Personas, django_assert_max_num_queries: Any) -> None:
    _records(personas, 1)
    client = _client(personas, "survivor")
    _assert_bounded(
        django_assert_max_num_queries, client, "records", "/records/", lambda: _records(personas, 8, versions=3),
        shows=lambda page: all(f"What happened, part {number}" in page for number in range(8)),
    )  # fmt: skip


def test_it_bounds_a_record(personas: Personas, django_assert_max_num_queries: Any) -> None:
    (record,) = _records(personas, 1, share=True)
    owner = survivor_owner(personas)

    def grow() -> None:
        for edit in range(10):
            writing.record_save(owner, record, {**STORY, "when": f"later edit {edit}"})
            messaging.message_from_owner(owner, record, f"More {edit}")

    client = _client(personas, "survivor")
    _assert_bounded(
        django_assert_max_num_queries, client, "record", f"/records/{record.pk}/", grow,
        shows=lambda page: "later edit 9" in page,
    )  # fmt: skip


def test_it_bounds_the_record_autosave(personas: Personas, django_assert_max_num_queries: Any) -> None:
    (record,) = _records(personas, 1)
    owner = survivor_owner(personas)

    def grow() -> None:
        for edit in range(10):
            writing.record_save(owner, record, {**STORY, "when": f"later edit {edit}"})

    client = _client(personas, "survivor")
    _assert_bounded(
        django_assert_max_num_queries, client, "autosave", f"/records/{record.pk}/draft/", grow,
        shows=lambda page: "saved" in page.lower(), post={"what": "typing on"},
    )  # fmt: skip
    contents = writing.record_contents(owner, Record.objects.get(pk=record.pk))
    assert contents.draft is not None
    assert contents.draft.parts["what"] == "typing on"


def test_it_bounds_the_advocates_inbox(personas: Personas, django_assert_max_num_queries: Any) -> None:
    _records(personas, 1, share=True)
    client = _client(personas, "advocate")
    _assert_bounded(
        django_assert_max_num_queries, client, "inbox", "/advocates/inbox/", lambda: _records(personas, 8, share=True),
        shows=lambda page: page.count("/advocates/shared/") >= 9,
    )  # fmt: skip


def test_it_bounds_a_shared_record_whatever_it_holds(personas: Personas, django_assert_max_num_queries: Any) -> None:
    (plain,) = _records(personas, 1, share=True)  # one version, no file
    owner = survivor_owner(personas)
    full = writing.record_create(owner)
    numbers = [writing.record_save(owner, full, {**STORY, "when": f"edit {edit}"}).number for edit in range(6)]  # type: ignore[union-attr]
    files = [writing.attachment_add(owner, full, name=f"notes-{n}.txt", data=b"a few notes").id for n in range(3)]
    shared = sharing.grant_create(
        owner, full, grantee=None, purpose="support", versions=numbers, parts=list(STORY), attachment_ids=files,
        expires_at=None,
    )  # fmt: skip
    client = _client(personas, "advocate")
    for grant, shows, bound in [
        (Grant.objects.get(record=plain), ["What happened, part 0"], BOUNDS["shared record"] - 1),
        (shared, ["edit 0", "edit 5", "notes-0.txt", "notes-2.txt"], BOUNDS["shared record"]),
    ]:
        with django_assert_max_num_queries(bound):
            response = client.get(f"/advocates/shared/{grant.pk}/")
        assert response.status_code == 200
        assert all(text in response.content.decode() for text in shows)


def test_it_bounds_the_case_page(personas: Personas, django_assert_max_num_queries: Any) -> None:
    crowd = people(personas)
    case = opened(crowd, "support")
    crowd.act("survivor", case, "measure_request", kind="room", text="A desk elsewhere.")

    def grow() -> None:
        for number in range(6):
            crowd.act("survivor", case, "measure_request", kind="room", text=f"A desk elsewhere, {number}.")
        opened(crowd, "support", summary="Another case, not this one.")

    client = _client(personas, "advocate")
    _assert_bounded(
        django_assert_max_num_queries, client, "case", f"/cases/{case.pk}/", grow,
        shows=lambda page: "A desk elsewhere, 5." in page,
    )  # fmt: skip


def test_it_bounds_a_decided_formal_case(personas: Personas, django_assert_max_num_queries: Any) -> None:
    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    Case.objects.filter(pk=case.pk).update(state="final")
    crowd.act("advocate", case, "sanction", kind="sanction", text="Suspended for three months.",
              owner=personas.admin, due=IN_A_MONTH)  # fmt: skip

    def grow() -> None:
        for number in range(4):
            crowd.act("advocate", case, "sanction", kind="sanction", text=f"Training, part {number}.",
                      owner=personas.advocate, due=IN_A_MONTH)  # fmt: skip

    client = _client(personas, "admin")
    _assert_bounded(
        django_assert_max_num_queries, client, "formal case", f"/cases/{case.pk}/", grow,
        shows=lambda page: page.count("Sanction") >= 5 and "propose a suspension" in page,
    )  # fmt: skip


def test_it_bounds_the_escrow_list(personas: Personas, django_assert_max_num_queries: Any) -> None:
    owner = survivor_owner(personas)
    name(owner, ("email", "first@example.org"))

    def grow() -> None:
        for number in range(6):
            name(owner, ("email", f"person{number}@example.org"))
        name(member_owner(personas, "another"), ("email", "person0@example.org"))

    client = _client(personas, "survivor")
    _assert_bounded(
        django_assert_max_num_queries, client, "escrow", "/escrow/", grow,
        shows=lambda page: page.count("/escrow/entries/") >= 7,
    )  # fmt: skip


def test_it_bounds_the_insights(personas: Personas, django_assert_max_num_queries: Any) -> None:
    registered(personas.organization, "verbal", "2025-H1", 12)
    past_cases(personas.organization, "support", "closed", 12)

    def grow() -> None:
        registered(personas.organization, "verbal", "2025-H1", 40)
        past_cases(personas.organization, "support", "closed", 40)
        past_cases(personas.organization, "formal", "closed", 40)

    client = _client(personas, "oversight")
    _assert_bounded(
        django_assert_max_num_queries, client, "insights", "/insights/", grow, shows=lambda page: "52" in page
    )
