"""The periodic retention job: warn, then delete what the organization's periods say has
expired, through each app's own destruction, and ledger every deletion.

Safe to run in several workers at once: each item is re-read under a row lock in its own
transaction and everything is decided again there, so an item is warned of and deleted
once, and a record opened a moment earlier is kept. No record says whose it is, so a member
is warned by a broadcast: the same content-free email to every active member of the
organization, at most once per notice period, whenever something a member wrote will fall
due. Nothing of a member's is deleted unless such a broadcast (or, for a record whose owner
asked for notices, a personal notice) went out after the last time it was touched and after
the last legal hold was lifted, and was delivered at least the notice period before. A
record shared with an active grant is kept. A legal hold stops everything in its
organization.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format

from chorus.accounts.models import Member, Organization
from chorus.escrow.models import Entry, Share
from chorus.insights.models import Story
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for, ledger_append
from chorus.records import keys
from chorus.records.access import Owner
from chorus.records.models import Record, RecordDraft
from chorus.records.services.writing import record_destroy
from chorus.retention.models import Broadcast, Notice, What
from chorus.retention.services.clock import (
    draft_touched,
    draft_touched_sql,
    record_touched,
    touched_sql,
)
from chorus.retention.services.policy import Periods, hold_last_lifted, organizations_on_hold, periods_of, policy_for
from chorus.web import mail, tasks

ACTOR = "retention"


@dataclass
class Swept:
    notices: int = 0
    broadcasts: int = 0
    records: int = 0
    drafts: int = 0
    entries: int = 0
    stories: int = 0

    @property
    def deleted(self) -> int:
        return self.records + self.drafts + self.entries + self.stories


@dataclass(frozen=True)
class _Context:
    organization: Organization
    periods: Periods
    lifted: datetime | None
    now: datetime

    @property
    def notice(self) -> timedelta:
        return self.periods.notice.at(self.now)


def _log(context: _Context, action: str, **refs: object) -> None:
    ledger_append(
        organization_id=context.organization.pk,
        actor=ACTOR,
        action=action,
        refs={key: str(value) for key, value in refs.items()},
    )


def _member_to_warn(record: Record) -> Member | None:
    """Whom a personal notice goes to: only the owner who asked for message notices on the
    record (``Record.notify_sealed``, her choice). Nobody for every other record."""
    if not record.notify_sealed:
        return None
    member_id = keys.open_for_server(record.notify_sealed, "notify", record.pk)
    return Member.objects.filter(
        pk=member_id, organization_id=record.organization_id, is_active=True, deleted_at__isnull=True
    ).first()


def _warn(context: _Context, record: Record, what: str, deletes_on: datetime) -> bool:
    member = _member_to_warn(record)
    if member is None:
        return False
    notice, _created = Notice.objects.update_or_create(
        record=record, what=what, defaults={"sent_at": context.now, "deletes_on": deletes_on, "delivered_at": None}
    )
    payload = {
        "notice": notice.pk,
        "sent_at": context.now.isoformat(),
        "to": member.email,
        "deletes_on": deletes_on.date().isoformat(),
        "language": translation.get_language(),
    }
    tasks.task_enqueue("retention-notice", payload)
    _log(context, "retention.notice_sent", record=record.pk, what=what)
    return True


@tasks.handler("retention-notice")
def _deliver(payload: dict[str, Any]) -> None:
    """Send the notice, and note when the mail server took it: the notice period runs from
    then, so a mail that could not be sent never lets anything be deleted."""
    sent_at = datetime.fromisoformat(payload["sent_at"])
    notice = Notice.objects.filter(pk=payload["notice"], sent_at=sent_at).first()
    if notice is None:
        return  # the record was deleted by its owner, or a newer notice replaced this one
    # Content-free: no title, no words, not even which record (someone else may read the inbox).
    mail.send(
        "retention/email/notice", payload["to"], {"deletes_on": payload["deletes_on"]}, language=payload["language"]
    )
    # Never earlier than it was queued (the sweep may run ahead of the clock in tests).
    Notice.objects.filter(pk=notice.pk, sent_at=sent_at).update(delivered_at=max(timezone.now(), sent_at))


def _covered_by_broadcast(context: _Context, touched: datetime) -> bool | None:
    """True: a broadcast sent after the item's last touch (and after the last hold was
    lifted) was delivered at least the notice period ago. False: one was sent, not yet
    delivered or not long enough ago. None: none was sent since; one is needed."""
    since = max(touched, context.lifted) if context.lifted else touched
    sent = Broadcast.objects.filter(organization=context.organization, sent_at__gte=since, sent_at__lte=context.now)
    if context.lifted is not None:
        sent = sent.exclude(sent_at=context.lifted)
    if not sent.exists():
        return None
    return sent.filter(delivered_at__lte=context.now - context.notice).exists()


def _broadcast(context: _Context) -> bool:
    """Send every active member the same content-free reminder, unless one went out within
    the notice period (decided under the organization's row lock: two workers send one)."""
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=context.organization.pk).first()
        recent = Broadcast.objects.filter(
            organization=context.organization, sent_at__gt=context.now - context.notice
        )
        if context.lifted is not None:
            recent = recent.filter(sent_at__gt=context.lifted)
        if recent.exists():
            return False
        members = list(
            Member.objects.filter(
                organization=context.organization, is_active=True, deleted_at__isnull=True
            ).values_list("email", flat=True)
        )
        broadcast = Broadcast.objects.create(
            organization=context.organization,
            sent_at=context.now,
            remaining=len(members),
            delivered_at=context.now if not members else None,
        )
        for email in members:
            tasks.task_enqueue(
                "retention-broadcast",
                {
                    "broadcast": broadcast.pk,
                    "to": email,
                    "language": translation.get_language(),
                },
            )
        _log(context, "retention.broadcast_sent", members=len(members))
    return True


@tasks.handler("retention-broadcast")
def _deliver_broadcast(payload: dict[str, Any]) -> None:
    """One member's copy; the broadcast counts as delivered when the last copy is accepted."""
    broadcast = Broadcast.objects.filter(pk=payload["broadcast"]).first()
    if broadcast is None:
        return
    mail.send(
        "retention/email/broadcast", payload["to"], {}, language=payload["language"]
    )
    with transaction.atomic():
        Broadcast.objects.filter(pk=broadcast.pk, remaining__gt=0).update(remaining=F("remaining") - 1)
        Broadcast.objects.filter(pk=broadcast.pk, remaining=0, delivered_at__isnull=True).update(
            delivered_at=max(timezone.now(), broadcast.sent_at)
        )


def _delete(context: _Context, record: Record, what: str) -> None:
    record_id = record.pk  # a deleted row forgets its key
    if what == What.DRAFT and (record.versions.exists() or record.attachments.exists()):
        # The record keeps its saved versions; only the unused draft goes (as a save drops it).
        RecordDraft.objects.filter(record=record).delete()
        _log(context, "retention.draft_deleted", record=record_id)
        return
    # record_destroy only uses the owner's organization (to ledger); no key is needed to shred.
    record_destroy(Owner(organization=context.organization, vault_key=b""), record)
    _log(context, "retention.record_deleted" if what == What.RECORD else "retention.draft_deleted", record=record_id)


def _record_step(context: _Context, record_id: UUID, what: str, swept: Swept) -> bool:
    """Warn of, or delete, one record or draft. True when it needs a broadcast."""
    with transaction.atomic():
        record = Record.objects.select_for_update().filter(pk=record_id).first()
        if record is None:
            return False  # another worker, or its owner, deleted it a moment ago
        if what == What.DRAFT:
            draft = RecordDraft.objects.filter(record=record).first()
            if draft is None:
                return False
            touched = draft_touched(record, draft)
            due = context.periods.draft.due(touched)
        else:
            touched = record_touched(record)
            due = (context.periods.anonymous if record.anonymous else context.periods.record).due(touched)
        if what == What.RECORD and any(grant.is_active() for grant in record.grants.all()):
            return False  # shared, and the one it was shared with relies on it: kept
        if record.anonymous or context.now < due - context.notice:
            # No address for a report: the date is shown on the page the receipt opens, from
            # the same clock. After a hold is lifted, nothing goes for a notice period.
            lifted_long_ago = context.lifted is None or context.now - context.lifted >= context.notice
            if record.anonymous and context.now >= due and lifted_long_ago:
                _delete(context, record, what)
                _count(swept, what)
            return False
        covered = _covered_by_broadcast(context, touched)
        notice = Notice.objects.filter(record=record, what=what).first()
        valid = (
            notice is not None
            and notice.sent_at >= touched
            and (context.lifted is None or notice.sent_at > context.lifted)
            and notice.deletes_on >= due
        )
        noticed = (
            notice is not None
            and valid
            and notice.delivered_at is not None
            and context.now >= notice.deletes_on
            and context.now - notice.delivered_at >= context.notice
        )
        if context.now >= due and (covered or noticed):
            _delete(context, record, what)
            _count(swept, what)
            return False
        if not valid and _warn(context, record, what, max(due, context.now + context.notice)):
            swept.notices += 1
        return covered is None


def _count(swept: Swept, what: str) -> None:
    if what == What.DRAFT:
        swept.drafts += 1
    else:
        swept.records += 1


def _entry_step(context: _Context, entry_id: UUID, swept: Swept) -> None:
    """What stays of a withdrawn entry: the author's own copy, and the row itself unless a
    match released one of its shares to the advocates (that share stays with them, as on
    any withdrawal). The same removal as deleting an account does after ``entry_withdraw``."""
    with transaction.atomic():
        entry = Entry.objects.select_for_update().filter(pk=entry_id, withdrawn_at__isnull=False).first()
        if entry is None or not bytes(entry.for_owner) or entry.withdrawn_at is None:
            return
        if context.now < context.periods.entry.due(entry.withdrawn_at):
            return
        remains = Entry.objects.filter(pk=entry_id)
        if Share.objects.filter(entry_id=entry.pk).exists():
            remains.update(for_owner=b"")
        else:
            remains.delete()
        _log(context, "retention.entry_removed", entry=entry.pk)
        swept.entries += 1


def _taken_back_at(context: _Context, story: Story) -> datetime | None:
    """When the story was taken back from the commission, if that is the last thing done to
    it: the ledger is where a take-back is kept (``story.withdrawn``)."""
    last = (
        LedgerEvent.objects.filter(chain=chain_for(context.organization.pk), refs__story=str(story.pk))
        .order_by("-seq")
        .first()
    )
    return last.created_at if last is not None and last.action == "story.withdrawn" else None


def _story_step(context: _Context, story_id: UUID, swept: Swept) -> None:
    """Delete a story taken back and left so; the same deletion as ``story_delete`` (which
    needs its author's key only to find it)."""
    with transaction.atomic():
        story = Story.objects.select_for_update().filter(pk=story_id, shown_at__isnull=True).first()
        if story is None:
            return
        taken_back = _taken_back_at(context, story)
        if taken_back is None or context.now < context.periods.story.due(taken_back):
            return
        story_id = story.pk
        _log(context, "story.deleted", story=story_id)
        story.delete()
        _log(context, "retention.story_deleted", story=story_id)
        swept.stories += 1


def organization_sweep(organization: Organization, *, now: datetime, swept: Swept) -> None:
    periods = periods_of(policy_for(organization))
    context = _Context(organization=organization, periods=periods, lifted=hold_last_lifted(organization), now=now)
    # Only what may be due is read; each is decided again, exactly, under its row lock.
    records = Record.objects.filter(organization=organization).annotate(touched=touched_sql())
    notice = context.notice
    due = records.filter(anonymous=False, touched__lte=now - (periods.record.least - notice)).values_list(
        "pk", flat=True
    )
    anonymous_due = records.filter(anonymous=True, touched__lte=now - periods.anonymous.least).values_list(
        "pk", flat=True
    )
    needs_broadcast = False
    for record_id in [*due, *anonymous_due]:
        needs_broadcast |= _record_step(context, record_id, What.RECORD, swept)
    drafts = RecordDraft.objects.filter(record__organization=organization).annotate(touched=draft_touched_sql())
    for record_id in drafts.filter(touched__lte=now - (periods.draft.least - notice)).values_list(
        "record_id", flat=True
    ):
        needs_broadcast |= _record_step(context, record_id, What.DRAFT, swept)
    if needs_broadcast and _broadcast(context):
        swept.broadcasts += 1
    for entry_id in (
        Entry.objects.filter(organization=organization, withdrawn_at__lte=now - periods.entry.least)
        .exclude(for_owner=b"")
        .values_list("pk", flat=True)
    ):
        _entry_step(context, entry_id, swept)
    # A story can be due only if it was taken back long enough ago (whatever came after).
    taken_back = LedgerEvent.objects.filter(
        chain=chain_for(organization.pk), action="story.withdrawn", created_at__lte=now - periods.story.least
    ).values_list("refs__story", flat=True)
    candidates = {str(story_id) for story_id in taken_back}
    for story_id in Story.objects.filter(organization=organization, shown_at__isnull=True).values_list("pk", flat=True):
        if str(story_id) in candidates:
            _story_step(context, story_id, swept)


def retention_sweep(*, now: datetime | None = None) -> Swept:
    """Warn and delete what is due in every organization not on a legal hold."""
    moment = now or timezone.now()
    swept = Swept()
    held = organizations_on_hold()
    for organization in Organization.objects.exclude(pk__in=held):
        organization_sweep(organization, now=moment, swept=swept)
    return swept


def deletes_on_label(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


tasks.periodic(retention_sweep)
