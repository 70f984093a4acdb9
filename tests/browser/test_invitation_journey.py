"""An invited newcomer joins, enrols two-factor, signs out and back in — in Chromium."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.accounts.models import Member
from chorus.accounts.services.invitations import invitation_create
from chorus.ledger.services import ledger_verify
from tests.browser.conftest import Mailbox
from tests.personas import make_personas

PASSWORD = "seven bright lanterns"


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_an_invited_newcomer_joins_and_signs_in_with_two_factor(
    live_server: LiveServer, mailbox: Mailbox, browser_page: Any, settings: Any
) -> None:
    settings.CHORUS_BASE_URL = live_server.url
    personas = make_personas()
    invitation_create(inviter=personas.admin, email="robin@riverside.example", roles={"supporter"})
    email = mailbox.messages[-1]
    assert email["To"] == "robin@riverside.example"
    payload = email.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    link = re.search(r"(http://\S+/invitations/\S+/)", body)
    assert link, body
    page = browser_page

    page.goto(link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Riverside Workers Union on Chorus")
    page.get_by_label("Your name as others in Chorus will see it").fill("Robin")
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password, again").fill("a different one entirely")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator(".error")).to_contain_text("The two passwords are not the same.")

    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password, again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery code")
    recovery_code = page.locator("#recovery-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){7}", recovery_code)

    page.get_by_role("link", name=re.compile("set up two-factor")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("alert")).to_contain_text("That code did not match")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your backup codes")
    assert page.locator("#backup-codes li").count() == 10

    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Robin")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    page.get_by_label("Email address").fill("robin@riverside.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("One more step")
    page.get_by_label("Code from your authenticator app").fill("123456")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("That code did not work")
    # The enrolment used this 30-second step's code; a code is accepted once, so use the next.
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Robin")

    page.goto(link.group(1))
    expect(page.get_by_role("alert")).to_contain_text("This invitation has already been used.")

    robin = Member.objects.get(email="robin@riverside.example")
    assert robin.has_two_factor
    assert robin.role_codes == {"supporter"}  # no power: granted with the invitation
    assert ledger_verify(f"org:{personas.organization.pk}").ok
