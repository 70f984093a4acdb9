"""The backup archive: one tar file holding the database, the attachment folder's files as
stored (ciphertext) and ``manifest.json``, which names, sizes and hashes every other member::

    database.pgdump  or  database.sqlite3   pg_dump's custom format, or a SQLite database file
    attachments/<name>                       each file of CHORUS_ATTACHMENTS_DIR
    manifest.json                            written last, once every member's hash is known

The tar is not compressed: a custom-format dump is compressed already and the rest is
ciphertext. Each member is hashed as it goes into the tar, so the manifest describes the
bytes in the archive, not a file that may have changed since. Reading refuses, naming what
it found, anything a damaged or altered archive could differ in: a tar that cannot be read,
an unknown format version, a member missing, unlisted, repeated, not a plain file, or of
another size or SHA-256. Key files are never members (``services.key_files``).

The manifest is authenticated: an HMAC-SHA256, under a key only a deployment holding the
archive's secret key can derive, over the manifest's canonical JSON. Since the manifest holds
every other member's hash, nobody who can write where archives are kept can change any of it
(the SQL a restore runs included) without the secret key, which is never in an archive.

Knows nothing of Django.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from chorus.backup.errors import BackupError, DamagedArchive

FORMAT = "chorus-backup"
FORMAT_VERSION = 2  # 2: the manifest carries its MAC
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
ATTACHMENTS = "attachments/"
# Exactly the names storage writes (records/storage.py: "<attachment id as 32 hex>.sealed"):
# one path component, so nothing can name a place outside the folder, and no other file of a
# misconfigured folder (a key file beside the attachments) is ever taken into an archive.
_ATTACHMENT_NAME = re.compile(r"[0-9a-f]{32}\.sealed")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MANIFEST_LIMIT = 64 * 1024 * 1024
_CHUNK = 1024 * 1024


def attachment_name_ok(name: str) -> bool:
    return _ATTACHMENT_NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class Member:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    chorus_version: str
    database_vendor: str
    created_at: str
    migrations: dict[str, str]  # app label -> latest applied migration
    members: tuple[Member, ...]
    keys_not_included: tuple[str, ...] = field(default=())

    @property
    def database_member(self) -> str:
        return DATABASE_MEMBERS[self.database_vendor]

    @property
    def attachment_count(self) -> int:
        return sum(1 for member in self.members if member.path.startswith(ATTACHMENTS))

    def as_json(self, key: bytes) -> bytes:
        fields = asdict(self)
        body = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            **{name: fields[name] for name in ("chorus_version", "database_vendor", "created_at", "migrations")},
            "members": fields["members"],
            "keys_not_included": fields["keys_not_included"],
        }
        return json.dumps({**body, "mac": manifest_mac(key, body)}, indent=2, sort_keys=False).encode()


def manifest_mac(key: bytes, body: dict[str, Any]) -> str:
    """The MAC of a manifest's fields (all but ``mac``), over their canonical JSON: what is
    checked is exactly what was parsed, however the file itself is laid out."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


class _Hashing:
    """A file handed to tarfile, hashing exactly the bytes tarfile reads from it."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


class ArchiveWriter:
    def __init__(self, tar: tarfile.TarFile) -> None:
        self._tar = tar
        self.members: list[Member] = []
        self.finished = False

    def add(self, name: str, source: Path) -> None:
        """Add ``source`` as member ``name``. Raises FileNotFoundError if it is gone."""
        with source.open("rb") as file:
            info = tarfile.TarInfo(name)
            info.size = os.fstat(file.fileno()).st_size
            info.mode = 0o600
            info.mtime = int(time.time())
            hashing = _Hashing(file)
            self._tar.addfile(info, hashing)  # tarfile only calls read()
        self.members.append(Member(path=name, size=hashing.size, sha256=hashing.digest.hexdigest()))

    def finish(self, manifest: Manifest, key: bytes) -> None:
        data = manifest.as_json(key)
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mode = 0o600
        info.mtime = int(time.time())
        self._tar.addfile(info, io.BytesIO(data))
        self.finished = True


@contextmanager
def archive_write(out: Path) -> Iterator[ArchiveWriter]:
    """A new archive at ``out``, owner-only (0600) from its first byte. It is written under a
    temporary name beside ``out`` and appears only once complete; a file already at ``out``
    is never replaced."""
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise BackupError(f"cannot write beside {out}: {error.strerror}") from error
    try:
        with os.fdopen(descriptor, "wb") as file:
            with tarfile.open(fileobj=file, mode="w", format=tarfile.PAX_FORMAT) as tar:
                writer = ArchiveWriter(tar)
                yield writer
            if not writer.finished:
                raise BackupError("the archive was left without its manifest")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(partial, out)  # fails if a file appeared at ``out`` meanwhile
        except FileExistsError:
            raise BackupError(f"{out} already exists: a backup never replaces a file") from None
        except OSError:  # a filesystem without hard links (some removable and network media)
            if out.exists():
                raise BackupError(f"{out} already exists: a backup never replaces a file") from None
            partial.rename(out)
    finally:
        partial.unlink(missing_ok=True)


def manifest_read(archive: Path, key: bytes | None) -> Manifest:
    """The archive's manifest, checked for form and against its MAC under ``key`` (None only
    when the operator says the secret key that made it is lost); ``archive_extract`` checks
    the members."""
    if not archive.is_file():
        raise DamagedArchive(f"{archive} is not a file")
    try:
        with tarfile.open(archive, mode="r:") as tar:
            try:
                info = tar.getmember(MANIFEST)
            except KeyError:
                raise DamagedArchive(
                    "it has no manifest.json: it is not a Chorus backup, or it was cut short or damaged"
                ) from None
            if not _plain(info) or info.size > _MANIFEST_LIMIT:
                raise DamagedArchive("its manifest.json is not a plain file of reasonable size")
            extracted = tar.extractfile(info)
            raw = extracted.read() if extracted else b""
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DamagedArchive(f"it is not a readable tar file ({error})") from error
    return _manifest_parse(raw, key)


def _plain(info: tarfile.TarInfo) -> bool:
    """A regular member stored whole: not a link, a device, or a sparse file (which a few
    bytes of archive would expand into any size on disk)."""
    return info.type in (tarfile.REGTYPE, tarfile.AREGTYPE) and not info.issparse()


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as error:
        raise DamagedArchive(f"its manifest.json is not valid JSON ({error})") from error
    except RecursionError:
        raise DamagedArchive("its manifest.json is nested too deeply to be a Chorus manifest") from None


def _manifest_parse(raw: bytes, key: bytes | None) -> Manifest:
    data = _json(raw)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DamagedArchive("its manifest.json is not a Chorus backup manifest")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise DamagedArchive(
            f"it is in backup format version {version!r}, which this Chorus does not know "
            f"(it reads version {FORMAT_VERSION}); restore it with the Chorus that made it"
        )
    mac = data.pop("mac", None)
    if key is not None and (not isinstance(mac, str) or not hmac.compare_digest(mac, manifest_mac(key, data))):
        raise DamagedArchive(
            "its manifest is not authenticated by this deployment's secret key: the archive was made by a "
            "Chorus with another CHORUS_SECRET_KEY, or changed since it was made. Restore it with the secret "
            "key of the deployment that made it (if that key is lost, see chorus restore --secret-key-lost)"
        )
    vendor = data.get("database_vendor")
    if vendor not in DATABASE_MEMBERS:
        raise DamagedArchive(f"its manifest names an unknown database vendor {vendor!r}")
    migrations = data.get("migrations")
    if not isinstance(migrations, dict) or not all(
        isinstance(app, str) and isinstance(name, str) for app, name in migrations.items()
    ):
        raise DamagedArchive("its manifest's migration state is malformed")
    listed = data.get("members")
    members: list[Member] = []
    for entry in listed if isinstance(listed, list) else [listed]:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("size"), int)
            and not isinstance(entry.get("size"), bool)
            and entry["size"] >= 0
            and isinstance(entry.get("sha256"), str)
            and _SHA256.fullmatch(entry["sha256"])
        ):
            raise DamagedArchive(f"its manifest lists a malformed member: {entry!r}")
        members.append(Member(path=entry["path"], size=entry["size"], sha256=entry["sha256"]))
    paths = [member.path for member in members]
    if len(set(paths)) != len(paths):
        raise DamagedArchive("its manifest lists a member twice")
    for path in paths:
        if path != DATABASE_MEMBERS[vendor] and not (
            path.startswith(ATTACHMENTS) and attachment_name_ok(path.removeprefix(ATTACHMENTS))
        ):
            raise DamagedArchive(f"its manifest lists a member Chorus never writes: {path!r}")
    if DATABASE_MEMBERS[vendor] not in paths:
        raise DamagedArchive("its manifest lists no database")
    strings = {name: data.get(name) for name in ("chorus_version", "created_at")}
    if not all(isinstance(value, str) for value in strings.values()):
        raise DamagedArchive("its manifest lacks the Chorus version or creation time")
    keys = data.get("keys_not_included", [])
    return Manifest(
        chorus_version=str(strings["chorus_version"]),
        database_vendor=vendor,
        created_at=str(strings["created_at"]),
        migrations=dict(migrations),
        members=tuple(members),
        keys_not_included=tuple(str(key) for key in keys) if isinstance(keys, list) else (),
    )


def archive_extract(archive: Path, manifest: Manifest, into: Path) -> None:
    """Copy every member into the folder ``into`` (new and private), checking each against
    ``manifest`` as it is read. DamagedArchive at the first difference; then the caller
    deletes ``into`` and nothing else was touched."""
    expected = {member.path: member for member in manifest.members}
    seen: set[str] = set()
    manifests = 0
    room = archive.stat().st_size  # an uncompressed tar holds every byte it unpacks
    try:
        with tarfile.open(archive, mode="r:") as tar:
            for info in _members(tar):
                if info.name == MANIFEST:
                    manifests += 1
                    continue
                member = expected.get(info.name)
                if member is None:
                    raise DamagedArchive(f"it holds {info.name!r}, which its manifest does not list")
                if info.name in seen:
                    raise DamagedArchive(f"it holds {info.name!r} twice")
                if not _plain(info):
                    raise DamagedArchive(f"its member {info.name!r} is not a plain file")
                room -= info.size
                if room < 0:
                    raise DamagedArchive("its members add up to more than the archive holds")
                if info.size != member.size:
                    raise DamagedArchive(
                        f"its member {info.name!r} is {info.size} bytes; the manifest says {member.size}"
                    )
                source = tar.extractfile(info)
                if source is None or _copy(source, into / info.name) != member.sha256:
                    raise DamagedArchive(
                        f"its member {info.name!r} does not match its SHA-256 checksum in the manifest "
                        "(the archive is damaged or was changed)"
                    )
                seen.add(info.name)
    except _ReadFailed as error:
        raise DamagedArchive(f"it could not be read to the end ({error.__cause__})") from error.__cause__
    missing = sorted(set(expected) - seen)
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DamagedArchive(f"members listed in its manifest are missing: {shown}")
    if manifests != 1:
        raise DamagedArchive("it holds more than one manifest.json")


class _ReadFailed(Exception):
    """Reading the archive (not writing the copy) failed; the cause says how."""


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while True:
        try:
            info = tar.next()
        except (tarfile.TarError, OSError, EOFError) as error:
            raise _ReadFailed from error
        if info is None:
            return
        yield info


def _copy(source: IO[bytes], target: Path) -> str:
    """Copy to a new owner-only file; return the SHA-256 of what was read."""
    target.parent.mkdir(mode=0o700, exist_ok=True)
    digest = hashlib.sha256()
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        while True:
            try:
                chunk = source.read(_CHUNK)
            except (tarfile.TarError, OSError, EOFError) as error:
                raise _ReadFailed from error
            if not chunk:
                break
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()
