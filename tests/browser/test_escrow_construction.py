"""The browser escrow module, served from Chorus's static files under the strict CSP,
reproduces the Python vectors byte for byte inside Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

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
