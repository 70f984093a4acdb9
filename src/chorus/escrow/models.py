"""Matching escrow tables. A dump shows tags, sealed blobs and times — no identifier,
no name, no content, and no member column (entries carry a vault-keyed owner tag)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from chorus.accounts.models import Organization

RELEASE_CHOICES = [("contact", gettext_lazy("My contact only")), ("record", gettext_lazy("My contact and my record"))]
DECISION_CHOICES = [
    ("register", gettext_lazy("Register it only (count it, no action)")),
    ("support", gettext_lazy("Support for each of us, no process")),
    ("restorative", gettext_lazy("A restorative process")),
    ("formal", gettext_lazy("A formal process")),
    ("wait", gettext_lazy("Wait until more people come forward")),
]


class Entry(models.Model):
    """One submission: one or more identifiers of one person, and what the author wants."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    owner_tag = models.BinaryField(max_length=32, db_index=True)
    # The author's own copy (identifiers as written, options), under their vault key.
    for_owner = models.BinaryField()
    # What the advocates read at a match (contact, few words, record), sealed under a
    # random key that only the entry's shares carry: stored once, not once per identifier.
    released = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Counts toward a match only once a second person confirmed its author's membership
    # (accounts/services/power.py): one person alone cannot make the k authors of a match.
    counts = models.BooleanField(default=True)


class Tag(models.Model):
    """One match tag: the single index every lookup goes through."""

    tag = models.BinaryField(max_length=32, unique=True)
    threshold = models.PositiveSmallIntegerField()


class Share(models.Model):
    """One identifier of one entry: its tag and the payload sealed to the advocate team."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="shares")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="shares")
    sealed = models.BinaryField()


class Match(models.Model):
    """k distinct members named one person. One row per tag, ever (the unique key)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    tag = models.OneToOneField(Tag, on_delete=models.PROTECT, related_name="match")
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)


class Group(models.Model):
    """The matched survivors' private space. Its key is sealed to the team and to each member."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    match = models.OneToOneField(Match, on_delete=models.CASCADE, related_name="group")
    key_for_team = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=12, choices=DECISION_CHOICES, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)


class GroupMember(models.Model):
    """An invited survivor, known here only by their escrow owner tag and a pseudonym."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    owner_tag = models.BinaryField(max_length=32)
    name = models.CharField(max_length=40)
    key_sealed = models.BinaryField()
    invited_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    choice = models.CharField(max_length=12, choices=DECISION_CHOICES, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "owner_tag"], name="group_member_once"),
            models.UniqueConstraint(fields=["group", "name"], name="group_name_once"),
        ]


class GroupMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(GroupMember, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    body_sealed = models.BinaryField()  # author None: the advocates
    created_at = models.DateTimeField(default=timezone.now)


class Notice(models.Model):
    """An advocate's word to a matched survivor who asked to be told, sealed to their public
    key and found by their escrow owner tag (no member column)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="notices")
    owner_tag = models.BinaryField(max_length=32, db_index=True)
    body_sealed = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
