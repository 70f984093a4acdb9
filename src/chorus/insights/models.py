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


class StoryKind(models.TextChoices):
    SURVIVOR = "survivor", _("A survivor's story")
    ACCOUNTABILITY = "accountability", _("A story of accountability")


class Story(models.Model):
    """A survivor's excerpt for the commission, or a story of accountability: harm the
    author caused and what they learned.

    An accountability story's shown copy is sealed under the server key, not the
    commission's: the organization may let every member read it
    (``AccountabilityReaders``), and members hold no shared key. A dump alone still opens
    nothing; the author is named nowhere, as for every story.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=StoryKind.choices, default=StoryKind.SURVIVOR)
    owner_tag = models.BinaryField(help_text="Keyed hash of the author's vault key; names nobody.")
    text_sealed = models.BinaryField(help_text="The excerpt, under the author's vault key.")
    shown_sealed = models.BinaryField(null=True, help_text="The copy its readers read, sealed (see above).")
    created_at = models.DateTimeField(default=timezone.now)
    shown_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shown_sealed__isnull=True, shown_at__isnull=True)
                | models.Q(shown_sealed__isnull=False, shown_at__isnull=False),
                name="story_shown_has_copy",
            ),
            models.CheckConstraint(condition=models.Q(kind__in=StoryKind.values), name="story_kind_valid"),
        ]


class AccountabilityReaders(models.Model):
    """Who reads the stories of accountability shown in an organization: the commission
    only (the default, when no row exists) or every member. Changed by an administrator,
    ledgered."""

    class Readers(models.TextChoices):
        COMMISSION = "commission", _("Only the commission")
        MEMBERS = "members", _("Every member")

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    readers = models.CharField(max_length=12, choices=Readers.choices, default=Readers.COMMISSION)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(readers__in=["commission", "members"]), name="accountability_readers_valid"
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
