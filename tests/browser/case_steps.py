"""Taking a case step in the browser, as a person would: open the case, fill the step's
form (found by its section), submit, and read the confirmation."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pyotp
from django.utils import timezone
from playwright.sync_api import expect

from chorus.accounts.models import Member
from chorus.web.tasks import tasks_run_due
from tests.browser.conftest import Mailbox, fill_date
from tests.personas import Personas, add_member, enrol_two_factor

DUE = (timezone.now() + timedelta(days=30)).date().isoformat()


def _fill(
    section: Any,
    fill: dict[str, str] | None,
    select: dict[str, str] | None,
    check: tuple[str, ...],
) -> None:
    for label, value in (fill or {}).items():
        if value == DUE:  # a date: day, month and year boxes
            fill_date(section, label, value)
        else:
            section.get_by_label(label).fill(value)
    for label, option in (select or {}).items():
        section.get_by_label(label).select_option(label=option)
    for label in check:
        section.get_by_label(label, exact=True).check()
    confirm = section.locator("input[name$='-confirm']")
    if confirm.count():  # a serious step: "I understand…"
        confirm.check()


def _open_section(page: Any, action: str) -> Any:
    """The step's form, opening the "Other steps" disclosure it waits under, if any."""
    details = page.locator(f"details:has(#act-{action})")
    if details.count() and not details.first.evaluate("element => element.open"):
        details.first.locator("summary").click()
    return page.locator(f"#act-{action}")


def step(
    page: Any,
    case_url: str,
    action: str,
    *,
    fill: dict[str, str] | None = None,
    select: dict[str, str] | None = None,
    check: tuple[str, ...] = (),
    said: str = "",
) -> None:
    page.goto(case_url)
    section = _open_section(page, action)
    _fill(section, fill, select, check)
    section.get_by_role("button").click()
    expect(page.locator(".notice-success")).to_contain_text(said or re.compile(".+"))


def next_step(
    page: Any,
    case_url: str,
    label: str,
    *,
    stage: str = "",
    fill: dict[str, str] | None = None,
    select: dict[str, str] | None = None,
    check: tuple[str, ...] = (),
    said: str = "",
) -> None:
    """Take the step the page offers first, as someone reading only the step indicator and
    the prominent next step would: it must be ``label`` (and the stage ``stage``)."""
    page.goto(case_url)
    if stage:
        expect(page.locator("#steps [aria-current=step]")).to_contain_text(stage)
    box = page.locator("#next-step")
    expect(box.get_by_role("heading", level=3)).to_have_text(label)
    _fill(box, fill, select, check)
    box.get_by_role("button", name=label).click()
    expect(page.locator(".notice-success")).to_contain_text(said or re.compile(".+"))


def refused(page: Any, case_url: str, action: str, because: str, **what: Any) -> None:
    """The step is explained, not taken: the page says why on the form."""
    page.goto(case_url)
    section = _open_section(page, action)
    for label, value in what.get("fill", {}).items():
        section.get_by_label(label).fill(value)
    section.get_by_role("button").click()
    expect(page.locator(f"#act-{action} .error-summary")).to_contain_text(because)


def staff(personas: Personas, name: str, role: str) -> tuple[Member, str]:
    """An extra member with a role that needs two-factor sign-in, enrolled."""
    member, _ = add_member(personas.organization, name, {role})
    secret = pyotp.random_base32()
    enrol_two_factor(member, secret)
    return member, secret


def invitation_path(mailbox: Mailbox) -> str:
    """Run the queue and return the case-invitation link's path from the newest email."""
    tasks_run_due()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in reversed(mailbox.messages):
            body = message.get_payload(decode=True)
            body = body.decode() if isinstance(body, bytes) else str(body)
            found = re.search(r"(/cases/join/[A-Za-z0-9_-]+/)", body)
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError("no invitation email")


def case_url_of(page: Any) -> str:
    return str(page.url).split("#")[0]
