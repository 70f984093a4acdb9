"""Adding a service to the directory."""

from __future__ import annotations

from django.test import Client

from chorus.guidance.models import Resource
from chorus.ledger.models import LedgerEvent
from tests.guidance.helpers import HELP, as_persona, assert_denied, assert_sent_to_sign_in, editors, not_editors
from tests.personas import Personas

URL = "/guidance/riverside/resources/new/"
SERVICE = {
    "name": "Night line",
    "offers": "Someone to talk to, at night.",
    "contact": "0800 000 000",
    "languages": "English, Spanish",
    "hours": "20:00 to 08:00",
}


@editors
def test_it_adds_a_service_visitors_then_see(personas: Personas, persona: str, client: Client) -> None:
    response = as_persona(persona, personas).post(URL, SERVICE)
    assert response.status_code == 302 and response["Location"] == "/guidance/riverside/resources/"
    assert Resource.objects.get(organization=personas.organization).name == "Night line"
    assert "20:00 to 08:00" in client.get(f"/guidance/riverside/{HELP}/").content.decode()
    assert LedgerEvent.objects.get(action="guidance.resource_added").actor == personas.members[persona].pseudonym


def test_it_refuses_a_service_without_a_contact_keeping_what_was_typed(personas: Personas) -> None:
    response = as_persona("advocate", personas).post(URL, {**SERVICE, "contact": ""})
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body and "Enter how to contact the service." in body
    assert 'value="Night line"' in body
    assert not Resource.objects.exists()


@not_editors
def test_it_denies_members_who_do_not_edit(personas: Personas, persona: str) -> None:
    client = as_persona(persona, personas)
    assert_denied(client, URL)
    assert_denied(client, URL, "post", SERVICE)
    assert not Resource.objects.filter(organization=personas.organization).exists()


def test_it_sends_a_visitor_to_sign_in(personas: Personas) -> None:
    assert_sent_to_sign_in(URL)
