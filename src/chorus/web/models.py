from __future__ import annotations

from django.db import models


class RateLimit(models.Model):
    """Failure counts shared by every app process (the database is the only shared
    state). The key is an HMAC of what is limited, so no address is stored."""

    key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True)


class Task(models.Model):
    """Background work kept in the database: no broker, the same on SQLite and PostgreSQL.

    A worker claims a due task by taking a lease (``locked_until``) in a short transaction,
    runs it, and marks it done; a worker killed mid-task leaves a lease that runs out, so
    the task runs again. What a task needs (an address, a case id) is sealed under the
    server key: a dump of this table shows kinds and times only.
    """

    kind = models.CharField(max_length=40)
    payload_sealed = models.BinaryField()
    run_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True)
    done_at = models.DateTimeField(null=True)
    failed_at = models.DateTimeField(null=True)
    last_error = models.CharField(max_length=120, blank=True)  # the exception's class, never its text
    # Work that must exist at most once while pending (a reminder for one step, say).
    once_key = models.CharField(max_length=64, null=True, unique=True)
    # A payload sealed before its row existed (by a function in the database that queues
    # the task itself, escrow/filing.py) is sealed to this random id instead of the row's.
    sealed_to = models.UUIDField(null=True, unique=True)

    class Meta:
        indexes = [models.Index(fields=["done_at", "failed_at", "run_at"], name="task_due")]
