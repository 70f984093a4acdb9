"""The database-backed task queue: enqueue inside a transaction, run from ``chorus worker``.

Enqueueing inside the caller's transaction means a rolled-back change leaves no task
behind, and a committed one cannot lose its task. Handlers are registered by name
(``@handler("mail")``); periodic jobs (the reminder scan, retention) by ``@periodic``.
Delivery is at least once: a handler must tolerate running twice.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation

from chorus.records import keys
from chorus.web import mail
from chorus.web.models import Task

log = logging.getLogger("chorus.tasks")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6
Handler = Callable[[dict[str, Any]], None]
_handlers: dict[str, Handler] = {}
_periodic: list[Callable[[], object]] = []


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        _handlers[kind] = function
        return function

    return register


def periodic(function: Callable[[], object]) -> Callable[[], object]:
    _periodic.append(function)
    return function


def task_enqueue(kind: str, payload: dict[str, Any], *, run_at: datetime | None = None, once: str = "") -> None:
    """Queue ``kind`` with ``payload``; with ``once``, skip it if one with that key is pending."""
    if kind not in _handlers:
        raise ValueError(f"no task handler for {kind!r}")
    task = Task(kind=kind, payload_sealed=b"", run_at=run_at or timezone.now(), once_key=once or None)
    try:
        with transaction.atomic():
            task.save()
            task.payload_sealed = keys.seal_for_server(json.dumps(payload), "task", task.pk)
            task.save(update_fields=["payload_sealed"])
    except IntegrityError:
        if not once:
            raise


def task_sealed_ahead(kind: str, payload: dict[str, Any]) -> tuple[uuid.UUID, bytes]:
    """For a function in the database that queues a task only if its own work calls for one
    (an escrow entry that needs the advocates' attention, ``escrow/filing.py``): a random
    id for the row's ``sealed_to`` and the payload sealed to it, as ``task_enqueue`` seals
    a payload to its row's id."""
    if kind not in _handlers:
        raise ValueError(f"no task handler for {kind!r}")
    sealed_to = uuid.uuid4()
    return sealed_to, keys.seal_for_server(json.dumps(payload), "task", sealed_to)


def mail_later(template: str, to: str, context: dict[str, Any] | None = None) -> None:
    """Send a content-free email once the caller's transaction commits."""
    payload = {"template": template, "to": to, "context": context or {}, "language": translation.get_language()}
    task_enqueue("mail", payload)


@handler("mail")
def _send_mail(payload: dict[str, Any]) -> None:
    mail.send(payload["template"], payload["to"], payload["context"], language=payload.get("language"))


def _claim(now: datetime) -> Task | None:
    with transaction.atomic():
        task = (
            Task.objects.select_for_update(skip_locked=True)
            .filter(done_at__isnull=True, failed_at__isnull=True, run_at__lte=now)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .order_by("run_at", "pk")
            .first()
        )
        if task is None:
            return None
        Task.objects.filter(pk=task.pk).update(locked_until=now + LEASE, attempts=task.attempts + 1)
        task.attempts += 1
        return task


def _finish(task: Task, error: Exception | None, now: datetime) -> None:
    if error is None:
        # A finished task's key is freed so the same work may be queued again later.
        Task.objects.filter(pk=task.pk).update(done_at=now, locked_until=None, once_key=None)
        return
    log.warning("task %s (%s) failed: %s", task.pk, task.kind, type(error).__name__)
    if task.attempts >= MAX_ATTEMPTS:
        Task.objects.filter(pk=task.pk).update(
            failed_at=now, locked_until=None, once_key=None, last_error=type(error).__name__
        )
    else:
        retry = now + timedelta(seconds=30 * 2**task.attempts)
        Task.objects.filter(pk=task.pk).update(run_at=retry, locked_until=None, last_error=type(error).__name__)


def tasks_run_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Run up to ``limit`` due tasks; returns how many ran (successfully or not)."""
    ran = 0
    while ran < limit:
        moment = now or timezone.now()
        task = _claim(moment)
        if task is None:
            break
        ran += 1
        try:
            payload = json.loads(keys.open_for_server(task.payload_sealed, "task", task.sealed_to or task.pk))
            _handlers[task.kind](payload)
        except Exception as error:
            _finish(task, error, moment)
        else:
            _finish(task, None, moment)
    return ran


PERIODIC_EVERY = 60.0  # seconds between scans in one worker; the scans are idempotent
_last_periodic = float("-inf")


def periodic_run() -> None:
    """The periodic jobs (reminder scan, retention): each finds its own due work."""
    global _last_periodic  # noqa: PLW0603 (one timestamp per worker process)
    if time.monotonic() - _last_periodic < PERIODIC_EVERY:
        return
    _last_periodic = time.monotonic()
    for job in _periodic:
        job()


def work_once(*, now: datetime | None = None) -> int:
    periodic_run()
    return tasks_run_due(now=now)
