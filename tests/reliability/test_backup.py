"""``chorus backup`` and ``chorus restore`` (docs/operations.md, "Backup and restore"), on SQLite and in the
PostgreSQL pass.

A deployment with records, an attachment, escrow entries (one waiting, two matched), a case
and ledger events is built in the test database and backed up in-process (the SQLite test
database lives in memory). Everything after runs as an operator would on a new machine:
``chorus`` processes and gunicorn against a fresh database (a new file, or a second database
on the same PostgreSQL server) and a fresh attachment folder, with the same key files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from chorus.backup import archive as backup_archive
from chorus.backup.database import postgres_tool
from chorus.backup.services import archive_key
from chorus.escrow.models import Match, Tag
from chorus.records.models import RecordVersion
from chorus.records.services import writing
from tests.cases.factory import opened, people
from tests.deployment import BIN, Deployment, Visitor, free_port, shared_settings
from tests.escrow.factory import matched_group, member_owner, name
from tests.personas import PASSWORD, make_personas
from tests.records.factory import STORY, survivor_record

ALEX = "alex.moreau@harbourlogistics.example"
CASE = "I would like the rota changed so I am not alone with him on nights."


class Restored(Deployment):
    """Chorus on a fresh database and attachment folder, under the same public address (the
    ledger's log name): gunicorn with the in-process custodian, whose key files the operator
    put back from where they were kept (``custodian``, by default the tests' own)."""

    def __init__(self, database_url: str, folder: Path, custodian: Path | None = None) -> None:
        super().__init__(
            database_url,
            folder,
            workers=2,
            env={
                **shared_settings(),
                "CHORUS_ATTACHMENTS_DIR": str(folder / "attachments"),
                "CHORUS_BASE_URL": settings.CHORUS_BASE_URL,
            },
        )
        shutil.copytree(custodian or settings.CHORUS_CUSTODIAN_DIR, folder / "data" / "custodian")
        self.database_url = database_url

    def start(self) -> Restored:
        # The port is chosen now, not when the folder was made: a restore ran in between.
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env["CHORUS_BIND"] = f"127.0.0.1:{self.port}"
        self._spawn("gunicorn", [str(BIN / "gunicorn"), "-c", "python:chorus.config.gunicorn"])
        self.wait_ready()
        return self

    def chorus(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "chorus"), *arguments],
            env=self.env,
            capture_output=True,
            text=True,
            cwd=self.folder,
            check=False,
        )

    def rows(self, table: str) -> int:
        return int(_query(self.database_url, f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608

    def tables(self) -> list[str]:
        if self.database_url.startswith("sqlite"):
            found = _query(self.database_url, "SELECT name FROM sqlite_master WHERE type = 'table'")
        else:
            found = _query(self.database_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return sorted(str(row[0]) for row in found)


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return db.execute(sql).fetchall()
    with psycopg.connect(url) as db:
        return db.execute(sql).fetchall()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Callable[..., Restored]]:
    """A new, empty deployment in the folder ``label``: its own SQLite file, or a second
    database on the test's PostgreSQL server (dropped afterwards)."""
    db = connection.settings_dict
    client_env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    server = ["-h", str(db["HOST"]), "-p", str(db["PORT"]), "-U", str(db["USER"])]
    created: list[Restored] = []

    def make(label: str, custodian: Path | None = None) -> Restored:
        folder = tmp_path / label
        if connection.vendor == "sqlite":
            url = f"sqlite:///{folder / 'chorus.sqlite3'}"
        else:
            database = f"chorus_{label}_{uuid.uuid4().hex[:8]}"
            subprocess.run([postgres_tool("createdb"), *server, database], env=client_env, check=True)
            password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
            url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{database}"
        created.append(Restored(url, folder, custodian))
        return created[-1]

    yield make
    for deployment in created:
        deployment.stop()
        if deployment.database_url.startswith("postgres"):
            database = deployment.database_url.rsplit("/", 1)[1]
            command = [postgres_tool("dropdb"), *server, "--if-exists", "--force", database]
            subprocess.run(command, env=client_env, check=True)


@pytest.mark.usefixtures("ledger_flushable")
def test_a_restored_copy_opens_matches_and_verifies(
    tmp_path: Path, fresh: Callable[..., Restored], settings: Any
) -> None:
    # An attachments folder of this deployment's own (the run's shared one holds other tests' files).
    settings.CHORUS_ATTACHMENTS_DIR = tmp_path / "attachments-live"
    personas = make_personas()
    built = survivor_record(personas)
    _, attachment = writing.attachment_open(built.owner, built.record, built.attachment_id)
    matched_group(personas)  # the survivor and Robin named one person: a match
    name(member_owner(personas, "casey"), ("email", ALEX))  # waits for a second person
    case = opened(people(personas), "support", summary=CASE)
    call_command("ledger", "checkpoint", stdout=io.StringIO())
    tags = Tag.objects.count()
    assert Match.objects.count() == 1

    archive = tmp_path / "chorus.tar"
    said = io.StringIO()
    call_command("backup", "--out", str(archive), stdout=said)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    for key in ("Django secret key", "ledger signing key", "escrow key", "in-process custodian"):
        assert key in said.getvalue()
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    database = "database.pgdump" if connection.vendor == "postgresql" else "database.sqlite3"
    assert sorted(names) == sorted([database, f"attachments/{built.attachment_id.hex}.sealed", "manifest.json"])
    assert manifest["database_vendor"] == connection.vendor
    assert manifest["migrations"]["ledger"] == _ledger_now()
    assert [member["path"] for member in manifest["members"]] == names[:-1]
    content = archive.read_bytes()
    keys = [
        settings.SECRET_KEY.encode(),
        settings.CHORUS_LEDGER_SIGNING_KEY_PATH.read_bytes(),
        settings.CHORUS_ESCROW_KEY_PATH.read_bytes(),
        *(path.read_bytes() for path in Path(settings.CHORUS_CUSTODIAN_DIR).glob("*.key")),
    ]
    assert not [key for key in keys if key in content], "a key file is in the archive"

    restored = fresh("restored")
    done = restored.chorus("restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert "migrate was not needed" in done.stdout
    restored.run("ledger", "verify")
    with restored:
        survivor = Visitor(restored.url)
        survivor.sign_in("survivor@riverside.example", PASSWORD)
        page = survivor.get(f"/records/{built.record.pk}/")
        assert page.status_code == 200 and STORY["what"] in page.text
        file = survivor.get(f"/records/{built.record.pk}/files/{built.attachment_id}/")
        assert file.status_code == 200 and file.content == attachment
        assert CASE in survivor.get(f"/cases/{case.pk}/").text
        named = survivor.post(
            "/escrow/new/",
            {"kind_0": "email", "text_0": ALEX, "tell_me": "yes", "would_meet": "yes", "release": "contact"},
        )
        assert named.status_code == 302, named.text[:500]
    # Same key shares, same tag: the survivor's new entry found Casey's from before the backup.
    assert (restored.rows("escrow_tag"), restored.rows("escrow_match")) == (tags, 2)
    # The witness countersigns the restored ledger's new heads: they extend what it saw before.
    signed = restored.chorus("ledger", "checkpoint")
    assert "countersigned by the witness" in signed.stdout and "NOT witnessed" not in signed.stderr, signed.stderr
    verified = restored.run("ledger", "verify")
    assert "intact" in verified and "BROKEN" not in verified

    # Restored again elsewhere, now that the witness has seen later events, the same archive
    # shows them lost: a restore cannot quietly take history back.
    rolled_back = fresh("rolled_back", restored.folder / "data" / "custodian")
    assert rolled_back.chorus("restore", str(archive)).returncode == 0
    verdict = rolled_back.chorus("ledger", "verify")
    assert verdict.returncode == 1 and "the witness countersigned" in verdict.stdout + verdict.stderr

    again = restored.chorus("restore", str(archive))
    assert again.returncode == 1
    assert "already holds data" in again.stderr and "Nothing was changed" in again.stderr

    damaged = tmp_path / "damaged.tar"
    _flip_a_byte(archive, damaged, f"attachments/{built.attachment_id.hex}.sealed")
    empty = fresh("empty")
    refused = empty.chorus("restore", str(damaged))
    assert refused.returncode == 1
    assert "is damaged" in refused.stderr and "does not match its SHA-256 checksum" in refused.stderr
    assert empty.tables() == [] and not (empty.folder / "attachments").exists()


def _flip_a_byte(archive: Path, out: Path, member: str) -> None:
    with tarfile.open(archive) as tar:
        info = tar.getmember(member)
    data = bytearray(archive.read_bytes())
    data[info.offset_data + info.size // 2] ^= 0x01
    out.write_bytes(bytes(data))


def _rebuilt(archive: Path, out: Path, change: Callable[[str, bytes], list[tuple[str, bytes]]]) -> None:
    """A copy of ``archive`` whose members ``change`` may drop, rename, rewrite or add to."""
    with tarfile.open(archive) as source, tarfile.open(out, "w") as copy:
        for info in source.getmembers():
            extracted = source.extractfile(info)
            assert extracted is not None
            for member_name, data in change(info.name, extracted.read()):
                member = tarfile.TarInfo(member_name)
                member.size = len(data)
                copy.addfile(member, io.BytesIO(data))


def _signed(manifest: dict[str, Any], key: bytes | None = None) -> bytes:
    """``manifest`` with its MAC made again, as the deployment that holds the secret key (or,
    given ``key``, another one) would make it."""
    body = {name: value for name, value in manifest.items() if name != "mac"}
    return json.dumps({**body, "mac": backup_archive.manifest_mac(key or archive_key(), body)}).encode()


def _manifest(
    change: Callable[[dict[str, Any]], None], *, key: bytes | None = None, sign: bool = True
) -> Callable[[str, bytes], list[tuple[str, bytes]]]:
    def rewrite(member: str, data: bytes) -> list[tuple[str, bytes]]:
        if member != "manifest.json":
            return [(member, data)]
        manifest = json.loads(data)
        change(manifest)
        return [(member, _signed(manifest, key) if sign else json.dumps(manifest).encode())]

    return rewrite


def _swapped_attachment(member: str, data: bytes) -> list[tuple[str, bytes]]:
    """Someone who can write where archives are kept, without the secret key, puts another
    file in and makes the manifest agree with it: size and checksum."""
    if member == ATTACHMENT:
        return [(member, b"planted" * 40)]
    if member == "manifest.json":
        manifest = json.loads(data)
        for listed in manifest["members"]:
            if listed["path"] == ATTACHMENT:
                listed.update(size=280, sha256=hashlib.sha256(b"planted" * 40).hexdigest())
        return [(member, json.dumps(manifest).encode())]
    return [(member, data)]


def _other_vendor(member: str, data: bytes) -> list[tuple[str, bytes]]:
    other = {"database.sqlite3": "database.pgdump", "database.pgdump": "database.sqlite3"}
    if member in other:
        return [(other[member], data)]
    if member == "manifest.json":
        manifest = json.loads(data)
        manifest["database_vendor"] = "postgresql" if manifest["database_vendor"] == "sqlite" else "sqlite"
        for listed in manifest["members"]:
            listed["path"] = other.get(listed["path"], listed["path"])
        return [(member, _signed(manifest))]
    return [(member, data)]


ATTACHMENT = "attachments/" + "ab" * 16 + ".sealed"
DAMAGE: dict[str, tuple[Callable[[Path, Path], object], str]] = {
    "a byte changed in the database": (
        lambda archive, out: _flip_a_byte(archive, out, next(n for n in _names(archive) if n.startswith("database"))),
        "does not match its SHA-256 checksum",
    ),
    "an attachment left out": (
        lambda archive, out: _rebuilt(archive, out, lambda m, d: [] if m == ATTACHMENT else [(m, d)]),
        "members listed in its manifest are missing: " + ATTACHMENT,
    ),
    "a member the manifest does not list": (
        lambda archive, out: _rebuilt(
            archive, out, lambda m, d: [(m, d), ("attachments/stray.sealed", b"x")] if m == ATTACHMENT else [(m, d)]
        ),
        "'attachments/stray.sealed', which its manifest does not list",
    ),
    "cut short": (lambda archive, out: out.write_bytes(archive.read_bytes()[:2048]), "damaged"),
    "not a tar file": (lambda archive, out: out.write_bytes(b"chorus backup\n" * 100), "not a readable tar file"),
    "an unknown format version": (
        lambda archive, out: _rebuilt(archive, out, _manifest(lambda m: m.update(format_version=3))),
        "backup format version 3, which this Chorus does not know",
    ),
    "an attachment and its manifest entry changed together": (
        lambda archive, out: _rebuilt(archive, out, _swapped_attachment),
        "its manifest is not authenticated by this deployment's secret key",
    ),
    "its manifest rewritten with no MAC": (
        lambda archive, out: _rebuilt(archive, out, _manifest(lambda m: m.pop("mac"), sign=False)),
        "its manifest is not authenticated by this deployment's secret key",
    ),
    "made by a deployment with another secret key": (
        lambda archive, out: _rebuilt(archive, out, _manifest(lambda m: None, key=b"k" * 32)),
        "made by a Chorus with another CHORUS_SECRET_KEY",
    ),
    "from the other kind of database": (
        lambda archive, out: _rebuilt(archive, out, _other_vendor),
        "database and this Chorus uses",
    ),
    "from a newer Chorus": (
        lambda archive, out: _rebuilt(
            archive, out, _manifest(lambda m: m["migrations"].update(ledger="0099_from_the_future"))
        ),
        "made by a newer Chorus",
    ),
}


def _names(archive: Path) -> list[str]:
    with tarfile.open(archive) as tar:
        return tar.getnames()


def _ledger_now() -> str:
    """The ledger's newest migration, as this checkout ships it."""
    from django.db.migrations.loader import MigrationLoader

    return max(
        name for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations if app == "ledger"
    )


def test_a_damaged_or_foreign_archive_changes_nothing_and_an_older_one_is_migrated(
    tmp_path: Path, fresh: Callable[..., Restored]
) -> None:
    old = fresh("old")  # a deployment of an older Chorus: its ledger one migration behind
    old.run("migrate", "ledger", "0002", "-v0")
    (old.folder / "attachments").mkdir(mode=0o700)
    (old.folder / ATTACHMENT).write_bytes(os.urandom(300))
    archive = tmp_path / "old.tar"
    old.run("backup", "--out", str(archive))

    target = fresh("target")
    for label, (damage, message) in DAMAGE.items():
        copy = tmp_path / f"{label}.tar"
        damage(archive, copy)
        refused = target.chorus("restore", str(copy))
        assert refused.returncode == 1, label
        assert message in refused.stderr and "Nothing was changed" in refused.stderr, (label, refused.stderr)
        assert target.tables() == [] and not (target.folder / "attachments").exists(), label

    # The secret key that made an archive is lost: the operator may restore it anyway, saying so.
    foreign = tmp_path / "made by a deployment with another secret key.tar"
    lost = fresh("lost")
    restored = lost.chorus("restore", "--secret-key-lost", str(foreign))
    assert restored.returncode == 0, restored.stderr
    assert "authentication was NOT checked" in restored.stdout and lost.tables() != []

    # Someone ran ``chorus migrate`` on the new database first: its tables are empty, and newer
    # than the archive's, so they go before the archive's come in.
    target.run("migrate", "-v0")
    done = target.chorus("restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert (
        "older migration state; ran migrate" in done.stdout
        and f"ledger: 0002_append_only_triggers → {_ledger_now()[:4]}" in done.stdout
    )
    assert target.chorus("migrate", "--check").returncode == 0
    assert (target.folder / ATTACHMENT).read_bytes() == (old.folder / ATTACHMENT).read_bytes()


@pytest.mark.usefixtures("ledger_flushable")
def test_a_sqlite_archive_keeps_nothing_of_a_destroyed_record(tmp_path: Path, settings: Any) -> None:
    """SQLite's online backup copies free pages too; an archive made after a survivor destroyed
    a record must not hold its sealed versions or wrapped key in one of them."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: pg_dump writes rows, not pages")
    settings.CHORUS_ATTACHMENTS_DIR = tmp_path / "attachments-live"
    personas = make_personas()
    built = survivor_record(personas)
    gone = [bytes(built.record.key_for_owner)]
    gone += [bytes(version.ciphertext) for version in RecordVersion.objects.filter(record=built.record)]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1  # Chorus's connections overwrite what they delete
        cursor.execute("PRAGMA secure_delete=OFF")  # as a connection that did not would leave it
    writing.record_destroy(built.owner, built.record)
    archive = tmp_path / "chorus.tar"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        database = tar.extractfile("database.sqlite3").read()  # type: ignore[union-attr]
    assert [blob[:16].hex() for blob in gone if blob in database] == []


def test_only_what_storage_writes_and_only_plain_members_are_taken() -> None:
    """A key file beside the attachments (a misconfigured folder) is never archived, and a
    sparse or linked member, which a few archived bytes could expand or redirect, is refused."""
    from chorus.backup import archive

    assert archive.attachment_name_ok("ab" * 16 + ".sealed")
    for stray in ("secret-key", "escrow-oprf.key", "AB" * 16 + ".sealed", "../" + "ab" * 16 + ".sealed", ".x"):
        assert not archive.attachment_name_ok(stray), stray
    plain, sparse, link = tarfile.TarInfo("a"), tarfile.TarInfo("b"), tarfile.TarInfo("c")
    sparse.type, link.type = tarfile.GNUTYPE_SPARSE, tarfile.SYMTYPE
    assert archive._plain(plain)
    assert not archive._plain(sparse) and not archive._plain(link)
