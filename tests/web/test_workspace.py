"""The home page as each person's workspace: what waits for them, oldest first, with its
age and a link; only what they already reach elsewhere; a bounded number of queries."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chorus.accounts.services.power import role_propose
from chorus.cases.models import Case
from chorus.escrow.models import Match
from chorus.records.models import Conversation, Grant
from chorus.records.services import messaging, sharing, writing
from tests.cases.factory import IN_A_MONTH, claim_invitation, opened, people
from tests.escrow.factory import SAM, client_for, member_owner, name
from tests.personas import PERSONA_ROLES, Personas
from tests.records.factory import advocate_reader, survivor_owner, survivor_record

pytestmark = pytest.mark.django_db


def _home(personas: Personas, persona: str) -> str:
    client = client_for(personas.members[persona], personas.vault_keys[persona])
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def _queue(page: str) -> list[str]:
    found = re.search(r'<ol class="cards" id="queue">(.*?)</ol>', page, re.S)
    return (
        [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in found.group(1).split("<li>")[1:]]
        if found
        else []
    )


def _days_ago(model: Any, pk: object, field: str, days: int) -> None:
    model.objects.filter(pk=pk).update(**{field: timezone.now() - timedelta(days=days)})


def test_it_gives_an_advocate_what_waits_oldest_first_with_its_age_and_link(personas: Personas) -> None:
    built = survivor_record(personas)  # a share with the team and a message to it
    _days_ago(Grant, built.grant.pk, "created_at", 3)
    crowd = people(personas)
    case = opened(crowd)
    _days_ago(Case, case.pk, "opened_at", 1)
    name(survivor_owner(personas), ("email", SAM))
    name(member_owner(personas, "robin"), ("email", SAM))
    role_propose(member=personas.survivor, role="advocate", proposer=personas.admin)

    page = _home(personas, "advocate")
    queue = _queue(page)
    assert len(queue) == 5, queue
    assert queue[0].startswith("Shared with the team, not yet read: Support") and "3 days ago" in queue[0]
    assert queue[1].startswith("A new case waits for a pathway") and "1 day ago" in queue[1]
    assert {item.split(" 0 minutes")[0] for item in queue[2:]} == {
        "An unread message from a survivor",
        "A match in escrow not yet opened",
        "A role waits for your approval: Advocate for Survivor",
    }
    assert f'href="/advocates/shared/{built.grant.pk}/"' in page
    assert f'href="/advocates/conversations/{built.record.pk}/"' in page
    assert f'href="/cases/{case.pk}/"' in page
    assert f'href="/advocates/matches/{Match.objects.get().pk}/"' in page
    assert "coat racks" not in page and "Dominik" not in page  # nothing shared is decrypted here


def test_what_was_dealt_with_leaves_the_queue(personas: Personas) -> None:
    built = survivor_record(personas)
    reader = advocate_reader(personas)
    sharing.grant_open(reader, built.grant)
    messaging.messages_for_team(reader, Conversation.objects.get(record=built.record))
    page = _home(personas, "advocate")
    assert _queue(page) == []
    assert "Nothing is waiting for you." in page


def test_an_overdue_measure_is_in_the_queue_marked_overdue(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "support")
    crowd.act("survivor", case, "measure_request", kind="room", text="Another room, please.")
    measure = case.measures.get()
    crowd.act("advocate", case, "measure_decide", measure=measure, agree="yes", reasons="Yes.",
              owner=crowd.member("admin"), due=IN_A_MONTH)  # fmt: skip
    case.measures.update(due_at=timezone.now() - timedelta(days=2))
    queue = _queue(_home(personas, "advocate"))
    overdue = [item for item in queue if item.startswith("Overdue in")]
    assert len(overdue) == 1 and "Measure 1 is due" in overdue[0] and "Overdue" in overdue[0]


def test_the_queue_says_plainly_when_nothing_waits(personas: Personas) -> None:
    page = _home(personas, "advocate")
    assert _queue(page) == []
    assert "Nothing is waiting for you. New shares, unread messages, new cases, matches" in page


def test_a_survivor_sees_their_cases_what_each_waits_for_and_unread_replies(personas: Personas) -> None:
    built = survivor_record(personas)
    messaging.message_from_team(advocate_reader(personas), built.record.conversation, "We are here.")
    crowd = people(personas)
    case = opened(crowd, "restorative")
    page = _home(personas, "survivor")
    assert 'id="queue"' not in page and "Waiting for you" not in page  # no advocate queue
    assert "An advocate replied to you" in page and f'href="/records/{built.record.pk}/messages/"' in page
    assert "We are here." not in page
    cases = page.split('id="my-cases"')[1]
    assert f'href="/cases/{case.pk}/"' in cases and "Needs you" in cases  # her consent to contact
    assert "<dd>you</dd>" in cases and "Complainant" in cases  # she is the one it waits for
    # Read: the reply leaves her home page.
    messaging.messages_for_owner(built.owner, built.record)
    assert "An advocate replied to you" not in _home(personas, "survivor")


def test_a_survivor_sees_an_invitation_to_meet_others(personas: Personas) -> None:
    from tests.escrow.factory import matched_group

    _match, group = matched_group(personas)
    page = _home(personas, "survivor")
    assert "You are invited to meet others who named the same person" in page
    assert f'href="/escrow/groups/{group.pk}/"' in page


def test_a_facilitator_sees_their_assignment_and_its_deadline(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "restorative")
    crowd.act("survivor", case, "consent", step="contact")
    crowd.act("advocate", case, "invite", email=crowd.member("respondent").email, text="An invitation to talk.")
    claim_invitation(crowd, "respondent")
    crowd.act("advocate", case, "facilitator", member=crowd.member("facilitator"))
    page = _home(personas, "facilitator")
    assigned = page.split('id="assignments"')[1]
    assert f'href="/cases/{case.pk}/"' in assigned and "Facilitator" in assigned
    assert "Next date" in assigned and "Target for this stage" in assigned
    # The respondent's home names the case, never the survivor's record or queue.
    respondent = _home(personas, "respondent")
    assert f'href="/cases/{case.pk}/"' in respondent and "Waiting for you" not in respondent


def test_a_membership_change_waits_for_the_second_person_not_the_proposer(personas: Personas) -> None:
    from chorus.accounts.services.lifecycle import member_suspend

    member_suspend(member=personas.survivor, reason="left", actor=personas.admin)
    assert _queue(_home(personas, "admin")) == []  # they proposed it
    assert "Nothing is waiting for your approval." in _home(personas, "admin")
    queue = _queue(page := _home(personas, "oversight"))
    assert len(queue) == 1 and queue[0].startswith("A membership change waits for a second person")
    assert 'href="/organization/power/"' in page
    assert _queue(_home(personas, "advocate")) == []  # not theirs to decide


def test_an_investigator_with_nothing_assigned_is_told_so(personas: Personas) -> None:
    page = _home(personas, "investigator")
    assert "No case is assigned to you now." in page


def test_nobody_sees_anyone_elses_cases_records_or_queue(personas: Personas) -> None:
    survivor_record(personas)
    crowd = people(personas)
    case = opened(crowd)
    robin = member_owner(personas, "robin")
    assert robin.member is not None
    client = client_for(robin.member, robin.vault_key)
    page = client.get("/").content.decode()
    for persona in ("respondent", "panel", "oversight", "commission", "facilitator", "investigator"):
        page += _home(personas, persona)
    assert str(case.pk) not in page
    assert "/advocates/shared/" not in page and "/advocates/conversations/" not in page
    assert "An unread message" not in page


def test_a_role_taken_away_takes_its_assignments_off_the_home_page(personas: Personas) -> None:
    from chorus.accounts.services.power import roles_remove

    crowd = people(personas)
    case = opened(crowd, "restorative")
    crowd.act("survivor", case, "consent", step="contact")
    crowd.act("advocate", case, "facilitator", member=crowd.member("facilitator"))
    assert f"/cases/{case.pk}/" in _home(personas, "facilitator")
    roles_remove(member=personas.facilitator, roles={"facilitator"}, actor=personas.admin)
    assert f"/cases/{case.pk}/" not in _home(personas, "facilitator")


# What each persona's home page may cost (sessions, roles, the ledger head the page shows,
# then one query per list; a case's measures and milestones are read once for all of them).
MAX_QUERIES = dict.fromkeys(PERSONA_ROLES, 9) | {"advocate": 20, "survivor": 13}


@pytest.mark.parametrize("persona", sorted(PERSONA_ROLES))
def test_the_home_page_needs_a_bounded_number_of_queries(
    personas: Personas, persona: str, django_assert_max_num_queries: Any
) -> None:
    """Three shares and three messages waiting, and a case: the count must not grow with them."""
    crowd = people(personas)
    for _ in range(3):
        survivor_record(personas)
    opened(crowd, "restorative")
    client = client_for(personas.members[persona], personas.vault_keys[persona])
    client.get("/")  # the first request of a session does its one-off work (keys, language)
    with django_assert_max_num_queries(MAX_QUERIES[persona]):
        assert client.get("/").status_code == 200


def test_the_advocate_queue_costs_the_same_for_one_share_or_many(personas: Personas) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(personas.advocate, personas.vault_keys["advocate"])
    survivor_record(personas)
    client.get("/")
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    owner = survivor_owner(personas)
    for _ in range(4):
        record = writing.record_create(owner)
        writing.record_save(owner, record, {"title": "t", "what": "w"})
        sharing.grant_create(owner, record, grantee=None, purpose="support", versions=[1], parts=["what"],
                             attachment_ids=[], expires_at=None)  # fmt: skip
        messaging.message_from_owner(owner, record, "Hello?")
    with CaptureQueriesContext(connection) as five:
        page = client.get("/").content.decode()
    assert len(_queue(page)) == 10
    assert len(five.captured_queries) == len(one.captured_queries)


def test_the_inbox_says_no_message_yet_instead_of_an_empty_time(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    writing.record_save(owner, record, {"title": "t", "what": "w"})
    sharing.grant_create(owner, record, grantee=None, purpose="support", versions=[1], parts=["what"],
                         attachment_ids=[], expires_at=None)  # fmt: skip  # opens an empty conversation
    client: Client = client_for(personas.advocate, personas.vault_keys["advocate"])
    page = client.get("/advocates/inbox/").content.decode()
    assert "No messages yet" in page
    assert not re.search(r"last message\s*</span>", page)


def test_oversight_reaches_its_own_pages_from_home(personas: Personas) -> None:
    """The pages only oversight (and, for new members, administrators) use are linked from
    their home page, not left to be typed in."""
    oversight = client_for(personas.oversight, personas.vault_keys["oversight"]).get("/").content.decode()
    assert reverse("memberships") in oversight and reverse("process_reports") in oversight
    survivor = client_for(personas.survivor, personas.vault_keys["survivor"]).get("/").content.decode()
    assert reverse("memberships") not in survivor and reverse("process_reports") not in survivor
