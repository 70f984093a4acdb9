"""Two workers sweep at the same moment: the reminder to every member is sent once and each
record deleted once, because every item is decided again under its row lock (PostgreSQL pass)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from chorus.accounts.models import Member
from chorus.ledger.models import LedgerEvent
from chorus.records.models import Record
from chorus.records.services import writing
from chorus.retention.models import Broadcast
from chorus.retention.services import sweep
from chorus.retention.services.clock import record_opened
from chorus.retention.services.policy import MONTH
from chorus.web.models import Task
from chorus.web.tasks import tasks_run_due
from tests.personas import make_personas
from tests.records.factory import STORY, survivor_owner


def _together(now: datetime) -> list[sweep.Swept]:
    start = threading.Barrier(2)
    results: list[sweep.Swept] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(sweep.retention_sweep(now=now))
        except BaseException as error:  # reported by the test, whatever it was
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    return results


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ledger_flushable")
def test_two_workers_warn_once_and_delete_once(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test")
    broadcast, delete = sweep._broadcast, sweep._delete

    def slow_broadcast(*args: object, **kwargs: object) -> bool:
        time.sleep(0.3)  # both workers have decided a reminder is needed before either sends one
        return broadcast(*args, **kwargs)  # type: ignore[arg-type]

    def slow_delete(*args: object, **kwargs: object) -> None:
        time.sleep(0.3)
        delete(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sweep, "_broadcast", slow_broadcast)
    monkeypatch.setattr(sweep, "_delete", slow_delete)
    personas = make_personas()
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    writing.record_save(owner, record, STORY)
    record_opened(owner, record)

    warned = timezone.now() + 24 * MONTH
    assert sum(result.broadcasts for result in _together(warned)) == 1
    members = Member.objects.filter(organization=personas.organization, is_active=True).count()
    assert Broadcast.objects.count() == 1
    assert Task.objects.filter(kind="retention-broadcast").count() == members
    tasks_run_due(now=warned)
    assert Broadcast.objects.get().delivered_at is not None
    deletes_on = warned + timedelta(days=30)
    assert sum(result.records for result in _together(deletes_on + timedelta(seconds=1))) == 1
    assert not Record.objects.filter(pk=record.pk).exists()
    assert LedgerEvent.objects.filter(action="retention.record_deleted").count() == 1
    assert LedgerEvent.objects.filter(action="record.destroyed").count() == 1
