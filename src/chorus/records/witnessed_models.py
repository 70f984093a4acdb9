"""What I saw: a member's account of something that happened to someone else.

The account itself is an ordinary record (its text, versions, files and shares are the
record's, under the witness's record key); this row only marks it as witnessed and keeps
what the witness decided about the person it happened to. A record with this row never
counts toward a match (``escrow.services.entries`` refuses to release it).

What a database dump shows: that some record is a witness's account, and when an advocate
asked and the person answered. Whom the witness named is sealed under the server key
(``survivor_sealed``); ``survivor_tag`` is a keyed hash, so only the server can find the
questions waiting for her, and a dump cannot tell whom an account is about.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from chorus.records.models import Record


class WitnessAnswer(models.TextChoices):
    WAITING = "", "waiting"
    YES = "yes", "yes"
    NO = "no", "no"


class WitnessAccount(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.OneToOneField(Record, on_delete=models.CASCADE, related_name="witness_account")
    # The address the witness gave, sealed for the server: what they see of whom they named,
    # whether or not a member uses it (so the page never tells them which addresses are members).
    named_sealed = models.BinaryField(null=True, help_text="The address the witness gave, sealed for the server.")
    survivor_sealed = models.BinaryField(null=True, help_text="The member it happened to, sealed for the server.")
    survivor_tag = models.BinaryField(null=True, help_text="Keyed hash of that member's id; names nobody.")
    contact_allowed = models.BooleanField(default=False, help_text="The witness agrees an advocate may ask her.")
    asked_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=3, choices=WitnessAnswer.choices, blank=True, default="")
    answered_at = models.DateTimeField(null=True, blank=True)
    case_sealed = models.BinaryField(null=True, help_text="The case she chose, sealed for the server.")
    added_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["survivor_tag"], name="witness_account_survivor_tag")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(asked_at__isnull=True)
                | models.Q(survivor_sealed__isnull=False, survivor_tag__isnull=False, contact_allowed=True),
                name="witness_asked_only_with_consent",
            ),
            models.CheckConstraint(
                condition=models.Q(answer="") | models.Q(asked_at__isnull=False, answered_at__isnull=False),
                name="witness_answered_after_asked",
            ),
            models.CheckConstraint(
                condition=models.Q(added_at__isnull=True) | models.Q(answer="yes", case_sealed__isnull=False),
                name="witness_added_only_after_yes",
            ),
        ]
