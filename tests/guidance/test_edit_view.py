"""Editing a page: administrators and advocates of the organization; a preview saves
nothing; a save adds a version in the language being edited."""

from __future__ import annotations

import pytest

from chorus.guidance.models import GuidanceVersion
from chorus.ledger.models import LedgerEvent
from tests.guidance.helpers import PAGE, as_persona, assert_denied, assert_sent_to_sign_in, editors, not_editors, page
from tests.personas import Personas

URL = f"/guidance/riverside/{PAGE}/edit/"
TEXT = {"language": "en", "title": "When someone tells you", "summary": "Listen first.", "body": "## Listen\n\nSay so."}


@editors
def test_it_offers_the_current_text_to_edit(personas: Personas, persona: str) -> None:
    body = as_persona(persona, personas).get(URL).content.decode()
    assert 'value="When a friend tells you"' in body
    assert "Someone chose you." in body


def test_it_offers_the_spanish_text_when_asked(personas: Personas) -> None:
    body = as_persona("advocate", personas).get(URL, {"language": "es"}).content.decode()
    assert 'value="Cuando alguien te lo cuenta"' in body
    assert 'name="language" value="es"' in body


def test_it_previews_without_saving(personas: Personas) -> None:
    client = as_persona("advocate", personas)
    response = client.post(URL, {**TEXT, "body": "## Listen\n\n<script>x</script>", "preview": "yes"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Listen</h2>" in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body and "<script>x</script>" not in body
    assert page(personas).versions.count() == 2
    assert not LedgerEvent.objects.filter(action="guidance.saved").exists()


@editors
def test_it_saves_a_new_version(personas: Personas, persona: str) -> None:
    response = as_persona(persona, personas).post(URL, {**TEXT, "save": "yes"})
    assert response.status_code == 302 and response["Location"] == f"/guidance/riverside/{PAGE}/history/"
    newest = page(personas).versions.filter(language="en").first()
    assert newest is not None and (newest.number, newest.title) == (2, "When someone tells you")
    assert newest.author == personas.members[persona]


def test_it_saves_the_spanish_text_apart(personas: Personas) -> None:
    client = as_persona("admin", personas)
    client.post(URL + "?language=es", {**TEXT, "language": "es", "title": "Cuando te lo cuentan"})
    assert list(GuidanceVersion.objects.filter(page=page(personas), language="es").values_list("number", "title")) == [
        (2, "Cuando te lo cuentan"),
        (1, "Cuando alguien te lo cuenta"),
    ]


def test_it_refuses_an_empty_text_keeping_what_was_typed(personas: Personas) -> None:
    response = as_persona("advocate", personas).post(URL, {**TEXT, "title": "Kept title", "body": ""})
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body and "Enter the text of the page." in body
    assert 'value="Kept title"' in body
    assert page(personas).versions.count() == 2


def test_it_refuses_a_language_it_does_not_keep(personas: Personas) -> None:
    response = as_persona("advocate", personas).post(URL, {**TEXT, "language": "de"})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert page(personas).versions.count() == 2


@not_editors
def test_it_denies_members_who_do_not_edit(personas: Personas, persona: str) -> None:
    client = as_persona(persona, personas)
    assert_denied(client, URL)
    assert_denied(client, URL, "post", TEXT)
    assert page(personas).versions.count() == 2


def test_it_sends_a_visitor_to_sign_in(personas: Personas) -> None:
    assert_sent_to_sign_in(URL)


def test_it_says_there_is_nothing_for_an_unknown_page(personas: Personas) -> None:
    assert as_persona("advocate", personas).get("/guidance/riverside/nothing/edit/").status_code == 404


@pytest.mark.parametrize("slug", ["hilltop"])
def test_it_denies_an_advocate_another_organizations_pages(personas: Personas, slug: str) -> None:
    assert_denied(as_persona("advocate", personas), f"/guidance/{slug}/{PAGE}/edit/")
