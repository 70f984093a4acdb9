"""A survivor asks a member she trusts to talk to the person, giving two parts of her record;
the member accepts, reads them and reports back; she stops it, and they can open nothing
more — in Chromium, each person in their own browser."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.records.access import Owner
from chorus.records.models import AllyRequest, Grant
from chorus.records.services import writing
from tests.browser.conftest import browser_pages, page_reports  # noqa: F401  # the checked pages (axe-core, 320 px)
from tests.personas import PASSWORD, make_personas
from tests.records.ally_factory import ALLY

WHAT = "At the quarterly review Marek kept his hand on my knee under the table"
WHEN = "The March quarterly review, in the small boardroom"
WHO = "Marek Lindqvist-Obi from accounts"
REPORT = "I talked to him over coffee on Friday; he went quiet and said he would stop."


def _sign_in(page: Any, base: str, email: str, totp_secret: str | None = None) -> None:
    page.goto(base + "/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if totp_secret:
        page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_a_survivor_asks_a_friend_to_talk_to_him_hears_back_and_stops_it(
    live_server: LiveServer,
    browser_pages: Any,  # noqa: F811  # the fixture imported above
) -> None:
    base = live_server.url
    personas = make_personas()
    owner = Owner(
        organization=personas.organization, vault_key=personas.vault_keys["survivor"], member=personas.survivor
    )
    record = writing.record_create(owner)
    writing.record_save(owner, record, {"what": WHAT, "when": WHEN, "who": WHO})

    survivor = browser_pages()
    _sign_in(survivor, base, personas.survivor.email)
    survivor.goto(f"{base}/records/{record.pk}/")
    survivor.get_by_role("link", name="Someone you trust").click()
    expect(survivor.get_by_role("heading", level=1)).to_have_text("Ask someone you trust to step in")
    survivor.get_by_role("link", name="Ask someone you trust to step in").click()
    survivor.get_by_label("Who do you trust to step in?").select_option(label=personas.members[ALLY].display_name)
    survivor.get_by_label("Talk to the person about their behaviour").check()
    survivor.get_by_label("What happened", exact=True).check()
    survivor.get_by_label("When it happened", exact=True).check()
    survivor.get_by_role("button", name="Ask them").click()
    expect(survivor.get_by_role("heading", level=1)).to_contain_text("You asked")
    expect(survivor.locator("#steps")).to_contain_text("Waiting for an answer")
    request = AllyRequest.objects.get()
    assert request.grant.scope["parts"] == ["what", "when"]

    ally = browser_pages()
    _sign_in(ally, base, personas.members[ALLY].email, personas.totp_secrets.get(ALLY))
    ally.get_by_role("link", name="Someone who trusts you asks you to step in").click()
    expect(ally.get_by_role("heading", level=1)).to_have_text("Someone who trusts you asks you to step in")
    expect(ally.locator("main")).to_contain_text("Talk to the person about their behaviour")
    ally.get_by_label("Yes, I will").check()
    ally.get_by_role("button", name="Send my answer").click()
    ally.get_by_role("link", name="Read what she shared").click()
    expect(ally.locator("main")).to_contain_text(WHAT)
    expect(ally.locator("main")).to_contain_text(WHEN)
    expect(ally.locator("main")).not_to_contain_text(WHO)  # the part she did not give
    ally.get_by_role("link", name="Write a note or report back").click()
    ally.get_by_label("A report back to her (she is told there is news)").check()
    ally.get_by_label("What you want to write").fill(REPORT)
    ally.get_by_role("button", name="Save").click()
    expect(ally.locator("main")).to_contain_text(REPORT)
    shared_url, notes_url = f"{base}/stepping-in/{request.pk}/shared/", ally.url

    survivor.reload()
    expect(survivor.locator("#steps")).to_contain_text("Accepted")
    expect(survivor.locator("main")).to_contain_text(REPORT)
    survivor.goto(f"{base}/records/{record.pk}/access/")
    expect(survivor.locator("main")).to_contain_text(personas.members[ALLY].display_name)
    survivor.go_back()
    survivor.get_by_text("Stop it", exact=True).first.click()  # opens the details
    survivor.get_by_role("link", name="Stop it").click()
    expect(survivor.get_by_role("heading", level=1)).to_contain_text("Stop asking")
    survivor.get_by_role("button", name="Stop it").click()
    expect(survivor.locator("#steps")).to_contain_text("You stopped it")
    expect(survivor.locator("main")).to_contain_text(REPORT)  # her reports stay with her

    grant = Grant.objects.get(pk=request.grant_id)
    assert grant.key_sealed is None and grant.content is None
    assert AllyRequest.objects.get(pk=request.pk).key_for_ally is None
    for url in (shared_url, notes_url):
        assert ally.goto(url).status == 404, url
    ally.goto(f"{base}/stepping-in/{request.pk}/")
    expect(ally.get_by_role("heading", level=1)).to_have_text("This has ended")
    expect(ally.locator("main")).not_to_contain_text(REPORT)
    expect(ally.locator("main")).not_to_contain_text(WHAT)
