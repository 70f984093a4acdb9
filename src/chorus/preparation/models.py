"""Preparation before power: the training of those who investigate, decide and facilitate.

A record says what someone was prepared in, when, which case roles it covers, until when it
counts, and who confirmed it: an administrator or an oversight member, never the person
themselves (a database constraint holds that too). A record is never edited; one that was
wrong is withdrawn with a reason, and the ledger keeps who recorded and who withdrew it.

Nothing here is about a case or a survivor: the rows name staff members and courses.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member, Organization

# The case roles that require current preparation, with the work each one names in messages.
PREPARED_ROLES: dict[str, object] = {
    "investigator": _("investigation"),
    "panel": _("panel work"),
    "appeal_panel": _("appeal panel work"),
    "facilitator": _("facilitation"),
}

VALIDITY_BOUNDS = (1, 120)  # months an organization may choose for a record to count

# How a record came to be confirmed.
CONFIRMATIONS = [
    ("second_person", _("confirmed by an administrator or oversight member")),
    ("operator", _("set up by the deployment's operator")),
]


class PreparationPolicy(models.Model):
    """How long a record counts when no end is given. No row: 24 months."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    validity_months = models.PositiveSmallIntegerField(default=24)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.CharField(max_length=32, blank=True, help_text="The pseudonym of who changed it.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_months__gte=VALIDITY_BOUNDS[0], validity_months__lte=VALIDITY_BOUNDS[1]),
                name="preparation_validity_bounds",
            ),
        ]


class Course(models.Model):
    """A course or topic on the organization's list (the form also takes free text)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ("name",)
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="preparation_course_unique")]

    def __str__(self) -> str:
        return self.name


class TrainingRecord(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="training_records")
    topic = models.CharField(max_length=200)
    # Which of ``PREPARED_ROLES`` it covers, space-separated (checked in the service).
    roles = models.CharField(max_length=80)
    completed_on = models.DateField()
    valid_until = models.DateField()
    recorded_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    confirmation = models.CharField(max_length=16, choices=CONFIRMATIONS, default="second_person")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    withdraw_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("-valid_until", "-recorded_at")
        indexes = [models.Index(fields=["organization", "member"], name="preparation_member_idx")]
        constraints = [
            # Nobody confirms their own preparation.
            models.CheckConstraint(condition=~Q(confirmed_by=F("member")), name="preparation_not_self_confirmed"),
            models.CheckConstraint(
                condition=Q(confirmation="operator") | Q(confirmed_by__isnull=False),
                name="preparation_confirmed_by_someone",
            ),
            models.CheckConstraint(condition=Q(valid_until__gt=F("completed_on")), name="preparation_valid_after"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""),
                name="preparation_withdrawn_with_reason",
            ),
        ]

    @property
    def role_codes(self) -> list[str]:
        return [code for code in self.roles.split() if code in PREPARED_ROLES]

    def role_labels(self) -> list[object]:
        from chorus.accounts.roles import ROLE_LABELS

        return [ROLE_LABELS[code] for code in self.role_codes]

    @property
    def counts_until(self) -> date:
        """Its end date, but never past the deployment's ceiling after completion
        (CHORUS_TRAINING_MAX_VALIDITY_YEARS), for records made before that ceiling existed."""
        from chorus.preparation.services.training import add_months, ceiling_months  # the services import models

        return min(self.valid_until, add_months(self.completed_on, ceiling_months()))

    def is_current(self, today: date | None = None) -> bool:
        return self.status(today) == "current"

    def status(self, today: date | None = None) -> str:
        """current, expired or withdrawn."""
        day = today or timezone.localdate()
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.counts_until < day:
            return "expired"
        return "current"
