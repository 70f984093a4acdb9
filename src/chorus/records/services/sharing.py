"""Sharing by consent: the advocate team key, grants, reading what was shared, and
the survivor's view of every access.

A grant copies exactly the chosen versions and parts under a fresh grant key sealed to
the grantee (one advocate, or the team's public key), and hands over the file keys of
the chosen attachments. Nothing outside the scope is readable by the grantee, and
revoking deletes the grant key and the copy.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.accounts.models import Member, Organization
from chorus.accounts.roles import ROLE_LABELS
from chorus.crypto.errors import CryptoError
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for, ledger_append
from chorus.records import keys
from chorus.records.access import Owner, Reader
from chorus.records.fields import PART_NAMES
from chorus.records.models import Attachment, Grant, Purpose, Record
from chorus.records.services.messaging import conversation_ensure
from chorus.records.services.team import AccessRefused, advocates_of, team_key_ensure, team_keyring
from chorus.records.services.writing import (
    OWNER_ACTOR,
    AttachmentInfo,
    RecordError,
    Version,
    attachment_info,
    file_open,
    open_versions,
    record_key,
)

# ---- grants ----------------------------------------------------------------------


def grantees_for(organization: Organization) -> list[Member]:
    """Whom a survivor may share with, besides the whole team: each advocate."""
    return list(advocates_of(organization).order_by("display_name"))


def grant_create(
    owner: Owner,
    record: Record,
    *,
    grantee: Member | None,
    purpose: str,
    versions: list[int],
    parts: list[str],
    attachment_ids: list[UUID],
    expires_at: datetime | None,
) -> Grant:
    if purpose not in Purpose.values or purpose == Purpose.ALLY:
        raise RecordError(_("Please say what you would like from sharing."))
    if expires_at is not None and expires_at <= timezone.now():
        raise RecordError(_("The end date has already passed. Choose a later one, or none."))
    if grantee is not None:
        if not advocates_of(owner.organization).filter(pk=grantee.pk).exists():
            raise RecordError(_("You can share with the advocate team or with one of its advocates."))
        recipient_key = keys.member_public_key(grantee)
    else:
        team_key = team_key_ensure(owner.organization)
        if team_key is None:
            raise RecordError(_("Your organization has no advocates yet, so there is no one to share with."))
        recipient_key = bytes(team_key.public_key)
    grant = grant_build(
        owner,
        record,
        grantee=grantee,
        recipient_key=recipient_key,
        purpose=purpose,
        versions=versions,
        parts=parts,
        attachment_ids=attachment_ids,
        expires_at=expires_at,
    )
    with transaction.atomic():
        grant.save()
        conversation_ensure(owner, record)  # so the advocates can write back
        ledger_append(
            organization_id=owner.organization.pk,
            actor=OWNER_ACTOR,
            action="grant.created",
            refs={
                "record": str(record.pk),
                "grant": str(grant.pk),
                "grantee": grantee.pseudonym if grantee else "advocate-team",
                "purpose": purpose,
            },
        )
    return grant


def grant_build(
    owner: Owner,
    record: Record,
    *,
    grantee: Member | None,
    recipient_key: bytes,
    purpose: str,
    versions: list[int],
    parts: list[str],
    attachment_ids: list[UUID],
    expires_at: datetime | None,
) -> Grant:
    """A grant (not yet saved) holding exactly the chosen versions, parts and files, under a
    fresh grant key sealed to ``recipient_key``."""
    chosen_versions = open_versions(owner, record, versions)
    chosen_parts = [name for name in PART_NAMES if name in set(parts)]
    if not chosen_versions or not chosen_parts:
        raise RecordError(_("Choose at least one saved version and one part of it to share."))
    key = record_key(owner, record)
    attachments = {attachment.pk: attachment for attachment in record.attachments.filter(pk__in=attachment_ids)}
    shared = {
        "versions": [
            {
                "number": version.number,
                "saved_at": version.saved_at.isoformat(),
                "parts": {name: text for name, text in version.parts.items() if name in chosen_parts},
            }
            for version in chosen_versions
        ],
        "attachments": [
            {
                "id": str(attachment.pk),
                "key": base64.b64encode(
                    keys.unwrap(key, attachment.key_wrapped, "attachment-key", attachment.pk)
                ).decode(),
            }
            for attachment in attachments.values()
        ],
    }
    grant = Grant(
        record=record,
        grantee=grantee,
        purpose=purpose,
        scope={
            "versions": [version.number for version in chosen_versions],
            "parts": chosen_parts,
            "attachments": [str(attachment_id) for attachment_id in attachments],
        },
        expires_at=expires_at,
    )
    grant_key = keys.new_key()
    grant.key_sealed = keys.seal_to(recipient_key, grant_key)
    grant.content = keys.seal_json(grant_key, shared, "grant", grant.pk)
    return grant


def grant_revoke(owner: Owner, record: Record, grant_id: UUID) -> None:
    with transaction.atomic():
        # A request to someone trusted is stopped on its own page (``allies.ally_stop``).
        revoked = (
            Grant.objects.filter(pk=grant_id, record=record, revoked_at__isnull=True)
            .exclude(purpose=Purpose.ALLY)
            .update(revoked_at=timezone.now(), key_sealed=None, content=None)
        )
        if revoked:
            ledger_append(
                organization_id=owner.organization.pk,
                actor=OWNER_ACTOR,
                action="grant.revoked",
                refs={"record": str(record.pk), "grant": str(grant_id)},
            )


@dataclass(frozen=True)
class SharedRecord:
    grant: Grant
    versions: list[Version]
    attachments: list[AttachmentInfo]


def _log_read(reader: Reader, grant: Grant, action: str, **refs: str) -> None:
    ledger_append(
        organization_id=grant.record.organization_id,
        actor=reader.member.pseudonym,
        action=action,
        refs={"record": str(grant.record_id), "grant": str(grant.pk), **refs},
    )


def _refused(reader: Reader, grant: Grant, *, expired: bool) -> AccessRefused:
    """Ledger the refusal (and, for an expired grant, delete its key in the same transaction)."""
    with transaction.atomic():
        if expired:
            Grant.objects.filter(pk=grant.pk).update(revoked_at=timezone.now(), key_sealed=None, content=None)
        _log_read(reader, grant, "record.read_refused", reason="expired" if expired else "revoked")
    if expired:
        return AccessRefused(_("The survivor shared this until a date that has passed. It can no longer be read."))
    return AccessRefused(_("The survivor has stopped sharing this. It can no longer be read."))


def _open_grant(reader: Reader, grant: Grant) -> dict[str, Any]:
    """The grant's content, or ``AccessRefused`` (ledgered) once it is revoked or expired."""
    if grant.revoked_at is not None or grant.key_sealed is None or grant.content is None:
        raise _refused(reader, grant, expired=False)
    if grant.expires_at is not None and grant.expires_at <= timezone.now():
        raise _refused(reader, grant, expired=True)
    # The team's current key, or a retired one while the grant waits to be re-sealed.
    team = team_keyring(reader) if grant.grantee_id is None else None
    try:
        if team is not None:
            grant_key = team.open(grant.key_sealed)
        else:
            grant_key = keys.open_from(keys.member_private_key(reader.member, reader.vault_key), grant.key_sealed)
    except CryptoError as error:
        raise AccessRefused(_("This share cannot be opened with your keys.")) from error
    content: dict[str, Any] = keys.open_json(grant_key, grant.content, "grant", grant.pk)
    return content


def grant_open(reader: Reader, grant: Grant) -> SharedRecord:
    """Read a grant's content; the read is written to the ledger the survivor sees."""
    shared = _open_grant(reader, grant)
    versions = [
        Version(number=item["number"], saved_at=_when(item["saved_at"]), parts=item["parts"])
        for item in shared["versions"]
    ]
    file_keys = {UUID(item["id"]): base64.b64decode(item["key"]) for item in shared["attachments"]}
    attachments = [
        attachment_info(file_keys[attachment.pk], attachment)
        for attachment in Attachment.objects.filter(pk__in=file_keys, record_id=grant.record_id)
    ]
    with transaction.atomic():
        _log_read(reader, grant, "record.read")
    return SharedRecord(grant=grant, versions=versions, attachments=attachments)


def _when(text: str) -> datetime:
    moment = parse_datetime(text)
    if moment is None:
        raise ValueError("not a time")
    return moment


def grant_attachment(reader: Reader, grant: Grant, attachment_id: UUID) -> tuple[AttachmentInfo, bytes]:
    shared = _open_grant(reader, grant)
    item = next((item for item in shared["attachments"] if item["id"] == str(attachment_id)), None)
    attachment = Attachment.objects.filter(pk=attachment_id, record_id=grant.record_id).first()
    if item is None or attachment is None:
        raise AccessRefused(_("This file is not part of what was shared."))
    info, data = file_open(base64.b64decode(item["key"]), attachment)
    with transaction.atomic():
        _log_read(reader, grant, "record.attachment_read", attachment=str(attachment_id))
    return info, data


# ---- who has seen my record ------------------------------------------------------

_ACCESS_WORDS = {
    "record.read": gettext_lazy("read what you shared"),
    "record.attachment_read": gettext_lazy("opened a file you shared"),
    "record.read_refused": gettext_lazy("tried to read after sharing ended, and was refused"),
    "conversation.read": gettext_lazy("read your messages"),
    "message.sent": gettext_lazy("sent you a message"),
}


@dataclass(frozen=True)
class Access:
    when: datetime
    who: str
    roles: str
    what: str
    seq: int  # the ledger event, for its receipt


def access_event(owner: Owner, record: Record, seq: int) -> LedgerEvent | None:
    """One access to the owner's record, by its ledger sequence number (for a receipt)."""
    return (
        LedgerEvent.objects.filter(
            chain=chain_for(owner.organization.pk), seq=seq, refs__record=str(record.pk), action__in=list(_ACCESS_WORDS)
        )
        .exclude(actor=OWNER_ACTOR)
        .first()
    )


def access_history(owner: Owner, record: Record) -> list[Access]:
    """Every access by someone other than the owner, straight from the ledger."""
    events = list(
        LedgerEvent.objects.filter(chain=chain_for(owner.organization.pk), refs__record=str(record.pk))
        .exclude(actor=OWNER_ACTOR)
        .filter(action__in=list(_ACCESS_WORDS))
        .order_by("-seq")
    )
    people = {
        member.pseudonym: member
        for member in Member.objects.filter(pseudonym__in={event.actor for event in events}).prefetch_related("roles")
    }
    history = []
    for event in events:
        person = people.get(event.actor)
        who = person.display_name if person else _("A former member")
        roles = ", ".join(sorted(str(ROLE_LABELS[code]) for code in person.role_codes)) if person else ""
        history.append(
            Access(when=event.created_at, who=who, roles=roles, what=str(_ACCESS_WORDS[event.action]), seq=event.seq)
        )
    return history
