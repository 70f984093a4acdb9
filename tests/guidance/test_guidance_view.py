"""The list of guidance pages: for anyone, in their language; editors also see their links."""

from __future__ import annotations

from django.test import Client

from tests.guidance.helpers import NOT_EDITORS, as_persona
from tests.personas import Personas

URL = "/guidance/riverside/"


def test_it_lists_the_pages_for_a_visitor_without_an_account(client: Client, personas: Personas) -> None:
    page = client.get(URL).content.decode()
    assert "Guidance for friends and allies" in page
    assert 'href="/guidance/riverside/when-a-friend-tells-you/"' in page
    assert "What to say, and how to listen." in page
    assert 'href="/report/riverside/"' in page
    assert "Edit the directory of services" not in page


def test_it_lists_the_pages_in_spanish(client: Client, personas: Personas) -> None:
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Cuando alguien te lo cuenta" in page and "When a friend tells you" not in page


def test_it_shows_an_advocate_the_way_to_the_directory(personas: Personas) -> None:
    page = as_persona("advocate", personas).get(URL).content.decode()
    assert 'href="/guidance/riverside/resources/"' in page


def test_it_shows_no_editing_link_to_members_who_do_not_edit(personas: Personas) -> None:
    for persona in NOT_EDITORS:
        page = as_persona(persona, personas).get(URL).content.decode()
        assert "When a friend tells you" in page
        assert "/guidance/riverside/resources/" not in page, persona


def test_it_says_there_is_nothing_for_an_unknown_organization(client: Client, personas: Personas) -> None:
    response = client.get("/guidance/nowhere/")
    assert response.status_code == 404
    assert "There is nothing here." in response.content.decode()


def test_it_is_linked_from_the_welcome_page_and_the_anonymous_report(client: Client, personas: Personas) -> None:
    assert 'href="/guidance/riverside/"' in client.get("/").content.decode()
    assert 'href="/guidance/hilltop/"' in client.get("/").content.decode()
    assert 'href="/guidance/riverside/"' in client.get("/report/riverside/").content.decode()


def test_it_is_linked_from_a_members_home(personas: Personas) -> None:
    assert 'href="/guidance/riverside/"' in as_persona("survivor", personas).get("/").content.decode()
    assert 'href="/guidance/hilltop/"' in as_persona("other_org", personas).get("/").content.decode()
