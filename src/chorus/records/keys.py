"""Every key a record uses, and the contexts that bind each ciphertext to its place.

The hierarchy (DESIGN.md "Keys and encryption"):

    vault key ──wraps──▶ record key ──seals──▶ versions, drafts
                              ├──wraps──▶ file key ──seals──▶ one attachment and its name
                              └──wraps──▶ conversation key ──seals──▶ messages
    grant key (sealed to the grantee's public key, or the team's) ──seals──▶ the shared scope
    team private key (sealed to each advocate's public key; once retired, to its successor's)

Each attachment has its own file key so a grant can include one file by handing over
its key, without re-encrypting the file and without handing over the record key.
The only module in records that touches key material; services call it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chorus.accounts import keyring
from chorus.accounts.models import Member
from chorus.crypto import envelope

# What Django hands back for a BinaryField: bytes, or a memoryview on PostgreSQL.
Blob = bytes | memoryview


def owner_tag(vault_key: bytes, organization_id: object, *, person: bytes = b"chorus.owner") -> bytes:
    """Which records (or, with another ``person``, escrow entries) a vault key owns,
    as a keyed hash only that key can compute."""
    return hashlib.blake2b(str(organization_id).encode(), key=vault_key, digest_size=32, person=person).digest()


def new_key() -> bytes:
    return envelope.random_key()


def wrap(wrapping_key: bytes, key: bytes, purpose: str, object_id: object) -> bytes:
    return envelope.wrap_key(wrapping_key, key, context=f"{purpose}:{object_id}")


def unwrap(wrapping_key: bytes, blob: Blob, purpose: str, object_id: object) -> bytes:
    return envelope.unwrap_key(wrapping_key, bytes(blob), context=f"{purpose}:{object_id}")


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def seal_json(key: bytes, value: Any, purpose: str, object_id: object) -> bytes:
    return envelope.seal(key, json_bytes(value), context=f"{purpose}:{object_id}")


def open_json(key: bytes, blob: Blob, purpose: str, object_id: object) -> Any:
    return json.loads(envelope.open_sealed(key, bytes(blob), context=f"{purpose}:{object_id}"))


def seal_bytes(key: bytes, data: bytes, purpose: str, object_id: object) -> bytes:
    return envelope.seal(key, data, context=f"{purpose}:{object_id}")


def open_bytes(key: bytes, blob: Blob, purpose: str, object_id: object) -> bytes:
    return envelope.open_sealed(key, bytes(blob), context=f"{purpose}:{object_id}")


def seal_to(public_key: Blob, key: bytes) -> bytes:
    return envelope.seal_to_public_key(bytes(public_key), key)


def open_from(private_key: bytes, blob: Blob) -> bytes:
    return envelope.open_with_private_key(private_key, bytes(blob))


def member_private_key(member: Member, vault_key: bytes) -> bytes:
    return keyring.private_key(member, vault_key)


def member_public_key(member: Member) -> bytes:
    return bytes(member.keys.public_key)


def new_key_pair() -> envelope.KeyPair:
    return envelope.generate_key_pair()


def _server_key() -> bytes:
    return keyring.server_key(b"chorus.notify")


def seal_for_server(value: str, purpose: str, object_id: object) -> bytes:
    """For what the server must read without the survivor present (whom to notify)."""
    return envelope.seal(_server_key(), value.encode(), context=f"{purpose}:{object_id}")


def open_for_server(blob: Blob, purpose: str, object_id: object) -> str:
    return envelope.open_sealed(_server_key(), bytes(blob), context=f"{purpose}:{object_id}").decode()
