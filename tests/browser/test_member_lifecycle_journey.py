"""Members leave, in Chromium: an administrator proposes removing a member and the oversight
body approves it, and offboards a facilitator who leaves the role; the member's open session ends, and signing in again reaches only the page
that lets them take their records away. A survivor deletes her own account from her account
page, after reading what goes and what stays: her record is gone from the database and the
attachment folder."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.accounts.models import Member
from chorus.ledger.services import ledger_verify
from chorus.records.models import Record
from tests.browser.test_records_journey import _sign_in
from tests.leak import leaks
from tests.personas import PASSWORD, add_member, make_personas
from tests.records.factory import STORY, survivor_record


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_a_member_is_removed_by_two_people_and_a_survivor_deletes_her_account(
    live_server: LiveServer, browser_pages: Any
) -> None:
    base = live_server.url
    personas = make_personas()
    casey, _ = add_member(personas.organization, "casey", set())

    member = browser_pages()
    _sign_in(member, base, casey.email)

    admin = browser_pages()
    _sign_in(admin, base, personas.admin.email, personas.totp_secrets["admin"])
    admin.get_by_role("link", name="Members", exact=True).click()
    admin.get_by_role("link", name="Remove Casey").click()
    expect(admin.get_by_text("What they own is not destroyed")).to_be_visible()
    admin.get_by_role("button", name="Remove Casey").click()
    expect(admin.get_by_role("link", name="Choose a reason.")).to_be_visible()  # the error summary
    admin.get_by_label("Carrying out a decided sanction").check()
    admin.get_by_label("Case reference").fill("HR-2026-14")
    admin.get_by_role("button", name="Remove Casey").click()
    expect(admin.get_by_role("status").first).to_contain_text("You proposed to remove Casey")

    oversight = browser_pages()
    _sign_in(oversight, base, personas.oversight.email, personas.totp_secrets["oversight"])
    oversight.get_by_role("link", name="Who holds power").first.click()
    oversight.get_by_role("button", name="Approve: remove Casey").click()
    expect(oversight.get_by_role("status").first).to_contain_text("Casey is removed")

    # The facilitator leaves the role: offboarded at once, by one administrator.
    admin.get_by_role("link", name="Members", exact=True).click()
    admin.get_by_role("link", name="Offboard Facilitator").click()
    expect(admin.get_by_role("heading", name="Seats in open cases to hand over")).to_be_visible()
    admin.get_by_role("button", name="Offboard Facilitator").click()
    expect(admin.get_by_role("status").first).to_contain_text("Facilitator no longer holds: Facilitator")
    assert Member.objects.get(pk=personas.facilitator.pk).role_codes == set()

    # Casey's open session has ended; signing in again reaches only their records.
    member.get_by_role("link", name="Your account").first.click()
    expect(member).to_have_url(f"{base}/sign-in/?next=/account/")
    member.get_by_label("Email address").fill(casey.email)
    member.get_by_label("Password").fill(PASSWORD)
    member.get_by_role("button", name="Sign in").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Your membership has ended")
    member.get_by_role("link", name="Read and download your records").click()
    expect(member.get_by_role("heading", level=1)).to_contain_text("records")
    member.goto(base + "/organization/power/")
    expect(member.get_by_role("heading", level=1)).to_have_text("Your membership has ended")

    # A survivor deletes her account.
    survivor_record(personas)
    survivor = browser_pages()
    _sign_in(survivor, base, personas.survivor.email)
    survivor.get_by_role("link", name="Your account").first.click()
    survivor.get_by_text("Delete your account").first.click()  # the details' summary
    survivor.get_by_role("link", name="Delete your account").click()
    expect(survivor.get_by_role("heading", name="What is destroyed")).to_be_visible()
    expect(survivor.get_by_role("heading", name="What stays")).to_be_visible()
    survivor.get_by_label("Your password").fill("not my password")
    survivor.get_by_role("button", name="Delete my account and what I own").click()
    expect(survivor.get_by_role("alert")).to_contain_text("That is not your password. Nothing was deleted.")
    survivor.get_by_label("Your password").fill(PASSWORD)
    survivor.get_by_role("button", name="Delete my account and what I own").click()
    expect(survivor.get_by_role("heading", level=1)).to_have_text("Your account is deleted")

    assert not Record.objects.exists()
    assert Member.objects.get(pk=personas.survivor.pk).deleted_at is not None
    assert leaks([*STORY.values(), personas.survivor.email]) == []
    assert ledger_verify(f"org:{personas.organization.pk}").ok
