"""The retention job: it warns by email, waits the notice period, deletes exactly what
expired through each app's own destruction, ledgers it, and stops for a legal hold."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from chorus.cases.services.retention import retention_sweep as case_retention_sweep
from chorus.escrow.models import Entry
from chorus.escrow.services.entries import entry_withdraw
from chorus.insights.models import Story
from chorus.insights.services.stories import story_show, story_withdraw, story_write
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for, ledger_verify
from chorus.records.access import Owner
from chorus.records.models import Record, RecordDraft
from chorus.records.services import anonymous, messaging, writing
from chorus.retention.models import Hold, Notice
from chorus.retention.services.clock import (
    draft_touched,
    draft_touched_sql,
    receipt_opened,
    record_deletes_on,
    record_opened,
    record_touched,
    touched_sql,
)
from chorus.retention.services.policy import MONTH, hold_lift, hold_set
from chorus.retention.services.sweep import Swept, retention_sweep
from chorus.web import mail as mail_module
from chorus.web.tasks import tasks_run_due
from tests.cases.factory import opened, people
from tests.escrow.factory import SAM, member_owner, name
from tests.personas import Personas
from tests.records.factory import STORY, survivor_owner, survivor_record

pytestmark = pytest.mark.django_db

RECORD = 24 * MONTH
NOTICE = timedelta(days=30)


def _record(owner: Owner, *, opened: bool = True) -> Record:
    record = writing.record_create(owner)
    writing.record_save(owner, record, STORY)
    if opened:
        record_opened(owner, record)
    return record


def _mail(now: datetime) -> list[str]:
    mail.outbox.clear()
    tasks_run_due(now=now)
    return [f"{message.subject}\n{message.body}" for message in mail.outbox]


def _warned(now: datetime) -> Swept:
    """A sweep, then the worker's queue: the notices it queued are sent."""
    swept = retention_sweep(now=now)
    tasks_run_due(now=now)
    return swept


def _deleted(action: str) -> int:
    return LedgerEvent.objects.filter(action=action).count()


def test_it_warns_then_deletes_a_record_untouched_for_the_period(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    start = timezone.now()
    assert retention_sweep(now=start + RECORD - NOTICE - timedelta(days=1)).notices == 0

    warned_at = start + RECORD - NOTICE + timedelta(hours=1)
    swept = retention_sweep(now=warned_at)
    assert (swept.notices, swept.deleted) == (1, 0)
    emails = _mail(warned_at)
    assert len(emails) == 1 and mail.outbox[0].to == ["survivor@riverside.example"]
    for secret in (*STORY.values(), str(record.pk)):  # no title, no words, not which record
        assert secret not in emails[0]
    notice = Notice.objects.get(record=record)
    assert "will be deleted on" in emails[0] and str(notice.deletes_on.year) in emails[0]
    assert notice.deletes_on - warned_at >= NOTICE
    assert retention_sweep(now=warned_at + timedelta(days=1)).notices == 0  # warned once

    assert retention_sweep(now=notice.deletes_on - timedelta(seconds=1)).deleted == 0
    assert Record.objects.filter(pk=record.pk).exists()
    swept = retention_sweep(now=notice.deletes_on)
    assert (swept.records, swept.notices) == (1, 0)
    assert not Record.objects.filter(pk=record.pk).exists()
    assert retention_sweep(now=notice.deletes_on + timedelta(days=1)).deleted == 0
    assert _deleted("retention.record_deleted") == 1 and _deleted("record.destroyed") == 1
    event = LedgerEvent.objects.get(action="retention.record_deleted")
    assert event.refs == {"record": str(record.pk)} and event.actor == "retention"
    assert ledger_verify(chain_for(personas.organization.pk)).ok


def test_a_record_opened_after_the_notice_is_kept(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    warned_at = timezone.now() + RECORD - NOTICE
    assert _warned(warned_at).notices == 1
    deletes_on = Notice.objects.get(record=record).deletes_on
    record_opened(owner, record, now=warned_at + timedelta(days=3))
    assert retention_sweep(now=deletes_on + timedelta(days=1)).deleted == 0
    assert Record.objects.filter(pk=record.pk).exists()
    # Its clock started again when it was opened: the next notice comes a period later.
    assert retention_sweep(now=warned_at + timedelta(days=3) + RECORD - NOTICE).notices == 1


def test_any_activity_touches_the_record(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    messaging.message_from_owner(owner, record, "Is anyone there?")
    first = record_deletes_on(record)
    assert first >= timezone.now() + RECORD - timedelta(minutes=1)
    assert retention_sweep(now=timezone.now() + RECORD - NOTICE - timedelta(hours=1)).notices == 0


def test_nothing_is_deleted_without_a_notice_sent_the_notice_period_before(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    long_after = timezone.now() + 5 * RECORD  # the worker was off for years
    swept = _warned(long_after)
    assert (swept.notices, swept.deleted) == (1, 0)
    assert Notice.objects.get(record=record).deletes_on == long_after + NOTICE
    assert retention_sweep(now=long_after + NOTICE - timedelta(seconds=1)).deleted == 0
    assert retention_sweep(now=long_after + NOTICE).records == 1


def test_nothing_is_deleted_while_the_notice_cannot_be_sent(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    warned_at = timezone.now() + RECORD - NOTICE

    def refused(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError  # the mail server is down

    monkeypatch.setattr(mail_module, "send", refused)
    assert _warned(warned_at).notices == 1
    deletes_on = Notice.objects.get(record=record).deletes_on
    assert retention_sweep(now=deletes_on + timedelta(days=3)).deleted == 0
    monkeypatch.undo()
    delivered = deletes_on + timedelta(days=3)
    with monkeypatch.context() as clock:
        clock.setattr(timezone, "now", lambda: delivered)
        tasks_run_due(now=delivered)  # the retry goes through, three days late
    assert Notice.objects.get(record=record).delivered_at is not None
    assert len(mail.outbox) == 1
    assert Notice.objects.get(record=record).delivered_at == delivered
    assert retention_sweep(now=delivered + NOTICE - timedelta(seconds=1)).deleted == 0  # a full period after it went
    assert retention_sweep(now=delivered + NOTICE).records == 1


def test_a_record_whose_owner_cannot_be_warned_is_kept(personas: Personas) -> None:
    record = _record(survivor_owner(personas), opened=False)
    swept = retention_sweep(now=timezone.now() + 5 * RECORD)
    assert (swept.notices, swept.deleted) == (0, 0)
    assert Record.objects.filter(pk=record.pk).exists()


def test_a_member_who_asked_for_message_notices_is_warned_there(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner, opened=False)
    messaging.notices_set(owner, record, enabled=True)
    later = timezone.now() + RECORD
    assert retention_sweep(now=later).notices == 1
    assert [message.to for message in mail.outbox] == [] and len(_mail(later)) == 1


def test_a_legal_hold_stops_everything_and_a_fresh_notice_follows_its_lifting(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    warned_at = timezone.now() + RECORD - NOTICE
    assert _warned(warned_at).notices == 1
    hold_set(personas.admin, reason="A tribunal asked us to keep everything.")
    assert LedgerEvent.objects.filter(action="retention.hold_set", actor=personas.admin.pseudonym).exists()
    much_later = warned_at + 3 * RECORD
    assert retention_sweep(now=much_later).deleted == 0
    assert Record.objects.filter(pk=record.pk).exists()
    hold_lift(personas.admin, reason="The tribunal closed the matter.")
    lifted_at = warned_at + timedelta(days=10)  # as if lifted between the notice and the date
    Hold.objects.update(set_at=warned_at + timedelta(days=1), lifted_at=lifted_at)
    # The old notice was sent before the hold was lifted: a new one, then the period again.
    swept = _warned(lifted_at + timedelta(minutes=1))
    assert (swept.notices, swept.deleted) == (1, 0)
    deletes_on = Notice.objects.get(record=record).deletes_on
    assert deletes_on == lifted_at + timedelta(minutes=1) + NOTICE
    assert retention_sweep(now=deletes_on - timedelta(seconds=1)).deleted == 0
    assert retention_sweep(now=deletes_on).records == 1


def test_an_anonymous_report_is_deleted_on_the_date_its_page_shows(personas: Personas) -> None:
    _receipt, owner = anonymous.receipt_issue(personas.organization, client_ip="192.0.2.7")
    record = _record(owner, opened=False)
    shown = record_deletes_on(record)
    assert retention_sweep(now=shown - timedelta(seconds=1)).deleted == 0
    receipt_opened(owner, now=shown - timedelta(days=1))  # the reporter came back
    assert retention_sweep(now=shown).deleted == 0
    shown = record_deletes_on(record)
    swept = retention_sweep(now=shown)
    assert (swept.records, swept.notices) == (1, 0)
    assert mail.outbox == []


def test_an_unused_draft_goes_and_the_saved_record_stays(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    writing.draft_save(owner, record, {**STORY, "what": "Unsaved second thoughts"})
    only_draft = writing.record_create(owner)
    writing.draft_save(owner, only_draft, {"title": "Never saved"})
    record_opened(owner, only_draft)
    warned_at = timezone.now() + 6 * MONTH - NOTICE
    assert _warned(warned_at).notices == 2
    swept = retention_sweep(now=warned_at + NOTICE)
    assert (swept.drafts, swept.records) == (2, 0)
    assert not RecordDraft.objects.exists()
    assert Record.objects.filter(pk=record.pk).exists()  # its saved version is kept
    assert not Record.objects.filter(pk=only_draft.pk).exists()  # nothing but the draft
    assert _deleted("retention.draft_deleted") == 2


def test_withdrawn_entries_remains_go_after_their_period(personas: Personas) -> None:
    owner = member_owner(personas, "naomi")
    kept = name(owner, ("email", SAM))
    withdrawn = name(owner, ("email", "robin.ashe@example.org"))
    entry_withdraw(owner, withdrawn)
    assert retention_sweep(now=timezone.now() + timedelta(days=29)).entries == 0
    assert retention_sweep(now=timezone.now() + timedelta(days=31)).entries == 1
    assert not Entry.objects.filter(pk=withdrawn.pk).exists()
    assert Entry.objects.filter(pk=kept.pk).exists()
    assert retention_sweep(now=timezone.now() + timedelta(days=62)).entries == 0


def test_a_story_taken_back_goes_after_its_period(personas: Personas) -> None:
    owner = survivor_owner(personas)
    taken_back = story_write(owner, text="They laughed when I said no.")
    kept = story_write(owner, text="Nobody asked what I needed.")
    story_show(owner, taken_back.pk)
    story_withdraw(owner, taken_back.pk)
    story_show(owner, kept.pk)
    assert retention_sweep(now=timezone.now() + timedelta(days=29)).stories == 0
    assert retention_sweep(now=timezone.now() + timedelta(days=31)).stories == 1
    assert list(Story.objects.values_list("pk", flat=True)) == [kept.pk]
    story_withdraw(owner, kept.pk)
    story_show(owner, kept.pk)  # shown again: no longer taken back
    assert retention_sweep(now=timezone.now() + timedelta(days=400)).stories == 0


def test_the_organizations_hold_also_stops_ended_cases_being_destroyed(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "support")
    crowd.act("survivor", case, "withdraw", text="")
    hold_set(personas.admin, reason="A tribunal asked us to keep everything.")
    in_four_years = timezone.now() + timedelta(days=4 * 365)
    assert case_retention_sweep(now=in_four_years) == 0
    hold_lift(personas.admin, reason="The tribunal closed the matter.")
    assert case_retention_sweep(now=in_four_years) == 1  # the case's own period, unchanged


def test_the_sweeps_query_finds_the_same_last_touch_as_the_exact_check(personas: Personas) -> None:
    built = survivor_record(personas)  # a version, a file, a grant, a message
    writing.draft_save(built.owner, built.record, STORY)
    record_opened(built.owner, built.record, now=timezone.now() + timedelta(seconds=5))
    untouched = _record(built.owner, opened=False)
    for record in (built.record, untouched):
        assert Record.objects.annotate(touched=touched_sql()).get(pk=record.pk).touched == record_touched(record)
    draft = RecordDraft.objects.get(record=built.record)
    assert RecordDraft.objects.annotate(touched=draft_touched_sql()).get(pk=draft.pk).touched == draft_touched(
        built.record, draft
    )
