"""No one holds power alone, in Chromium: an administrator proposes a new advocate and is
refused the role for themselves; the oversight body approves; the new advocate reads a
survivor's share once a current advocate's visit passed them the team key; an advocate who
leaves keeps a copy of the team key, and it opens nothing once the key has rotated."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.accounts.models import Member, MemberRole
from chorus.ledger.services import ledger_verify
from tests.browser.test_records_journey import _sign_in
from tests.personas import make_personas
from tests.records.factory import STORY, advocate_reader, survivor_record
from tests.records.sealed import copy_of_team_key, opened_anywhere, settled


def _roles_form(page: Any, name: str) -> Any:
    return page.get_by_role("row").filter(has_text=name).first


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_a_new_advocate_needs_a_second_person_and_an_admin_cannot_take_the_role(
    live_server: LiveServer, browser_pages: Any
) -> None:
    base = live_server.url
    personas = make_personas()
    survivor_record(personas)  # shared with the advocate team

    admin = browser_pages()
    _sign_in(admin, base, personas.admin.email, personas.totp_secrets["admin"])
    admin.get_by_role("link", name="Members", exact=True).click()
    # The administrator tries to give themselves the advocate role: refused, and why.
    own = _roles_form(admin, "admin@riverside.example")
    own.get_by_label("Advocate").check()
    own.get_by_role("button", name="Save roles").click()
    expect(admin.locator(".notice-error")).to_contain_text("cannot be combined with Advocate")
    expect(admin.locator(".notice-error")).to_contain_text("independent of the organization's leadership")
    # Proposing the facilitator as an advocate grants nothing yet.
    row = _roles_form(admin, "facilitator@riverside.example")
    row.get_by_label("Advocate").check()
    row.get_by_role("button", name="Save roles").click()
    expect(admin.get_by_role("status").first).to_contain_text("Proposed for Facilitator: Advocate")
    expect(_roles_form(admin, "facilitator@riverside.example")).to_contain_text("waiting for approval")
    assert not MemberRole.objects.filter(member=personas.facilitator, role="advocate").exists()
    # Nor can the administrator approve what they proposed.
    admin.get_by_role("link", name="Who holds power").first.click()
    expect(admin.get_by_role("heading", name="Waiting for a second person")).to_be_visible()
    expect(admin.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)

    oversight = browser_pages()
    _sign_in(oversight, base, personas.oversight.email, personas.totp_secrets["oversight"])
    oversight.get_by_role("link", name="Who holds power").first.click()
    oversight.get_by_role("button", name="Approve: Facilitator as Advocate").click()
    expect(oversight.get_by_role("status").first).to_contain_text("Facilitator now holds the Advocate role")
    expect(oversight.get_by_text("proposed by Admin, approved by Oversight")).to_be_visible()

    # A current advocate's visit to the inbox passes the team key on to the new one.
    advocate = browser_pages()
    _sign_in(advocate, base, personas.advocate.email, personas.totp_secrets["advocate"])
    advocate.get_by_role("link", name="Advocate inbox").first.click()

    newcomer = browser_pages()
    _sign_in(newcomer, base, personas.facilitator.email, personas.totp_secrets["facilitator"])
    newcomer.get_by_role("link", name="Advocate inbox").first.click()
    newcomer.get_by_role("link", name="Read").first.click()
    expect(newcomer.get_by_text(STORY["what"])).to_be_visible()

    # Every member, the survivor included, sees who could read what they share.
    survivor = browser_pages()
    _sign_in(survivor, base, personas.survivor.email)
    survivor.get_by_role("link", name="Who holds power").first.click()
    advocates = survivor.locator("h2", has_text="Advocate").locator("xpath=following-sibling::dl[1]")
    expect(advocates).to_contain_text("Facilitator")
    expect(advocates).to_contain_text("proposed by Admin, approved by Oversight")
    assert Member.objects.get(pk=personas.admin.pk).role_codes == {"admin"}

    # The first advocate leaves, having kept a copy of the team key. One person may always
    # reduce power: the removal takes effect at once, and the key rotates away from them.
    kept = copy_of_team_key(advocate_reader(personas), "advocate")
    admin.get_by_role("link", name="Members", exact=True).click()
    leaving = _roles_form(admin, "advocate@riverside.example")
    leaving.get_by_label("Advocate").uncheck()
    leaving.get_by_role("button", name="Save roles").click()
    expect(admin.get_by_role("status").first).to_contain_text("Roles for Advocate are updated")
    advocate.get_by_role("link", name="Advocate inbox").first.click()
    expect(advocate.get_by_role("heading", level=1)).not_to_have_text("Advocate inbox")
    survivor_record(personas)  # shared after they left
    settled()
    newcomer.get_by_role("link", name="Advocate inbox").first.click()  # this visit re-seals
    expect(newcomer.get_by_role("link", name="Read")).to_have_count(2)
    assert opened_anywhere(kept) == []
    newcomer.get_by_role("link", name="Read").first.click()
    expect(newcomer.get_by_text(STORY["what"])).to_be_visible()
    assert ledger_verify(f"org:{personas.organization.pk}").ok
