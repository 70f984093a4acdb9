"""The browser escrow module, served from Chorus's static files under the strict CSP,
reproduces the Python vectors byte for byte inside Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from tests.escrow.test_browser_elements import INVALID, MULTIPLES, server_accepts, top_bit_set
from tests.escrow.vectors import make_vectors


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_chromium_reproduces_the_python_vectors(live_server: LiveServer, browser_page: Any) -> None:
    vectors = make_vectors()
    browser_page.goto(live_server.url + "/")
    answers = browser_page.evaluate(
        "async (vectors) => (await import('/static/escrow/escrow.js')).runVectors(vectors)", vectors
    )
    assert answers == [vector["expected"] for vector in vectors]


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_chromium_decodes_elements_as_the_server_does(live_server: LiveServer, browser_page: Any) -> None:
    """RFC 9496's invalid encodings, the multiples of the generator, and the same with bit 255
    set, through the bundle's decodeElement: refused and accepted exactly as check_element does."""
    encodings = [*MULTIPLES, *INVALID, *(top_bit_set(encoding) for encoding in MULTIPLES)]
    browser_page.goto(live_server.url + "/")
    refusals = browser_page.evaluate(
        """async (encodings) => {
          const { decodeElement, InvalidElement } = await import('/static/escrow/escrow.js');
          const bytes = (hex) => Uint8Array.from(hex.match(/../g), (pair) => parseInt(pair, 16));
          return encodings.map((hex) => {
            try {
              decodeElement(bytes(hex));
              return null;
            } catch (error) {
              if (!(error instanceof InvalidElement)) throw error;
              return error.message;
            }
          });
        }""",
        encodings,
    )
    assert [why is None for why in refusals] == [server_accepts(encoding) for encoding in encodings]
    assert [why is None for why in refusals] == [False] + [True] * 15 + [False] * (len(encodings) - 16)
