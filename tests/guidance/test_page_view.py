"""One guidance page: rendered safely, in the visitor's language or in English with a
sentence saying so; the page about help shows the directory."""

from __future__ import annotations

from django.test import Client

from chorus.guidance.services import guidance_save, resource_add
from tests.guidance.helpers import HELP, NOT_EDITORS, PAGE, as_persona, page
from tests.personas import Personas

URL = f"/guidance/riverside/{PAGE}/"


def test_it_shows_the_page_to_a_visitor_without_an_account(client: Client, personas: Personas) -> None:
    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>When a friend tells you</h1>" in body
    assert "<h2>What you can say</h2>" in body
    assert "Edit this page" not in body


def test_it_shows_the_spanish_text_to_a_spanish_reader(client: Client, personas: Personas) -> None:
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "<h1>Cuando alguien te lo cuenta</h1>" in body
    assert "shown in English" not in body


def test_it_falls_back_to_english_saying_so(client: Client, personas: Personas) -> None:
    page(personas).versions.filter(language="es").delete()
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "<h1>When a friend tells you</h1>" in body
    assert '<article class="guidance" lang="en">' in body
    # said in the visitor's language: the sentence is for someone who reads Spanish
    assert "aún no está disponible en español, así que se muestra en inglés." in body


def test_it_shows_the_newest_version(client: Client, personas: Personas) -> None:
    guidance_save(
        page=page(personas), language="en", title="When someone confides in you", summary="", body="Believe them.",
        author=personas.advocate,
    )  # fmt: skip
    body = client.get(URL).content.decode()
    assert "<h1>When someone confides in you</h1>" in body and "Believe them." in body


def test_it_renders_hostile_markdown_harmlessly(client: Client, personas: Personas) -> None:
    guidance_save(
        page=page(personas), language="en", title="<script>alert(1)</script>", summary="",
        body="<script>alert(2)</script>\n\n[x](javascript:alert(3))\n\n![p](https://tracker.example/p.png)",
        author=personas.advocate,
    )  # fmt: skip
    body = client.get(URL).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'href="javascript:' not in body and "tracker.example" not in body


def test_it_shows_the_directory_on_the_page_about_help(client: Client, personas: Personas) -> None:
    resource_add(
        organization=personas.organization, author=personas.advocate, name="Night line",
        offers="Someone to talk to.", contact="help@nightline.example", languages="English, Spanish",
        hours="Every night, 20:00 to 08:00",
    )  # fmt: skip
    body = client.get(f"/guidance/riverside/{HELP}/").content.decode()
    assert "Night line" in body and "Every night, 20:00 to 08:00" in body and "English, Spanish" in body
    assert 'href="mailto:help@nightline.example"' in body
    assert "Night line" not in client.get(URL).content.decode()


def test_it_says_when_no_service_is_listed(client: Client, personas: Personas) -> None:
    body = client.get(f"/guidance/riverside/{HELP}/").content.decode()
    assert "No services are listed yet." in body


def test_it_shows_an_editor_the_links_to_edit(personas: Personas) -> None:
    body = as_persona("advocate", personas).get(URL).content.decode()
    assert f'href="/guidance/riverside/{PAGE}/edit/"' in body
    assert f'href="/guidance/riverside/{PAGE}/history/"' in body


def test_it_shows_no_editing_links_to_members_who_do_not_edit(personas: Personas) -> None:
    for persona in NOT_EDITORS:
        body = as_persona(persona, personas).get(URL).content.decode()
        assert "<h1>When a friend tells you</h1>" in body
        assert "/edit/" not in body, persona


def test_it_says_there_is_nothing_for_another_organizations_page(client: Client, personas: Personas) -> None:
    assert client.get("/guidance/riverside/no-such-page/").status_code == 404
