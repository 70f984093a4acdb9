"""A survivor's record from first words to revoked share, and an anonymous report — in Chromium.

Each person has their own browser context. After the journeys, everything stored (every
table, the decoded sessions, the attachment folder) is searched for what was typed.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pyotp
import pytest
from PIL import Image
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.ledger.services import ledger_verify
from chorus.records.models import Record
from tests.leak import leaks
from tests.personas import PASSWORD, Personas, make_personas
from tests.records import samples

WHAT = "At the stocktake he pinned my wrist against the shelving unit"
WHEN = "Thursday 9 October, after the late shift"
EDITED = "and told me nobody would believe a temp over him"
REPLY = "Thank you for trusting us with this; could we talk on Monday morning?"
ANONYMOUS_WHAT = "The night supervisor at depot four keeps sending me photos"
ANONYMOUS_MESSAGE = "I am scared he will find out it was me"
ANONYMOUS_REPLY = "Nobody will learn who you are from us; here is what we can do"


def _sign_in(page: Any, base: str, email: str, totp_secret: str | None = None) -> None:
    page.goto(base + "/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if totp_secret:
        page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def _download(page: Any, link_name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).click()
    return Path(info.value.path()).read_bytes()


def _advocate(browser_pages: Any, base: str, personas: Personas) -> Any:
    page = browser_pages()
    _sign_in(page, base, personas.advocate.email, personas.totp_secrets["advocate"])
    return page


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_a_member_writes_attaches_shares_sees_the_read_and_revokes(
    live_server: LiveServer, browser_pages: Any, tmp_path: Path
) -> None:
    base = live_server.url
    personas = make_personas()
    survivor = browser_pages()
    _sign_in(survivor, base, personas.survivor.email)

    survivor.get_by_role("link", name="Your records", exact=True).first.click()
    survivor.get_by_role("link", name="Write a new record").click()
    # Opening the page keeps nothing: no record exists until there are words to keep.
    expect(survivor.get_by_role("heading", level=1)).to_have_text("A new record")
    assert survivor.url.endswith("/records/new/") and not Record.objects.exists()
    survivor.get_by_label("What happened (optional)", exact=True).fill(WHAT)
    # The page keeps a draft by itself while the survivor pauses; the first one makes the record.
    expect(survivor.locator("#draft-status")).to_contain_text("Draft kept at", timeout=10000)
    record = Record.objects.get()
    assert survivor.url.endswith(f"/records/{record.pk}/")
    survivor.reload()
    expect(survivor.get_by_role("status").first).to_contain_text("We kept what you were typing")
    expect(survivor.get_by_label("What happened (optional)", exact=True)).to_have_value(WHAT)
    survivor.get_by_label("When it happened (optional)", exact=True).fill(WHEN)
    survivor.get_by_role("button", name="Save").click()
    expect(survivor.get_by_role("status").first).to_contain_text("Saved as version 1")

    survivor.get_by_label("What happened (optional)", exact=True).fill(f"{WHAT}, {EDITED}.")
    photo = tmp_path / "IMG_0412.jpg"
    photo.write_bytes(samples.jpeg_with_gps())
    survivor.get_by_label("Attach a file (optional)", exact=True).set_input_files(str(photo))
    survivor.get_by_role("button", name="Save").click()
    expect(survivor.locator("main")).to_contain_text("“IMG_0412.jpg” is attached")
    expect(survivor.locator("main")).to_contain_text("(GPS)")
    expect(survivor.locator("main")).to_contain_text("Saved as version 2")
    stored = _download(survivor, "IMG_0412.jpg")
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif(), "the stored copy still carries EXIF"

    survivor.get_by_role("link", name="History").click()
    expect(survivor.get_by_role("heading", level=2)).to_have_count(2)
    expect(survivor.locator("main")).to_contain_text("Version 1 — saved")

    survivor.get_by_role("link", name="Sharing").click()
    survivor.get_by_label("Support").check()
    survivor.get_by_role("button", name="Share").click()
    expect(survivor.locator("main")).to_contain_text("Shared. You will see here every time")

    advocate = _advocate(browser_pages, base, personas)
    advocate.get_by_role("link", name="Advocate inbox").first.click()
    advocate.get_by_role("link", name="Read").click()
    expect(advocate.locator("main")).to_contain_text(EDITED)
    expect(advocate.locator("main")).to_contain_text(WHEN)
    shared_url = advocate.url
    shared_photo = _download(advocate, "IMG_0412.jpg")
    assert shared_photo == stored
    advocate.get_by_role("link", name="Write to the survivor").click()
    advocate.get_by_label("Your message").fill(REPLY)
    advocate.get_by_role("button", name="Send").click()
    expect(advocate.locator(".thread")).to_contain_text(REPLY)

    survivor.get_by_role("link", name="Who has seen it").click()
    expect(survivor.locator("tbody")).to_contain_text("Advocate")
    expect(survivor.locator("tbody")).to_contain_text("read what you shared")
    expect(survivor.locator("tbody")).to_contain_text("opened a file you shared")
    survivor.get_by_role("link", name="Messages").click()
    expect(survivor.locator(".thread")).to_contain_text(REPLY)
    survivor.get_by_role("link", name="Sharing").click()
    survivor.get_by_role("link", name="Stop sharing").click()
    # Asked once more, with the serious step styled as a warning.
    expect(survivor.get_by_role("heading", level=1)).to_have_text("Stop sharing with the advocate team?")
    expect(survivor.get_by_role("button", name="Stop sharing")).to_have_class("danger")
    survivor.get_by_role("button", name="Stop sharing").click()
    expect(survivor.locator("main")).to_contain_text("What was already read cannot be unread")

    advocate.goto(shared_url)
    expect(advocate.get_by_role("alert")).to_contain_text("The survivor has stopped sharing this")
    survivor.get_by_role("link", name="Who has seen it").click()
    expect(survivor.locator("tbody")).to_contain_text("was refused")

    assert ledger_verify(f"org:{personas.organization.pk}").ok
    assert leaks([WHAT, WHEN, EDITED, REPLY, "IMG_0412", samples.jpeg_with_gps(), stored, b"PhoneMaker"]) == []


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_an_anonymous_survivor_files_with_a_receipt_returns_and_reads_the_reply(
    live_server: LiveServer, browser_pages: Any
) -> None:
    base = live_server.url
    personas = make_personas()
    visitor = browser_pages()
    visitor.goto(base + "/")
    visitor.get_by_role("link", name="Report to Riverside Workers Union without an account").click()
    expect(visitor.locator("main")).to_contain_text("a lost receipt cannot be replaced")
    visitor.get_by_label("I understand that if I lose my receipt").check()
    visitor.get_by_role("button", name="Show me my receipt").click()
    receipt = visitor.locator("#receipt").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){7}", receipt)
    visitor.get_by_role("link", name=re.compile("start writing")).click()
    visitor.get_by_label("What happened (optional)", exact=True).fill(ANONYMOUS_WHAT)
    visitor.get_by_role("button", name="Save").click()
    expect(visitor.locator("main")).to_contain_text("Saved as version 1")
    visitor.get_by_role("link", name="Messages").click()
    visitor.get_by_label("Your message").fill(ANONYMOUS_MESSAGE)
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.locator(".thread")).to_contain_text(ANONYMOUS_MESSAGE)
    visitor.get_by_role("button", name="Leave").click()
    expect(visitor.locator("main")).to_contain_text("Your receipt is the only way back in")

    advocate = _advocate(browser_pages, base, personas)
    advocate.goto(base + "/advocates/inbox/")
    advocate.get_by_role("link", name="Anonymous reporter").click()
    expect(advocate.locator(".thread")).to_contain_text(ANONYMOUS_MESSAGE)
    advocate.get_by_label("Your message").fill(ANONYMOUS_REPLY)
    advocate.get_by_role("button", name="Send").click()
    expect(advocate.locator(".thread")).to_contain_text(ANONYMOUS_REPLY)

    returning = browser_pages()
    returning.goto(base + "/report/riverside/return/")
    returning.get_by_label("Your receipt").fill("not my receipt")
    returning.get_by_role("button", name="Open my report").click()
    expect(returning.locator(".error")).to_contain_text("32 letters and digits")
    returning.get_by_label("Your receipt").fill(receipt.lower())
    returning.get_by_role("button", name="Open my report").click()
    expect(returning.locator("main")).to_contain_text("Welcome back")
    expect(returning.locator(".badge")).to_contain_text("New message")
    returning.get_by_role("link", name="Untitled record").click()
    expect(returning.get_by_label("What happened (optional)", exact=True)).to_have_value(ANONYMOUS_WHAT)
    returning.get_by_role("link", name="Messages").click()
    expect(returning.locator(".thread")).to_contain_text(ANONYMOUS_REPLY)

    assert leaks([ANONYMOUS_WHAT, ANONYMOUS_MESSAGE, ANONYMOUS_REPLY, receipt, receipt.replace("-", "")]) == []
