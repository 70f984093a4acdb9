"""``backup_create`` writes one archive of the database and the attachment folder;
``backup_restore`` puts one into a new, empty deployment, all or nothing.

Consistency: the database is copied first, in one snapshot (pg_dump's, or SQLite's backup
API), then the attachment folder. An attachment's file is written before its row commits
and deleted only after its row is gone, so every file the copied database names is in the
archive — unless someone removed that attachment while the backup ran, which the report
says. Files written after the snapshot are in the archive with no row naming them
(ciphertext nobody can reach; harmless).

Key files are never in an archive (``key_files``): a stolen archive then gives no way to test
guessed names against escrow tags, sign ledger heads, or forge roles and two-factor secrets,
and survivors' records are sealed under their own keys anyway.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from chorus.accounts import keyring
from chorus.backup import archive, database
from chorus.backup.errors import BackupError, RestoredNotMigrated, RestoreRefused
from chorus.config.keyfiles import private_dir

# A fresh filesystem's own folder, found where the attachment folder is a mounted volume.
_FILESYSTEM_OWN = {"lost+found"}


@dataclass(frozen=True)
class KeyFile:
    what: str
    where: str
    why: str


def key_files() -> list[KeyFile]:
    """The key files a restore needs and no archive holds, where this deployment keeps them."""
    if os.environ.get("CHORUS_SECRET_KEY_FILE"):
        secret = os.environ["CHORUS_SECRET_KEY_FILE"] + " (CHORUS_SECRET_KEY_FILE)"
    elif os.environ.get("CHORUS_SECRET_KEY"):
        secret = "the CHORUS_SECRET_KEY environment variable"
    else:
        secret = str(Path(settings.DATA_DIR) / "secret-key")
    found = [
        KeyFile(
            "Django secret key",
            secret,
            "wraps members' two-factor secrets and authenticates every role row: without it members "
            "enrol two-factor again, power roles stop counting, and sessions and emailed links end",
        ),
        KeyFile(
            "ledger signing key",
            str(settings.CHORUS_LEDGER_SIGNING_KEY_PATH),
            "signs the ledger's checkpoints and tree heads under the key members and oversight pinned: "
            "without it new heads cannot be signed with that key, and old ones verify only if "
            "CHORUS_LEDGER_PUBLIC_KEY still names it",
        ),
        KeyFile(
            "escrow key, the platform's share",
            str(settings.CHORUS_ESCROW_KEY_PATH),
            "one of the two shares of the key that turns a named person into a match tag: "
            "without it no new escrow entry can ever match an existing one",
        ),
    ]
    if settings.CHORUS_CUSTODIAN_URL:
        found.append(
            KeyFile(
                "custodian's key share and witness key",
                f"held by the custodian service at {settings.CHORUS_CUSTODIAN_URL}",
                "its operator backs them up: without the share no new entry matches an old one, and "
                "without the witness key and state no tree head is countersigned again",
            )
        )
    else:
        found.append(
            KeyFile(
                "in-process custodian",
                f"{settings.CHORUS_CUSTODIAN_DIR}/ (oprf.key, witness.key, witness.sqlite3)",
                "the escrow key's second share (without it no new entry matches an old one) and the "
                "witness's key and the tree heads it countersigned (what `chorus ledger verify` "
                "checks the ledger against)",
            )
        )
    return found


@dataclass(frozen=True)
class BackupReport:
    path: Path
    manifest: archive.Manifest
    size: int
    not_included: list[str] = field(default_factory=list)


def backup_create(*, out: Path) -> BackupReport:
    """Write the archive ``out`` (a new file, owner-only)."""
    vendor = database.vendor()
    if vendor == "postgresql":
        database.postgres_tool("pg_dump")  # refuse before writing anything
    if out.exists():
        raise BackupError(f"{out} already exists: a backup never replaces a file, so choose a new name")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent} is not a folder")
    try:
        manifest, not_included = _write(out, vendor)
    except OSError as error:
        raise BackupError(f"it could not be written: {error}") from error
    return BackupReport(path=out, manifest=manifest, size=out.stat().st_size, not_included=not_included)


def _write(out: Path, vendor: str) -> tuple[archive.Manifest, list[str]]:
    work = Path(tempfile.mkdtemp(prefix=".chorus-backup-", dir=out.parent))  # private: 0700
    try:
        dump = work / archive.DATABASE_MEMBERS[vendor]
        migrations = database.migrations_applied()
        database.database_dump(dump)
        if database.migrations_applied() != migrations:
            raise BackupError("migrations ran while the backup was made: run it again")
        not_included: list[str] = []
        with archive.archive_write(out) as writer:
            writer.add(dump.name, dump)
            folder = Path(settings.CHORUS_ATTACHMENTS_DIR)
            for path in sorted(folder.iterdir()) if folder.is_dir() else []:
                if path.name.startswith(".") or path.name in _FILESYSTEM_OWN:
                    continue  # a file still being written (storage.write's ".incoming-")
                if not path.is_file() or not archive.attachment_name_ok(path.name):
                    not_included.append(f"{path} (not an attachment file)")
                    continue
                try:
                    writer.add(archive.ATTACHMENTS + path.name, path)
                except FileNotFoundError:
                    not_included.append(f"{path.name} (removed while the backup ran)")
            manifest = archive.Manifest(
                chorus_version=_chorus_version(),
                database_vendor=vendor,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                migrations=dict(sorted(migrations.items())),
                members=tuple(writer.members),
                keys_not_included=tuple(f"{key.what}: {key.where}" for key in key_files()),
            )
            writer.finish(manifest, archive_key())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest, not_included


def archive_key() -> bytes:
    """The key that authenticates this deployment's archives, derived from its secret key
    (never in an archive): an archive restores only where that secret key is."""
    return keyring.server_key(b"chorus-backup")


def _chorus_version() -> str:
    try:
        return metadata.version("chorus")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class RestoreReport:
    manifest: archive.Manifest
    migrated: list[str]  # "app: from → to", empty when the archive was at this Chorus's state


def backup_restore(*, archive_path: Path, secret_key_lost: bool = False) -> RestoreReport:
    """Check ``archive_path`` and the target completely, then restore: the attachments moved
    into place, then the database in one step; if the database fails, the attachments are
    removed again. Afterwards ``migrate`` runs if the archive is from an older Chorus.
    ``secret_key_lost``: the manifest's MAC is not checked (nothing can check it without the
    secret key that made it); every checksum still is."""
    manifest = archive.manifest_read(archive_path, None if secret_key_lost else archive_key())
    here = database.vendor()
    if manifest.database_vendor != here:
        made_with = database.NAMES[manifest.database_vendor]
        raise RestoreRefused(
            f"it holds a {made_with} database and this Chorus uses {database.NAMES[here]} (DATABASE_URL): "
            f"restore it into a {made_with} database"
        )
    behind = database.migrations_behind(manifest.migrations)
    if here == "postgresql":
        database.postgres_tool("pg_restore")
        database.postgres_tool("psql")
    else:
        database.sqlite_path()
    problem = database.target_problem()
    if problem:
        raise RestoreRefused(f"{problem}. Restore only into a new, empty database")
    attachments = Path(settings.CHORUS_ATTACHMENTS_DIR)
    present = sorted(path.name for path in attachments.iterdir()) if attachments.is_dir() else []
    if (attachments.exists() and not attachments.is_dir()) or set(present) - _FILESYSTEM_OWN:
        raise RestoreRefused(
            f"the attachment folder {attachments} (CHORUS_ATTACHMENTS_DIR) is not empty "
            f"({', '.join(present[:3])}…). Restore only into a new, empty folder"
        )
    try:
        _restore(archive_path, manifest, attachments)
    except OSError as error:
        raise BackupError(f"it could not be written: {error}") from error
    if behind:
        try:
            call_command("migrate", interactive=False, verbosity=0)
        except Exception as error:
            raise RestoredNotMigrated(
                f"the archive was restored, but migrate failed ({error}); run chorus migrate once the cause is fixed"
            ) from error
    return RestoreReport(manifest=manifest, migrated=behind)


def _restore(archive_path: Path, manifest: archive.Manifest, attachments: Path) -> None:
    created = not attachments.exists()
    # Staged inside the attachment folder, so each file moves into place with a rename even
    # when the folder is a volume of its own; storage never reads a hidden folder.
    private_dir(attachments)
    work = Path(tempfile.mkdtemp(prefix=".restoring-", dir=attachments))
    moved: list[Path] = []
    try:
        archive.archive_extract(archive_path, manifest, work)
        dump = work / manifest.database_member
        database.dump_check(dump)
        staged = work / archive.ATTACHMENTS.rstrip("/")
        for path in sorted(staged.iterdir()) if staged.is_dir() else []:
            path.rename(attachments / path.name)
            moved.append(attachments / path.name)
        database.database_restore(dump, work)
    except BaseException:
        for path in moved:
            path.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
        if created:
            shutil.rmtree(attachments, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)
