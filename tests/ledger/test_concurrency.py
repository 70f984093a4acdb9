"""Several app processes appending at once never fork the chain (PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from django.db import connection

from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import ledger_verify
from tests.deployment import database_url_of_tests

PROCESSES = 3
EVENTS_EACH = 150

_WORKER = textwrap.dedent(
    """
    import os, sys
    import django
    django.setup()
    from chorus.ledger.services import ledger_append
    worker = sys.argv[1]
    for number in range(int(sys.argv[2])):
        ledger_append(organization_id=None, actor="worker-" + worker, action="test.concurrent", refs={"n": number})
    """
)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ledger_flushable")
def test_concurrent_appends_from_several_processes_never_fork_the_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test")
    environ = {**os.environ, "DATABASE_URL": database_url_of_tests(), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(index), str(EVENTS_EACH)], env=environ)
        for index in range(PROCESSES)
    ]
    assert [worker.wait(timeout=300) for worker in workers] == [0] * PROCESSES
    events = LedgerEvent.objects.filter(chain="platform", action="test.concurrent")
    assert events.count() == PROCESSES * EVENTS_EACH
    assert sorted(events.values_list("seq", flat=True)) == list(range(1, PROCESSES * EVENTS_EACH + 1))
    result = ledger_verify("platform")
    assert result.ok, result.problem
    # Each process's events are in its own order, interleaved with the others'.
    for index in range(PROCESSES):
        numbers = list(events.filter(actor=f"worker-{index}").order_by("seq").values_list("refs__n", flat=True))
        assert numbers == list(range(EVENTS_EACH))
