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
    # The right edge of the chain's Merkle tree (``crypto.merkle.Frontier.hashes``, joined):
    # one 32-byte hash per set bit of ``seq``, so an append needs no other read.
    frontier = models.BinaryField(default=b"")


class LedgerNode(models.Model):
    """A complete perfect subtree of a chain's Merkle tree (``crypto/merkle.py``), written
    once when its last leaf is appended; ``position`` is ``merkle.position(level, index)``.
    Leaf ``seq - 1`` is ``merkle.leaf_hash`` of event ``seq``'s 32-byte chain hash."""

    chain = models.CharField(max_length=64)
    position = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "position"], name="ledger_node_chain_position")]


class LedgerTreeHead(models.Model):
    """A signed tree head (``crypto/tree_head.py``), countersigned by the witness (the
    custodian) once it checked that the head extends the last one it countersigned.
    Never changed: a head the witness could not reach stays unwitnessed and a later one
    is witnessed instead."""

    chain = models.CharField(max_length=64)
    origin = models.CharField(max_length=255)
    size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    timestamp = models.BigIntegerField(help_text="POSIX seconds, as signed.")
    log_key = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    witness_key = models.CharField(max_length=64, blank=True, default="")
    witness_timestamp = models.BigIntegerField(null=True, blank=True)
    cosignature = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["chain", "size", "timestamp"]
        indexes = [models.Index(fields=["chain", "size"], name="ledger_tree_head_chain_size")]

    @property
    def witnessed(self) -> bool:
        return bool(self.cosignature)


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
