"""The case pages: opening, reading, taking a step, refusals that keep what was typed,
and leadership's attempt to set a decision (recorded for real cases only, and limited)."""

from __future__ import annotations

import uuid

import pytest

from chorus.cases.keys import acted
from chorus.cases.models import Case
from chorus.cases.services.act import REFUSED_ATTEMPTS_PER_HOUR
from chorus.cases.services.core import DecisionRefused
from chorus.ledger.models import LedgerEvent
from tests.cases.factory import opened, people
from tests.escrow.factory import client_for
from tests.insights.factory import past_cases
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def test_it_opens_a_case_and_shows_it_to_its_survivor(personas: Personas) -> None:
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    response = client.post("/cases/new/", {"summary": "I want the comments to stop.", "pathway": "support"})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "I want the comments to stop." in page and "Ask for a supportive measure" in page


def test_it_explains_a_bad_step_and_keeps_the_text(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "formal")
    client = client_for(personas.advocate, personas.vault_keys["advocate"])
    response = client.post(
        f"/cases/{case.pk}/act/notice/",
        {"notice-email": "respondent@riverside.example", "notice-text": "You are notified of one allegation."},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "This needs consent first" in page and "You are notified of one allegation." in page
    response = client.post(f"/cases/{case.pk}/act/notice/", {"notice-email": "not an address", "notice-text": ""})
    assert response.status_code == 400 and "Enter a valid email address." in response.content.decode()


def test_it_refuses_and_records_leadership_setting_a_decision(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "formal")
    client = client_for(personas.admin, personas.vault_keys["admin"])
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    response = client.post(f"/cases/{case.pk}/act/decide/", {"decide-text": "Not upheld."})
    assert response.status_code == 403
    assert "changes only through an appeal" in response.content.decode()
    event = LedgerEvent.objects.get(action="case.decision_change_refused")
    # Named in the case's own pseudonym: the member's, beside the case id, would tell a dump they acted in it.
    assert event.actor != personas.admin.pseudonym and acted(personas.admin, event.actor, event.refs)
    assert event.refs["case"] == str(case.pk)


def test_an_unknown_step_is_not_found(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd)
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    assert client.post(f"/cases/{case.pk}/act/overrule/", {}).status_code == 404


def test_a_deciding_step_on_a_case_that_is_not_the_organizations_is_not_found(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "formal")
    elsewhere = past_cases(personas.other_organization, "formal", "deliberation", 1)[0]
    admin = client_for(personas.admin, personas.vault_keys["admin"])
    for case_id in (uuid.uuid4(), elsewhere.pk):
        for step in ("decide", "vote", "appeal_decide"):
            response = admin.post(f"/cases/{case_id}/act/{step}/", {"decide-text": "Not upheld."})
            assert response.status_code == 404
    other = client_for(personas.other_org, personas.vault_keys["other_org"])
    assert other.post(f"/cases/{case.pk}/act/decide/", {"decide-text": "Not upheld."}).status_code == 404
    assert not LedgerEvent.objects.filter(action="case.decision_change_refused").exists()


def test_it_limits_refused_decision_attempts_per_member(personas: Personas) -> None:
    crowd = people(personas)
    cases = [opened(crowd, "formal") for _ in range(2)]
    admin = client_for(personas.admin, personas.vault_keys["admin"])
    for attempt in range(REFUSED_ATTEMPTS_PER_HOUR):
        response = admin.post(f"/cases/{cases[attempt % 2].pk}/act/decide/", {"decide-text": "Not upheld."})
        assert response.status_code == 403 and "changes only through an appeal" in response.content.decode()
    response = admin.post(f"/cases/{cases[0].pk}/act/decide/", {"decide-text": "Not upheld."})
    assert response.status_code == 403 and "Further attempts are refused for an hour" in response.content.decode()
    refused = LedgerEvent.objects.filter(action="case.decision_change_refused")
    assert refused.count() == REFUSED_ATTEMPTS_PER_HOUR
    assert (
        LedgerEvent.objects.filter(action="case.decision_attempts_limited", actor=personas.admin.pseudonym).count() == 1
    )
    # A party to the case is limited the same way, through the service; another member is not.
    for _attempt in range(REFUSED_ATTEMPTS_PER_HOUR):
        with pytest.raises(DecisionRefused, match="changes only through an appeal"):
            crowd.act("survivor", cases[0], "decide", text="Upheld.")
    with pytest.raises(DecisionRefused, match="Further attempts are refused"):
        crowd.act("survivor", cases[0], "decide", text="Upheld.")
    investigator = client_for(personas.investigator, personas.vault_keys["investigator"])
    response = investigator.post(f"/cases/{cases[1].pk}/act/decide/", {"decide-text": "Upheld."})
    assert response.status_code == 403 and "changes only through an appeal" in response.content.decode()
    assert refused.count() == 2 * REFUSED_ATTEMPTS_PER_HOUR + 1
