"""In Chromium: a member worried he crossed a line starts a plan and asks for repair; his
facilitator passes it on; an advocate asks the person concerned; she opens the ask, which
says nothing until she chooses to hear more, hears more, and declines. He is told only that
no repair is wanted. Every page is checked by axe-core and at 320 px (browser conftest)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import browser_pages, page_reports  # noqa: F401 (the fixtures)
from tests.browser.test_records_journey import _sign_in
from tests.personas import make_personas

OFFER = "I would like to apologise for what I said about her at the depot."
HER_WORDS = "Please do not write to me again."


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_a_request_for_repair_she_declines(live_server: LiveServer, browser_pages: Any) -> None:  # noqa: F811
    base = live_server.url
    personas = make_personas()
    pages = {}
    for name in ("respondent", "facilitator", "advocate", "survivor"):
        pages[name] = browser_pages()
        _sign_in(pages[name], base, personas.members[name].email, personas.totp_secrets.get(name))

    him = pages["respondent"]
    him.goto(base + "/cases/")
    him.get_by_role("link", name=re.compile("Worried you crossed a line")).click()
    him.get_by_label("Facilitator").select_option(label="Facilitator")
    him.get_by_label("What worries you about your behaviour? Name no one.").fill("I keep making remarks.")
    him.get_by_role("button", name="Start").click()
    him.get_by_role("link", name=re.compile("Ask for repair")).click()
    him.get_by_label("Who is the person concerned?").select_option(label="Survivor")
    him.get_by_label("What would you like to offer?").fill(OFFER)
    him.get_by_role("button", name="Send to my facilitator").click()
    expect(him.locator("#told")).to_have_text("Your facilitator is reading your request.")
    repair_url = him.url

    facilitator = pages["facilitator"]
    facilitator.goto(repair_url)
    expect(facilitator.get_by_text(OFFER)).to_be_visible()
    facilitator.get_by_label("Yes, pass it on").check()
    facilitator.get_by_role("button", name="Save my decision").click()
    expect(facilitator.locator(".notice-success")).to_contain_text("Passed to the advocates")

    advocate = pages["advocate"]
    advocate.goto(base + "/cases/")
    advocate.get_by_role("link", name="Requests for repair passed on by facilitators").click()
    advocate.get_by_role("link", name="Open").click()
    expect(advocate.get_by_label("Whom to ask")).to_have_value(str(personas.survivor.pk))
    advocate.get_by_role("button", name="Ask them").click()
    expect(advocate.locator(".notice-success")).to_contain_text("Asked")

    her = pages["survivor"]
    her.goto(base + "/cases/")
    her.get_by_role("link", name="A message from the advocates is waiting for you").click()
    her.get_by_role("link", name=re.compile("A message from the advocates")).click()
    expect(her.locator("#first-message")).to_have_text(
        "Someone would like to offer something about something that concerns you."
    )
    expect(her.locator("main")).to_contain_text("You do not have to answer")
    expect(her.locator("main")).not_to_contain_text(OFFER)
    expect(her.locator("main")).not_to_contain_text("Respondent")
    her.get_by_role("link", name="Hear more").click()
    expect(her.locator("#offer")).to_have_text(OFFER)
    expect(her.locator("#from")).to_have_text("Respondent")
    her.get_by_label("No, nothing").check()
    her.get_by_label("Anything you want them to know").fill(HER_WORDS)
    her.get_by_role("button", name="Send my answer").click()
    expect(her.locator(".notice-success")).to_contain_text("They are told only what you allowed")

    him.goto(repair_url)
    expect(him.locator("#told")).to_have_text("No repair is wanted.")
    expect(him.locator("main")).not_to_contain_text(HER_WORDS)
    expect(him.locator("#their-words")).to_have_count(0)
    expect(him.get_by_role("button", name="Send to my facilitator")).to_have_count(0)
