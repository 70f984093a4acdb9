"""A request for repair, through the services: who may take each step, what she sees
before and after choosing to hear more, and what he is told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.http import Http404
from django.utils import timezone

from chorus.cases.keys import acted
from chorus.cases.models import Case, RepairRequest
from chorus.cases.services import repair
from chorus.cases.services.core import CaseError, case_actor, self_case_open
from chorus.cases.services.retention import case_destroy
from chorus.ledger.models import LedgerEvent
from chorus.records.access import Reader
from chorus.records.services.team import team_key_ensure
from chorus.web.tasks import tasks_run_due
from tests.personas import Personas

OFFER = "I would like to apologise for the comments at the Friday social."

pytestmark = pytest.mark.django_db


def _plan(personas: Personas) -> Case:
    """The respondent persona, worried he crossed a line, with the facilitator."""
    team_key_ensure(personas.organization)
    return self_case_open(
        personas.respondent,
        personas.vault_keys["respondent"],
        facilitator=personas.facilitator,
        text="I keep commenting on a colleague's clothes.",
    )


def _actor(personas: Personas, name: str, case: Case):  # type: ignore[no-untyped-def]
    return case_actor(personas.members[name], personas.vault_keys[name], case.pk)


def _reader(personas: Personas) -> Reader:
    return Reader(member=personas.advocate, vault_key=personas.vault_keys["advocate"])


def _requested(personas: Personas) -> RepairRequest:
    case = _plan(personas)
    return repair.repair_request(
        _actor(personas, "respondent", case), concerning=personas.survivor, name="", offer=OFFER
    )


def _forwarded(personas: Personas) -> RepairRequest:
    request = _requested(personas)
    repair.repair_review(_actor(personas, "facilitator", request.case), request=request, forward=True)
    return request


def _asked(personas: Personas) -> RepairRequest:
    request = _forwarded(personas)
    repair.repair_ask(_reader(personas), request=request, recipient=personas.survivor)
    return request


def _told(personas: Personas, request: RepairRequest) -> str:
    request.refresh_from_db()
    return repair.told(request)


def test_it_keeps_the_request_for_him_and_his_facilitator(personas: Personas) -> None:
    request = _requested(personas)
    for name in ("respondent", "facilitator"):
        content = repair.repair_read(_actor(personas, name, request.case), request)
        assert (content.concerning_name, content.offer) == (personas.survivor.display_name, OFFER)
    assert request.status == RepairRequest.Status.WITH_FACILITATOR
    assert request.key_for_team is None and request.her_tag is None
    assert list(repair.repair_requests_for_team(personas.advocate)) == []
    assert list(repair.repair_asks_for(personas.survivor)) == []


def test_it_refuses_a_request_from_the_facilitator(personas: Personas) -> None:
    case = _plan(personas)
    with pytest.raises(CaseError):
        repair.repair_request(_actor(personas, "facilitator", case), concerning=personas.survivor, name="", offer="")


def test_it_refuses_a_request_naming_himself_or_nobody(personas: Personas) -> None:
    actor = _actor(personas, "respondent", _plan(personas))
    with pytest.raises(CaseError):
        repair.repair_request(actor, concerning=personas.respondent, name="", offer="")
    with pytest.raises(CaseError):
        repair.repair_request(actor, concerning=None, name="  ", offer="")


def test_only_the_facilitator_can_forward(personas: Personas) -> None:
    request = _requested(personas)
    with pytest.raises(CaseError):
        repair.repair_review(_actor(personas, "respondent", request.case), request=request, forward=True)
    request.refresh_from_db()
    assert request.status == RepairRequest.Status.WITH_FACILITATOR
    repair.repair_review(_actor(personas, "facilitator", request.case), request=request, forward=True)
    assert [row.pk for row in repair.repair_requests_for_team(personas.advocate)] == [request.pk]
    forwarded = LedgerEvent.objects.get(action="repair.forwarded")
    assert forwarded.actor != personas.facilitator.pseudonym  # their pseudonym in the case
    assert acted(personas.facilitator, forwarded.actor, forwarded.refs)  # so their receipts still find it


def test_not_forwarded_he_is_told_so_and_the_advocates_see_nothing(personas: Personas) -> None:
    request = _requested(personas)
    repair.repair_review(_actor(personas, "facilitator", request.case), request=request, forward=False)
    assert "did not pass this request on" in _told(personas, request)
    assert list(repair.repair_requests_for_team(personas.advocate)) == []


def test_only_advocates_can_ask(personas: Personas) -> None:
    request = _forwarded(personas)
    with pytest.raises(Http404):
        repair.repair_requests_for_team(personas.facilitator)
    with pytest.raises(Http404):
        repair.repair_for_team(Reader(member=personas.survivor, vault_key=personas.vault_keys["survivor"]), request.pk)
    content = repair.repair_for_team(_reader(personas), request.pk)[1]
    assert (content.from_name, content.offer) == (personas.respondent.display_name, OFFER)


def test_her_first_message_says_nothing_until_she_chooses_to_hear_more(personas: Personas) -> None:
    request = _forwarded(personas)
    tasks_run_due()
    mail.outbox.clear()
    repair.repair_ask(_reader(personas), request=request, recipient=personas.survivor)
    tasks_run_due()
    assert [message.to for message in mail.outbox] == [[personas.survivor.email]]
    body = mail.outbox[0].body
    assert "do not have to" in body
    assert OFFER not in body and personas.respondent.display_name not in body
    assert [row.pk for row in repair.repair_asks_for(personas.survivor)] == [request.pk]
    content = repair.repair_hear_more(personas.survivor, personas.vault_keys["survivor"], request)
    assert (content.from_name, content.offer) == (personas.respondent.display_name, OFFER)


def test_only_she_can_answer(personas: Personas) -> None:
    request = _asked(personas)
    for name in ("respondent", "advocate", "facilitator"):
        assert list(repair.repair_asks_for(personas.members[name])) == []
        with pytest.raises(Http404):
            repair.repair_ask_for(personas.members[name], request.pk)
    assert repair.repair_ask_for(personas.survivor, request.pk) == request


def test_he_sees_only_that_no_repair_is_wanted_when_she_declines(personas: Personas) -> None:
    request = _asked(personas)
    before = _told(personas, request)
    repair.repair_hear_more(personas.survivor, personas.vault_keys["survivor"], request)
    assert _told(personas, request) == before, "reading changes nothing he can see"
    repair.repair_answer(
        personas.survivor, personas.vault_keys["survivor"], request=request, answer="nothing", note="Leave me be."
    )
    assert _told(personas, request) == "No repair is wanted."
    content = repair.repair_read(_actor(personas, "respondent", request.case), request)
    assert repair.words_for_him(request, content) == ""
    assert request.note_sealed is None and request.key_for_her is None and request.her_tag is None
    assert list(repair.repair_asks_for(personas.survivor)) == []


def test_he_reads_her_words_when_she_asks_for_an_apology(personas: Personas) -> None:
    request = _asked(personas)
    repair.repair_answer(
        personas.survivor, personas.vault_keys["survivor"], request=request, answer="apology", note="In writing."
    )
    assert "would like an apology" in _told(personas, request)
    content = repair.repair_read(_actor(personas, "respondent", request.case), request)
    assert repair.words_for_him(request, content) == "In writing."


def test_a_restorative_answer_opens_a_restorative_case_with_her_as_complainant(personas: Personas) -> None:
    request = _asked(personas)
    case = repair.repair_answer(
        personas.survivor, personas.vault_keys["survivor"], request=request, answer="restorative", note=""
    )
    assert case is not None and case.pathway == "restorative"
    assert "complainant" in _actor(personas, "survivor", case).roles
    assert "restorative process" in _told(personas, request)


def test_silence_closes_quietly_after_the_expiry_and_tells_him_nothing(personas: Personas) -> None:
    request = _asked(personas)
    mail.outbox.clear()
    tasks_run_due()
    mail.outbox.clear()
    assert repair.repair_expire(timezone.now() + timedelta(days=repair.REPAIR_DAYS - 1)) == 0
    assert repair.repair_expire(timezone.now() + timedelta(days=repair.REPAIR_DAYS + 1)) == 1
    tasks_run_due()
    assert mail.outbox == [], "no reminder to her, nothing to him"
    request.refresh_from_db()
    assert request.status == RepairRequest.Status.EXPIRED and request.key_for_her is None
    assert _told(personas, request) == "This request is closed. Nothing more will happen with it."
    assert list(repair.repair_asks_for(personas.survivor)) == []


def test_he_cannot_tell_whether_she_was_asked(personas: Personas) -> None:
    forwarded = _forwarded(personas)
    told_forwarded = _told(personas, forwarded)
    repair.repair_ask(_reader(personas), request=forwarded, recipient=personas.survivor)
    assert _told(personas, forwarded) == told_forwarded


def _his_view(personas: Personas, request: RepairRequest) -> tuple[str, bool, int]:
    """What he can observe: the words, whether he may ask again, and the emails he gets."""
    mail.outbox.clear()
    tasks_run_due()
    emails = sum(personas.respondent.email in message.to for message in mail.outbox)
    may_ask = True
    try:
        repair.repair_request(
            _actor(personas, "respondent", request.case), concerning=personas.survivor, name="", offer=OFFER
        )
    except CaseError:
        may_ask = False
    return _told(personas, request), may_ask, emails


@pytest.mark.parametrize("later", [0, repair.REPAIR_DAYS - 1, repair.REPAIR_DAYS + 1])
def test_not_asking_her_looks_to_him_exactly_like_her_silence(personas: Personas, later: int) -> None:
    """The advocates closing a request without asking her must not tell him she was not
    asked: same words, same emails, same refusal of a second request, on the same day."""
    seen = []
    for decide in ("ask", "not ask"):
        forwarded = _forwarded(personas)
        if decide == "ask":
            repair.repair_ask(_reader(personas), request=forwarded, recipient=personas.survivor)
        else:
            repair.repair_not_asked(_reader(personas), request=forwarded)
        repair.repair_expire(timezone.now() + timedelta(days=later))
        seen.append(_his_view(personas, forwarded))
        RepairRequest.objects.filter(pk=forwarded.pk).delete()
        forwarded.case.delete()
    assert seen[0] == seen[1]


def test_she_is_asked_only_once_in_a_plan(personas: Personas) -> None:
    request = _asked(personas)
    repair.repair_expire(timezone.now() + timedelta(days=repair.REPAIR_DAYS + 1))
    with pytest.raises(CaseError):
        repair.repair_request(
            _actor(personas, "respondent", request.case), concerning=personas.survivor, name="", offer=OFFER
        )


def test_the_ledger_never_names_her_next_to_the_request(personas: Personas) -> None:
    request = _asked(personas)
    repair.repair_answer(personas.survivor, personas.vault_keys["survivor"], request=request, answer="nothing", note="")
    events = LedgerEvent.objects.filter(refs__request=str(request.pk))
    assert {event.action for event in events} >= {repair.ADVOCATES_ACTED, "repair.answered", "case.repair_requested"}
    assert personas.survivor.pseudonym not in {event.actor for event in events}


def test_destroying_the_plan_at_the_end_of_its_retention_leaves_nothing_of_the_request(personas: Personas) -> None:
    request = _asked(personas)
    case_destroy(request.case)
    request.refresh_from_db()
    assert (bytes(request.body_sealed), request.key_for_team, request.key_for_her, request.her_tag) == (
        b"",
        None,
        None,
        None,
    )
    assert list(repair.repair_requests_for_team(personas.advocate)) == []
    assert list(repair.repair_asks_for(personas.survivor)) == []
