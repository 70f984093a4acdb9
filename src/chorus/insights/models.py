"""The commission's stories, the organization's self-assessment and its action points.

A story row names nobody: ``owner_tag`` is the keyed hash records use, the text is sealed
under the author's vault key, and the copy the commission reads is sealed to the
commission's key. Self-assessment answers and action points are the institution's own
work (findings about policies and practice, not about people) and are kept in the clear
so that every member with insight access can follow them.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member, Organization


class Story(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    owner_tag = models.BinaryField(help_text="Keyed hash of the author's vault key; names nobody.")
    text_sealed = models.BinaryField(help_text="The excerpt, under the author's vault key.")
    shown_sealed = models.BinaryField(null=True, help_text="The copy the commission reads, sealed to its key.")
    created_at = models.DateTimeField(default=timezone.now)
    shown_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shown_sealed__isnull=True, shown_at__isnull=True)
                | models.Q(shown_sealed__isnull=False, shown_at__isnull=False),
                name="story_shown_has_copy",
            )
        ]


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")


class AssessmentAnswer(models.Model):
    """One answer to one self-assessment question; the newest per question is current."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    question = models.CharField(max_length=32)
    answer = models.CharField(max_length=8, choices=Answer.choices)
    note = models.TextField(blank=True)
    answered_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-answered_at", "-pk"]


class ActionPoint(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Not started")
        UNDERWAY = "underway", _("Under way")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped, with reasons")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    finding = models.TextField()
    indicator = models.TextField(help_text="How we will know it worked.")
    owner = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    question = models.CharField(max_length=32, blank=True)  # the self-assessment question it answers
    created_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)  # overdue reminder sent (once per due date)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="action_point_number")]

    @property
    def settled(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.DROPPED)

    def overdue(self, today: object) -> bool:
        return not self.settled and self.due_on < today  # type: ignore[operator]


class ActionPointReview(models.Model):
    """The history of an action point: every status report and review, never edited."""

    action_point = models.ForeignKey(ActionPoint, on_delete=models.CASCADE, related_name="reviews")
    by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=ActionPoint.Status.choices)
    due_on = models.DateField()
    note = models.TextField()

    class Meta:
        ordering = ["at", "pk"]
