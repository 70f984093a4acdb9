"""In Chromium: an administrator changes the periods (a refused value first) and sets a legal
hold; a member reads both on the page every member can open; an anonymous reporter sees when
her report would be deleted. Every page is checked by axe-core and at 320 px (conftest)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.ledger.models import LedgerEvent
from chorus.retention.models import Hold, Policy
from tests.browser.test_records_journey import _sign_in
from tests.personas import make_personas


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_periods_and_a_hold_are_set_by_an_admin_and_read_by_members(
    live_server: LiveServer, browser_pages: Any
) -> None:
    base = live_server.url
    personas = make_personas()
    admin = browser_pages()
    _sign_in(admin, base, personas.admin.email, personas.totp_secrets.get("admin"))
    admin.get_by_role("link", name=re.compile("Retention and legal hold")).click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("How long Chorus keeps things")
    admin.get_by_role("link", name="Change the periods").click()
    admin.get_by_label("Members' records, in months").fill("2")
    admin.get_by_role("button", name="Save the periods").click()
    expect(admin.locator(".error-summary")).to_contain_text("Enter 6 or more.")
    expect(admin.get_by_label("Members' records, in months")).to_have_value("2")
    admin.get_by_label("Members' records, in months").fill("36")
    admin.get_by_role("button", name="Save the periods").click()
    expect(admin.locator("main")).to_contain_text("Every member can see the new periods")
    assert Policy.objects.get(organization=personas.organization).record_months == 36

    admin.get_by_role("link", name="Set a legal hold").click()
    admin.get_by_label("Reason members will read").fill("The employment tribunal asked us to keep everything.")
    admin.get_by_role("button", name="Set the legal hold").click()
    expect(admin.locator(".warning-text")).to_contain_text("A legal hold has been in place since")
    assert Hold.objects.filter(lifted_at__isnull=True).count() == 1

    member = browser_pages()
    _sign_in(member, base, personas.survivor.email)
    member.get_by_role("link", name=re.compile("How long Chorus keeps things")).click()
    expect(member.locator(".warning-text")).to_contain_text("The employment tribunal asked us")
    expect(member.locator("main")).to_contain_text(f"the periods were changed by {personas.admin.pseudonym}")
    expect(member.get_by_role("link", name="Change the periods")).to_have_count(0)

    visitor = browser_pages()
    visitor.goto(base + "/")
    visitor.get_by_role("link", name="Report to Riverside Workers Union without an account").click()
    visitor.get_by_label("I understand that if I lose my receipt").check()
    visitor.get_by_role("button", name="Show me my receipt").click()
    visitor.get_by_role("link", name=re.compile("start writing")).click()
    visitor.get_by_label("What happened (optional)", exact=True).fill("The night shift, by the lockers")
    visitor.get_by_role("button", name="Save").click()
    visitor.get_by_role("link", name="Your report").click()
    expect(visitor.locator("main")).to_contain_text("this report will be deleted on")
    assert LedgerEvent.objects.filter(action__startswith="retention.").count() == 2
