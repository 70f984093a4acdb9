"""Earlier versions of a page, in each language, with who saved them and when."""

from __future__ import annotations

from chorus.guidance.services import guidance_restore, guidance_save
from tests.guidance.helpers import PAGE, as_persona, assert_denied, assert_sent_to_sign_in, editors, not_editors, page
from tests.personas import Personas

URL = f"/guidance/riverside/{PAGE}/history/"


@editors
def test_it_lists_every_version_in_each_language(personas: Personas, persona: str) -> None:
    guidance_save(
        page=page(personas), language="en", title="Second title", summary="", body="Second.", author=personas.advocate
    )
    body = as_persona(persona, personas).get(URL).content.decode()
    assert "Version 2" in body and "Version 1" in body
    assert "Second title" in body and "When a friend tells you" in body
    assert "Cuando alguien te lo cuenta" in body
    assert personas.advocate.display_name in body
    assert "Chorus (starting text)" in body


def test_it_says_which_version_a_restore_brought_back(personas: Personas) -> None:
    friend_page = page(personas)
    guidance_save(page=friend_page, language="en", title="Changed", summary="", body="x", author=personas.advocate)
    guidance_restore(version=friend_page.versions.get(language="en", number=1), author=personas.admin)
    body = as_persona("advocate", personas).get(URL).content.decode()
    assert "Version 3" in body and "restored version 1" in body


@not_editors
def test_it_denies_members_who_do_not_edit(personas: Personas, persona: str) -> None:
    assert_denied(as_persona(persona, personas), URL)


def test_it_sends_a_visitor_to_sign_in(personas: Personas) -> None:
    assert_sent_to_sign_in(URL)
