"""Removing a service from the directory: asked, then done."""

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
    return f"/guidance/riverside/resources/{resource.pk}/remove/"


@editors
def test_it_asks_then_removes(personas: Personas, persona: str) -> None:
    resource = _resource(personas)
    client = as_persona(persona, personas)
    assert "Remove Night line from the directory?" in client.get(_url(resource)).content.decode()
    assert Resource.objects.filter(pk=resource.pk).exists()
    assert client.post(_url(resource)).status_code == 302
    assert not Resource.objects.filter(pk=resource.pk).exists()
    assert LedgerEvent.objects.get(action="guidance.resource_removed").actor == personas.members[persona].pseudonym


@not_editors
def test_it_denies_members_who_do_not_edit(personas: Personas, persona: str) -> None:
    resource = _resource(personas)
    assert_denied(as_persona(persona, personas), _url(resource), "post")
    assert Resource.objects.filter(pk=resource.pk).exists()


def test_it_sends_a_visitor_to_sign_in(personas: Personas) -> None:
    resource = _resource(personas)
    assert_sent_to_sign_in(_url(resource), "post")
    assert Resource.objects.filter(pk=resource.pk).exists()
