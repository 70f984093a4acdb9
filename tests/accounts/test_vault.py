"""The core invariant of this issue: a full database dump, taken after real sign-ins,
holds nothing that opens a member's private key without their password, their
recovery code or their session cookie."""

from __future__ import annotations

import base64
import binascii
import os
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from chorus.accounts import keyring
from chorus.accounts.models import MemberKeys
from chorus.crypto import envelope
from chorus.crypto.errors import DecryptionError
from tests.helpers import sign_in
from tests.personas import PASSWORD, Personas


def _dump() -> bytes:
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump()).encode()
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    db = connection.settings_dict
    result = subprocess.run(
        [str(bindir / "pg_dump"), "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], "--inserts", db["NAME"]],
        capture_output=True,
        check=True,
        timeout=120,
        env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
    )
    return result.stdout


def _candidates(dump: bytes) -> set[bytes]:
    """Every 32-byte value the dump holds in any encoding we use: raw hex, base64, and
    every 32-byte window of every binary blob."""
    found: set[bytes] = set()
    for token in re.findall(rb"[0-9a-fA-F]{64,}", dump):
        raw = binascii.unhexlify(token[: len(token) // 2 * 2])
        found.update(raw[i : i + 32] for i in range(len(raw) - 31))
    for token in re.findall(rb"[A-Za-z0-9+/_=-]{43,}", dump):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(token + b"=" * (-len(token) % 4))
            except (binascii.Error, ValueError):
                continue
            found.update(raw[i : i + 32] for i in range(len(raw) - 31))
    return found


@pytest.mark.usefixtures("db")
def test_a_database_dump_opens_no_private_key(personas: Personas) -> None:
    clients = {}
    for name in ("survivor", "advocate", "admin"):
        clients[name] = Client()
        sign_in(clients[name], personas.members[name], totp_secret=personas.totp_secrets.get(name))
    dump = _dump()
    assert b"ledger_ledgerevent" in dump
    assert b"django_session" in dump

    for name, client in clients.items():
        member = personas.members[name]
        vault_key = personas.vault_keys[name]
        private = keyring.private_key(member, vault_key)
        cookie = client.cookies[settings.CHORUS_VAULT_COOKIE_NAME].value.encode()
        for secret in (private, vault_key, cookie, PASSWORD.encode(), personas.recovery_codes[name].encode()):
            assert secret not in dump
            assert binascii.hexlify(secret) not in dump
            assert base64.b64encode(secret).rstrip(b"=") not in dump

    # Brute force with everything the dump holds: no value in it unwraps any vault key.
    keys = list(MemberKeys.objects.select_related("member"))
    candidates = _candidates(dump)
    assert len(candidates) > 100
    for candidate in candidates:
        for stored in keys:
            for blob, context in (
                (stored.vault_by_password, "vault-by-password"),
                (stored.vault_by_recovery, "vault-by-recovery"),
                (stored.private_key_wrapped, "private-key"),
            ):
                with pytest.raises(DecryptionError):
                    envelope.unwrap_key(candidate, bytes(blob), context=f"{context}:{stored.member.pk}")


def test_the_session_holds_only_a_sealed_vault(client: Client, personas: Personas) -> None:
    sign_in(client, personas.survivor)
    stored = client.session["chorus_vault"]
    assert set(stored) == {"member", "sealed"}
    assert personas.vault_keys["survivor"] not in base64.b64decode(stored["sealed"])


def test_the_cookie_alone_or_the_session_alone_opens_nothing(client: Client, personas: Personas) -> None:
    sign_in(client, personas.survivor)
    name = settings.CHORUS_VAULT_COOKIE_NAME
    client.cookies[name] = base64.urlsafe_b64encode(envelope.random_key()).decode()
    page = client.get("/account/")
    assert "Locked" in page.content.decode()


def test_the_recovery_code_opens_the_same_vault(personas: Personas) -> None:
    member = personas.survivor
    assert (
        keyring.vault_from_recovery_code(member, personas.recovery_codes["survivor"]) == personas.vault_keys["survivor"]
    )
    assert keyring.vault_from_recovery_code(member, "not a code") is None
