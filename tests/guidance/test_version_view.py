"""One earlier version, as visitors saw it, with the button that restores it."""

from __future__ import annotations

from chorus.guidance.models import GuidanceVersion
from chorus.guidance.services import guidance_save
from tests.guidance.helpers import PAGE, as_persona, assert_denied, assert_sent_to_sign_in, editors, not_editors, page
from tests.personas import Personas


def _url(version: GuidanceVersion) -> str:
    return f"/guidance/riverside/{PAGE}/versions/{version.pk}/"


def _first(personas: Personas) -> GuidanceVersion:
    return page(personas).versions.get(language="en", number=1)


@editors
def test_it_shows_an_earlier_version_with_a_restore_button(personas: Personas, persona: str) -> None:
    guidance_save(page=page(personas), language="en", title="Newer", summary="", body="Newer.", author=personas.admin)
    body = as_persona(persona, personas).get(_url(_first(personas))).content.decode()
    assert "Version 1 in English" in body
    assert "<h2>When a friend tells you</h2>" in body and "Someone chose you." in body
    assert "Restore version 1" in body


def test_it_offers_no_restore_for_the_current_version(personas: Personas) -> None:
    body = as_persona("advocate", personas).get(_url(_first(personas))).content.decode()
    assert "This is the version visitors read now." in body and "Restore version" not in body


def test_it_renders_an_old_hostile_version_harmlessly(personas: Personas) -> None:
    hostile = guidance_save(
        page=page(personas), language="en", title="x", summary="", body="<script>alert(1)</script>",
        author=personas.admin,
    )  # fmt: skip
    body = as_persona("advocate", personas).get(_url(hostile)).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_it_says_there_is_nothing_for_a_version_of_another_page(personas: Personas) -> None:
    other = page(personas, "what-not-to-do").versions.get(language="en", number=1)
    assert as_persona("advocate", personas).get(_url(other)).status_code == 404


@not_editors
def test_it_denies_members_who_do_not_edit(personas: Personas, persona: str) -> None:
    assert_denied(as_persona(persona, personas), _url(_first(personas)))


def test_it_sends_a_visitor_to_sign_in(personas: Personas) -> None:
    assert_sent_to_sign_in(_url(_first(personas)))
