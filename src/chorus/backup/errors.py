"""What ``chorus backup`` and ``chorus restore`` raise: the message says what was wrong and
what to do, and is printed to the operator as it is."""

from __future__ import annotations


class BackupError(Exception):
    """A backup or restore was refused or failed; nothing was left half done."""


class DamagedArchive(BackupError):
    """The archive cannot be trusted: unreadable, incomplete, changed, or of an unknown format."""


class RestoreRefused(BackupError):
    """The archive is sound but cannot go where it was asked to (not empty, another database)."""


class RestoredNotMigrated(BackupError):
    """The archive was restored whole, but ``migrate`` failed afterwards."""
