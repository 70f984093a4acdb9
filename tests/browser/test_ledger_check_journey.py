"""A member's browser checks the ledger itself, in Chromium: on the first visit it keeps the
witnessed head (and the pinned keys); while the ledger only grows, later visits pass
silently and the ledger page says what was checked; once the database owner rewrites the
organization's chain and has a new head countersigned by a key other than the witness's
(the witness itself refuses it), the member's next page warns them, at 320 px too."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.crypto import signing
from chorus.ledger import log, triggers
from chorus.ledger.models import LedgerTreeHead
from chorus.ledger.services import chain_for, ledger_append
from tests.browser.test_records_journey import _sign_in
from tests.personas import make_personas

# A full check as a page runs it (head, proof, both signatures, the proof), timed in the page.
TIMED_CHECK = """async ([kept, pins, origin]) => {
  const source = document.querySelector('script[src*="ledger/ledger.js"]').src;
  const ledger = await import(source);
  const items = new Map([["chorus.ledger.pins", pins], ["chorus.ledger.head:" + origin, kept]]);
  const storage = {getItem: (key) => items.get(key) ?? null, setItem: (key, value) => items.set(key, value)};
  const start = performance.now();
  const result = await ledger.checkLog({fetchJson: ledger.fetchJson, storage});
  return {ms: performance.now() - start, result};
}"""


def _append(organization_id: object, count: int, action: str) -> None:
    for number in range(count):
        ledger_append(organization_id=organization_id, actor="journey", action=action, refs={"n": number})


def _rewrite(chain: str, organization_id: object) -> None:
    """The database owner replaces the chain's history and has the new head countersigned
    by a witness key of their own: the deployment's witness refuses to."""
    triggers.remove(connection)
    try:
        with connection.cursor() as cursor:
            for table in ("ledger_ledgerevent", "ledger_ledgerhead", "ledger_ledgernode", "ledger_ledgertreehead"):
                cursor.execute(f"DELETE FROM {table} WHERE chain = %s", [chain])  # noqa: S608 - fixed table names
        _append(organization_id, 60, "rewritten")  # longer than the witnessed log
        refused = log.tree_head_sign(chain)
        assert refused is not None and not refused.row.witnessed and "does not extend" in refused.problem
        forged_witness = bytes(range(32))
        stamp = int(time.time())
        LedgerTreeHead.objects.filter(pk=refused.row.pk).update(
            witness_key=signing.public_key_for(forged_witness).hex(),
            witness_timestamp=stamp,
            cosignature=signing.sign(forged_witness, log.as_tree_head(refused.row).cosignature_message(stamp)).hex(),
        )
    finally:
        triggers.install(connection)


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_a_members_browser_keeps_the_witnessed_head_and_warns_once_the_ledger_is_rewritten(
    live_server: LiveServer, browser_pages: Any
) -> None:
    base = live_server.url
    personas = make_personas()
    organization = personas.organization.pk
    chain = chain_for(organization)
    origin = log.origin_for(chain)
    first = log.tree_head_sign(chain)
    assert first is not None and first.row.witnessed

    page = browser_pages()
    page.clock.install()
    heads: list[str] = []
    page.on("request", lambda request: heads.append(request.url) if "/ledger/log/head/" in request.url else None)
    _sign_in(page, base, personas.survivor.email)
    # The first page after signing in checks and keeps what it saw.
    page.wait_for_function("key => localStorage.getItem(key) !== null", arg=f"chorus.ledger.last:{origin}")
    kept = page.evaluate("key => JSON.parse(localStorage.getItem(key))", f"chorus.ledger.head:{origin}")
    assert kept["size"] == first.row.size
    assert len(heads) == 1
    # Within ten minutes another page does not check again; nothing is shown either way.
    page.get_by_role("link", name="Your records", exact=True).first.click()
    assert len(heads) == 1
    expect(page.get_by_role("alert")).to_have_count(0)

    # The ledger page checks on every visit and says what it checked.
    page.get_by_role("link", name="Ledger", exact=True).first.click()
    check = page.locator("#ledger-browser-check")
    expect(check).to_contain_text(
        f"Your browser checked the ledger: {first.row.size} events, countersigned by the witness on"
    )
    expect(page.get_by_text("ask an operator")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Your browser checks the ledger for you.")

    # The ledger grows and the witness countersigns: the next visit checks the proof and passes.
    _append(organization, 25, "grown")
    grown = log.tree_head_sign(chain)
    assert grown is not None and grown.row.witnessed and grown.row.size > first.row.size
    stored = page.evaluate(
        "keys => keys.map((key) => localStorage.getItem(key))", [f"chorus.ledger.head:{origin}", "chorus.ledger.pins"]
    )
    timed = page.evaluate(TIMED_CHECK, [*stored, origin])
    assert timed["result"]["ok"] and timed["result"]["size"] == grown.row.size, timed
    assert timed["ms"] < 3000, timed  # two requests and the checks: about 0.1 s here
    page.reload()
    expect(check).to_contain_text(f"Your browser checked the ledger: {grown.row.size} events, countersigned")
    expect(check).to_contain_text(re.compile(r"witness on \d{1,2} [A-Z][a-z]+ \d{4} at \d\d:\d\d\."))  # 24-hour clock
    expect(check).to_have_attribute("data-result", "ok")

    # The database owner rewrites the chain. Eleven minutes on, the member's next page checks.
    _rewrite(chain, organization)
    page.clock.fast_forward("11:00")
    checks = len(heads)
    page.get_by_role("link", name="Your records", exact=True).first.click()
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("Your organization's ledger no longer matches what this browser saw before.")
    expect(warning).to_contain_text("someone changed the record of what the process did")
    expect(warning).to_contain_text("Your own records are not affected.")
    expect(warning).to_contain_text("tell the oversight body")
    expect(warning.get_by_role("link", name="Go to the ledger")).to_have_attribute("href", "/ledger/")
    warning.get_by_text("What your browser found").click()
    expect(warning).to_contain_text("countersigned by a key that is not the pinned witness key")
    assert len(heads) == checks + 1
    # The warning stays on every page, at 320 px without sideways scrolling, until a check passes.
    page.set_viewport_size({"width": 320, "height": 640})
    page.locator("summary", has_text="Menu").click()  # on a phone the links are under the menu
    page.get_by_role("link", name="Cases", exact=True).first.click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    page.locator("summary", has_text="Menu").click()
    page.get_by_role("link", name="Ledger", exact=True).first.click()
    expect(check).to_have_attribute("data-result", "failed")
    expect(check).to_contain_text(re.compile("Your browser's check failed"))
    # What the browser kept is the honest head, not the forged one.
    assert (
        page.evaluate("k => JSON.parse(localStorage.getItem(k)).size", f"chorus.ledger.head:{origin}") == grown.row.size
    )
