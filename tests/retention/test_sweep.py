"""The retention job: it warns by email, waits the notice period, deletes exactly what
expired through each app's own destruction, ledgers it, and stops for a legal hold."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.utils import timezone

from chorus.accounts.models import Member
from chorus.cases.services.retention import retention_sweep as case_retention_sweep
from chorus.escrow.models import Entry
from chorus.escrow.services.entries import entry_withdraw
from chorus.insights.models import Story
from chorus.insights.services.stories import story_show, story_withdraw, story_write
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for, ledger_verify
from chorus.records import keys
from chorus.records.access import Owner
from chorus.records.models import Record, RecordDraft
from chorus.records.services import anonymous, messaging, sharing, writing
from chorus.retention.models import Broadcast, Hold, Shortening
from chorus.retention.services.clock import (
    NOTICE_PURPOSE,
    draft_touched,
    draft_touched_sql,
    receipt_opened,
    record_deletes_on,
    record_opened,
    record_touched,
    touched_sql,
)
from chorus.retention.services.policy import MONTH, hold_lift, hold_set, policy_set
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


def _riverside() -> set[str]:
    return {member.email for member in Member.objects.filter(organization__slug="riverside", is_active=True)}


def test_it_warns_every_member_then_deletes_a_record_untouched_for_the_period(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    start = timezone.now()
    assert retention_sweep(now=start + RECORD - NOTICE - timedelta(days=1)).broadcasts == 0

    warned_at = start + RECORD - NOTICE + timedelta(hours=1)
    swept = retention_sweep(now=warned_at)
    assert (swept.broadcasts, swept.notices, swept.deleted) == (1, 0, 0)
    emails = _mail(warned_at)
    # The same email to every active member of the organization: it does not single out the owner.
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(_riverside())
    assert len(set(emails)) == 1 and "survivor@riverside.example" in _riverside()
    assert mail.outbox[0].subject == "How long Chorus keeps things"
    for secret in (*STORY.values(), str(record.pk), "will be deleted on"):  # no title, words, record or date
        assert secret not in emails[0]
    assert "open it to keep it" in emails[0]
    assert retention_sweep(now=warned_at + timedelta(days=1)).broadcasts == 0  # once per notice period

    due = record_deletes_on(record)
    assert retention_sweep(now=warned_at + NOTICE - timedelta(seconds=1)).deleted == 0
    assert Record.objects.filter(pk=record.pk).exists()
    swept = retention_sweep(now=max(due, warned_at + NOTICE))
    assert (swept.records, swept.broadcasts) == (1, 0)
    assert not Record.objects.filter(pk=record.pk).exists()
    assert retention_sweep(now=warned_at + NOTICE + timedelta(days=1)).deleted == 0
    assert _deleted("retention.record_deleted") == 1 and _deleted("record.destroyed") == 1
    event = LedgerEvent.objects.get(action="retention.record_deleted")
    assert event.refs == {"record": str(record.pk)} and event.actor == "retention"
    assert LedgerEvent.objects.get(action="retention.broadcast_sent").refs == {"members": str(len(_riverside()))}
    assert ledger_verify(chain_for(personas.organization.pk)).ok


def test_a_record_opened_after_the_notice_is_kept(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    warned_at = timezone.now() + RECORD - NOTICE
    assert _warned(warned_at).broadcasts == 1
    record_opened(owner, record, now=warned_at + timedelta(days=3))
    assert retention_sweep(now=warned_at + 2 * NOTICE).deleted == 0
    assert Record.objects.filter(pk=record.pk).exists()
    # Its clock started again when it was opened: the next reminder comes a period later,
    # and it goes only after that reminder's full notice period.
    again = warned_at + timedelta(days=3) + RECORD - NOTICE
    assert _warned(again).broadcasts == 1
    assert retention_sweep(now=again + NOTICE - timedelta(seconds=1)).deleted == 0
    assert retention_sweep(now=again + NOTICE).records == 1


def test_something_opened_after_a_reminder_waits_for_the_next_one(personas: Personas) -> None:
    owner = survivor_owner(personas)
    first = _record(owner)
    reminded_at = timezone.now() + RECORD - NOTICE
    second = _record(owner)  # last touched after nothing was due yet
    assert _warned(reminded_at).broadcasts == 1
    record_opened(owner, second, now=reminded_at + timedelta(minutes=1))  # opened just after the reminder
    second_due = reminded_at + timedelta(minutes=1) + RECORD
    assert _warned(reminded_at + NOTICE).records == 1  # the first was untouched when the reminder went
    assert Record.objects.filter(pk=second.pk).exists() and not Record.objects.filter(pk=first.pk).exists()
    # The second was opened after that reminder: it needs one of its own, a full period ahead.
    near = second_due - NOTICE + timedelta(days=1)
    assert _warned(near).broadcasts == 1
    assert retention_sweep(now=second_due).deleted == 0
    assert retention_sweep(now=near + NOTICE).records == 1


def test_members_get_at_most_one_reminder_each_notice_period(personas: Personas) -> None:
    owner = survivor_owner(personas)
    start = timezone.now()
    first, second = _record(owner), _record(owner)
    record_opened(owner, second, now=start + timedelta(days=10))
    hour = timedelta(hours=1)
    assert _warned(start + RECORD - NOTICE + hour).broadcasts == 1
    assert _warned(start + RECORD - NOTICE + timedelta(days=10) + hour).broadcasts == 0  # the second is due too
    assert len(mail.outbox) == len(_riverside())  # one email each
    # Both were untouched when the one reminder went: each goes on its own date.
    assert retention_sweep(now=start + RECORD + hour).records == 1
    assert not Record.objects.filter(pk=first.pk).exists()
    assert retention_sweep(now=start + RECORD + timedelta(days=10) + hour).records == 1
    assert not Record.objects.filter(pk=second.pk).exists()


def test_any_activity_touches_the_record(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    messaging.message_from_owner(owner, record, "Is anyone there?")
    first = record_deletes_on(record)
    assert first >= timezone.now() + RECORD - timedelta(minutes=1)
    assert retention_sweep(now=timezone.now() + RECORD - NOTICE - timedelta(hours=1)).broadcasts == 0


def test_nothing_is_deleted_without_a_notice_sent_the_notice_period_before(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    long_after = timezone.now() + 5 * RECORD  # the worker was off for years
    swept = _warned(long_after)
    assert (swept.broadcasts, swept.deleted) == (1, 0)
    assert retention_sweep(now=long_after + NOTICE - timedelta(seconds=1)).deleted == 0
    assert retention_sweep(now=long_after + NOTICE).records == 1
    assert not Record.objects.filter(pk=record.pk).exists()


def test_nothing_is_deleted_while_the_notice_cannot_be_sent(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    warned_at = timezone.now() + RECORD - NOTICE

    def refused(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError  # the mail server is down

    monkeypatch.setattr(mail_module, "send", refused)
    assert _warned(warned_at).broadcasts == 1
    assert retention_sweep(now=warned_at + NOTICE + timedelta(days=3)).deleted == 0
    monkeypatch.undo()
    delivered = warned_at + NOTICE + timedelta(days=3)
    with monkeypatch.context() as clock:
        clock.setattr(timezone, "now", lambda: delivered)
        tasks_run_due(now=delivered)  # the retries go through, three days late
    assert len(mail.outbox) == len(_riverside())
    assert Broadcast.objects.get().delivered_at == delivered
    assert retention_sweep(now=delivered + NOTICE - timedelta(seconds=1)).deleted == 0  # a full period after it went
    assert retention_sweep(now=delivered + NOTICE).records == 1
    assert not Record.objects.filter(pk=record.pk).exists()


def test_opening_a_record_leaves_nothing_that_names_its_owner(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)  # opened, as the editor does
    assert record.notify_sealed is None  # she never asked for notices
    _warned(timezone.now() + RECORD - NOTICE)
    member_id = str(personas.survivor.pk)
    for model in apps.get_app_config("retention").get_models():
        for row in model._default_manager.values():
            for value in row.values():
                assert member_id not in str(value)
                if isinstance(value, bytes | memoryview):
                    for purpose in (NOTICE_PURPOSE, "notify"):
                        with pytest.raises(Exception):  # noqa: B017, PT011 (any failure to open)
                            keys.open_for_server(bytes(value), purpose, record.pk)


def test_a_member_who_asked_for_message_notices_is_warned_there(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner, opened=False)
    messaging.notices_set(owner, record, enabled=True)
    later = timezone.now() + RECORD
    swept = retention_sweep(now=later)
    assert (swept.notices, swept.broadcasts) == (1, 1)
    assert mail.outbox == []
    _mail(later)
    personal = [message for message in mail.outbox if message.subject == "Something is waiting for you in Chorus"]
    assert [message.to for message in personal] == [["survivor@riverside.example"]]
    assert "Chorus" in personal[0].subject and "wrote" not in personal[0].subject


def test_a_legal_hold_stops_everything_and_a_fresh_notice_follows_its_lifting(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = _record(owner)
    warned_at = timezone.now() + RECORD - NOTICE
    assert _warned(warned_at).broadcasts == 1
    hold_set(personas.admin, reason="A tribunal asked us to keep everything.")
    assert LedgerEvent.objects.filter(action="retention.hold_set", actor=personas.admin.pseudonym).exists()
    much_later = warned_at + 3 * RECORD
    assert retention_sweep(now=much_later).deleted == 0
    assert Record.objects.filter(pk=record.pk).exists()
    hold_lift(personas.admin, reason="The tribunal closed the matter.")
    lifted_at = warned_at + timedelta(days=10)  # as if lifted between the reminder and the date
    Hold.objects.update(set_at=warned_at + timedelta(days=1), lifted_at=lifted_at)
    # The old reminder went before the hold was lifted: a new one, then the period again.
    after = lifted_at + timedelta(minutes=1)
    swept = _warned(after)
    assert (swept.broadcasts, swept.deleted) == (1, 0)
    assert retention_sweep(now=after + NOTICE - timedelta(seconds=1)).deleted == 0
    assert retention_sweep(now=after + NOTICE).records == 1


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
    assert _warned(warned_at).broadcasts == 1
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


MINIMUM = {"draft_months": 1, "record_months": 6, "anonymous_months": 6, "entry_days": 7, "story_days": 7}


def test_one_administrator_shortening_a_period_deletes_nothing_sooner_than_before(personas: Personas) -> None:
    _receipt, reporter = anonymous.receipt_issue(personas.organization, client_ip="192.0.2.7")
    report = _record(reporter, opened=False)
    member_record = _record(survivor_owner(personas))
    old_date = record_deletes_on(report)
    changed_at = timezone.now() + 7 * MONTH
    # Seven months on, one administrator sets every period to its minimum.
    policy_set(personas.admin, now=changed_at, notice_days=14, **MINIMUM)
    swept = _warned(changed_at + timedelta(minutes=1))
    assert (swept.deleted, swept.broadcasts) == (0, 0) and mail.outbox == []
    assert Record.objects.filter(pk__in=[report.pk, member_record.pk]).count() == 2
    # Each keeps the date the old periods gave it.
    assert record_deletes_on(report) == old_date
    assert retention_sweep(now=old_date - timedelta(seconds=1)).deleted == 0
    assert retention_sweep(now=old_date).records == 1  # the report, as it always would have
    assert Record.objects.filter(pk=member_record.pk).exists()  # not warned yet: the notice is still 30 days
    event = LedgerEvent.objects.get(action="retention.policy_changed")
    assert event.actor == personas.admin.pseudonym and event.refs["anonymous_months"] == 6


def test_a_shorter_period_applies_fully_once_the_old_period_has_passed_since_the_change(
    personas: Personas,
) -> None:
    changed_at = timezone.now()
    policy_set(personas.admin, now=changed_at, notice_days=30, **MINIMUM)
    _receipt, reporter = anonymous.receipt_issue(personas.organization, client_ip="192.0.2.7")
    report = _record(reporter, opened=False)  # written after the change
    assert record_deletes_on(report) == changed_at + 24 * MONTH  # not six months: the old period from the change
    assert retention_sweep(now=changed_at + 24 * MONTH - timedelta(seconds=1)).deleted == 0
    receipt_opened(reporter, now=changed_at + 24 * MONTH - timedelta(days=1))  # the reporter came back
    opened_at = changed_at + 24 * MONTH - timedelta(days=1)
    assert record_deletes_on(report) == opened_at + 6 * MONTH  # from now on, the new period
    assert retention_sweep(now=opened_at + 6 * MONTH).records == 1


def test_a_longer_period_takes_effect_at_once(personas: Personas) -> None:
    _receipt, reporter = anonymous.receipt_issue(personas.organization, client_ip="192.0.2.7")
    report = _record(reporter, opened=False)
    policy_set(
        personas.admin, draft_months=6, record_months=24, anonymous_months=36, entry_days=30, story_days=30,
        notice_days=30,
    )
    assert record_deletes_on(report) - report.created_at >= 36 * MONTH - timedelta(seconds=1)
    assert not Shortening.objects.exists()
    assert retention_sweep(now=timezone.now() + 30 * MONTH).deleted == 0


def test_a_record_shared_with_an_active_grant_is_kept(personas: Personas) -> None:
    built = survivor_record(personas)  # shared with the advocates
    long_after = timezone.now() + 3 * RECORD
    swept = _warned(long_after)
    assert (swept.broadcasts, swept.deleted) == (0, 0)
    assert retention_sweep(now=long_after + NOTICE).deleted == 0
    sharing.grant_revoke(built.owner, built.record, built.grant.pk)
    assert _warned(long_after + NOTICE).broadcasts == 1  # no longer shared: warned, then deleted
    assert retention_sweep(now=long_after + 2 * NOTICE).records == 1


def test_lifting_a_hold_deletes_no_anonymous_report_for_a_notice_period(personas: Personas) -> None:
    _receipt, reporter = anonymous.receipt_issue(personas.organization, client_ip="192.0.2.7")
    report = _record(reporter, opened=False)
    hold_set(personas.admin, reason="A tribunal asked us to keep everything.")
    hold_lift(personas.admin, reason="The tribunal closed the matter.")
    lifted_at = report.created_at + 3 * RECORD
    Hold.objects.update(lifted_at=lifted_at)
    assert retention_sweep(now=lifted_at + NOTICE - timedelta(seconds=1)).deleted == 0
    assert retention_sweep(now=lifted_at + NOTICE).records == 1
