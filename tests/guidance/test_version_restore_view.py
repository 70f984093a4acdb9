"""Restoring an earlier version: its words become the newest version; nothing is deleted."""

from __future__ import annotations

from django.test import Client

from chorus.guidance.models import GuidanceVersion
from chorus.guidance.services import guidance_save
from chorus.ledger.models import LedgerEvent
from tests.guidance.helpers import PAGE, as_persona, assert_denied, assert_sent_to_sign_in, editors, not_editors, page
from tests.personas import Personas


def _url(version: GuidanceVersion) -> str:
    return f"/guidance/riverside/{PAGE}/versions/{version.pk}/restore/"


def _changed(personas: Personas) -> GuidanceVersion:
    """The starting English text, after an advocate replaced it."""
    guidance_save(page=page(personas), language="en", title="Changed", summary="", body="x", author=personas.advocate)
    return page(personas).versions.get(language="en", number=1)


@editors
def test_it_restores_an_earlier_version_as_the_newest(personas: Personas, persona: str, client: Client) -> None:
    first = _changed(personas)
    response = as_persona(persona, personas).post(_url(first))
    assert response.status_code == 302 and response["Location"] == f"/guidance/riverside/{PAGE}/history/"
    assert list(page(personas).versions.filter(language="en").values_list("number", "title")) == [
        (3, "When a friend tells you"),
        (2, "Changed"),
        (1, "When a friend tells you"),
    ]
    assert "<h1>When a friend tells you</h1>" in client.get(f"/guidance/riverside/{PAGE}/").content.decode()
    assert LedgerEvent.objects.get(action="guidance.restored").actor == personas.members[persona].pseudonym


def test_it_refuses_a_get(personas: Personas) -> None:
    assert as_persona("advocate", personas).get(_url(_changed(personas))).status_code == 405


@not_editors
def test_it_denies_members_who_do_not_edit(personas: Personas, persona: str) -> None:
    first = _changed(personas)
    assert_denied(as_persona(persona, personas), _url(first), "post")
    assert page(personas).versions.filter(language="en").count() == 2


def test_it_sends_a_visitor_to_sign_in(personas: Personas) -> None:
    first = _changed(personas)
    assert_sent_to_sign_in(_url(first), "post")
    assert page(personas).versions.filter(language="en").count() == 2
