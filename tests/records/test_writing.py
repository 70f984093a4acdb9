"""Writing a record: versions keep their time, drafts are kept, nothing is stored in the clear."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from PIL import Image

from chorus.accounts.models import Member
from chorus.ledger.models import LedgerEvent
from chorus.records.access import record_owned
from chorus.records.models import Conversation, Record, RecordDraft, RecordVersion
from chorus.records.services import writing
from chorus.records.services.writing import RecordError
from chorus.records.witnessed_models import WitnessAccount
from tests.personas import Personas
from tests.records import samples
from tests.records.factory import STORY, survivor_owner, survivor_record

pytestmark = pytest.mark.django_db


def test_each_save_is_a_new_version_with_its_time_and_unchanged_text_is_not(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    first = writing.record_save(owner, record, {"what": "First words."})
    second = writing.record_save(owner, record, {"what": "First words, and more."})
    assert writing.record_save(owner, record, {"what": "First words, and more."}) is None
    contents = writing.record_contents(owner, record)
    assert [v.number for v in contents.versions] == [1, 2]
    assert contents.versions[0].parts == {"what": "First words."}
    assert first is not None and second is not None and first.saved_at <= second.saved_at
    actions = list(LedgerEvent.objects.filter(refs__record=str(record.pk)).values_list("action", "actor"))
    assert actions == [
        ("record.created", "owner"),
        ("record.version_saved", "owner"),
        ("record.version_saved", "owner"),
    ]


def test_unknown_and_empty_parts_are_not_kept(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    writing.record_save(owner, record, {"what": "  kept  ", "where": "   ", "password": "not a part"})
    assert writing.record_contents(owner, record).latest == {"what": "kept"}


def test_a_draft_is_offered_until_the_next_save(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    writing.record_save(owner, record, {"what": "saved"})
    writing.draft_save(owner, record, {"what": "saved, and typing"})
    assert writing.record_contents(owner, record).working == {"what": "saved, and typing"}
    writing.record_save(owner, record, {"what": "saved, and typing"})
    assert not RecordDraft.objects.filter(record=record).exists()


def test_another_vault_key_neither_lists_nor_opens_the_record(personas: Personas) -> None:
    built = survivor_record(personas)
    other = survivor_owner(personas, "advocate")
    assert writing.records_of(other) == []
    with pytest.raises(Exception, match="key or context"):
        writing.record_key(other, built.record)


def test_the_list_of_records_reads_what_each_record_holds(personas: Personas) -> None:
    """``records_of`` is one query written by hand: each figure it gives is checked here
    against the ORM's own reading of the rows, on both databases."""
    owner = survivor_owner(personas)
    busy = writing.record_create(owner)
    writing.record_save(owner, busy, {"title": "The first one", "what": "words"})
    writing.record_save(owner, busy, {"title": "The first one, renamed", "what": "more words"})
    writing.draft_save(owner, busy, {"title": "Typing a new name", "what": "more words"})
    writing.attachment_add(owner, busy, name="notes.txt", data=b"a few notes")
    Conversation.objects.create(record=busy, key_for_owner=b"k", key_for_team=b"t", unread_by_owner=True)
    saved = writing.record_create(owner)
    writing.record_save(owner, saved, {"title": "Saved once", "what": "words"})
    Conversation.objects.create(record=saved, key_for_owner=b"k", key_for_team=b"t", unread_by_team=True)
    empty = writing.record_create(owner)
    seen = writing.record_create(owner)
    WitnessAccount.objects.create(record=seen)
    writing.record_create(survivor_owner(personas, "advocate"))  # someone else's: never listed

    summaries = writing.records_of(owner)
    expected = Record.objects.filter(owner_tag=owner.tag).order_by("-created_at", "id")
    assert [summary.record for summary in summaries] == list(expected)
    assert {summary.record.pk for summary in summaries} == {busy.pk, saved.pk, empty.pk, seen.pk}
    for summary in summaries:
        record = Record.objects.get(pk=summary.record.pk)
        stored = {field.attname: getattr(record, field.attname) for field in Record._meta.concrete_fields}
        read = {field.attname: getattr(summary.record, field.attname) for field in Record._meta.concrete_fields}
        assert {name: bytes(v) if isinstance(v, memoryview) else v for name, v in read.items()} == {
            name: bytes(v) if isinstance(v, memoryview) else v for name, v in stored.items()
        }
        assert summary.title == writing.record_contents(owner, record).working.get("title", "")
        assert summary.versions == record.versions.count()
        assert summary.attachments == record.attachments.count()
        assert summary.has_draft == RecordDraft.objects.filter(record=record).exists()
        assert summary.unread == Conversation.objects.filter(record=record, unread_by_owner=True).exists()
        assert summary.witnessed == WitnessAccount.objects.filter(record=record).exists()
    for summary in summaries:  # each value of the type the ORM reads (SQLite's 0 is not False)
        assert [type(getattr(summary.record, f.attname)) for f in Record._meta.concrete_fields] == [
            type(getattr(Record.objects.get(pk=summary.record.pk), f.attname)) for f in Record._meta.concrete_fields
        ]
    by_id = {summary.record.pk: summary for summary in summaries}
    assert (by_id[busy.pk].title, by_id[busy.pk].versions, by_id[busy.pk].has_draft) == ("Typing a new name", 2, True)
    assert (by_id[busy.pk].attachments, by_id[busy.pk].unread) == (1, True)
    assert (by_id[saved.pk].title, by_id[saved.pk].versions, by_id[saved.pk].unread) == ("Saved once", 1, False)
    assert (by_id[empty.pk].title, by_id[empty.pk].versions, by_id[empty.pk].witnessed) == ("", 0, False)
    assert by_id[seen.pk].witnessed


def test_a_record_under_the_same_owner_tag_in_another_organization_is_not_theirs(personas: Personas) -> None:
    owner = survivor_owner(personas)
    mine = writing.record_create(owner)
    elsewhere = writing.record_create(owner)
    Record.objects.filter(pk=elsewhere.pk).update(organization=personas.other_organization)
    assert [summary.record.pk for summary in writing.records_of(owner)] == [mine.pk]
    assert record_owned(owner, mine.pk) == mine
    assert record_owned(owner, elsewhere.pk) is None
    assert record_owned(survivor_owner(personas, "advocate"), mine.pk) is None


def test_the_stored_rows_hold_no_plaintext_and_no_owner(personas: Personas) -> None:
    built = survivor_record(personas)
    raw = b"".join(bytes(v) for v in RecordVersion.objects.values_list("ciphertext", flat=True))
    for text in STORY.values():
        assert text.encode() not in raw
    record = Record.objects.get(pk=built.record.pk)
    assert str(personas.survivor.pk).encode() not in bytes(record.owner_tag)
    assert Member not in {field.related_model for field in Record._meta.get_fields() if field.concrete}


def test_registering_counts_only_a_category_and_a_coarse_period(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    writing.record_register(owner, record, category="verbal", period="2026-H1")
    assert Record.objects.filter(pk=record.pk, registered_category="verbal", registered_period="2026-H1").exists()
    with pytest.raises(RecordError, match="kinds of experience"):
        writing.record_register(owner, record, category="gossip", period="2026")
    with pytest.raises(RecordError, match="year"):
        writing.record_register(owner, record, category="verbal", period="2026-03-14")
    writing.record_register(owner, record, category="", period="")
    assert Record.objects.filter(pk=record.pk, registered_category="").exists()


def test_destroying_deletes_every_ciphertext_and_file_and_the_ledger_keeps_the_fact(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    built = survivor_record(personas)
    stored = settings.CHORUS_ATTACHMENTS_DIR / f"{built.attachment_id.hex}.sealed"
    assert stored.exists()
    record_id = built.record.pk
    with django_capture_on_commit_callbacks(execute=True):
        writing.record_destroy(built.owner, built.record)
    assert not stored.exists()
    for table in ("records_record", "records_recordversion", "records_attachment", "records_grant", "records_message"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed table names
            assert cursor.fetchone() == (0,), table
    assert LedgerEvent.objects.filter(refs__record=str(record_id), action="record.destroyed").count() == 1


def test_attachments_are_scrubbed_then_encrypted(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    photo = samples.jpeg_with_gps()
    info = writing.attachment_add(owner, record, name="../../etc/IMG_2041.JPG", data=photo)
    assert info.name == "IMG_2041.jpg"
    assert any("GPS" in removed for removed in info.removed)
    _meta, data = writing.attachment_open(owner, record, info.id)
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif()
    stored = (settings.CHORUS_ATTACHMENTS_DIR / f"{info.id.hex}.sealed").read_bytes()
    assert data not in stored and b"PhoneMaker" not in stored


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MZ\x90\x00" + bytes(200), "none of these"),
        (samples.pdf_with_metadata(script=True), "scripts"),
        (samples.jpeg_with_gps()[:300], "damaged"),
        (b"%PDF-1.7\n%garbage", "damaged"),
        (b"", "empty"),
    ],
    ids=["executable", "pdf-with-script", "truncated-photo", "corrupt-pdf", "empty"],
)
def test_bad_files_are_refused_with_the_reason(personas: Personas, data: bytes, message: str) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    with pytest.raises(RecordError, match=message):
        writing.attachment_add(owner, record, name="evidence.jpg", data=data)
    assert not record.attachments.exists()


def test_an_image_bomb_is_refused_before_it_is_decoded(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    with pytest.raises(RecordError, match="million"):
        writing.attachment_add(owner, record, name="huge.png", data=samples.png((10_000, 5_000)))


def test_a_file_over_the_size_limit_is_refused_and_says_the_text_was_kept(personas: Personas, settings: Any) -> None:
    settings.CHORUS_ATTACHMENT_MAX_BYTES = 1000
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    with pytest.raises(RecordError, match="larger than"):
        writing.attachment_add(owner, record, name="big.pdf", data=samples.pdf_with_metadata() + bytes(2000))
