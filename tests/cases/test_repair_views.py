"""The pages of a request for repair, as each person uses them, and who is turned away."""

from __future__ import annotations

import pytest
from django.test import Client

from chorus.cases.models import Case, RepairRequest
from chorus.cases.services.core import self_case_open
from chorus.records.services.team import team_key_ensure
from tests.helpers import open_vault
from tests.personas import Personas

pytestmark = pytest.mark.django_db
OFFER = "I want to say sorry for what I said at the depot."


def _client(personas: Personas, name: str) -> Client:
    client = Client()
    member = personas.members[name]
    client.force_login(member, backend="chorus.accounts.backends.MemberBackend")
    open_vault(client, member, personas.vault_keys[name])
    return client


def _plan(personas: Personas) -> Case:
    team_key_ensure(personas.organization)
    return self_case_open(
        personas.respondent, personas.vault_keys["respondent"], facilitator=personas.facilitator, text="Worried."
    )


def _asked(personas: Personas) -> RepairRequest:
    case = _plan(personas)
    him = _client(personas, "respondent")
    page = him.post(f"/cases/{case.pk}/repair/new/", {"concerning": str(personas.survivor.pk), "offer": OFFER})
    assert page.status_code == 302
    request = RepairRequest.objects.get(case=case)
    assert (
        _client(personas, "facilitator")
        .post(f"/cases/{case.pk}/repair/{request.pk}/review/", {"forward": "yes"})
        .status_code
        == 302
    )
    advocate = _client(personas, "advocate")
    assert advocate.post(f"/cases/repair/{request.pk}/", {"recipient": str(personas.survivor.pk)}).status_code == 302
    return request


def test_it_offers_the_request_from_his_plan(personas: Personas) -> None:
    case = _plan(personas)
    page = _client(personas, "respondent").get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/repair/" in page
    form = _client(personas, "respondent").get(f"/cases/{case.pk}/repair/").content.decode()
    assert "Send to my facilitator" in form and "do not contact the person concerned" in form


def test_it_refuses_a_request_naming_no_one_and_keeps_what_was_typed(personas: Personas) -> None:
    case = _plan(personas)
    page = _client(personas, "respondent").post(f"/cases/{case.pk}/repair/new/", {"offer": OFFER})
    assert page.status_code == 400
    body = page.content.decode()
    assert "There is a problem" in body and "Choose the person concerned" in body and OFFER in body
    assert not RepairRequest.objects.exists()


def test_it_denies_the_request_form_to_the_facilitator_and_others(personas: Personas) -> None:
    case = _plan(personas)
    data = {"concerning": str(personas.survivor.pk), "offer": OFFER}
    for name in ("facilitator", "survivor", "advocate", "admin"):
        assert _client(personas, name).post(f"/cases/{case.pk}/repair/new/", data).status_code == 404, name
    assert not RepairRequest.objects.exists()


def test_it_denies_the_review_to_him(personas: Personas) -> None:
    case = _plan(personas)
    him = _client(personas, "respondent")
    him.post(f"/cases/{case.pk}/repair/new/", {"concerning": str(personas.survivor.pk), "offer": OFFER})
    request = RepairRequest.objects.get(case=case)
    assert him.post(f"/cases/{case.pk}/repair/{request.pk}/review/", {"forward": "yes"}).status_code == 404
    request.refresh_from_db()
    assert request.status == "facilitator"


def test_it_denies_the_ask_to_everyone_but_advocates(personas: Personas) -> None:
    case = _plan(personas)
    _client(personas, "respondent").post(
        f"/cases/{case.pk}/repair/new/", {"concerning": str(personas.survivor.pk), "offer": OFFER}
    )
    request = RepairRequest.objects.get(case=case)
    _client(personas, "facilitator").post(f"/cases/{case.pk}/repair/{request.pk}/review/", {"forward": "yes"})
    for name in ("facilitator", "respondent", "survivor", "admin"):
        response = _client(personas, name).post(
            f"/cases/repair/{request.pk}/", {"recipient": str(personas.survivor.pk)}
        )
        assert response.status_code in (403, 404), name
    request.refresh_from_db()
    assert request.status == "advocates"


def test_it_shows_her_nothing_but_the_first_message_until_she_hears_more(personas: Personas) -> None:
    request = _asked(personas)
    her = _client(personas, "survivor")
    assert "/cases/repair/asked/" in her.get("/cases/").content.decode()
    first = her.get(f"/cases/repair/asked/{request.pk}/").content.decode()
    assert "Someone would like to offer something about something that concerns you." in first
    assert "You do not have to answer" in first
    assert OFFER not in first and personas.respondent.display_name not in first
    more = her.get(f"/cases/repair/asked/{request.pk}/more/").content.decode()
    assert OFFER in more and personas.respondent.display_name in more


def test_it_denies_the_ask_to_him_and_everyone_else(personas: Personas) -> None:
    request = _asked(personas)
    for name in ("respondent", "facilitator", "advocate", "admin"):
        client = _client(personas, name)
        assert client.get(f"/cases/repair/asked/{request.pk}/").status_code == 404, name
        assert client.get(f"/cases/repair/asked/{request.pk}/more/").status_code == 404, name
        assert client.post(f"/cases/repair/asked/{request.pk}/more/", {"answer": "apology"}).status_code == 404
    request.refresh_from_db()
    assert request.status == "asked"


def test_it_tells_him_only_that_no_repair_is_wanted(personas: Personas) -> None:
    request = _asked(personas)
    answered = _client(personas, "survivor").post(
        f"/cases/repair/asked/{request.pk}/more/", {"answer": "nothing", "note": "Please never write to me."}
    )
    assert answered.status_code == 302
    page = _client(personas, "respondent").get(f"/cases/{request.case_id}/repair/").content.decode()
    assert "No repair is wanted." in page
    assert "Please never write to me." not in page
    assert "Send to my facilitator" not in page, "she is not asked again"


def test_it_refuses_an_answer_without_a_choice(personas: Personas) -> None:
    request = _asked(personas)
    page = _client(personas, "survivor").post(f"/cases/repair/asked/{request.pk}/more/", {"note": "Hmm"})
    assert page.status_code == 400 and "There is a problem" in page.content.decode()
    request.refresh_from_db()
    assert request.status == "asked"
