"""Content-free email notices: derived from the ledger, chosen by each person, batched so
that a busy hour sends one email per person, and saying nothing anyone else may read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from chorus.cases import keys as case_keys
from chorus.cases.models import Party
from chorus.cases.services.core import party_member
from chorus.notices.models import NoticeCursor, PendingNotice
from chorus.notices.services import (
    BATCH,
    NoticeError,
    kinds_for,
    notice_preferences_set,
    notices_flush,
    notices_scan,
    recipient_tag,
)
from chorus.records.services import messaging
from chorus.web.tasks import tasks_run_due
from tests.cases.factory import PANELS, formal_to_deliberation, opened, people
from tests.escrow.factory import SAM, client_for, member_owner, name
from tests.personas import Personas
from tests.records.factory import STORY, advocate_reader, survivor_owner, survivor_record

pytestmark = pytest.mark.django_db

ADVOCATE_KINDS = {"share", "message", "case", "match"}
SUBJECT = "Something is waiting for you in Chorus"


def _pending(member: Any) -> list[str]:
    return sorted(PendingNotice.objects.filter(recipient=recipient_tag(member.pk)).values_list("kind", flat=True))


def _later() -> Any:
    return timezone.now() + BATCH + timedelta(seconds=1)


def _opt_in(personas: Personas, persona: str, *kinds: str) -> None:
    notice_preferences_set(member=personas.members[persona], kinds=kinds, vault_key=personas.vault_keys[persona])


def test_advocates_get_notices_until_they_choose_otherwise_and_survivors_only_if_they_opt_in(
    personas: Personas,
) -> None:
    assert kinds_for(personas.advocate) == ADVOCATE_KINDS
    assert kinds_for(personas.survivor) == set()
    assert kinds_for(personas.admin) == set()
    with pytest.raises(NoticeError, match="offered"):
        notice_preferences_set(member=personas.survivor, kinds={"share"}, vault_key=personas.vault_keys["survivor"])
    with pytest.raises(NoticeError, match="vault open"):
        notice_preferences_set(member=personas.survivor, kinds={"reply"}, vault_key=None)
    _opt_in(personas, "survivor", "reply", "step")
    assert kinds_for(personas.survivor) == {"reply", "step"}


def test_a_share_a_message_and_a_case_each_queue_a_notice_for_the_advocates_once(personas: Personas) -> None:
    survivor_record(personas)  # shares with the team, then writes to it
    opened(people(personas))
    assert notices_scan() == 3
    assert _pending(personas.advocate) == ["case", "message", "share"]
    assert _pending(personas.survivor) == [] and _pending(personas.admin) == []
    assert notices_scan() == 0  # the cursor moved: a second scan adds nothing
    NoticeCursor.objects.all().delete()
    notices_scan()  # and a scan that reads the same events again adds nothing twice
    assert PendingNotice.objects.count() == 3


def test_an_advocate_who_turned_a_kind_off_is_not_told_of_it(personas: Personas) -> None:
    _opt_in(personas, "advocate", "share", "case", "match")
    survivor_record(personas)
    notices_scan()
    assert _pending(personas.advocate) == ["share"]


def test_nobody_is_told_of_what_they_did_themselves(personas: Personas) -> None:
    _opt_in(personas, "survivor", "reply", "step")
    opened(people(personas), "formal")  # waits on her allegation, but she opened it herself
    notices_scan()
    assert _pending(personas.survivor) == []


def test_a_survivor_who_opted_in_hears_of_a_reply_and_of_a_step_that_needs_her(personas: Personas) -> None:
    built = survivor_record(personas)
    crowd = people(personas)
    case = opened(crowd, "restorative")
    notices_scan()
    assert _pending(personas.survivor) == []  # not opted in yet
    _opt_in(personas, "survivor", "reply", "step")
    messaging.message_from_team(advocate_reader(personas), built.record.conversation, "We are here.")
    crowd.act("advocate", case, "facilitator", member=crowd.member("facilitator"))  # now waits on her consent
    notices_scan()
    assert _pending(personas.survivor) == ["reply", "step"]


def test_a_match_is_told_to_the_advocates_without_the_ledger_saying_so(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    name(survivor_owner(personas), ("email", SAM))
    with django_capture_on_commit_callbacks(execute=True):
        name(member_owner(personas, "robin"), ("email", SAM))
    tasks_run_due()
    assert _pending(personas.advocate) == ["match"]


def test_one_email_per_person_per_busy_hour_after_the_first_notice_is_an_hour_old(personas: Personas) -> None:
    survivor_record(personas)
    notices_scan()
    assert notices_flush() == 0  # the first notice is minutes old: wait for the rest of the hour
    assert notices_flush(now=_later()) == 1
    tasks_run_due()
    assert [message.to for message in mail.outbox] == [[personas.advocate.email]]
    assert PendingNotice.objects.count() == 0
    assert notices_flush(now=_later()) == 0


def test_a_notice_turned_off_before_the_email_goes_is_not_sent(personas: Personas) -> None:
    survivor_record(personas)
    notices_scan()
    _opt_in(personas, "advocate")
    assert notices_flush(now=_later()) == 0
    tasks_run_due()
    assert mail.outbox == []


def test_a_suspended_member_gets_no_email(personas: Personas) -> None:
    survivor_record(personas)
    notices_scan()
    type(personas.advocate).objects.filter(pk=personas.advocate.pk).update(is_active=False)
    assert notices_flush(now=_later()) == 0


def test_a_busy_hour_sends_one_email_per_person_through_smtp_with_nothing_in_it(
    personas: Personas, smtp_sink: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _opt_in(personas, "survivor", "reply", "step")
    built = survivor_record(personas)
    for text in ("Are you there?", "I am scared to go back to the office.", "Please call me."):
        messaging.message_from_owner(built.owner, built.record, text)
    crowd = people(personas)
    case = opened(crowd, "restorative")
    with django_capture_on_commit_callbacks(execute=True):
        name(survivor_owner(personas), ("email", SAM))
        name(member_owner(personas, "robin"), ("email", SAM))
    reader = advocate_reader(personas)
    for text in ("We are here for you, Survivor.", "Would Tuesday at the Riverside office work?"):
        messaging.message_from_team(reader, built.record.conversation, text)
    crowd.act("advocate", case, "facilitator", member=crowd.member("facilitator"))
    tasks_run_due()
    notices_scan()
    notices_flush(now=_later())
    tasks_run_due()

    # (Appointing the facilitator also sends the case's own step email: not a notice.)
    notices = [message for message in smtp_sink.messages if message["Subject"] == SUBJECT]
    by_recipient: dict[str, list[Any]] = {}
    for message in notices:
        by_recipient.setdefault(message["To"], []).append(message)
    # (That email reads as a notice does, so it is counted apart.)
    assert len(by_recipient.pop(crowd.member("facilitator").email, [])) <= 1
    assert sorted(by_recipient) == [personas.advocate.email, personas.survivor.email]
    assert all(len(messages) == 1 for messages in by_recipient.values())
    secrets = [
        *STORY.values(), "scared", "Tuesday", "Survivor", "Advocate", "Robin", "Riverside", "sam",
        str(built.record.pk), str(built.grant.pk), str(case.pk), case.reference or str(case.pk),
        "case", "record", "match", "share",
    ]  # fmt: skip
    for message in notices:
        text = f"{message['Subject']}\n{message.get_payload(decode=True).decode()}".lower()
        assert "something is waiting for you in chorus" in text
        assert "/sign-in/" in text
        for secret in secrets:
            assert secret.lower() not in text, secret
    # Nothing new since: the next hour sends nothing.
    notices_scan()
    assert notices_flush(now=_later() + BATCH) == 0


def test_the_account_page_lets_each_person_choose(personas: Personas) -> None:
    survivor = client_for(personas.survivor, personas.vault_keys["survivor"])
    page = survivor.get("/account/").content.decode()
    assert 'value="reply"' in page and 'value="step"' in page and 'value="share"' not in page
    assert "checked" not in page.split('id="notices"')[1].split("</form>")[0]
    response = survivor.post("/account/", {"kinds": ["reply", "step"]})
    assert response.status_code == 302
    assert kinds_for(personas.survivor) == {"reply", "step"}
    refused = survivor.post("/account/", {"kinds": ["share"]})
    assert refused.status_code == 400 and "share" not in kinds_for(personas.survivor)

    advocate = client_for(personas.advocate, personas.vault_keys["advocate"])
    form = advocate.get("/account/").content.decode().split('id="notices"')[1].split("</form>")[0]
    assert form.count("checked") == 4 and 'value="match"' in form
    assert advocate.post("/account/", {"kinds": ["match"]}).status_code == 302
    assert kinds_for(personas.advocate) == {"match"}


def test_replies_on_a_record_whose_owner_asked_there_are_batched_too(personas: Personas) -> None:
    built = survivor_record(personas)
    messaging.notices_set(built.owner, built.record, enabled=True)  # on the record's messages page
    assert kinds_for(personas.survivor) == set()  # nothing chosen on the account page
    for text in ("We are here.", "Would Tuesday work?"):
        messaging.message_from_team(advocate_reader(personas), built.record.conversation, text)
    assert mail.outbox == []  # not at once
    notices_scan()
    assert _pending(personas.survivor) == ["reply"]  # one row per kind, however many replies
    notices_flush(now=_later())
    tasks_run_due()
    assert [message.body.count("Tuesday") for message in mail.outbox if message.to == [personas.survivor.email]] == [0]


def test_a_deployment_that_already_has_a_ledger_tells_nobody_of_its_past(personas: Personas) -> None:
    from importlib import import_module

    from django.apps import apps

    survivor_record(personas)
    NoticeCursor.objects.all().delete()
    import_module("chorus.notices.migrations.0001_initial").start_at_the_heads(apps, None)
    assert notices_scan() == 0
    opened(people(personas))  # what happens afterwards is told
    assert notices_scan() == 1


def test_a_waiting_notice_names_nobody_and_points_at_nothing_in_the_database(personas: Personas) -> None:
    """What a copy of the database shows of a survivor's waiting notices: no member id, no
    event it came from, no exact time to match against the ledger."""
    from chorus.ledger.models import LedgerEvent

    built = survivor_record(personas)
    crowd = people(personas)
    case = opened(crowd, "restorative")
    notices_scan()
    _opt_in(personas, "survivor", "reply", "step")
    messaging.message_from_team(advocate_reader(personas), built.record.conversation, "We are here.")
    crowd.act("advocate", case, "facilitator", member=crowd.member("facilitator"))
    notices_scan()
    assert _pending(personas.survivor) == ["reply", "step"]
    columns = {column.name for column in PendingNotice._meta.get_fields()}
    assert columns == {"id", "recipient", "recipient_sealed", "kind", "created_at"}
    survivor_id = str(personas.survivor.pk)
    event_times = set(LedgerEvent.objects.values_list("created_at", flat=True))
    for row in PendingNotice.objects.all():
        assert survivor_id.encode() not in bytes(row.recipient) + bytes(row.recipient_sealed)
        assert survivor_id.replace("-", "").encode() not in bytes(row.recipient).hex().encode()
        assert (row.created_at.minute, row.created_at.second, row.created_at.microsecond) == (0, 0, 0)
        assert row.created_at not in event_times
    # The flush still finds her, and sends her one email.
    assert notices_flush(now=_later()) == 2
    tasks_run_due()
    assert [message.to for message in mail.outbox].count([personas.survivor.email]) == 1


def test_a_panel_member_who_recused_or_lost_the_role_is_not_told_the_case_needs_them(personas: Personas) -> None:
    from chorus.accounts.services.offboarding import member_offboard
    from chorus.cases.services.story import waiting_parties

    crowd = people(personas, *PANELS)
    case = formal_to_deliberation(crowd)
    panel = {crowd.member(panelist).display_name for panelist in ("panel", "panel2", "panel3")}
    assert _names(waiting_parties(case)) == panel
    seat = Party.objects.get(case=case, role="panel", tag=case_keys.member_tag(crowd.member("panel2")))
    Party.objects.filter(pk=seat.pk).update(recused_at=timezone.now())
    assert _names(waiting_parties(case)) == panel - {"Panel2"}
    member_offboard(member=crowd.member("panel3"), actor=personas.admin)
    assert _names(waiting_parties(case)) == panel - {"Panel2", "Panel3"}


def _names(parties: list[Party]) -> set[str]:
    members = [party_member(party) for party in parties]
    return {member.display_name for member in members if member is not None}
