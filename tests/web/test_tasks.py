"""The database-backed task queue: transactional enqueue, retries, leases, no plaintext."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from chorus.web import tasks
from chorus.web.models import Task

pytestmark = pytest.mark.django_db
calls: list[dict[str, Any]] = []


@tasks.handler("test.flaky")
def _flaky(payload: dict[str, Any]) -> None:
    calls.append(payload)
    if payload.get("fail"):
        raise RuntimeError("secret detail that must not be stored")


def test_it_sends_queued_mail_and_keeps_no_address_in_the_clear() -> None:
    tasks.mail_later("cases/email/reminder", "someone@riverside.example")
    task = Task.objects.get()
    assert b"someone" not in bytes(task.payload_sealed)
    assert tasks.tasks_run_due() == 1
    assert [message.to for message in mail.outbox] == [["someone@riverside.example"]]
    assert tasks.tasks_run_due() == 0


def test_a_rolled_back_change_leaves_no_task() -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            tasks.mail_later("cases/email/reminder", "someone@riverside.example")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        change_that_fails()
    assert not Task.objects.exists()


def test_a_failing_task_is_retried_later_and_finally_given_up() -> None:
    calls.clear()
    tasks.task_enqueue("test.flaky", {"fail": True})
    now = timezone.now()
    for attempt in range(tasks.MAX_ATTEMPTS):
        assert tasks.tasks_run_due(now=now + timedelta(days=attempt + 1)) == 1
    task = Task.objects.get()
    assert task.failed_at is not None and task.last_error == "RuntimeError"
    assert len(calls) == tasks.MAX_ATTEMPTS
    assert tasks.tasks_run_due(now=now + timedelta(days=30)) == 0


def test_a_task_whose_worker_died_runs_again_after_its_lease() -> None:
    calls.clear()
    tasks.task_enqueue("test.flaky", {"n": 1})
    claimed = tasks._claim(timezone.now())  # a worker took it, then was killed
    assert claimed is not None
    assert tasks.tasks_run_due() == 0  # leased
    assert tasks.tasks_run_due(now=timezone.now() + tasks.LEASE + timedelta(seconds=1)) == 1
    assert calls == [{"n": 1}]


def test_once_keeps_one_pending_task_per_key() -> None:
    tasks.task_enqueue("test.flaky", {"n": 1}, once="k")
    tasks.task_enqueue("test.flaky", {"n": 2}, once="k")
    assert Task.objects.count() == 1
    tasks.tasks_run_due()
    tasks.task_enqueue("test.flaky", {"n": 3}, once="k")  # done: the key is free again
    assert Task.objects.count() == 2
