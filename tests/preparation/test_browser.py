"""In Chromium: an administrator records a panel member's preparation (a refused form first);
the case page then lets an advocate appoint her, while appointing an untrained panel member
is refused with the plain reason. Every page is checked by axe-core and at 320 px (conftest)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.preparation.models import TrainingRecord
from tests.browser.case_steps import _open_section, step
from tests.browser.conftest import fill_date
from tests.browser.test_records_journey import _sign_in
from tests.cases.factory import opened, people
from tests.personas import make_personas
from tests.preparation.factory import unprepared


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_recorded_preparation_lets_a_panel_member_be_appointed(live_server: LiveServer, browser_pages: Any) -> None:
    base = live_server.url
    personas = make_personas()
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    unprepared(personas.organization, "Bea", {"panel"})
    case = opened(people(personas), "formal")
    case_url = f"{base}/cases/{case.pk}/"

    admin = browser_pages()
    _sign_in(admin, base, personas.admin.email, personas.totp_secrets.get("admin"))
    admin.goto(base + "/account/")
    admin.get_by_role("link", name="Everyone's preparation").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Preparation")
    expect(admin.locator("section", has_text="Ana")).to_contain_text("No current preparation: cannot be appointed")
    admin.get_by_role("link", name="Record preparation for Ana").click()
    admin.get_by_role("button", name="Record and confirm").click()  # nothing chosen
    expect(admin.locator(".error-summary")).to_contain_text("Choose at least one role the preparation covers.")
    admin.get_by_label("Panel member", exact=True).check()
    admin.get_by_label("Course or topic").select_option(label="Another topic")
    admin.get_by_label("Topic, if not on the list").fill("Myths and facts about sexual violence")
    fill_date(admin, "Date completed", timezone.localdate().isoformat())
    admin.get_by_role("button", name="Record and confirm").click()
    expect(admin.locator(".notice-success")).to_contain_text("Recorded: Ana is prepared for Panel member until")
    expect(admin.locator("section", has_text="Ana")).to_contain_text("Current until")
    record = TrainingRecord.objects.get(member=ana)
    assert record.confirmed_by == personas.admin
    # The settings and the withdrawal page (opened, not used) hold at 320 px too.
    admin.get_by_role("link", name="Change this, or the list of courses").click()
    admin.get_by_label("Add a course or topic to the list").fill("Trauma-informed interviewing")
    admin.get_by_role("button", name="Add to the list").click()
    expect(admin.locator(".notice-success")).to_contain_text("The course is on the list.")
    admin.goto(f"{base}/organization/preparation/{record.pk}/withdraw/")
    expect(admin.get_by_role("button", name="Withdraw the record")).to_have_class("danger")

    advocate = browser_pages()
    _sign_in(advocate, base, personas.advocate.email, personas.totp_secrets.get("advocate"))
    advocate.goto(case_url)
    section = _open_section(advocate, "panel")
    section.get_by_label("Panel member").select_option(label="Bea (no current preparation)")
    section.get_by_role("button").click()
    expect(advocate.locator("#act-panel .error-summary")).to_contain_text(
        "Bea has no recorded preparation for panel work. "
        "An administrator or an oversight member can record it on the Preparation page."
    )
    step(advocate, case_url, "panel", select={"Panel member": "Ana"}, said="Appointed.")
    assert case.parties.filter(role="panel").count() == 1
