"""Asking someone you trust to step in: exactly the chosen scope, an answer, notes sealed to
the two of them, reports back, and stopping that takes everything back from the ally."""

from __future__ import annotations

import pytest
from django.http import Http404

from chorus.accounts.models import Member
from chorus.crypto.errors import CryptoError
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import ledger_verify
from chorus.notices.models import Kind, NoticePreference, PendingNotice
from chorus.notices.services import notices_scan, recipient_tag
from chorus.records import keys
from chorus.records.access import grant_for_reader, grants_visible_to
from chorus.records.models import AllyNote, AllyRequest, Grant
from chorus.records.services import allies, messaging, sharing, writing
from chorus.records.services.allies import AllyGone
from chorus.records.services.team import AccessRefused
from chorus.records.services.writing import RecordError
from chorus.web.workspace import workspace_for
from tests.personas import Personas
from tests.records.ally_factory import ALLY, ALLY_WORDS, ally_reader, asked
from tests.records.factory import STORY, advocate_reader, survivor_owner

pytestmark = pytest.mark.django_db


def test_the_ally_reads_exactly_the_parts_she_chose_once_they_accept(personas: Personas) -> None:
    request = asked(personas).request
    reader = ally_reader(personas)
    view = allies.ally_view_for_ally(reader, request)
    assert view.ask == "Talk to the person about their behaviour" and view.words == ALLY_WORDS
    with pytest.raises(AllyGone):
        allies.ally_shared(reader, request)  # not before they say yes
    allies.ally_answer(reader, request, accept=True)
    shared = allies.ally_shared(reader, request)
    assert [version.parts for version in shared.versions] == [{"what": STORY["what"], "when": STORY["when"]}]
    assert [file.name for file in shared.attachments] == ["coats.jpg"]
    history = sharing.access_history(survivor_owner(personas), request.grant.record)
    assert ("Facilitator", "read what you shared") in [(access.who, access.what) for access in history]


def test_nobody_else_can_open_what_she_gave_the_ally(personas: Personas) -> None:
    request = asked(personas, accept=True).request
    for persona in ("advocate", "admin", "respondent"):
        with pytest.raises(AccessRefused):
            sharing.grant_open(ally_reader(personas, persona), request.grant)
        with pytest.raises(AccessRefused):
            allies.ally_view_for_ally(ally_reader(personas, persona), request)


def test_declining_tells_only_her_and_takes_back_what_she_gave(personas: Personas) -> None:
    made = asked(personas)
    allies.ally_answer(made.ally, made.request, accept=False)
    grant = Grant.objects.get(pk=made.request.grant_id)
    assert grant.key_sealed is None and grant.content is None and grant.revoked_at is not None
    stored = AllyRequest.objects.get(pk=made.request.pk)
    assert stored.state == "declined" and stored.key_for_ally is None and stored.answered_at is not None
    assert allies.ally_view_for_owner(made.built.owner, stored).request.state == "declined"
    with pytest.raises(AllyGone):
        allies.ally_view_for_ally(made.ally, stored)
    with pytest.raises(RecordError):
        allies.ally_answer(made.ally, stored, accept=True)


def test_notes_are_sealed_to_both_and_she_reads_the_reports(personas: Personas) -> None:
    made = asked(personas, accept=True)
    allies.ally_write(made.ally, made.request, body="Spoke to his manager friend first.", report=False)
    allies.ally_write(made.ally, made.request, body="I talked to him on Tuesday. He listened.", report=True)
    stored = [bytes(note.body_sealed) for note in AllyNote.objects.filter(request=made.request)]
    assert len(stored) == 2 and not any(b"Tuesday" in blob or b"manager" in blob for blob in stored)
    mine = allies.ally_view_for_owner(made.built.owner, made.request)
    assert mine.note_count == 1
    assert [report.body for report in mine.reports] == ["I talked to him on Tuesday. He listened."]
    theirs = allies.ally_view_for_ally(made.ally, made.request)
    assert [note.body for note in theirs.notes] == [
        "Spoke to his manager friend first.",
        "I talked to him on Tuesday. He listened.",
    ]
    # The ally key opens with either person's private key, and no one else's.
    request = AllyRequest.objects.get(pk=made.request.pk)
    assert request.key_for_ally is not None
    for persona, blob in (("survivor", request.key_for_owner), (ALLY, request.key_for_ally)):
        private = keys.member_private_key(personas.members[persona], personas.vault_keys[persona])
        assert keys.open_from(private, blob)
    with pytest.raises(CryptoError):
        keys.open_from(
            keys.member_private_key(personas.advocate, personas.vault_keys["advocate"]), request.key_for_ally
        )


def test_stopping_removes_every_access_of_the_ally(personas: Personas) -> None:
    made = asked(personas, accept=True)
    allies.ally_write(made.ally, made.request, body="A report.", report=True)
    assert allies.ally_stop(made.built.owner, made.built.record, made.request)
    request = AllyRequest.objects.get(pk=made.request.pk)
    grant = Grant.objects.get(pk=request.grant_id)
    assert grant.key_sealed is None and grant.content is None and grant.revoked_at is not None
    assert request.state == "stopped" and request.key_for_ally is None and request.stopped_at is not None
    for attempt in (
        lambda: allies.ally_shared(made.ally, request),
        lambda: allies.ally_view_for_ally(made.ally, request),
        lambda: allies.ally_write(made.ally, request, body="more", report=False),
        lambda: allies.ally_file(made.ally, request, made.built.attachment_id),
    ):
        with pytest.raises(AllyGone):
            attempt()
    # She keeps the reports, to bring into a case.
    assert [r.body for r in allies.ally_view_for_owner(made.built.owner, request).reports] == ["A report."]
    assert not allies.ally_stop(made.built.owner, made.built.record, request)  # already stopped


def test_every_step_is_ledgered_without_content(personas: Personas) -> None:
    made = asked(personas, accept=True)
    allies.ally_write(made.ally, made.request, body="Note text", report=False)
    allies.ally_write(made.ally, made.request, body="Report text", report=True)
    allies.ally_stop(made.built.owner, made.built.record, made.request)
    events = list(LedgerEvent.objects.filter(action__startswith="ally.").order_by("seq"))
    assert [event.action for event in events] == [
        "ally.asked",
        "ally.accepted",
        "ally.noted",
        "ally.reported",
        "ally.stopped",
    ]
    assert all("text" not in str(event.refs).lower() for event in events)
    assert ledger_verify(chain=f"org:{personas.organization.pk}").problem is None


def test_she_may_ask_only_an_active_member_of_her_organization(personas: Personas) -> None:
    made = asked(personas)
    owner, record = made.built.owner, made.built.record
    for ally in (personas.other_org, personas.survivor):
        with pytest.raises(RecordError):
            allies.ally_ask(
                owner, record, ally=ally, ask="talk", words="", versions=[1], parts=["what"], attachment_ids=[]
            )
    with pytest.raises(RecordError):
        allies.ally_ask(
            owner, record, ally=personas.panel, ask="other", words=" ", versions=[1], parts=["what"], attachment_ids=[]
        )
    with pytest.raises(RecordError):
        allies.ally_ask(
            owner, record, ally=personas.panel, ask="talk", words="", versions=[1], parts=[], attachment_ids=[]
        )
    Member.objects.filter(pk=personas.panel.pk).update(is_active=False)
    with pytest.raises(RecordError):
        allies.ally_ask(
            owner, record, ally=personas.panel, ask="talk", words="", versions=[1], parts=["what"], attachment_ids=[]
        )


def test_nothing_of_it_reaches_the_advocates_even_an_advocate_asked(personas: Personas) -> None:
    made = asked(personas, persona="advocate", accept=True)
    assert made.request.grant_id not in set(grants_visible_to(personas.advocate).values_list("pk", flat=True))
    with pytest.raises(Http404):
        grant_for_reader(advocate_reader(personas), made.request.grant_id)
    space = workspace_for(personas.advocate, personas.vault_keys["advocate"])
    urls = [item.url for item in space.queue]
    assert f"/advocates/shared/{made.request.grant_id}/" not in urls
    assert f"/stepping-in/{made.request.pk}/" not in urls  # accepted: nothing waits for them


def test_the_ally_is_told_something_waits_and_she_hears_of_their_answer(personas: Personas) -> None:
    NoticePreference.objects.create(member=personas.facilitator, kinds=[Kind.STEP])
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    writing.record_save(owner, record, {"what": STORY["what"]})
    messaging.notices_set(owner, record, enabled=True)  # she chose email notices on her record
    request = allies.ally_ask(
        owner,
        record,
        ally=personas.facilitator,
        ask="check_in",
        words="",
        versions=[1],
        parts=["what"],
        attachment_ids=[],
    )
    notices_scan()
    assert PendingNotice.objects.filter(recipient=recipient_tag(personas.facilitator.pk), kind=Kind.STEP).exists()
    assert not PendingNotice.objects.filter(recipient=recipient_tag(personas.survivor.pk)).exists()
    reader = ally_reader(personas)
    allies.ally_answer(reader, request, accept=True)
    allies.ally_write(reader, request, body="Checked in.", report=True)
    notices_scan()
    assert PendingNotice.objects.filter(recipient=recipient_tag(personas.survivor.pk), kind=Kind.REPLY).exists()
    allies.ally_stop(owner, record, request)
    notices_scan()
    # No advocate is told of any of it (advocates get share notices by default).
    assert not PendingNotice.objects.filter(recipient=recipient_tag(personas.advocate.pk)).exists()
