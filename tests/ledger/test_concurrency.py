"""Several app processes, or several connections of one, appending at once never fork the
chain (PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import pytest
from django.db import connection, transaction

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


WRITERS = 4
APPENDS_EACH = 100


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ledger_flushable")
def test_four_writers_appending_at_once_leave_one_gap_free_chain() -> None:
    """Four connections append to one organization's chain at the same moment, some alone
    and some inside a longer transaction: every event is there exactly once, numbered
    without a gap, each writer's events in its own order, and the chain and its tree verify."""
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test")
    from chorus.accounts.models import Organization
    from chorus.ledger.services import chain_for, ledger_append

    organization = Organization.objects.create(name="Harbour Staff Union", slug="harbour")
    chain = chain_for(organization.pk)
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for number in range(APPENDS_EACH):
                refs = {"writer": writer, "n": number}
                if number % 3:
                    ledger_append(organization_id=organization.pk, actor=f"w{writer}", action="test.step", refs=refs)
                else:
                    with transaction.atomic():  # the caller's own transaction
                        ledger_append(
                            organization_id=organization.pk, actor=f"w{writer}", action="test.step", refs=refs
                        )
        except BaseException as error:  # reported by the test, whatever it was
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []
    events = LedgerEvent.objects.filter(chain=chain)
    assert sorted(events.values_list("seq", flat=True)) == list(range(1, WRITERS * APPENDS_EACH + 1))
    for writer in range(WRITERS):
        numbers = list(events.filter(actor=f"w{writer}").order_by("seq").values_list("refs__n", flat=True))
        assert numbers == list(range(APPENDS_EACH))
    result = ledger_verify(chain)
    assert result.ok, result.problem
    assert result.events == WRITERS * APPENDS_EACH
