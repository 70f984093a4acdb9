"""Key files and data files that Chorus makes itself, readable by their owner only.

Folders Chorus makes are 0700 and files 0600 whatever the process's umask, and a folder or
file it made earlier with wider permissions is tightened when it is next opened (only when
this user owns it: a file provided by an administrator keeps the permissions they chose)."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from chorus.config.env import ImproperSetting


def _tighten(path: Path, mode: int) -> None:
    info = path.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & ~mode:
        path.chmod(mode)


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner can open (made, with its parents, if absent)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """``path`` as a file only its owner can read, made empty if absent (e.g. before SQLite
    opens it: SQLite gives its journal and WAL files the database file's permissions)."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _tighten(path, 0o600)
    return path


def read_or_create(path: Path, size: int, *, setting: str) -> bytes:
    """Read ``size`` bytes of key material from ``path``, creating it (owner-only) if absent.
    A new key is written whole beside it and linked into place, so processes starting at
    once agree on one key and none reads a file still being written."""
    private_dir(path.parent)
    if path.exists():
        _tighten(path, 0o600)
    else:
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as key_file:
                key_file.write(secrets.token_bytes(size))
                key_file.flush()
                os.fsync(key_file.fileno())
            with contextlib.suppress(FileExistsError):  # another process linked its key first: that one counts
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    data = path.read_bytes()
    if len(data) != size:
        raise ImproperSetting(f"{setting}: {path} must hold exactly {size} bytes of key material, found {len(data)}")
    return data
