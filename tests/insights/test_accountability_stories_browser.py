"""Stories of accountability, in Chromium: a member writes one, shows it when ready, and
(with the organization's choice "every member") another member reads it without any author."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from tests.browser import conftest as checked
from tests.browser.test_records_journey import _sign_in
from tests.leak import leaks
from tests.personas import make_personas

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ledger_flushable")]
# The pages of tests/browser, each checked by axe-core and laid out at 320 px.
browser_pages, page_reports = checked.browser_pages, checked.page_reports

TOLD = "I used to joke about a colleague's body in meetings. I stopped when I understood she dreaded them."


def test_a_story_of_accountability_is_shown_and_read_without_its_author(
    live_server: LiveServer, browser_pages: Any
) -> None:
    base = live_server.url
    personas = make_personas()
    author, admin, reader = browser_pages(), browser_pages(), browser_pages()
    _sign_in(author, base, personas.respondent.email, personas.totp_secrets.get("respondent"))
    _sign_in(admin, base, personas.admin.email, personas.totp_secrets["admin"])
    _sign_in(reader, base, personas.survivor.email)

    admin.get_by_role("link", name="Who reads stories of accountability").click()
    admin.get_by_label("Every member of the organization").check()
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator(".notice-success")).to_contain_text("written to the ledger")

    author.get_by_role("link", name=re_link("Stories of accountability")).click()
    author.get_by_label("Your story of accountability").fill(TOLD)
    author.get_by_role("button", name="Save it (only you can read it)").click()
    expect(author.locator("#story-text")).to_have_text(TOLD)
    author.get_by_role("button", name="Show it").click()
    expect(author.locator(".notice-success")).to_contain_text("Your story is shown, without your name")

    reader.get_by_role("link", name=re_link("Stories of accountability")).click()
    reader.get_by_role("link", name="Read the stories others chose to show").click()
    expect(reader.locator("blockquote.story")).to_have_text(TOLD)
    main = reader.locator("main")
    expect(main).not_to_contain_text(personas.respondent.display_name)
    expect(main).not_to_contain_text(personas.respondent.email)
    assert leaks([TOLD, "joke about a colleague"]) == []


def re_link(start: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(start))
