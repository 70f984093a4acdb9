"""``chorus backup --out ARCHIVE.tar``: one archive of the database and the encrypted
attachments, with a manifest of checksums; the key files it leaves out are listed.

The command lives in ``chorus.web`` beside ``chorus worker``, the other operator command
that serves every app; the work is in ``chorus.backup`` (see its docstring)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chorus.backup.database import NAMES
from chorus.backup.errors import BackupError
from chorus.backup.services import backup_create, key_files


class Command(BaseCommand):
    help = (
        "Write one archive (a tar, owner-only) of the database and the encrypted attachments, with "
        "a manifest of SHA-256 checksums. Key files are not in it: back them up separately."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="The archive to write: a new file.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup_create(out=options["out"])
        except BackupError as refused:
            raise CommandError(f"No backup was written: {refused}.") from None
        manifest = report.manifest
        self.stdout.write(
            f"Wrote {report.path} ({report.size} bytes, readable by its owner only): the "
            f"{NAMES[manifest.database_vendor]} database and the attachment folder's "
            f"{manifest.attachment_count} encrypted files, with their SHA-256 checksums in manifest.json."
        )
        for entry in report.not_included:
            self.stdout.write(f"  not included: {entry}")
        self.stdout.write(
            "\nNot in the archive, on purpose: the key files below. Keep a copy of each somewhere "
            "else (a secret store or offline media, never beside the archives), so a stolen archive "
            "opens no more than a stolen database. A restore needs them: without them matching "
            "and verification are lost."
        )
        for key in key_files():
            self.stdout.write(f"  * {key.what}: {key.where}\n      {key.why}")
