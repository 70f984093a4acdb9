"""After retention deletes something, no trace of its content is left anywhere Chorus
stores things: not its words, not even its ciphertext (every table and the file folder)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from django.utils import timezone

from chorus.escrow.models import Entry
from chorus.escrow.services.entries import entry_withdraw
from chorus.insights.models import Story
from chorus.insights.services.stories import story_show, story_withdraw, story_write
from chorus.records import storage
from chorus.records.models import Attachment, Grant, Message, RecordDraft, RecordVersion
from chorus.records.services import anonymous, sharing, writing
from chorus.retention.services.clock import record_opened
from chorus.retention.services.policy import MONTH
from chorus.retention.services.sweep import retention_sweep
from chorus.web.tasks import tasks_run_due
from tests.escrow.factory import SAM, member_owner, name
from tests.leak import leaks
from tests.personas import Personas
from tests.records.factory import STORY, survivor_record

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[object]]


def test_a_dump_after_retention_holds_nothing_of_what_was_deleted(
    personas: Personas, django_capture_on_commit_callbacks: Capture
) -> None:
    built = survivor_record(personas)  # versions, a file, a grant, a message
    writing.draft_save(built.owner, built.record, {**STORY, "what": "Second thoughts about the coat racks"})
    record_opened(built.owner, built.record)
    _receipt, reporter = anonymous.receipt_issue(personas.organization, client_ip="192.0.2.8")
    report = writing.record_create(reporter)
    writing.record_save(reporter, report, {"what": "The night shift supervisor followed me to the car park"})
    naomi = member_owner(personas, "naomi")
    entry = name(naomi, ("email", SAM), statement="He did it at the summer party too")
    entry_withdraw(naomi, entry)
    story = story_write(built.owner, text="The coat racks are where it always happens.")
    story_show(built.owner, story.pk)
    story_withdraw(built.owner, story.pk)

    ciphertexts: list[bytes] = [
        *(bytes(value) for value in RecordVersion.objects.values_list("ciphertext", flat=True)),
        *(bytes(value) for value in RecordDraft.objects.values_list("ciphertext", flat=True)),
        *(bytes(value) for value in Message.objects.values_list("body_sealed", flat=True)),
        *(bytes(value) for value in Grant.objects.values_list("content", flat=True) if value),
        *(bytes(value) for value in Attachment.objects.values_list("meta_sealed", flat=True)),
        storage.read(built.attachment_id),
        bytes(Entry.objects.get(pk=entry.pk).for_owner),
        bytes(Story.objects.get(pk=story.pk).text_sealed),
    ]
    words: list[str | bytes] = [
        *STORY.values(),
        "Second thoughts about the coat racks",
        "The night shift supervisor followed me to the car park",
        "He did it at the summer party too",
        "The coat racks are where it always happens.",
        SAM,
    ]
    assert len(leaks(list(ciphertexts))) == len(ciphertexts)  # they were there
    sharing.grant_revoke(built.owner, built.record, built.grant.pk)  # a shared record is kept while shared

    warned = timezone.now() + 24 * MONTH
    with django_capture_on_commit_callbacks(execute=True):
        first = retention_sweep(now=warned)  # the report, the entry's remains, the story; a reminder
        tasks_run_due(now=warned)  # the reminder is sent to every member
        then = retention_sweep(now=warned + timedelta(days=31))  # the member's record, once warned
    assert (first.records, first.entries, first.stories, first.broadcasts) == (1, 1, 1, 1)
    assert (then.records, then.drafts) == (1, 0)  # its draft went with it
    assert leaks([*words, *ciphertexts]) == []
