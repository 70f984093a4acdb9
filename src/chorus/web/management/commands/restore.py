"""``chorus restore ARCHIVE.tar``: put an archive written by ``chorus backup`` into a new,
empty deployment (the database at DATABASE_URL and CHORUS_ATTACHMENTS_DIR), with Chorus
stopped. Everything is checked before anything is written, and nothing is left half done.

The command lives in ``chorus.web`` beside ``chorus worker``, the other operator command
that serves every app; the work is in ``chorus.backup`` (see its docstring)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chorus.backup.database import NAMES
from chorus.backup.errors import BackupError, DamagedArchive, RestoredNotMigrated
from chorus.backup.services import backup_restore, key_files


class Command(BaseCommand):
    help = (
        "Restore an archive from chorus backup into a new, empty database and attachment folder. "
        "Stop Chorus (app, worker) first. A damaged archive, a database or folder that already "
        "holds data, or a database of another kind is refused with nothing changed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("archive", type=Path, help="The archive written by chorus backup.")
        parser.add_argument(
            "--secret-key-lost",
            action="store_true",
            help=(
                "The secret key of the deployment that made the archive is lost: restore without checking "
                "the archive's authentication (its checksums are still checked). Only for an archive you "
                "kept where no one else could change it. Two-factor secrets and roles in it will not work."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["archive"]
        try:
            report = backup_restore(archive_path=path, secret_key_lost=options["secret_key_lost"])
        except RestoredNotMigrated as half:
            raise CommandError(f"{path}: {half}.") from None
        except DamagedArchive as damaged:
            raise CommandError(f"{path} is damaged and was not restored: {damaged}. Nothing was changed.") from None
        except BackupError as refused:
            raise CommandError(f"{path} was not restored: {refused}. Nothing was changed.") from None
        manifest = report.manifest
        if options["secret_key_lost"]:
            self.stdout.write(
                "The archive's authentication was NOT checked (--secret-key-lost). Survivors' records open with "
                "their own passwords; two-factor secrets and every role do not work under a new secret key: members "
                "enrol their second factor again, and roles are given again (chorus organization seat, then the "
                "two-person rule)."
            )
        self.stdout.write(
            f"Restored {path}, made {manifest.created_at} by Chorus {manifest.chorus_version}: the "
            f"{NAMES[manifest.database_vendor]} database and {manifest.attachment_count} encrypted attachment "
            f"file(s) into {settings.CHORUS_ATTACHMENTS_DIR}, every checksum matching."
        )
        if report.migrated:
            self.stdout.write("The archive was made at an older migration state; ran migrate:")
            for line in report.migrated:
                self.stdout.write(f"  {line}")
        else:
            self.stdout.write("Its migration state is this Chorus's own: migrate was not needed.")
        self.stdout.write(
            "\nThis deployment must use the key files of the one that was backed up (they are never in an archive):"
        )
        for key in key_files():
            self.stdout.write(f"  * {key.what}: {key.where}")
        self.stdout.write("Then start Chorus and run `chorus ledger verify`.")
