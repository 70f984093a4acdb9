"""The leak search itself finds what is stored in the clear, in tables, sessions and files."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from tests.leak import leaks
from tests.personas import Personas


@pytest.mark.django_db
def test_the_search_finds_plaintext_wherever_it_is_stored(personas: Personas) -> None:
    session = SessionStore()
    session["note"] = "a phrase only in a session"
    session.save()
    folder = settings.CHORUS_ATTACHMENTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / "probe.bin"
    probe.write_bytes(b"bytes only in a file")
    try:
        found = leaks(["riverside workers UNION", "a phrase only in a session", b"bytes only in a file", "absent text"])
    finally:
        probe.unlink()
    assert found == ["riverside workers UNION", "a phrase only in a session", b"bytes only in a file"]
