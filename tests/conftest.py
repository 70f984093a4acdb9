from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection

from chorus.ledger import triggers
from tests.personas import Personas, make_personas


def pytest_report_header() -> str:
    import os

    url = os.environ.get("DATABASE_URL", "")
    return "database: " + ("PostgreSQL" if url.startswith("postgres") else "SQLite")


@pytest.fixture
def personas(db: None) -> Personas:
    return make_personas()


@pytest.fixture
def ledger_flushable(transactional_db: None) -> Iterator[None]:
    """Transactional tests end with a flush that deletes every row; the ledger's
    triggers rightly refuse that, so lift them for the flush and put them back."""
    yield
    triggers.remove(connection)
    try:
        call_command("flush", interactive=False, verbosity=0)
    finally:
        triggers.install(connection)


@pytest.fixture
def tamperable_ledger(db: None) -> Iterator[None]:
    """Play the database owner who can bypass triggers, to show the chain still catches it."""
    triggers.remove(connection)
    yield
    triggers.install(connection)
