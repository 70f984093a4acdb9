"""Encrypted attachment files on disk: one file per attachment, named by its random id.

Only ciphertext is ever written here; plaintext uploads stay in memory (see
``chorus.records.uploads``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from uuid import UUID

from django.conf import settings

from chorus.config.keyfiles import private_dir


def _folder() -> Path:
    return private_dir(Path(settings.CHORUS_ATTACHMENTS_DIR))


def _path(attachment_id: UUID) -> Path:
    return _folder() / f"{UUID(str(attachment_id)).hex}.sealed"


def write(attachment_id: UUID, ciphertext: bytes) -> None:
    """Write atomically: a crash leaves either no file or the whole file."""
    folder = _folder()
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(ciphertext)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, _path(attachment_id))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(attachment_id: UUID) -> bytes:
    return _path(attachment_id).read_bytes()


def delete(attachment_id: UUID) -> None:
    _path(attachment_id).unlink(missing_ok=True)
