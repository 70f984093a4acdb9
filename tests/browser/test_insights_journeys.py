"""Insights in Chromium: a survivor's excerpt reaching the commission and taken back;
leadership reading the tables and charts, downloading the PDF, answering the
self-assessment and setting an action point that its owner reports on; and every member's
transparency report."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from chorus.cases.services.act import decision_change_refused
from chorus.ledger.services import chain_for, ledger_checkpoint
from chorus.web.tasks import tasks_run_due
from tests.browser.conftest import Mailbox, fill_date
from tests.browser.test_records_journey import _download, _sign_in
from tests.insights.factory import decided, past_cases, registered
from tests.leak import leaks
from tests.personas import make_personas

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ledger_flushable")]

EXCERPT = "In my first week a senior colleague kept commenting on my body in front of everyone, and nobody said a word."


def test_an_excerpt_reaches_the_commission_and_is_taken_back(live_server: LiveServer, browser_pages: Any) -> None:
    base = live_server.url
    personas = make_personas()
    survivor, commission = browser_pages(), browser_pages()
    _sign_in(survivor, base, personas.survivor.email)
    _sign_in(commission, base, personas.commission.email, personas.totp_secrets["commission"])

    survivor.get_by_role("link", name=re.compile("Help the organization learn")).click()
    survivor.get_by_label("Your excerpt").fill(EXCERPT + " Write to me: sam@example.org")
    survivor.get_by_role("button", name="Save it (only you can read it)").click()
    expect(survivor.locator(".error")).to_contain_text("an email address")
    expect(survivor.get_by_label("Your excerpt")).to_have_value(EXCERPT + " Write to me: sam@example.org")
    survivor.get_by_label("Your excerpt").fill(EXCERPT)
    survivor.get_by_role("button", name="Save it (only you can read it)").click()
    expect(survivor.locator("#story-text")).to_have_text(EXCERPT)

    commission.get_by_role("link", name="Survivors' excerpts").click()
    expect(commission.locator("main")).to_contain_text("No excerpts have been shown yet.")

    survivor.get_by_role("button", name="Show it to the commission").click()
    expect(survivor.locator(".notice-success")).to_contain_text("The commission can now read this excerpt")
    commission.reload()
    expect(commission.locator("blockquote.story")).to_have_text(EXCERPT)
    expect(commission.locator("main")).not_to_contain_text(personas.survivor.display_name)

    survivor.get_by_role("button", name="Take it back").click()
    expect(survivor.locator(".notice-success")).to_contain_text("Taken back")
    commission.reload()
    expect(commission.locator("main")).not_to_contain_text(EXCERPT)
    assert leaks([EXCERPT, "senior colleague kept commenting"]) == []


def test_leadership_reads_the_insights_and_sets_an_action_point_its_owner_reports_on(
    live_server: LiveServer, browser_pages: Any, mailbox: Mailbox
) -> None:
    base = live_server.url
    personas = make_personas()
    org = personas.organization
    registered(org, "verbal", "2025-H1", 12)
    registered(org, "touching", "2025-H1", 3)
    registered(org, "verbal", "2025-H2", 7)
    registered(org, "touching", "2025-H2", 9)
    for index, case in enumerate(past_cases(org, "formal", "final", 6)):
        decided(case, upheld=True, appeal=False if index < 2 else None)
    admin, owner, member = browser_pages(), browser_pages(), browser_pages()
    _sign_in(admin, base, personas.admin.email, personas.totp_secrets["admin"])

    admin.get_by_role("link", name="Insights").click()
    registered_table = admin.get_by_role("table", name="Experiences registered")
    touching = registered_table.get_by_role("row", name=re.compile("Unwanted touching"))
    expect(touching.get_by_role("cell").first).to_have_text("<5")
    expect(registered_table).to_contain_text("withheld")
    chart = admin.get_by_role("img", name="Experiences registered")
    expect(chart).to_be_visible()
    pdf = PdfReader(io.BytesIO(_download(admin, "Download as PDF")))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Experiences registered" in text and "<5" in text and "Decisions and appeals" in text

    admin.get_by_role("link", name="Self-assessment").first.click()
    policy = admin.get_by_role("group", name=re.compile("written policy on sexual harassment"))
    policy.get_by_label("No", exact=True).check()
    policy.get_by_label("What we found").fill("The policy is only on the old intranet.")
    admin.get_by_role("button", name="Record the answers").click()
    expect(admin.locator(".notice-success")).to_contain_text("1 answer(s) recorded")
    admin.get_by_role("link", name="Set an action point").click()
    expect(admin.get_by_label("From the self-assessment question")).to_have_value("policy")
    admin.get_by_label("Finding").fill("Members cannot find the harassment policy.")
    admin.get_by_label("Indicator").fill("Nine in ten members find it in the yearly survey.")
    admin.get_by_label("Owner").select_option(label="Respondent")
    fill_date(admin, "Due date", (timezone.localdate() + timedelta(days=30)).isoformat())
    admin.get_by_role("button", name="Set it").click()
    expect(admin.locator(".notice-success")).to_contain_text("Action point 1 is set")

    tasks_run_due()
    assert mailbox.messages[-1]["To"] == personas.respondent.email
    _sign_in(owner, base, personas.respondent.email, personas.totp_secrets["respondent"])
    owner.get_by_role("link", name=re.compile("Action points")).click()
    owner.get_by_role("link", name="1", exact=True).click()
    owner.get_by_label("Under way", exact=True).check()
    owner.get_by_label("What was done, or what the review found").fill("Now in the members' handbook.")
    owner.get_by_role("button", name="Record it").click()
    expect(owner.locator("#status")).to_have_text("Under way")

    admin.goto(base + "/insights/action-points/1/")
    admin.get_by_label("Done", exact=True).check()
    admin.get_by_label("What was done, or what the review found").fill("Survey: 93% found it.")
    admin.get_by_role("button", name="Record it").click()
    expect(admin.locator("#status")).to_have_text("Done")
    expect(admin.locator(".history li")).to_have_count(3)

    # Leadership tries to set a decision (refused and ledgered); every member sees it counted.
    decision_change_refused(personas.admin, past_cases(org, "formal", "deliberation", 1)[0].pk, "decide")
    ledger_checkpoint(chain_for(org.pk))
    _sign_in(member, base, personas.survivor.email)
    member.get_by_role("link", name="Transparency").click()
    expect(member.get_by_role("row", name=re.compile("Formal cases decided"))).to_contain_text("6")
    # Four not appealed and two reversed: each column under 5, so the decisions table is its
    # yearly total alone, and the report does not split it either.
    expect(member.get_by_role("row", name=re.compile("Decisions appealed"))).to_contain_text("not shown")
    expect(member.locator("#refused-changes")).to_have_text("1")
    expect(member.locator("main")).to_contain_text("chorus ledger verify --checkpoint checkpoint.json")
