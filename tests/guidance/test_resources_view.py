"""The directory of services as editors manage it."""

from __future__ import annotations

from chorus.guidance.services import resource_add
from tests.guidance.helpers import as_persona, assert_denied, assert_sent_to_sign_in, editors, not_editors
from tests.personas import Personas

URL = "/guidance/riverside/resources/"


@editors
def test_it_lists_the_services_with_their_links(personas: Personas, persona: str) -> None:
    resource = resource_add(
        organization=personas.organization, author=personas.advocate, name="Night line", offers="Talk.",
        contact="0800 000 000",
    )  # fmt: skip
    body = as_persona(persona, personas).get(URL).content.decode()
    assert "Night line" in body and "0800 000 000" in body
    assert f'href="{URL}{resource.pk}/"' in body and f'href="{URL}{resource.pk}/remove/"' in body
    assert f'href="{URL}new/"' in body


def test_it_says_when_there_is_none(personas: Personas) -> None:
    assert "No services are listed yet." in as_persona("admin", personas).get(URL).content.decode()


def test_it_lists_no_service_of_another_organization(personas: Personas) -> None:
    resource_add(
        organization=personas.other_organization, author=personas.other_org, name="Hill line", offers="x", contact="1"
    )
    assert "Hill line" not in as_persona("admin", personas).get(URL).content.decode()


@not_editors
def test_it_denies_members_who_do_not_edit(personas: Personas, persona: str) -> None:
    assert_denied(as_persona(persona, personas), URL)


def test_it_sends_a_visitor_to_sign_in(personas: Personas) -> None:
    assert_sent_to_sign_in(URL)
