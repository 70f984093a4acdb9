"""Encrypted messages between a record's owner (named or anonymous) and the advocate team.

One conversation key per record: wrapped under the record key for the owner, sealed
to the team public key for the advocates. Email notices, for named survivors who
opt in, say only that there is a new message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from chorus.accounts.models import Member
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Owner, Reader
from chorus.records.models import Conversation, Message, Record
from chorus.records.services.team import team_key_ensure, team_open
from chorus.records.services.writing import OWNER_ACTOR, RecordError, record_key
from chorus.web.posting import MESSAGE_EMPTY, clean_text

MAX_MESSAGE_LENGTH = 20_000


@dataclass(frozen=True)
class MessageView:
    sent_at: datetime
    from_team: bool
    author: str
    body: str


def _clean(body: str) -> str:
    return clean_text(body, limit=MAX_MESSAGE_LENGTH, refusal=RecordError, empty=MESSAGE_EMPTY)


def _conversation_key_for_owner(owner: Owner, conversation: Conversation) -> bytes:
    return keys.unwrap(
        record_key(owner, conversation.record), conversation.key_for_owner, "conversation-key", conversation.pk
    )


def conversation_ensure(owner: Owner, record: Record) -> tuple[Conversation, bytes]:
    """The record's conversation and its key, made now if there is none (the owner is present)."""
    conversation = Conversation.objects.filter(record=record).first()
    if conversation is not None:
        return conversation, _conversation_key_for_owner(owner, conversation)
    team_key = team_key_ensure(owner.organization)
    if team_key is None:
        raise RecordError(_("Your organization has no advocates yet, so there is no one to write to."))
    conversation_key = keys.new_key()
    conversation = Conversation(record=record)
    conversation.save()  # the id binds the wrappings below; inside the caller's transaction
    conversation.key_for_owner = keys.wrap(
        record_key(owner, record), conversation_key, "conversation-key", conversation.pk
    )
    conversation.key_for_team = keys.seal_to(bytes(team_key.public_key), conversation_key)
    conversation.save(update_fields=["key_for_owner", "key_for_team"])
    return conversation, conversation_key


def message_from_owner(owner: Owner, record: Record, body: str) -> None:
    text = _clean(body)
    with transaction.atomic():
        conversation, key = conversation_ensure(owner, record)
        message = Message.objects.create(conversation=conversation, from_team=False, body_sealed=b"")
        message.body_sealed = keys.seal_bytes(key, text.encode(), "message", message.pk)
        message.save(update_fields=["body_sealed"])
        Conversation.objects.filter(pk=conversation.pk).update(unread_by_team=True)
        ledger_append(
            organization_id=owner.organization.pk,
            actor=OWNER_ACTOR,
            action="message.sent",
            refs={"record": str(record.pk), "to": "advocate-team"},
        )


def messages_for_owner(owner: Owner, record: Record) -> list[MessageView]:
    conversation = Conversation.objects.filter(record=record).first()
    if conversation is None:
        return []
    key = _conversation_key_for_owner(owner, conversation)
    if conversation.unread_by_owner:
        Conversation.objects.filter(pk=conversation.pk).update(unread_by_owner=False)
    return _read(conversation, key, owner_label=_("You"))


def _read(conversation: Conversation, key: bytes, *, owner_label: str) -> list[MessageView]:
    views = []
    for message in conversation.messages.select_related("author"):
        body = keys.open_bytes(key, message.body_sealed, "message", message.pk).decode()
        if message.from_team:
            author = f"{message.author.display_name} (advocate)" if message.author else "An advocate"
        else:
            author = owner_label
        views.append(MessageView(sent_at=message.sent_at, from_team=message.from_team, author=author, body=body))
    return views


def _team_conversation_key(reader: Reader, conversation: Conversation) -> bytes:
    return team_open(reader, conversation.key_for_team)


def messages_for_team(reader: Reader, conversation: Conversation) -> list[MessageView]:
    """The team's view of a conversation; reading it is ledgered for the survivor to see."""
    key = _team_conversation_key(reader, conversation)
    with transaction.atomic():
        Conversation.objects.filter(pk=conversation.pk).update(unread_by_team=False)
        ledger_append(
            organization_id=conversation.record.organization_id,
            actor=reader.member.pseudonym,
            action="conversation.read",
            refs={"record": str(conversation.record_id)},
        )
    return _read(conversation, key, owner_label=_("The survivor"))


def message_from_team(reader: Reader, conversation: Conversation, body: str) -> None:
    text = _clean(body)
    key = _team_conversation_key(reader, conversation)
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation, from_team=True, author=reader.member, body_sealed=b""
        )
        message.body_sealed = keys.seal_bytes(key, text.encode(), "message", message.pk)
        message.save(update_fields=["body_sealed"])
        Conversation.objects.filter(pk=conversation.pk).update(unread_by_owner=True)
        ledger_append(
            organization_id=conversation.record.organization_id,
            actor=reader.member.pseudonym,
            action="message.sent",
            refs={"record": str(conversation.record_id), "to": "owner"},
        )


# ---- opt-in email notices (named survivors only) --------------------------------


def notices_set(owner: Owner, record: Record, *, enabled: bool) -> None:
    if owner.member is None:
        raise RecordError(_("Email notices need an account; anonymous reports have no address to write to."))
    sealed = keys.seal_for_server(str(owner.member.pk), "notify", record.pk) if enabled else None
    with transaction.atomic():
        Record.objects.filter(pk=record.pk).update(notify_sealed=sealed)
        ledger_append(
            organization_id=owner.organization.pk,
            actor=OWNER_ACTOR,
            action="record.notices_on" if enabled else "record.notices_off",
            refs={"record": str(record.pk)},
        )
    record.notify_sealed = sealed


def notice_recipient(record: Record) -> Member | None:
    if not record.notify_sealed:
        return None
    member_id = keys.open_for_server(record.notify_sealed, "notify", record.pk)
    return Member.objects.filter(pk=member_id, is_active=True).first()
