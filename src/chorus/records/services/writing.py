"""Writing a record: create, save versions and drafts, attach files, register, destroy.

Every function takes the ``Owner`` (organization + open vault key). Plaintext exists
only in the arguments and return values; what is stored is ciphertext under the
record key, and every change writes one ledger event (actor "owner": the ledger never
names who owns a record).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.ledger.services import ledger_append
from chorus.records import keys, scrub, storage
from chorus.records.access import Owner
from chorus.records.fields import clean_parts
from chorus.records.models import (
    Attachment,
    Category,
    Conversation,
    DestroyedRecord,
    Record,
    RecordDraft,
    RecordVersion,
)
from chorus.records.witnessed_models import WitnessAccount
from chorus.web.rows import Columns, read

OWNER_ACTOR = "owner"
PERIOD = re.compile(r"(19|20)\d\d(-H[12])?")


class RecordError(Exception):
    """Refused; the message is for the survivor."""


@dataclass(frozen=True)
class Version:
    number: int
    saved_at: datetime
    parts: dict[str, str]


@dataclass(frozen=True)
class AttachmentInfo:
    id: UUID
    added_at: datetime
    name: str
    kind: str
    mime: str
    size: int
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RecordContents:
    record: Record
    versions: list[Version]
    draft: Version | None
    attachments: list[AttachmentInfo]

    @property
    def latest(self) -> dict[str, str]:
        return self.versions[-1].parts if self.versions else {}

    @property
    def working(self) -> dict[str, str]:
        """What the form should show: the draft if it is newer than the last version."""
        return self.draft.parts if self.draft else self.latest

    @property
    def title(self) -> str:
        return self.working.get("title", "")


def _log(owner: Owner, action: str, record: Record | UUID, **refs: Any) -> None:
    record_id = record.pk if isinstance(record, Record) else record
    ledger_append(
        organization_id=owner.organization.pk,
        actor=OWNER_ACTOR,
        action=action,
        refs={"record": str(record_id), **{key: str(value) for key, value in refs.items()}},
    )


def record_key(owner: Owner, record: Record) -> bytes:
    return keys.unwrap(owner.vault_key, record.key_for_owner, "record-key", record.pk)


def record_create(owner: Owner, *, record_id: UUID | None = None) -> Record:
    record = Record(organization=owner.organization, owner_tag=owner.tag, anonymous=owner.anonymous)
    if record_id is not None:
        record.pk = record_id
    record.key_for_owner = keys.wrap(owner.vault_key, keys.new_key(), "record-key", record.pk)
    with transaction.atomic():
        record.save(force_insert=True)
        _log(owner, "record.created", record)
    return record


def record_begin(owner: Owner, record_id: UUID) -> Record:
    """The record a new-record page writes into, created by whichever of its requests
    (the first kept draft, or "Save") comes first: the page holds the id from the start,
    so a draft and a save racing each other make one record, never two."""
    if DestroyedRecord.objects.filter(pk=record_id).exists():
        raise RecordError(_("This page can no longer save. Please open “Write a new record” again."))
    for _attempt in range(2):
        existing = Record.objects.filter(pk=record_id).first()
        if existing is not None:
            if existing.organization_id != owner.organization.pk or bytes(existing.owner_tag) != owner.tag:
                raise RecordError(_("This page can no longer save. Please open “Write a new record” again."))
            return existing
        try:
            return record_create(owner, record_id=record_id)
        except IntegrityError:  # the page's other request created it a moment ago
            continue
    raise RecordError(_("This page can no longer save. Please open “Write a new record” again."))


def has_content(values: Mapping[str, object]) -> bool:
    return bool(clean_parts(values))


@dataclass(frozen=True)
class RecordSummary:
    record: Record
    title: str
    versions: int
    has_draft: bool
    attachments: int
    unread: bool
    witnessed: bool  # an account of what they saw happen to someone else


def _table(model: type[Any]) -> str:
    return f'"{model._meta.db_table}"'


_RECORD = Columns(Record, "r")
_DRAFT = Columns(RecordDraft, "d")
_NEWEST = f'FROM {_table(RecordVersion)} "v" WHERE "v"."record_id" = "r"."id" ORDER BY "v"."number" DESC LIMIT 1'
# The owner's records, newest first, each with its draft, its counts, whether a message waits
# and its newest version: subqueries, not joins multiplied together or a query per record.
_RECORDS_OF = (
    f"SELECT {_RECORD.sql}, {_DRAFT.sql}, "  # noqa: S608  (table names from the models)
    f'(SELECT COUNT(*) FROM {_table(RecordVersion)} "v" WHERE "v"."record_id" = "r"."id"), '
    f'(SELECT COUNT(*) FROM {_table(Attachment)} "a" WHERE "a"."record_id" = "r"."id"), '
    f'EXISTS (SELECT 1 FROM {_table(Conversation)} "c" WHERE "c"."record_id" = "r"."id" AND "c"."unread_by_owner"), '
    f'EXISTS (SELECT 1 FROM {_table(WitnessAccount)} "w" WHERE "w"."record_id" = "r"."id"), '
    f'(SELECT "v"."number" {_NEWEST}), (SELECT "v"."ciphertext" {_NEWEST}) '
    f'FROM {_RECORD.table} LEFT JOIN {_DRAFT.table} ON "d"."record_id" = "r"."id" '
    'WHERE "r"."organization_id" = %(organization)s AND "r"."owner_tag" = %(owner_tag)s '
    'ORDER BY "r"."created_at" DESC, "r"."id"'
)


def records_of(owner: Owner) -> list[RecordSummary]:
    """The owner's records for a list: only the newest text is opened, for its title. One
    query however many records and versions there are, written once (``web.rows``): the
    list, the escrow form and the case form all start here."""
    params = {
        "organization": _RECORD.param("organization", owner.organization.pk),
        "owner_tag": _RECORD.param("owner_tag", owner.tag),
    }
    summaries = []
    for row in read(_RECORDS_OF, params, _RECORD, _DRAFT):
        record, draft, versions, attachments, unread, witnessed, newest_number, newest_ciphertext = row
        key = record_key(owner, record)
        if draft is not None:
            parts = keys.open_json(key, bytes(draft.ciphertext), "record-draft", record.pk)
        elif newest_number is not None:
            parts = keys.open_json(key, bytes(newest_ciphertext), "record-version", f"{record.pk}:{newest_number}")
        else:
            parts = {}
        summaries.append(
            RecordSummary(
                record=record,
                title=parts.get("title", ""),
                versions=versions,
                has_draft=draft is not None,
                attachments=attachments,
                unread=bool(unread),
                witnessed=bool(witnessed),
            )
        )
    return summaries


def _open_version(key: bytes, version: RecordVersion) -> Version:
    parts = keys.open_json(key, version.ciphertext, "record-version", f"{version.record_id}:{version.number}")
    return Version(number=version.number, saved_at=version.saved_at, parts=parts)


def unwrap_file_key(key: bytes, attachment: Attachment) -> bytes:
    """An attachment's file key, from the record key."""
    return keys.unwrap(key, attachment.key_wrapped, "attachment-key", attachment.pk)


def attachment_info(key: bytes, attachment: Attachment) -> AttachmentInfo:
    """Name, type and size of an attachment, from its file key."""
    meta = keys.open_json(key, attachment.meta_sealed, "attachment-meta", attachment.pk)
    return AttachmentInfo(id=attachment.pk, added_at=attachment.added_at, **meta)


def open_versions(owner: Owner, record: Record, numbers: Collection[int]) -> list[Version]:
    """Only the versions asked for, oldest first."""
    key = record_key(owner, record)
    return [_open_version(key, version) for version in record.versions.filter(number__in=numbers)]


def record_contents(owner: Owner, record: Record) -> RecordContents:
    key = record_key(owner, record)
    versions = [_open_version(key, version) for version in record.versions.all()]
    draft_row = RecordDraft.objects.filter(record=record).first()
    draft = None
    if draft_row is not None:
        parts = keys.open_json(key, draft_row.ciphertext, "record-draft", record.pk)
        draft = Version(number=0, saved_at=draft_row.saved_at, parts=parts)
    attachments = [
        attachment_info(unwrap_file_key(key, attachment), attachment) for attachment in record.attachments.all()
    ]
    return RecordContents(record=record, versions=versions, draft=draft, attachments=attachments)


# The three statements of a save, written once in SQL: a save is the hottest write a survivor
# makes, and building them through the ORM cost more than running them (``make bench``
# records). The table names are the models' (checked in tests/records/test_writing_sql.py);
# every value is a parameter. Double quotes name columns on SQLite and PostgreSQL alike.
_LAST_VERSION = (
    'SELECT "number", "ciphertext" FROM "records_recordversion" WHERE "record_id" = %s ORDER BY "number" DESC LIMIT 1'
)
_VERSION_INSERT = (
    'INSERT INTO "records_recordversion" ("record_id", "number", "saved_at", "ciphertext") VALUES (%s, %s, %s, %s)'
)
_DRAFT_DELETE = 'DELETE FROM "records_recorddraft" WHERE "record_id" = %s'
# And the two of every autosave: the lock a save takes on its record, and the draft's update.
_RECORD_LOCK = 'SELECT "id" FROM "records_record" WHERE "id" = %s FOR UPDATE'
_DRAFT_UPDATE = 'UPDATE "records_recorddraft" SET "saved_at" = %s, "ciphertext" = %s WHERE "record_id" = %s'


def record_save(owner: Owner, record: Record, values: Mapping[str, object]) -> Version | None:
    """Save the parts as a new version; None when nothing changed since the last one."""
    parts = clean_parts(values)
    key = record_key(owner, record)
    record_id = Record._meta.pk.get_db_prep_value(record.pk, connection)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.features.has_select_for_update:
            # Two saves of one record take their numbers one after the other. (SQLite has no
            # row locks: its transactions take the database's write lock when they begin.)
            cursor.execute(_RECORD_LOCK, [record_id])
        cursor.execute(_LAST_VERSION, [record_id])
        last = cursor.fetchone()
        if last is not None:
            number, ciphertext = last
            context = f"{record.pk}:{number}"
            if keys.open_json(key, bytes(ciphertext), "record-version", context) == parts:
                cursor.execute(_DRAFT_DELETE, [record_id])
                return None
        elif not parts:
            return None
        number = (last[0] if last else 0) + 1
        saved_at = timezone.now()
        sealed = keys.seal_json(key, parts, "record-version", f"{record.pk}:{number}")
        cursor.execute(
            _VERSION_INSERT, [record_id, number, connection.ops.adapt_datetimefield_value(saved_at), sealed]
        )
        cursor.execute(_DRAFT_DELETE, [record_id])
        _log(owner, "record.version_saved", record, version=number)
    return Version(number=number, saved_at=saved_at, parts=parts)


def draft_save(owner: Owner, record: Record, values: Mapping[str, object]) -> datetime:
    """Keep what is being typed, replacing the previous draft (not ledgered: no decision).
    One UPDATE while typing goes on; the first keystrokes after a save insert the row."""
    key = record_key(owner, record)
    now = timezone.now()
    sealed = keys.seal_json(key, clean_parts(values), "record-draft", record.pk)
    fields = {"saved_at": now, "ciphertext": sealed}
    record_id = Record._meta.pk.get_db_prep_value(record.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(_DRAFT_UPDATE, [connection.ops.adapt_datetimefield_value(now), sealed, record_id])
        if cursor.rowcount:
            return now
    try:
        with transaction.atomic():
            RecordDraft.objects.create(record=record, **fields)
    except IntegrityError:  # another request of the same page inserted it a moment ago
        RecordDraft.objects.filter(record=record).update(**fields)
    return now


def attachment_add(owner: Owner, record: Record, *, name: str, data: bytes) -> AttachmentInfo:
    """Check, clean and encrypt a file; raises ``RecordError`` saying why one is refused."""
    if len(data) > settings.CHORUS_ATTACHMENT_MAX_BYTES:
        raise RecordError(too_large_message())
    try:
        cleaned = scrub.clean(data)
    except scrub.AttachmentRefused as refused:
        raise RecordError(str(refused)) from refused
    key = record_key(owner, record)
    attachment = Attachment(record=record)
    file_key = keys.new_key()
    meta: dict[str, Any] = {
        "name": _safe_name(name, cleaned.extension),
        "kind": cleaned.kind,
        "mime": cleaned.mime,
        "size": len(cleaned.data),
        "removed": cleaned.removed,
    }
    attachment.key_wrapped = keys.wrap(key, file_key, "attachment-key", attachment.pk)
    attachment.meta_sealed = keys.seal_json(file_key, meta, "attachment-meta", attachment.pk)
    storage.write(attachment.pk, keys.seal_bytes(file_key, cleaned.data, "attachment", attachment.pk))
    with transaction.atomic():
        attachment.save()
        _log(owner, "record.attachment_added", record, attachment=attachment.pk)
    return AttachmentInfo(id=attachment.pk, added_at=attachment.added_at, **meta)


def too_large_message() -> str:
    limit = settings.CHORUS_ATTACHMENT_MAX_BYTES // (1024 * 1024)
    return _("This file is larger than %(limit)d MB, the most Chorus accepts. Your text was kept.") % {"limit": limit}


def _safe_name(name: str, extension: str) -> str:
    """The name the survivor gave, without any path, with the extension its content has."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '<>:"|?*')[:100] or "attachment"
    return f"{stem}.{extension}"


def attachment_open(owner: Owner, record: Record, attachment_id: UUID) -> tuple[AttachmentInfo, bytes]:
    attachment = record.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise RecordError(_("This file is no longer in the record."))
    return file_open(unwrap_file_key(record_key(owner, record), attachment), attachment)


def attachment_describe(owner: Owner, record: Record, attachment_id: UUID) -> AttachmentInfo:
    """Name, type and size of one file, without decrypting its content."""
    attachment = record.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise RecordError(_("This file is no longer in the record."))
    return attachment_info(unwrap_file_key(record_key(owner, record), attachment), attachment)


def attachments_open(owner: Owner, record: Record) -> list[tuple[AttachmentInfo, bytes]]:
    """Every file of the record, decrypted (for the export)."""
    key = record_key(owner, record)
    return [file_open(unwrap_file_key(key, attachment), attachment) for attachment in record.attachments.all()]


def file_open(key: bytes, attachment: Attachment) -> tuple[AttachmentInfo, bytes]:
    data = keys.open_bytes(key, storage.read(attachment.pk), "attachment", attachment.pk)
    return attachment_info(key, attachment), data


def attachment_remove(owner: Owner, record: Record, attachment_id: UUID) -> None:
    attachment = record.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        return
    with transaction.atomic():
        attachment.delete()
        _log(owner, "record.attachment_removed", record, attachment=attachment_id)
        transaction.on_commit(lambda: storage.delete(attachment_id))


def record_register(owner: Owner, record: Record, *, category: str, period: str) -> None:
    """Count this experience in statistics by category and a coarse period, nothing more."""
    if category and category not in Category.values:
        raise RecordError(_("Please choose one of the listed kinds of experience."))
    if (category and not PERIOD.fullmatch(period)) or (not category and period):
        raise RecordError(_("Please choose a year, or a half of a year, for when it happened."))
    with transaction.atomic():
        Record.objects.filter(pk=record.pk).update(registered_category=category, registered_period=period)
        _log(owner, "record.registered" if category else "record.unregistered", record)
    record.registered_category, record.registered_period = category, period


def record_destroy(owner: Owner, record: Record) -> None:
    """Crypto-shred: every wrapped key, ciphertext and file goes; the ledger keeps the fact."""
    record_id = record.pk
    attachment_ids = list(record.attachments.values_list("pk", flat=True))
    with transaction.atomic():
        record.delete()
        DestroyedRecord.objects.create(id=record_id)
        _log(owner, "record.destroyed", record_id)

        def remove_files() -> None:
            for attachment_id in attachment_ids:
                storage.delete(attachment_id)

        transaction.on_commit(remove_files)
