"""What I saw, in Chromium: a member records what they saw happen to someone else, shares it
with the advocates, an advocate asks her, she declines, and the witness sees only that."""

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

SEEN = "At the Friday briefing the floor manager kept touching her shoulder while she tried to move away."


def test_a_witness_shares_what_they_saw_and_learns_only_that_she_declined(
    live_server: LiveServer, browser_pages: Any
) -> None:
    base = live_server.url
    personas = make_personas()
    witness, advocate, her = browser_pages(), browser_pages(), browser_pages()
    _sign_in(witness, base, personas.panel.email, personas.totp_secrets["panel"])
    _sign_in(advocate, base, personas.advocate.email, personas.totp_secrets["advocate"])
    _sign_in(her, base, personas.survivor.email)

    witness.get_by_role("link", name="Your records").first.click()
    witness.get_by_role("link", name="Record what you saw happen to someone else").click()
    witness.get_by_label("A name for this account, just for you").fill("Friday briefing")
    witness.get_by_label("What you saw").fill(SEEN)
    witness.get_by_label("The email address she uses here").fill(personas.survivor.email)
    witness.get_by_role("group", name=re.compile("May an advocate ask her")).get_by_label("Yes").check()
    witness.get_by_role("button", name="Save (only you can read it)").click()
    expect(witness.locator("main")).to_contain_text(SEEN)
    expect(witness.locator("#witness-status")).to_contain_text(personas.survivor.email)
    expect(witness.locator("#witness-answer")).to_have_text("Nobody has asked her.")
    account_url = witness.url

    witness.get_by_role("link", name="Share with the advocates").click()
    witness.get_by_label("Support").check()
    witness.get_by_role("button", name="Share").click()
    expect(witness.locator("main")).to_contain_text("Shared.")

    # It is never offered for naming someone.
    witness.goto(base + "/escrow/new/")
    expect(witness.locator("main")).not_to_contain_text("Friday briefing")

    advocate.get_by_role("link", name="Advocate inbox").first.click()
    advocate.get_by_role("link", name="Accounts of what members saw happen to someone else").click()
    advocate.locator("ul.cards a").first.click()
    expect(advocate.locator("main")).to_contain_text(SEEN)
    advocate.get_by_role("button", name="Ask her").click()
    expect(advocate.locator("#witness-answer")).to_contain_text("She has been asked.")

    her.get_by_role("link", name="Your records").first.click()
    her.get_by_role("link", name="Accounts by people who saw what happened to you").click()
    expect(her.locator("main")).not_to_contain_text(SEEN)  # she decides before reading anything
    expect(her.locator("main")).not_to_contain_text(personas.panel.display_name)
    her.get_by_label("No, I do not want it added").check()
    her.get_by_role("button", name="Send my answer").click()
    expect(her.locator(".notice-success")).to_contain_text("Nothing will be added")
    expect(her.locator("main")).to_contain_text("There is nothing waiting for your answer.")

    witness.goto(account_url)
    expect(witness.locator("#witness-answer")).to_have_text("She does not want it added.")
    advocate.reload()
    expect(advocate.locator("#witness-answer")).to_contain_text("She does not want it added.")
    assert leaks([SEEN, "floor manager kept touching"]) == []
