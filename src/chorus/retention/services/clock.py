"""When a record was last touched, and so when retention would delete it.

A record is touched when it is created, a version is saved, a draft is kept, a file is added,
a message is written in its conversation, or its owner opens it (``record_opened``; an
anonymous reporter opening their receipt opens every report under it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import DateTimeField, F, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from chorus.records.access import Owner
from chorus.records.models import Attachment, Message, Record, RecordDraft, RecordVersion
from chorus.retention.models import Clock
from chorus.retention.services.policy import periods_of, policy_for

# The purpose a member id was once sealed under beside every opened record (column removed).
NOTICE_PURPOSE = "retention-notice"


_UNCHANGED = timedelta(hours=1)
# Asked on every autosave and save, so written once in SQL (the ORM's building cost more
# than running it); the names are the model's (tests/retention/test_clock.py).
_OPENED_LATELY = 'SELECT 1 FROM "retention_clock" WHERE "record_id" = %s AND "opened_at" BETWEEN %s AND %s LIMIT 1'


def record_opened(owner: Owner, record: Record, *, now: datetime | None = None) -> None:
    """The owner opened the record: its clock starts again. Nothing records who opened it.
    Opened again within the hour, nothing is written: periods are counted in months and days."""
    now = now or timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        record_id = Record._meta.pk.get_db_prep_value(record.pk, connection)
        cursor.execute(_OPENED_LATELY, [record_id, adapt(now - _UNCHANGED), adapt(now)])
        if cursor.fetchone() is not None:
            return
    Clock.objects.update_or_create(record=record, defaults={"opened_at": now})


def receipt_opened(owner: Owner, *, now: datetime | None = None) -> None:
    """An anonymous reporter opened their receipt: every report under it is opened."""
    for record in Record.objects.filter(organization=owner.organization, owner_tag=owner.tag):
        record_opened(owner, record, now=now)


def record_touched(record: Record) -> datetime:
    """The newest of: created, last version, draft, file, message, opened by its owner."""
    moments: list[datetime | None] = [
        record.created_at,
        RecordVersion.objects.filter(record=record).aggregate(at=Max("saved_at"))["at"],
        RecordDraft.objects.filter(record=record).values_list("saved_at", flat=True).first(),
        Attachment.objects.filter(record=record).aggregate(at=Max("added_at"))["at"],
        Message.objects.filter(conversation__record=record).aggregate(at=Max("sent_at"))["at"],
        Clock.objects.filter(record=record).values_list("opened_at", flat=True).first(),
    ]
    return max(moment for moment in moments if moment is not None)


def _newest(queryset: QuerySet, link: str, field: str) -> Subquery:
    newest = queryset.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(at=Max(field)).values("at")
    return Subquery(newest[:1], output_field=DateTimeField())


def touched_sql() -> Greatest:
    """``record_touched`` in SQL, to annotate records with: the sweep reads only those that may be due."""
    created = F("created_at")
    return Greatest(
        created,
        Coalesce(_newest(RecordVersion.objects.all(), "record", "saved_at"), created),
        Coalesce(_newest(RecordDraft.objects.all(), "record", "saved_at"), created),
        Coalesce(_newest(Attachment.objects.all(), "record", "added_at"), created),
        Coalesce(_newest(Message.objects.all(), "conversation__record", "sent_at"), created),
        Coalesce(_newest(Clock.objects.all(), "record", "opened_at"), created),
    )


def draft_touched_sql() -> Greatest:
    """``draft_touched`` in SQL, to annotate drafts with."""
    opened = Subquery(Clock.objects.filter(record=OuterRef("record")).values("opened_at")[:1])
    return Greatest(F("saved_at"), Coalesce(opened, F("saved_at")))


def draft_touched(record: Record, draft: RecordDraft) -> datetime:
    """A draft is used when it is saved again or its record is opened (the editor restores it)."""
    opened = Clock.objects.filter(record=record).values_list("opened_at", flat=True).first()
    return max(draft.saved_at, opened) if opened else draft.saved_at


def record_deletes_on(record: Record) -> datetime:
    """When retention would delete this record if nobody touches it (for the owner's page)."""
    periods = periods_of(policy_for(record.organization_id))
    return (periods.anonymous if record.anonymous else periods.record).due(record_touched(record))
