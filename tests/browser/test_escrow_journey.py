"""Three members name people in escrow; the one pair that matches meets and decides — in Chromium.

Two members name the same person under different spellings of an email address — one
with JavaScript (the entry is built in the browser), one without (built on the server) —
and a third names someone else by phone. Every request the JavaScript browsers send is
recorded: none carries an identifier or an OPRF output. The advocate is emailed, sees
exactly one match, opens it and invites both; both join and give the same answer, which
becomes the group's outcome. Afterwards everything stored is searched for the
identifiers, names and words typed.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.escrow.models import Group, Match
from chorus.ledger.services import chain_for, ledger_verify
from chorus.notices.services import BATCH, notices_flush
from chorus.web.tasks import tasks_run_due
from tests.browser.conftest import Mailbox
from tests.browser.test_records_journey import _sign_in
from tests.escrow.factory import member_owner
from tests.leak import leaks
from tests.personas import make_personas

FIRST_SPELLING = "Sam.Lee@Example.org"
SECOND_SPELLING = "  sam.lee@EXAMPLE.ORG"
OTHER_PHONE = "+44 20 7946 0958"
INSTAGRAM = "@Sam.Lee.Bay"
STATEMENT = "Sam Lee from the loading bay, at the Friday social"
GROUP_MESSAGE = "I thought I was the only one this happened to"


def _name(
    page: Any, base: str, kind: str, text: str, *, statement: str = "", construction: str = "browser", also: str = ""
) -> None:
    page.goto(base + "/")
    page.get_by_role("link", name="Name someone").first.click()
    page.get_by_role("link", name="Name someone").last.click()
    said = "Your browser builds this entry itself" if construction == "browser" else "is not running JavaScript"
    expect(page.locator("#escrow-mode")).to_contain_text(said)
    page.locator("#id_kind_0").select_option(kind)
    page.locator("#id_text_0").fill(text)
    if also:  # a second identifier of the same person: one batch, one proof per holder
        page.locator("#id_kind_1").select_option("instagram")
        page.locator("#id_text_1").fill(also)
    page.get_by_label("Yes, I would").check()
    if statement:
        page.get_by_label("A few words for the advocates").fill(statement)
    page.get_by_role("button", name="Keep it sealed").click()
    expect(page.get_by_role("status").first).to_contain_text("Your entry is sealed")


def _request_bytes(request: Any) -> bytes:
    headers = "\n".join(f"{name}: {value}" for name, value in request.headers.items())
    return f"{request.method} {request.url}\n{headers}\n\n".encode() + (request.post_data_buffer or b"")


def _outputs(named: list[tuple[str, str]]) -> list[bytes]:
    """Each identifier's OPRF output y, computed here from both holders' key files."""
    from django.conf import settings

    from chorus.crypto import oprf, threshold
    from chorus.custodian.service import Custodian, load_key
    from chorus.escrow import holders
    from chorus.escrow.identifiers import normalize

    k1 = oprf.scalar_to_int(holders.platform_key()[0])
    k2 = oprf.scalar_to_int(load_key(settings.CHORUS_CUSTODIAN_DIR / "oprf.key", info=Custodian.KEY_INFO)[0])
    joint = oprf.scalar_from_int(k1 * k2 % threshold.ORDER)
    return [oprf.evaluate(joint, normalize(kind, text).encode(), oprf.OPRF) for kind, text in named]


def _carries(request: bytes, secret: str | bytes) -> bool:
    """Whether a recorded request holds the secret: as text (also URL- or JSON-escaped) or
    as bytes (raw, hex or base64)."""
    if isinstance(secret, str):
        texts = {secret, urllib.parse.quote_plus(secret), urllib.parse.quote(secret), json.dumps(secret)[1:-1]}
        return any(text.encode() in request for text in texts)
    encodings = {secret, secret.hex().encode(), base64.b64encode(secret), base64.urlsafe_b64encode(secret)}
    return any(encoded in request for encoded in encodings)


def _join_and_choose(page: Any, base: str, answer: str) -> None:
    page.goto(base + "/escrow/")
    expect(page.get_by_text("waiting for your answer")).to_be_visible()
    page.get_by_role("link", name="A private group of people who named the same person").click()
    page.get_by_role("button", name="Join the group").click()
    page.get_by_label(answer).check()
    page.get_by_role("button", name="Give my answer").click()
    expect(page.get_by_role("status").first).to_contain_text("Your answer is recorded")


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_two_spellings_match_once_and_the_matched_survivors_decide_together(
    live_server: LiveServer, browser_pages: Any, mailbox: Mailbox, settings: Any
) -> None:
    settings.CHORUS_BASE_URL = live_server.url
    base = live_server.url
    personas = make_personas()
    for name in ("robin", "kim"):
        member_owner(personas, name)
    pages = {}
    sent: list[bytes] = []  # every request the JavaScript browsers make: URL, headers, body
    for person, email in (
        ("survivor", personas.survivor.email),
        ("robin", "robin@riverside.example"),
        ("kim", "kim@riverside.example"),
    ):
        pages[person] = browser_pages(javascript=person != "robin")
        if person != "robin":
            pages[person].on("request", lambda request: sent.append(_request_bytes(request)))
        _sign_in(pages[person], base, email)

    _name(pages["survivor"], base, "email", FIRST_SPELLING, statement=STATEMENT, also=INSTAGRAM)
    _name(pages["kim"], base, "phone", OTHER_PHONE)
    _name(pages["robin"], base, "email", SECOND_SPELLING, construction="server")
    # The browser opens its own sealed list of whom its member named.
    pages["survivor"].goto(base + "/escrow/")
    expect(pages["survivor"].get_by_role("link", name=f"{FIRST_SPELLING}, {INSTAGRAM}")).to_be_visible()
    # A mistake is explained on its row before anything is sent, and the text stays.
    page = pages["kim"]
    page.goto(base + "/escrow/new/")
    page.locator("#id_kind_0").select_option("phone")
    page.locator("#id_text_0").fill("020 7946")
    before = len(sent)
    page.get_by_role("button", name="Keep it sealed").click()
    expect(page.locator("[data-row-error]").first).to_contain_text("country code")
    expect(page.locator("#id_text_0")).to_have_value("020 7946")
    assert len(sent) == before
    # Identifier 1 is the one required: said on its row, and the row below is never sent.
    page.locator("#id_text_0").fill("")
    page.locator("#id_kind_1").select_option("phone")
    page.locator("#id_text_1").fill(OTHER_PHONE)
    page.get_by_role("button", name="Keep it sealed").click()
    expect(page.locator("[data-row-error]").first).to_contain_text("Write at least identifier 1")
    expect(page.locator("#id_text_0")).to_be_focused()
    expect(page.locator("#id_text_1")).to_have_value(OTHER_PHONE)
    assert len(sent) == before
    named = [
        ("email", FIRST_SPELLING),
        ("email", SECOND_SPELLING.strip()),
        ("email", "sam.lee@example.org"),
        ("phone", OTHER_PHONE),
        ("phone", "+442079460958"),
        ("instagram", INSTAGRAM),
        ("instagram", "sam.lee.bay"),
    ]
    secrets: list[str | bytes] = [*(text for _, text in named), *_outputs(named)]
    assert [secret for secret in secrets if any(_carries(request, secret) for request in sent)] == []
    assert any(b"/escrow/evaluate/" in request for request in sent)  # the recording saw the construction

    tasks_run_due()
    notices_flush(now=timezone.now() + BATCH)  # the advocates' notices go out an hour after the first
    tasks_run_due()
    deadline = time.monotonic() + 10
    while not mailbox.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [m["Subject"] for m in mailbox.messages] == ["Something is waiting for you in Chorus"]
    assert mailbox.messages[0]["To"] == personas.advocate.email

    advocate = browser_pages()
    _sign_in(advocate, base, personas.advocate.email, personas.totp_secrets["advocate"])
    advocate.get_by_role("link", name="Matches").click()
    rows = advocate.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("needs attention")
    advocate.get_by_role("link", name="Open").click()
    expect(advocate.get_by_text("Email address: sam.lee@example.org", exact=True)).to_be_visible()
    expect(advocate.get_by_role("heading", level=2)).to_have_text(["Survivor A", "Survivor B"])
    expect(advocate.get_by_text(STATEMENT)).to_be_visible()
    advocate.get_by_role("button", name="Invite the chosen survivors").click()
    expect(advocate.get_by_role("status").first).to_contain_text("Invited")

    _join_and_choose(pages["survivor"], base, "A restorative process")
    pages["survivor"].get_by_label("Message").fill(GROUP_MESSAGE)
    pages["survivor"].get_by_role("button", name="Send").click()
    _join_and_choose(pages["robin"], base, "A restorative process")
    expect(pages["robin"].get_by_text(GROUP_MESSAGE)).to_be_visible()
    expect(pages["robin"].get_by_role("status").first).to_contain_text("that is the group's decision")
    expect(pages["robin"].get_by_text("The group decided")).to_contain_text("A restorative process")
    # Kim, who named someone else, has no invitation.
    pages["kim"].goto(base + "/escrow/")
    expect(pages["kim"].get_by_text("Invitations")).to_have_count(0)

    assert Match.objects.count() == 1
    assert Group.objects.get().outcome == "restorative"
    assert ledger_verify(chain_for(personas.organization.pk)).ok
    needles: list[str | bytes] = [
        "sam.lee",
        "Sam.Lee",
        "samlee",
        "+442079460958",
        "7946 0958",
        "Sam Lee",
        "sam.lee.bay",
        STATEMENT,
        GROUP_MESSAGE,
    ]
    assert leaks(needles) == []
