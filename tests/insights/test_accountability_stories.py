"""Stories of accountability: written without a name, shown when ready, read as the
organization chose (the commission only by default, or every member)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from chorus.insights.models import Story, StoryKind
from chorus.insights.services import stories
from chorus.insights.services.stories import StoryError
from chorus.ledger.models import LedgerEvent
from chorus.records.access import Reader
from tests.helpers import open_vault
from tests.personas import Personas
from tests.records.factory import survivor_owner

TOLD = "I kept commenting on how a colleague dressed. I thought it was banter; I see now it made her dread work."


def _shown(personas: Personas, persona: str = "respondent") -> Story:
    owner = survivor_owner(personas, persona)
    story = stories.story_write(owner, text=TOLD, kind=StoryKind.ACCOUNTABILITY)
    stories.story_show(owner, story.pk)
    return story


def _client(personas: Personas, persona: str) -> Client:
    client = Client()
    member = personas.members[persona]
    client.force_login(member, backend="chorus.accounts.backends.MemberBackend")
    open_vault(client, member, personas.vault_keys[persona])
    return client


def test_it_keeps_the_story_sealed_and_names_no_author(personas: Personas) -> None:
    story = _shown(personas)
    row = Story.objects.get(pk=story.pk)
    assert row.kind == "accountability"
    assert TOLD.encode() not in bytes(row.text_sealed) and TOLD.encode() not in bytes(row.shown_sealed or b"")
    events = LedgerEvent.objects.filter(action__startswith="story.")
    assert {event.actor for event in events} == {"owner"}


def test_it_shows_it_only_to_the_commission_by_default(personas: Personas) -> None:
    _shown(personas)
    assert stories.accountability_stories_for(personas.commission) == [TOLD]
    with pytest.raises(PermissionDenied):
        stories.accountability_stories_for(personas.survivor)


def test_it_shows_it_to_every_member_when_the_organization_chose_so(personas: Personas) -> None:
    stories.accountability_readers_set(personas.admin, readers="members")
    _shown(personas)
    assert stories.accountability_stories_for(personas.survivor) == [TOLD]
    assert LedgerEvent.objects.filter(action="stories.accountability_readers", actor=personas.admin.pseudonym).exists()


def test_widening_the_readers_leaves_stories_already_shown_with_the_commission(personas: Personas) -> None:
    story = _shown(personas)
    stories.accountability_readers_set(personas.admin, readers="members")
    assert stories.accountability_stories_for(personas.survivor) == []
    assert stories.accountability_stories_for(personas.commission) == [TOLD]
    owner = survivor_owner(personas, "respondent")
    stories.story_withdraw(owner, story.pk)
    stories.story_show(owner, story.pk)  # its author shows it again, now to every member
    assert stories.accountability_stories_for(personas.survivor) == [TOLD]


def test_it_denies_the_setting_to_anyone_but_an_administrator(personas: Personas) -> None:
    with pytest.raises(StoryError):
        stories.accountability_readers_set(personas.commission, readers="members")
    with pytest.raises(StoryError):
        stories.accountability_readers_set(personas.admin, readers="everyone")
    assert stories.accountability_readers(personas.organization.pk) == "commission"


def test_it_shows_nothing_not_yet_ready_or_taken_back(personas: Personas) -> None:
    owner = survivor_owner(personas, "respondent")
    draft = stories.story_write(owner, text="Not ready yet.", kind=StoryKind.ACCOUNTABILITY)
    story = _shown(personas)
    assert stories.accountability_stories_for(personas.commission) == [TOLD]
    stories.story_withdraw(survivor_owner(personas, "respondent"), story.pk)
    assert stories.accountability_stories_for(personas.commission) == []
    assert draft.shown_at is None


def test_it_keeps_accountability_stories_apart_from_the_survivors_excerpts(personas: Personas) -> None:
    _shown(personas)
    owner = survivor_owner(personas)
    excerpt = stories.story_write(owner, text="What I want them to learn.")
    stories.story_show(owner, excerpt.pk)
    assert stories.accountability_stories_for(personas.commission) == [TOLD]
    reader = Reader(member=personas.commission, vault_key=personas.vault_keys["commission"])
    assert stories.stories_for_commission(reader) == ["What I want them to learn."]
    assert [view.kind for view in stories.stories_of(survivor_owner(personas, "respondent"), "accountability")] == [
        "accountability"
    ]
    assert stories.stories_of(survivor_owner(personas, "respondent")) == []


def test_it_refuses_identifiers_in_the_story(personas: Personas) -> None:
    with pytest.raises(StoryError, match="email address"):
        stories.story_write(
            survivor_owner(personas, "respondent"), text="Write to me at me@example.org", kind="accountability"
        )


# ---- the pages --------------------------------------------------------------------------------


def test_it_lets_a_member_write_and_show_one(personas: Personas) -> None:
    client = _client(personas, "respondent")
    response = client.post("/stories/accountability/", {"text": TOLD})
    assert response.status_code == 302
    story_url = response["Location"]
    assert TOLD in client.get(story_url).content.decode()
    assert client.post(f"{story_url}show/").status_code == 302
    assert "Shown" in client.get("/stories/accountability/").content.decode()


def test_it_denies_the_readers_page_to_members_by_default(personas: Personas) -> None:
    _shown(personas)
    assert _client(personas, "survivor").get("/accountability-stories/").status_code == 403
    page = _client(personas, "commission").get("/accountability-stories/").content.decode()
    assert TOLD in page and "Respondent" not in page


def test_it_shows_the_readers_page_to_members_without_the_author(personas: Personas) -> None:
    admin = _client(personas, "admin")
    assert admin.post("/organization/accountability-stories/", {"readers": "members"}).status_code == 302
    _shown(personas)
    page = _client(personas, "survivor").get("/accountability-stories/").content.decode()
    assert TOLD in page
    assert "Respondent" not in page and "respondent@" not in page


def test_it_denies_the_setting_page_to_non_administrators(personas: Personas) -> None:
    for persona in ("survivor", "commission", "advocate", "oversight"):
        assert _client(personas, persona).get("/organization/accountability-stories/").status_code == 403
