"""An organization starts for real, in Chromium: the operator creates it from the command line;
the first administrator and oversight member follow their emailed invitations and set up
two-factor sign-in; the administrator invites a member, who joins; two people suspend the
member, whose open session ends at once, and two people reinstate them."""

from __future__ import annotations

import io
import re
from typing import Any

import pyotp
import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.accounts.models import Member
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import ledger_verify
from tests.browser.conftest import Mailbox

PASSWORD = "seven bright lanterns"


def _link_for(mailbox: Mailbox, address: str) -> str:
    message = next(message for message in reversed(mailbox.messages) if message["To"] == address)
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    found = re.search(r"(http://\S+/invitations/\S+/)", payload.decode())
    assert found, payload
    return found.group(1)


def _join(page: Any, link: str, name: str, *, two_factor: bool) -> str:
    """Follow an invitation to a working account; returns the two-factor secret, if any."""
    page.goto(link)
    page.get_by_label("Your name as others in Chorus will see it").fill(name)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password, again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery code")
    if not two_factor:
        return ""
    page.get_by_role("link", name=re.compile("set up two-factor")).click()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your backup codes")
    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {name}")
    return str(secret)


def _propose(admin: Any, kind: str, name: str, reason: str) -> None:
    admin.get_by_role("link", name="Members", exact=True).first.click()
    admin.get_by_role("link", name=f"{kind} {name}").click()
    admin.get_by_label(reason).check()
    admin.get_by_role("button", name=f"{kind} {name}").click()
    expect(admin.get_by_role("status").first).to_contain_text(name)


def _approve(oversight: Any, kind: str, name: str) -> None:
    oversight.get_by_role("link", name="Who holds power").first.click()
    oversight.get_by_role("button", name=f"Approve: {kind} {name}").click()
    expect(oversight.get_by_role("status").first).to_contain_text(name)


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_an_organization_starts_from_the_command_line_and_runs_itself(
    live_server: LiveServer, mailbox: Mailbox, browser_pages: Any, settings: Any
) -> None:
    settings.CHORUS_BASE_URL = live_server.url
    said = io.StringIO()
    call_command(
        "organization", "create", "--name", "Harbour Tenants", "--slug", "harbour",
        "--admin", "ines@harbour.example", "--oversight", "olu@harbour.example", stdout=said,
    )  # fmt: skip
    assert "What comes next" in said.getvalue()

    admin = browser_pages()
    _join(admin, _link_for(mailbox, "ines@harbour.example"), "Inés", two_factor=True)
    oversight = browser_pages()
    _join(oversight, _link_for(mailbox, "olu@harbour.example"), "Olu", two_factor=True)

    # The administrator invites a member, who joins and stays signed in.
    admin.get_by_role("link", name="Members", exact=True).first.click()
    admin.get_by_role("link", name="Invite someone").click()
    admin.get_by_label("Email address of the person to invite").fill("vera@harbour.example")
    admin.get_by_role("button", name="Send invitation").click()
    member = browser_pages()
    _join(member, _link_for(mailbox, "vera@harbour.example"), "Vera", two_factor=False)
    member.get_by_role("link", name="Your records").first.click()
    expect(member.get_by_role("heading", level=1)).to_contain_text("records")

    # Suspended by two people: the member's open session ends at once.
    _propose(admin, "Suspend", "Vera", "The account may be compromised")
    assert Member.objects.get(email="vera@harbour.example").is_active  # one person is not enough
    _approve(oversight, "suspend", "Vera")
    member.get_by_role("link", name="Your account").first.click()
    expect(member).to_have_url(re.compile(r"/sign-in/"))
    member.get_by_label("Email address").fill("vera@harbour.example")
    member.get_by_label("Password").fill(PASSWORD)
    member.get_by_role("button", name="Sign in").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Sign in")  # refused

    # Reinstated by two people: the member signs in again.
    _propose(admin, "Reinstate", "Vera", "The account is secure again")
    _approve(oversight, "reinstate", "Vera")
    member.get_by_label("Email address").fill("vera@harbour.example")
    member.get_by_label("Password").fill(PASSWORD)
    member.get_by_role("button", name="Sign in").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Your account")  # where she was going

    chain = f"org:{Member.objects.get(email='ines@harbour.example').organization_id}"
    actions = set(LedgerEvent.objects.filter(chain=chain).values_list("action", flat=True))
    assert {"member.suspension_proposed", "member.suspended", "member.reinstated"} <= actions
    assert ledger_verify(chain).ok
