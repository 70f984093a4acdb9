"""The keys of a case. One random key per compartment; each party's role decides which
of them are sealed to that party's public key (``machine.READS``). The advocates hold
theirs through the team key; a matched group's co-complainants through the group key;
an invited person (respondent, supporter) through a key derived from their invitation
link until they claim it with their own account.

Who a party is, is stored as a keyed hash (lookup) and sealed under the server key
(for reminders and display): a dump alone names nobody.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from chorus.accounts import keyring
from chorus.accounts.models import Member
from chorus.cases.machine import COMPARTMENTS
from chorus.records import keys

Keys = dict[str, bytes]


def new_keys() -> Keys:
    return {name: keys.new_key() for name in COMPARTMENTS}


def _bundle(case_keys: Keys, names: tuple[str, ...] | list[str]) -> bytes:
    return json.dumps({n: base64.b64encode(case_keys[n]).decode() for n in names if n in case_keys}).encode()


def _unbundle(data: bytes) -> Keys:
    return {name: base64.b64decode(value) for name, value in json.loads(data).items()}


def seal_to(public_key: keys.Blob, case_keys: Keys, names: tuple[str, ...] | list[str]) -> bytes:
    return keys.seal_to(public_key, _bundle(case_keys, names))


def open_from(private_key: bytes, blob: keys.Blob) -> Keys:
    return _unbundle(keys.open_from(private_key, blob))


def seal_under(
    key: bytes, case_keys: Keys, names: tuple[str, ...] | list[str], purpose: str, object_id: object
) -> bytes:
    return keys.seal_bytes(key, _bundle(case_keys, names), purpose, object_id)


def open_under(key: bytes, blob: keys.Blob, purpose: str, object_id: object) -> Keys:
    return _unbundle(keys.open_bytes(key, blob, purpose, object_id))


def member_tag(member: Member) -> bytes:
    return hmac.digest(keyring.server_key(b"chorus.casepty"), str(member.pk).encode(), "sha256")


def case_pseudonym(member_id: object, case_id: object) -> str:
    """Who acted, as a case's ledger events name them: a keyed hash of the member and the
    case, different in every case. A member's own pseudonym beside a case id would tell a
    dump who took part in which case, the respondent included; this one names nobody
    without the server key, and the server recomputes it to show a member their own steps."""
    digest = hmac.new(keyring.server_key(b"chorus.caseactor"), f"{member_id}|{case_id}".encode(), "sha256")
    return f"c_{digest.hexdigest()[:30]}"


def acted(member: Member, actor: str, refs: object) -> bool:
    """Whether a ledger event's ``actor`` is ``member``: their pseudonym, or in an event of a
    case, their pseudonym in that case."""
    if actor == member.pseudonym:
        return True
    case_id = refs.get("case") if isinstance(refs, dict) else None
    return isinstance(case_id, str) and actor == case_pseudonym(member.pk, case_id)


def email_hash(email: str) -> str:
    return hmac.new(keyring.server_key(b"chorus.caseinv"), email.strip().lower().encode(), "sha256").hexdigest()


def invite_key(token: str) -> bytes:
    return hashlib.blake2b(token.encode(), digest_size=32, person=b"chorus.caseinvk").digest()


def seal_item(compartment_key: bytes, text: str, item_id: object) -> bytes:
    return keys.seal_bytes(compartment_key, text.encode(), "case-item", item_id)


def open_item(compartment_key: bytes, blob: keys.Blob, item_id: object) -> str:
    return keys.open_bytes(compartment_key, blob, "case-item", item_id).decode()
