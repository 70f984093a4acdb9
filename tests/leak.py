"""Search everything Chorus stores — every table of the database and the attachment
folder — for plaintext a user typed or uploaded. Used after the browser journeys."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection


def stored_bytes() -> bytes:
    """Every value of every row of every table, and every file in the attachment folder."""
    chunks: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected names
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode())
    # Session data is signed base64; read it decoded, as an attacker would.
    for session in Session.objects.all():
        chunks.append(repr(SessionStore().decode(session.session_data)).encode())
    for path in sorted(Path(settings.CHORUS_ATTACHMENTS_DIR).rglob("*")):
        if path.is_file():
            chunks.append(path.read_bytes())
    return b"\n".join(chunks)


def leaks(needles: list[str | bytes]) -> list[str | bytes]:
    """The needles found anywhere in storage (should be none)."""
    haystack = stored_bytes()
    found: list[str | bytes] = []
    for needle in needles:
        raw = needle.encode() if isinstance(needle, str) else needle
        if raw in haystack or (isinstance(needle, str) and needle.lower().encode() in haystack.lower()):
            found.append(needle)
    return found
