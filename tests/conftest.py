from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from chorus.ledger import triggers
from tests.personas import Personas, make_personas


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that restarts the database runs last: a connection any later test (or the live
    server) had opened before the restart would otherwise die with it, at a moment that depends
    on timing rather than on the code under test."""
    items.sort(key=lambda item: item.get_closest_marker("restarts_database") is not None)


def pytest_report_header() -> str:
    import os

    url = os.environ.get("DATABASE_URL", "")
    return "database: " + ("PostgreSQL" if url.startswith("postgres") else "SQLite")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """End the live server threads' PostgreSQL sessions so the test database can be dropped."""
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def _witness_forgets() -> None:
    """The in-process witness keeps its state in a file that outlives each test's database:
    each test starts with a witness that has countersigned nothing."""
    state = Path(settings.CHORUS_CUSTODIAN_DIR) / "witness.sqlite3"
    if state.exists():
        with closing(sqlite3.connect(state)) as witness:
            witness.execute("DELETE FROM heads")
            witness.commit()


@pytest.fixture
def personas(db: None) -> Personas:
    return make_personas()


@pytest.fixture
def ledger_flushable(transactional_db: None) -> Iterator[None]:
    """Transactional tests end with a flush that deletes every row; the ledger's
    triggers rightly refuse that, so lift them for the flush and put them back.

    Such tests may follow one that restarted the database (tests/reliability/test_faults.py):
    a connection that died with it is closed first, so the test opens a fresh one."""
    for each in connections.all(initialized_only=True):
        if each.connection is not None and not each.is_usable():
            each.close()
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
