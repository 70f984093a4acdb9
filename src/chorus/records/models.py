"""Survivor records. Every column that could tell a story is ciphertext.

What a database dump shows: that records exist, when versions were saved, the sizes
of ciphertexts, which records are shared with whom (grants), and — only where the
survivor chose "register" — a category and a coarse period. No record row names its
owner: ``owner_tag`` is a keyed hash of the owner's vault key, so only someone holding
that key can list the records it owns.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member, Organization


class TeamKey(models.Model):
    """A team's X25519 key pair; the private half exists only sealed to the team's members.

    One current key per organization and role: the advocates' (what survivors share with
    the advocate team) and the commission's (the stories survivors contribute). When a
    holder leaves the role the key is retired: a successor becomes current, and the retired
    key stays only until everything sealed to it is sealed to the successor
    (``records.services.rotation``).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, default="advocate")
    public_key = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)
    successor = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    private_key_for_successor = models.BinaryField(
        null=True, help_text="Once retired: the private half, sealed to the successor's public key."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "role"],
                condition=models.Q(retired_at__isnull=True),
                name="team_key_current_per_role",
            ),
            models.CheckConstraint(
                condition=models.Q(successor__isnull=True) | models.Q(retired_at__isnull=False),
                name="team_key_successor_when_retired",
            ),
            models.CheckConstraint(
                condition=models.Q(private_key_for_successor__isnull=True) | models.Q(successor__isnull=False),
                name="team_key_handed_to_successor",
            ),
        ]


class TeamKeyHolder(models.Model):
    team_key = models.ForeignKey(TeamKey, on_delete=models.CASCADE, related_name="holders")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="team_key_holdings")
    private_key_sealed = models.BinaryField(help_text="The team private key, sealed to the member's public key.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team_key", "member"], name="team_key_holder_once")]


class TeamKeyRotation(models.Model):
    """Progress of sealing everything sealed to a team's retired keys to its current key.

    One per organization and role while a rotation is unfinished. Each batch moves the
    cursor (a sealed column and the last primary key done) in the same transaction as the
    rows it re-sealed, so a request killed at any point loses nothing.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16)
    team_key = models.ForeignKey(TeamKey, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    reseal_from = models.DateTimeField(help_text="No request that fetched the retired key runs past this.")
    column = models.CharField(max_length=32, blank=True, help_text="The sealed column being re-sealed.")
    after = models.CharField(max_length=64, blank=True, help_text="The last primary key done in that column.")
    resealed = models.PositiveIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "role"], name="team_key_rotation_per_role")]


class Category(models.TextChoices):
    VERBAL = "verbal", _("Comments, jokes or questions of a sexual nature")
    NONVERBAL = "nonverbal", _("Staring, gestures, images or messages")
    ONLINE = "online", _("Online harassment or images shared without consent")
    TOUCHING = "touching", _("Unwanted touching")
    COERCION = "coercion", _("Pressure, threats or favours in exchange")
    STALKING = "stalking", _("Following, watching or contacting against my wishes")
    ASSAULT = "assault", _("Sexual assault")
    OTHER = "other", _("Something else")


class Record(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="records")
    owner_tag = models.BinaryField(help_text="Keyed hash of the owner's vault key; names nobody.")
    key_for_owner = models.BinaryField(help_text="The record key wrapped under the owner's vault key.")
    anonymous = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Chosen by the survivor for statistics ("register"); nothing else leaves the vault.
    registered_category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    registered_period = models.CharField(max_length=7, blank=True, help_text="YYYY or YYYY-Hn.")
    # Opt-in email notices: the member to tell, sealed under the server key.
    notify_sealed = models.BinaryField(null=True)

    class Meta:
        indexes = [models.Index(fields=["owner_tag"], name="record_owner_tag")]


class DestroyedRecord(models.Model):
    """The id of a destroyed record, so that it is never used again: a page still holding it
    (a new-record page left open) cannot bring the record back under its old history. The
    ledger names the same id (``record.destroyed``); nothing else is kept."""

    id = models.UUIDField(primary_key=True)


class RecordVersion(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    saved_at = models.DateTimeField(default=timezone.now)
    ciphertext = models.BinaryField()

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["record", "number"], name="record_version_number_once")]


class RecordDraft(models.Model):
    """Text saved automatically while the survivor types; replaced by the next version."""

    record = models.OneToOneField(Record, on_delete=models.CASCADE, related_name="draft")
    saved_at = models.DateTimeField(default=timezone.now)
    ciphertext = models.BinaryField()


class Attachment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="attachments")
    added_at = models.DateTimeField(default=timezone.now)
    key_wrapped = models.BinaryField(help_text="The file key wrapped under the record key.")
    meta_sealed = models.BinaryField(help_text="Name, type, size and what was removed, under the file key.")

    class Meta:
        ordering = ["added_at"]


class Purpose(models.TextChoices):
    SUPPORT = "support", _("Support")
    RESTORATIVE = "restorative", _("A restorative process")
    FORMAL = "formal", _("A formal process")
    UNSURE = "unsure", _("Not sure yet")
    # A member the survivor trusts steps in (``services.allies``); never offered on the
    # share page, and never shown to advocates.
    ALLY = "ally", _("Someone you trust steps in")


class Grant(models.Model):
    """The survivor's consent: what part of a record, to whom, for what, until when.

    The shared part is re-encrypted under a grant key sealed to the grantee, so a
    grant reveals exactly its scope. Revoking deletes the key and the ciphertext.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="grants")
    grantee = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.CASCADE, related_name="grants_received"
    )  # null means the advocate team
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    scope = models.JSONField(help_text="Version numbers, field names and attachment ids shared.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    key_sealed = models.BinaryField(null=True)
    content = models.BinaryField(null=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | models.Q(key_sealed__isnull=True, content__isnull=True),
                name="grant_revoked_has_no_key",
            )
        ]

    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class Conversation(models.Model):
    """Messages between a record's owner and the advocate team, under one conversation key."""

    record = models.OneToOneField(Record, on_delete=models.CASCADE, related_name="conversation")
    key_for_owner = models.BinaryField(help_text="Conversation key wrapped under the record key.")
    key_for_team = models.BinaryField(help_text="Conversation key sealed to the team public key.")
    created_at = models.DateTimeField(default=timezone.now)
    unread_by_owner = models.BooleanField(default=False)
    unread_by_team = models.BooleanField(default=False)


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sent_at = models.DateTimeField(default=timezone.now)
    from_team = models.BooleanField()
    author = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body_sealed = models.BinaryField()

    class Meta:
        ordering = ["sent_at", "id"]


class AllyAsk(models.TextChoices):
    """What the survivor asks the person she trusts to do (kept sealed, never in a column)."""

    TALK = "talk", _("Talk to the person about their behaviour")
    CHECK_IN = "check_in", _("Check in on me")
    MEETING = "meeting", _("Come with me to a meeting")
    OTHER = "other", _("Something else")


class AllyState(models.TextChoices):
    ASKED = "asked", _("asked")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    STOPPED = "stopped", _("stopped")


class AllyRequest(models.Model):
    """A survivor asks a member she trusts to step in, with a grant of what she chose.

    The link between the record and the ally is the grant's (``Grant.grantee``); this row
    adds only the state and its dates. What she asked, the ally's notes and reports are
    sealed under one ally key, sealed in turn to each of their public keys. Stopping (or
    declining) deletes the ally's copy of that key and revokes the grant.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    grant = models.OneToOneField(Grant, on_delete=models.CASCADE, related_name="ally_request")
    state = models.CharField(max_length=10, choices=AllyState.choices, default=AllyState.ASKED)
    asked_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    key_for_owner = models.BinaryField(help_text="The ally key, sealed to the survivor's public key.")
    key_for_ally = models.BinaryField(null=True, help_text="The ally key, sealed to the ally's public key.")
    ask_sealed = models.BinaryField(help_text="What she asks, and in her words, under the ally key.")

    class Meta:
        ordering = ["-asked_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=[state.value for state in AllyState]), name="ally_request_state"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["asked", "accepted"]) | models.Q(key_for_ally__isnull=True),
                name="ally_request_ended_has_no_ally_key",
            ),
        ]


class AllyNote(models.Model):
    """A note the ally keeps (both of them can read it), or a report back to the survivor."""

    request = models.ForeignKey(AllyRequest, on_delete=models.CASCADE, related_name="notes")
    written_at = models.DateTimeField(default=timezone.now)
    report = models.BooleanField(default=False)
    body_sealed = models.BinaryField()

    class Meta:
        ordering = ["written_at", "id"]


# Witnessed accounts ("What I saw") are records too; their model lives beside this one.
from chorus.records.witnessed_models import WitnessAccount  # noqa: E402

__all__ = ["WitnessAccount"]
