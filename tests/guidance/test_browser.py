"""In Chromium: a visitor without an account finds the guidance for friends from the welcome
page and reads it in Spanish; an advocate previews and saves a new version, which visitors
then read, and restores the first. Every page is checked by axe-core and at 320 px (conftest)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.guidance.models import GuidancePage
from chorus.ledger.models import LedgerEvent
from tests.browser.test_records_journey import _sign_in
from tests.personas import make_personas

PAGE = "/guidance/riverside/when-a-friend-tells-you/"


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_a_visitor_reads_the_guidance_in_spanish(live_server: LiveServer, browser_pages: Any) -> None:
    base = live_server.url
    make_personas()
    visitor = browser_pages(locale="en-GB")
    visitor.goto(base + "/")
    visitor.get_by_label("Language").select_option("es")
    visitor.get_by_role("button", name="Change language").click()
    expect(visitor.locator("html")).to_have_attribute("lang", "es")
    visitor.locator('a[href="/guidance/riverside/"]').click()
    visitor.get_by_role("link", name="Cuando alguien te lo cuenta").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Cuando alguien te lo cuenta")
    expect(visitor.locator("article")).to_contain_text("«Te creo.»")
    expect(visitor.get_by_role("heading", name="Qué puedes decir")).to_be_visible()
    expect(visitor.get_by_role("link", name="Edit this page")).to_have_count(0)

    visitor.goto(base + "/guidance/riverside/where-to-get-help/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Dónde encontrar ayuda")


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_an_advocate_saves_a_new_version_and_restores_the_first(live_server: LiveServer, browser_pages: Any) -> None:
    base = live_server.url
    personas = make_personas()
    advocate = browser_pages()
    _sign_in(advocate, base, personas.advocate.email, personas.totp_secrets["advocate"])
    advocate.get_by_role("link", name="Guidance for friends and allies").click()
    advocate.get_by_role("link", name="When a friend tells you").click()
    advocate.get_by_role("link", name="Edit this page").click()
    expect(advocate.get_by_label("Title")).to_have_value("When a friend tells you")
    advocate.get_by_label("Title").fill("When someone confides in you")
    advocate.get_by_label("Text", exact=True).fill("## First, listen\n\nSay: *I believe you.*")
    advocate.get_by_role("button", name="Preview").click()
    expect(advocate.get_by_role("heading", name="First, listen")).to_be_visible()
    assert (
        GuidancePage.objects.get(organization=personas.organization, slug="when-a-friend-tells-you").versions.count()
        == 2
    )
    advocate.get_by_role("button", name="Save a new version").click()
    expect(advocate.locator("main")).to_contain_text("Saved as version 2 in English")
    expect(advocate.get_by_role("link", name="Version 2")).to_be_visible()
    expect(advocate.locator("main")).to_contain_text(personas.advocate.display_name)

    visitor = browser_pages()
    visitor.goto(base + PAGE)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("When someone confides in you")
    expect(visitor.locator("article em")).to_have_text("I believe you.")

    advocate.get_by_role("link", name="Version 1").first.click()
    expect(advocate.get_by_role("heading", level=1)).to_have_text("Version 1 in English")
    advocate.get_by_role("button", name="Restore version 1").click()
    expect(advocate.locator("main")).to_contain_text("Version 1 is back as version 3")
    visitor.reload()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("When a friend tells you")
    actions = list(LedgerEvent.objects.filter(action__startswith="guidance.").values_list("action", flat=True))
    assert sorted(actions) == ["guidance.restored", "guidance.saved"]
