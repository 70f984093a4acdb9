"""How long an organization keeps what people wrote, and what the worker needs to apply it.

Nothing here holds content: periods, a legal hold's reason (written by an administrator for
members to read), when a record was last opened, and which notices were sent. Nothing here
names a record's owner: the personal notice uses only ``Record.notify_sealed``, which the
owner chose; everyone else is warned by a broadcast to every member.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from chorus.accounts.models import Organization
from chorus.records.models import Record

# The bounds an administrator may choose within (validated in the form, held by the database).
BOUNDS: dict[str, tuple[int, int]] = {
    "draft_months": (1, 240),
    "record_months": (6, 240),
    "anonymous_months": (6, 240),
    "entry_days": (7, 3650),
    "story_days": (7, 3650),
    "notice_days": (14, 90),
}


class Policy(models.Model):
    """One organization's periods. No row: the defaults (each field's default)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    draft_months = models.PositiveSmallIntegerField(default=6)
    record_months = models.PositiveSmallIntegerField(default=24)
    anonymous_months = models.PositiveSmallIntegerField(default=24)
    entry_days = models.PositiveSmallIntegerField(default=30)
    story_days = models.PositiveSmallIntegerField(default=30)
    notice_days = models.PositiveSmallIntegerField(default=30)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.CharField(max_length=32, blank=True, help_text="The administrator's pseudonym.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{name}__gte": low, f"{name}__lte": high}), name=f"retention_{name}_bounds"
            )
            for name, (low, high) in BOUNDS.items()
        ]


class Hold(models.Model):
    """A legal hold on an organization: while one is set, retention deletes nothing there."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    set_at = models.DateTimeField(default=timezone.now)
    set_by = models.CharField(max_length=32)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=32, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-set_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=Q(lifted_at__isnull=True), name="retention_one_hold_at_a_time"
            )
        ]


class Shortening(models.Model):
    """A period an administrator shortened: the old value stays in force until ``takes_effect_at``
    (the change plus the old period), so nothing is deleted sooner than the old policy would have."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=20, choices=[(name, name) for name in BOUNDS])
    value = models.PositiveSmallIntegerField()
    chosen_at = models.DateTimeField(default=timezone.now)
    takes_effect_at = models.DateTimeField()
    chosen_by = models.CharField(max_length=32, blank=True, help_text="The administrator's pseudonym.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "period"], name="retention_one_shortening_per_period"),
            models.CheckConstraint(
                condition=Q(takes_effect_at__gt=models.F("chosen_at")), name="retention_shortening_later"
            ),
        ]


class Clock(models.Model):
    """When a record was last opened by its owner. It does not say who the owner is."""

    record = models.OneToOneField(Record, on_delete=models.CASCADE, primary_key=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)


class Broadcast(models.Model):
    """The same content-free reminder, sent to every active member of an organization: what
    warns a member whose record does not say whose it is. At most one per notice period."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(help_text="When it was queued.")
    remaining = models.PositiveIntegerField(help_text="Members whose copy the mail server has not yet accepted.")
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="When the last copy was accepted.")

    class Meta:
        ordering = ["-sent_at"]


class What(models.TextChoices):
    RECORD = "record"
    DRAFT = "draft"


class Notice(models.Model):
    """The last warning sent about one record (or its draft), and the date it announced."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=8, choices=What.choices)
    sent_at = models.DateTimeField(help_text="When it was queued.")
    deletes_on = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="When the mail server accepted it.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "what"], name="retention_notice_once"),
            models.CheckConstraint(condition=Q(deletes_on__gt=models.F("sent_at")), name="retention_notice_before"),
        ]
