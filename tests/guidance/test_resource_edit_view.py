"""Changing a service in the directory."""

from __future__ import annotations

from chorus.guidance.models import Resource
from chorus.guidance.services import resource_add
from chorus.ledger.models import LedgerEvent
from tests.guidance.helpers import as_persona, assert_denied, assert_sent_to_sign_in, editors, not_editors
from tests.personas import Personas


def _resource(personas: Personas) -> Resource:
    return resource_add(
        organization=personas.organization, author=personas.advocate, name="Night line", offers="Talk.",
        contact="0800 000 000",
    )  # fmt: skip


def _url(resource: Resource) -> str:
    return f"/guidance/riverside/resources/{resource.pk}/"


@editors
def test_it_changes_a_service(personas: Personas, persona: str) -> None:
    resource = _resource(personas)
    client = as_persona(persona, personas)
    assert 'value="Night line"' in client.get(_url(resource)).content.decode()
    response = client.post(_url(resource), {"name": "Night line", "offers": "Talk, any night.", "contact": "0800 1"})
    assert response.status_code == 302
    assert Resource.objects.get(pk=resource.pk).offers == "Talk, any night."
    assert LedgerEvent.objects.filter(action="guidance.resource_changed").count() == 1


def test_it_refuses_an_empty_name(personas: Personas) -> None:
    resource = _resource(personas)
    response = as_persona("admin", personas).post(_url(resource), {"name": "", "offers": "x", "contact": "1"})
    assert "Enter the service&#x27;s name." in response.content.decode()
    assert Resource.objects.get(pk=resource.pk).name == "Night line"


def test_it_says_there_is_nothing_for_another_organizations_service(personas: Personas) -> None:
    elsewhere = resource_add(
        organization=personas.other_organization, author=personas.other_org, name="Hill line", offers="x", contact="1"
    )
    assert as_persona("admin", personas).get(_url(elsewhere)).status_code == 404


@not_editors
def test_it_denies_members_who_do_not_edit(personas: Personas, persona: str) -> None:
    resource = _resource(personas)
    client = as_persona(persona, personas)
    assert_denied(client, _url(resource))
    assert_denied(client, _url(resource), "post", {"name": "Taken", "offers": "x", "contact": "1"})
    assert Resource.objects.get(pk=resource.pk).name == "Night line"


def test_it_sends_a_visitor_to_sign_in(personas: Personas) -> None:
    assert_sent_to_sign_in(_url(_resource(personas)))
