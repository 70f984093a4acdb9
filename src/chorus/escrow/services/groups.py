"""The matched survivors' private group: invitation, pseudonymous messages, and the
decision of how it should be addressed. The outcome is the members' own: it is set when
every member who joined has chosen the same answer, and nobody else can set it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.escrow.models import DECISION_CHOICES, Entry, Group, GroupMember, GroupMessage, Match
from chorus.escrow.services.entries import EntryView, EscrowError, entry_for_owner, escrow_tag
from chorus.escrow.services.matches import OpenedMatch
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Owner, Reader
from chorus.records.services.team import team_key_ensure, team_open
from chorus.web import mail
from chorus.web.posting import MESSAGE_EMPTY, clean_text

DECISIONS = dict(DECISION_CHOICES)
MAX_MESSAGE = 5000


@dataclass(frozen=True)
class GroupMessageView:
    author: str
    sent_at: datetime
    body: str
    mine: bool


def group_invite(reader: Reader, opened: OpenedMatch, names: set[str]) -> Group:
    """Invite the named survivors of an opened match who said they would meet."""
    match = opened.match
    team_key = team_key_ensure(match.organization, actor=reader.member.pseudonym)
    if team_key is None:  # cannot happen: the reader is an advocate
        raise EscrowError(_("The advocate team has no key yet."))
    invitable = {
        e.name: (e, member)
        for e in opened.entries
        if (member := e.member) is not None and e.content.get("would_meet") and not e.withdrawn
    }
    chosen = [invitable[name] for name in sorted(names) if name in invitable]
    if not chosen:
        raise EscrowError(_("Choose at least one survivor who said they would meet the others."))
    with transaction.atomic():
        group = Group.objects.select_for_update().filter(match=match).first()
        if group is None:
            key = keys.new_key()
            group = Group.objects.create(match=match, key_for_team=keys.seal_to(team_key.public_key, key))
        else:
            key = team_open(reader, group.key_for_team)
        invited = []
        already = {bytes(tag) for tag in group.members.values_list("owner_tag", flat=True)}
        for entry, member in chosen:
            if entry.owner_tag in already:
                continue
            GroupMember.objects.create(
                group=group,
                owner_tag=entry.owner_tag,
                name=entry.name,
                key_sealed=keys.seal_to(keys.member_public_key(member), key),
            )
            invited.append((entry, member))
        ledger_append(
            organization_id=match.organization_id,
            actor=reader.member.pseudonym,
            action="escrow.group_invited",
            refs={"group": str(group.pk), "invited": sorted(entry.name for entry, _ in invited)},
        )
        addresses = [member.email for _, member in invited]
        transaction.on_commit(lambda: _invite_by_email(addresses))
    return group


def _invite_by_email(addresses: list[str]) -> None:
    for address in addresses:
        mail.send("escrow/email/invitation", address, {})


def invitations_for(owner: Owner) -> list[GroupMember]:
    return list(
        GroupMember.objects.filter(owner_tag=escrow_tag(owner), group__match__organization=owner.organization)
        .select_related("group")
        .order_by("-invited_at")
    )


def own_entry_in(owner: Owner, group: Group) -> EntryView | None:
    """The invited survivor's own entry that this group's match counted: what she wrote and
    when, so she knows which of her entries it is about. Nothing of anyone else's."""
    entry = (
        Entry.objects.filter(
            organization=owner.organization, owner_tag=escrow_tag(owner), shares__tag__match__group=group
        )
        .order_by("created_at")
        .first()
    )
    return entry_for_owner(owner, entry.pk) if entry is not None else None


def membership(owner: Owner, group_id: UUID) -> GroupMember:
    member = (
        GroupMember.objects.filter(
            group_id=group_id, owner_tag=escrow_tag(owner), group__match__organization=owner.organization
        )
        .select_related("group")
        .first()
    )
    if member is None:
        raise Http404
    return member


def group_for_team(reader: Reader, group_id: UUID) -> Group:
    group = Group.objects.filter(pk=group_id, match__organization=reader.member.organization).first()
    if group is None:
        raise Http404
    return group


def _log(group: Group, actor: str, action: str, **refs: object) -> None:
    ledger_append(
        organization_id=group.match.organization_id,
        actor=actor,
        action=action,
        refs={"group": str(group.pk), **{key: str(value) for key, value in refs.items()}},
    )


def group_respond(owner: Owner, member: GroupMember, *, join: bool) -> None:
    if member.joined_at or member.declined_at:
        return
    now = timezone.now()
    with transaction.atomic():
        if join:
            GroupMember.objects.filter(pk=member.pk).update(joined_at=now)
        else:
            GroupMember.objects.filter(pk=member.pk).update(declined_at=now)
        _log(member.group, member.name, "escrow.group_joined" if join else "escrow.group_declined")


def _key_for(owner: Owner, member: GroupMember) -> bytes:
    if owner.member is None:
        raise Http404
    return keys.open_from(keys.member_private_key(owner.member, owner.vault_key), member.key_sealed)


def _clean(body: str) -> str:
    return clean_text(body, limit=MAX_MESSAGE, refusal=EscrowError, empty=MESSAGE_EMPTY)


def _post(group: Group, key: bytes, author: GroupMember | None, text: str, actor: str) -> None:
    with transaction.atomic():
        message = GroupMessage.objects.create(group=group, author=author, body_sealed=b"")
        message.body_sealed = keys.seal_bytes(key, text.encode(), "group-message", message.pk)
        message.save(update_fields=["body_sealed"])
        _log(group, actor, "escrow.group_message")


def _read(group: Group, key: bytes, me: GroupMember | None) -> list[GroupMessageView]:
    views = []
    for message in group.messages.select_related("author").order_by("created_at"):
        author = message.author.name if message.author else "Advocates"
        body = keys.open_bytes(key, message.body_sealed, "group-message", message.pk).decode()
        mine = message.author_id == me.pk if me else message.author is None
        views.append(GroupMessageView(author=author, sent_at=message.created_at, body=body, mine=mine))
    return views


def _joined(member: GroupMember) -> None:
    if member.joined_at is None:
        raise EscrowError(_("Join the group first."))


def message_from_member(owner: Owner, member: GroupMember, body: str) -> None:
    _joined(member)
    _post(member.group, _key_for(owner, member), member, _clean(body), member.name)


def message_from_team(reader: Reader, group: Group, body: str) -> None:
    key = team_open(reader, group.key_for_team)
    _post(group, key, None, _clean(body), reader.member.pseudonym)


def messages_for_member(owner: Owner, member: GroupMember) -> list[GroupMessageView]:
    _joined(member)
    return _read(member.group, _key_for(owner, member), member)


def messages_for_team(reader: Reader, group: Group) -> list[GroupMessageView]:
    key = team_open(reader, group.key_for_team)
    with transaction.atomic():
        _log(group, reader.member.pseudonym, "escrow.group_read")
    return _read(group, key, None)


def group_choose(owner: Owner, member: GroupMember, choice: str) -> str:
    """Record one member's answer; when every joined member agrees, that is the outcome.
    Returns the group's outcome ("" while undecided)."""
    _joined(member)
    if choice not in DECISIONS:
        raise EscrowError(_("Choose one of the answers."))
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=member.group_id)
        if group.outcome:
            raise EscrowError(_("The group has already decided; the outcome is recorded."))
        GroupMember.objects.filter(pk=member.pk).update(choice=choice)
        _log(group, member.name, "escrow.group_choice", choice=choice)
        joined = list(GroupMember.objects.filter(group=group, joined_at__isnull=False))
        choices = {m.choice for m in joined}
        if len(joined) < 2 or choices != {choice}:
            return ""
        Group.objects.filter(pk=group.pk).update(outcome=choice, outcome_at=timezone.now())
        _log(group, "system", "escrow.group_decided", outcome=choice, members=len(joined))
    return choice


def group_of(match: Match) -> Group | None:
    return Group.objects.filter(match=match).first()


def group_members(group: Group) -> list[GroupMember]:
    return list(group.members.order_by("name"))
