"""Content-free email notices: who wants which, what is waiting to be sent, and how far
the worker has read each ledger chain.

A pending notice holds a kind and a time, never what happened: the email it becomes says
only that something is waiting in Chorus.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member


class Kind(models.TextChoices):
    SHARE = "share", _("A survivor shares something with the advocates")
    MESSAGE = "message", _("A survivor writes to the advocates")
    CASE = "case", _("A new case is opened")
    MATCH = "match", _("A match in escrow needs attention")
    REPLY = "reply", _("An advocate replies to you")
    STEP = "step", _("A case you take part in needs you")


# Offered to advocates, and on for them until they turn them off.
ADVOCATE_KINDS = (Kind.SHARE, Kind.MESSAGE, Kind.CASE, Kind.MATCH)
# Offered to everyone, and off until they turn them on.
PERSONAL_KINDS = (Kind.REPLY, Kind.STEP)


class NoticePreference(models.Model):
    """What one member chose. No row: the defaults (``services.kinds_for``)."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="notice_preference")
    kinds = models.JSONField(default=list, help_text="The kinds of notice this member gets.")
    # A keyed hash (under a key derived from the server's secret) of the owner tag of the
    # member's records, kept only while they want replies: the worker finds whom to tell of
    # a reply without any record naming its owner. As strong as ``Record.notify_sealed``.
    owner_index = models.BinaryField(max_length=32, null=True, unique=True)
    updated_at = models.DateTimeField(default=timezone.now)


class PendingNotice(models.Model):
    """Something a member will be told of in their next email (one per batch).

    A dump of the database alone must not link a member to a record or a case through these
    rows, so a row names nobody in the clear and points at no event: ``recipient`` is a keyed
    hash of the member (it groups a person's rows for the flush), ``recipient_sealed`` their
    id sealed under a key only the running server holds, and ``created_at`` only the end of
    the hour the notice arrived in (it cannot be matched against an event's time). A person
    has at most one row per kind: a second notice of the same kind keeps the first row."""

    recipient = models.BinaryField(max_length=32)
    recipient_sealed = models.BinaryField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="pending_notice_due")]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind"], name="pending_notice_once"),
            models.CheckConstraint(condition=models.Q(kind__in=[kind.value for kind in Kind]), name="notice_kind"),
        ]


class NoticeCursor(models.Model):
    """The last event of a ledger chain the notice scan has read. Within a chain events
    commit in sequence order (the head row is locked until commit), so nothing committed
    later can appear below the cursor."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.BigIntegerField(default=0)
