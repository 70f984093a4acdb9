"""The ledger: one append-only, hash-chained table of everything the process did.

Each organization has its own chain (``chain`` = ``org:<id>``); events that belong
to no organization (a failed sign-in for an unknown address) go to ``platform``.
Separate chains let one organization's oversight body verify its chain without
seeing another organization's metadata.
"""

from __future__ import annotations

from django.db import models


class LedgerEvent(models.Model):
    chain = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    created_at = models.DateTimeField()
    actor = models.CharField(max_length=64, help_text="Pseudonym of who acted.")
    action = models.CharField(max_length=64)
    refs = models.JSONField(default=dict, help_text="Pseudonymous object references.")
    payload_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="ledger_event_chain_seq"),
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="ledger_event_seq_positive"),
        ]
        ordering = ["chain", "seq"]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"


class LedgerHead(models.Model):
    """The latest event of each chain; its row lock serializes appends."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)


class LedgerCheckpoint(models.Model):
    chain = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    public_key = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="ledger_checkpoint_chain_seq")]
