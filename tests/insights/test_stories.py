"""The commission's stories: written and read back by the author, shown when they say,
taken back when they say; the commission reads excerpts only."""

from __future__ import annotations

import html
import re

import pyotp
import pytest

from chorus.insights.models import Story
from chorus.ledger.models import LedgerEvent
from chorus.records.models import TeamKeyHolder
from tests.escrow.factory import client_for
from tests.leak import leaks
from tests.personas import Personas, add_member, enrol_two_factor

pytestmark = pytest.mark.django_db

EXCERPT = "After the meeting my manager kept my hand in his for far too long and laughed when I pulled away."


def _story_id(response: object) -> str:
    location = response["Location"]  # type: ignore[index]
    match = re.fullmatch(r"/stories/([0-9a-f-]{36})/", location)
    assert match, location
    return match.group(1)


def test_it_saves_shows_and_takes_back_an_excerpt(personas: Personas) -> None:
    author = client_for(personas.survivor, personas.vault_keys["survivor"])
    commission = client_for(personas.commission, personas.vault_keys["commission"])
    story_id = _story_id(author.post("/stories/", {"text": EXCERPT}))
    page = author.get(f"/stories/{story_id}/").content.decode()
    assert EXCERPT in page and "Only you can read this" in page
    assert EXCERPT not in commission.get("/commission/stories/").content.decode()

    author.post(f"/stories/{story_id}/show/")
    shown = commission.get("/commission/stories/").content.decode()
    assert EXCERPT in shown
    assert personas.survivor.display_name not in shown.split("<main", 1)[1]

    refused = author.post(f"/stories/{story_id}/", {"text": EXCERPT + " Changed."})
    assert refused.status_code == 400 and "Take it back first" in refused.content.decode()

    author.post(f"/stories/{story_id}/withdraw/")
    assert EXCERPT not in commission.get("/commission/stories/").content.decode()
    assert Story.objects.get().shown_sealed is None
    author.post(f"/stories/{story_id}/", {"text": EXCERPT + " It happened twice."})
    assert "It happened twice." in author.get(f"/stories/{story_id}/").content.decode()
    author.post(f"/stories/{story_id}/delete/")
    assert not Story.objects.exists()
    actions = list(LedgerEvent.objects.filter(action__startswith="stor").values_list("action", "actor"))
    assert [action for action, _ in actions] == [
        "story.written", "story.shown", "stories.read", "story.withdrawn", "stories.read",
        "story.edited", "story.deleted",
    ]  # fmt: skip
    # The author's steps name no one; the commission's reads name the reader.
    assert {actor for action, actor in actions if action.startswith("story.")} == {"owner"}
    assert {actor for action, actor in actions if action == "stories.read"} == {personas.commission.pseudonym}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Please write the excerpt first."),
        ("Write to me at sam.rivers@example.org about it.", "an email address"),
        ("He called me on +44 20 7946 0958 every night.", "a phone number"),
        ("His posts are on instagram @sam.rivers_", "a social media handle"),
        ("See https://example.org/profile/sam", "a web address"),
        ("x" * 3001, "up to 3000 characters"),
    ],
)
def test_it_explains_what_to_take_out_and_keeps_the_text(personas: Personas, text: str, reason: str) -> None:
    author = client_for(personas.survivor, personas.vault_keys["survivor"])
    response = author.post("/stories/", {"text": text})
    page = response.content.decode()
    assert response.status_code == 400 and reason in page
    assert text[:40] in page
    assert not Story.objects.exists()


def test_nobody_but_the_author_reaches_a_story(personas: Personas) -> None:
    author = client_for(personas.survivor, personas.vault_keys["survivor"])
    story_id = _story_id(author.post("/stories/", {"text": EXCERPT}))
    for name in ("advocate", "commission", "admin", "oversight"):
        other = client_for(personas.members[name], personas.vault_keys[name])
        assert other.get(f"/stories/{story_id}/").status_code == 404
        assert other.post(f"/stories/{story_id}/show/").status_code == 404
    assert Story.objects.get().shown_at is None


def test_without_a_commission_the_excerpt_stays_with_its_author(personas: Personas) -> None:
    personas.commission.roles.all().delete()
    author = client_for(personas.survivor, personas.vault_keys["survivor"])
    story_id = _story_id(author.post("/stories/", {"text": EXCERPT}))
    page = author.post(f"/stories/{story_id}/show/", follow=True).content.decode()
    assert "no commission members yet" in page
    assert Story.objects.get().shown_at is None


def test_a_database_dump_holds_no_excerpt(personas: Personas) -> None:
    author = client_for(personas.survivor, personas.vault_keys["survivor"])
    story_id = _story_id(author.post("/stories/", {"text": EXCERPT}))
    author.post(f"/stories/{story_id}/show/")
    client_for(personas.commission, personas.vault_keys["commission"]).get("/commission/stories/")
    assert leaks([EXCERPT, "manager kept my hand"]) == []


def test_a_new_commission_member_receives_the_key_from_a_colleague_and_a_former_one_loses_it(
    personas: Personas,
) -> None:
    author = client_for(personas.survivor, personas.vault_keys["survivor"])
    author.post(f"/stories/{_story_id(author.post('/stories/', {'text': EXCERPT}))}/show/")
    newcomer, newcomer_key = add_member(personas.organization, "newcomer", {"commission"})
    enrol_two_factor(newcomer, pyotp.random_base32())
    newcomer_client = client_for(newcomer, newcomer_key)
    refused = newcomer_client.get("/commission/stories/")
    assert refused.status_code == 403 and "do not hold the commission's key yet" in html.unescape(
        refused.content.decode()
    )
    colleague = client_for(personas.commission, personas.vault_keys["commission"])
    assert EXCERPT in colleague.get("/commission/stories/").content.decode()
    assert EXCERPT in newcomer_client.get("/commission/stories/").content.decode()
    newcomer.roles.all().delete()
    colleague.get("/commission/stories/")
    assert not TeamKeyHolder.objects.filter(member=newcomer).exists()
