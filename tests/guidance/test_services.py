"""Starting pages for every organization, versions that are never rewritten, restores,
the English fallback, the directory, and the ledger entry for each change."""

from __future__ import annotations

import importlib
from uuid import UUID

import pytest
from django.apps import apps
from django.db import connection

from chorus.accounts.services.members import organization_create
from chorus.guidance.models import GuidancePage, GuidanceVersion, Resource
from chorus.guidance.seed import STARTING_PAGES
from chorus.guidance.services import (
    GuidanceError,
    current,
    guidance_restore,
    guidance_save,
    pages_shown,
    resource_add,
    resource_change,
    resource_remove,
)
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import payload_digest
from tests.guidance.helpers import PAGE, page
from tests.personas import Personas


def test_every_new_organization_starts_with_the_pages_in_both_languages(db: None) -> None:
    organization = organization_create(name="Harbour Nurses", slug="harbour")
    pages = list(GuidancePage.objects.filter(organization=organization))
    assert [each.slug for each in pages] == [starting.slug for starting in STARTING_PAGES]
    for each in pages:
        assert sorted(each.versions.values_list("language", flat=True)) == ["en", "es"]
        assert each.versions.filter(author__isnull=False).count() == 0
    spanish = current(page_of(organization.pk, PAGE), "es")
    assert spanish is not None and spanish.version.title == "Cuando alguien te lo cuenta" and not spanish.fallback
    assert [shown.page.shows_resources for shown in pages_shown(organization, "en")].count(True) == 1


def page_of(organization_id: UUID, slug: str) -> GuidancePage:
    return GuidancePage.objects.get(organization_id=organization_id, slug=slug)


def test_the_migration_gives_existing_organizations_the_pages_once(personas: Personas) -> None:
    seed = importlib.import_module("chorus.guidance.migrations.0002_starting_pages").seed
    GuidancePage.objects.filter(organization=personas.organization).delete()
    seed(apps, connection.schema_editor())
    seed(apps, connection.schema_editor())
    assert GuidancePage.objects.filter(organization=personas.organization).count() == len(STARTING_PAGES)
    assert GuidancePage.objects.filter(organization=personas.other_organization).count() == len(STARTING_PAGES)


def test_each_save_is_a_new_version_with_its_author_and_a_ledger_event(personas: Personas) -> None:
    friend_page = page(personas)
    first = guidance_save(
        page=friend_page, language="en", title="When someone tells you", summary="", body="Listen.",
        author=personas.advocate,
    )  # fmt: skip
    second = guidance_save(
        page=friend_page, language="en", title="When someone tells you", summary="", body="Listen, and believe.",
        author=personas.admin,
    )  # fmt: skip
    assert (first.number, second.number) == (2, 3)
    assert (first.author, second.author) == (personas.advocate, personas.admin)
    shown = current(friend_page, "en")
    assert shown is not None and shown.version == second
    assert friend_page.versions.filter(language="es").count() == 1  # the Spanish text is its own chain
    event = LedgerEvent.objects.filter(action="guidance.saved").latest("seq")
    assert event.actor == personas.admin.pseudonym
    assert event.refs == {"page": PAGE, "language": "en", "version": 3}
    assert event.payload_hash == payload_digest(
        {"title": "When someone tells you", "summary": "", "body": "Listen, and believe."}
    )


def test_a_restore_saves_the_old_words_again_and_keeps_every_version(personas: Personas) -> None:
    friend_page = page(personas)
    original = friend_page.versions.get(language="en", number=1)
    guidance_save(
        page=friend_page, language="en", title="Changed", summary="", body="Changed.", author=personas.advocate
    )
    restored = guidance_restore(version=original, author=personas.admin)
    assert (restored.number, restored.restored_from) == (3, 1)
    assert (restored.title, restored.body) == (original.title, original.body)
    assert list(friend_page.versions.filter(language="en").values_list("number", flat=True)) == [3, 2, 1]
    event = LedgerEvent.objects.get(action="guidance.restored")
    assert event.refs == {"page": PAGE, "language": "en", "version": 3, "from": 1}


def test_a_page_without_text_in_a_language_falls_back_to_english(personas: Personas) -> None:
    friend_page = page(personas)
    friend_page.versions.filter(language="es").delete()
    shown = current(friend_page, "es")
    assert shown is not None and shown.fallback and shown.version.language == "en"
    listed = {each.page.slug: each for each in pages_shown(personas.organization, "es")}
    assert listed[PAGE].fallback and not listed["what-not-to-do"].fallback


@pytest.mark.parametrize("persona", ["survivor", "oversight", "other_org"])
def test_only_administrators_and_advocates_of_the_organization_may_save(personas: Personas, persona: str) -> None:
    friend_page = page(personas)
    with pytest.raises(GuidanceError):
        guidance_save(
            page=friend_page, language="en", title="x", summary="", body="x", author=personas.members[persona]
        )
    with pytest.raises(GuidanceError):
        resource_add(organization=personas.organization, author=personas.members[persona], name="x")
    assert friend_page.versions.count() == 2
    assert not LedgerEvent.objects.filter(action__startswith="guidance.").exists()


def test_the_directory_is_changed_with_a_ledger_event_each_time(personas: Personas) -> None:
    resource = resource_add(
        organization=personas.organization,
        author=personas.advocate,
        name="Night line",
        offers="Someone to talk to, at night.",
        contact="0800 000 000",
        languages="English, Spanish",
        hours="20:00-08:00",
    )
    resource_change(resource=resource, author=personas.admin, name="Night line", offers="Talk.", contact="0800 1")
    assert Resource.objects.get(pk=resource.pk).offers == "Talk."
    resource_remove(resource=resource, author=personas.advocate)
    assert not Resource.objects.exists()
    actions = list(LedgerEvent.objects.filter(action__startswith="guidance.").order_by("seq").values_list("action"))
    assert actions == [("guidance.resource_added",), ("guidance.resource_changed",), ("guidance.resource_removed",)]
    assert GuidanceVersion.objects.filter(author__isnull=False).count() == 0
