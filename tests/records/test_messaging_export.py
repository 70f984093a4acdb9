"""Messages with the advocate team, email notices that say nothing, and the survivor's export."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pypdf
import pytest
from django.core import mail
from django.utils import timezone
from PIL import Image

from chorus.notices.services import BATCH, notices_flush, notices_scan
from chorus.records.models import Message
from chorus.records.services import export, messaging
from chorus.records.services.writing import RecordError
from chorus.web.tasks import tasks_run_due
from tests.personas import Personas
from tests.records.factory import STORY, advocate_reader, survivor_record

pytestmark = pytest.mark.django_db


def test_a_two_way_conversation_is_encrypted_and_the_notice_says_nothing(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    built = survivor_record(personas)
    messaging.notices_set(built.owner, built.record, enabled=True)
    reader = advocate_reader(personas)
    conversation = built.record.conversation
    with django_capture_on_commit_callbacks(execute=True):
        messaging.message_from_team(reader, conversation, "We are here. Would a call on Tuesday help?")
    thread = messaging.messages_for_owner(built.owner, built.record)
    assert [(m.author, m.body) for m in thread] == [
        ("You", "Could someone help me think about what to do?"),
        ("Advocate (advocate)", "We are here. Would a call on Tuesday help?"),
    ]
    assert next(m.author for m in messaging.messages_for_team(reader, conversation)) == "The survivor"
    raw = b"".join(bytes(body) for body in Message.objects.values_list("body_sealed", flat=True))
    assert b"Tuesday" not in raw
    notices_scan()  # the notice is batched (chorus.notices): one email an hour after the first
    notices_flush(now=timezone.now() + BATCH)
    tasks_run_due()
    to_her = [message for message in mail.outbox if message.to == [personas.survivor.email]]
    assert len(to_her) == 1  # (the advocates are told of her share and message too)
    notice = to_her[0]
    assert "Tuesday" not in notice.body and "Something is waiting for you" in notice.body


def test_no_notice_without_opting_in_and_empty_messages_are_refused(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    built = survivor_record(personas)
    with django_capture_on_commit_callbacks(execute=True):
        messaging.message_from_team(advocate_reader(personas), built.record.conversation, "Hello")
    notices_scan()
    notices_flush(now=timezone.now() + BATCH)
    tasks_run_due()
    assert [message for message in mail.outbox if personas.survivor.email in message.to] == []
    with pytest.raises(RecordError, match="empty"):
        messaging.message_from_owner(built.owner, built.record, "   ")


def test_the_zip_export_has_every_version_with_its_time_and_the_clean_files(personas: Personas) -> None:
    built = survivor_record(personas)
    with zipfile.ZipFile(io.BytesIO(export.export_zip(built.owner, built.record))) as archive:
        names = archive.namelist()
        assert "versions/version-001.txt" in names and "attachments/coats.jpg" in names
        summary = json.loads(archive.read("record.json"))
        assert summary["versions"][0]["parts"] == STORY
        assert summary["versions"][0]["saved_at"]
        with Image.open(io.BytesIO(archive.read("attachments/coats.jpg"))) as photo:
            assert not photo.getexif()


def test_the_pdf_export_reads_as_the_record(personas: Personas) -> None:
    built = survivor_record(personas)
    document = pypdf.PdfReader(io.BytesIO(export.export_pdf(built.owner, built.record)))
    text = " ".join(page.extract_text() for page in document.pages)
    assert "Version 1" in text and "saved" in text
    assert "He cornered me by the coat racks" in " ".join(text.split())
    assert "coats.jpg" in document.attachments
