"""The advocates' side of a match: open it (interpolate K, read the entries), see who
may be contacted. Every opening is ledgered."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts.models import Member
from chorus.crypto import matching
from chorus.crypto.errors import CryptoError
from chorus.custodian.wsgi import unb64
from chorus.escrow.identifiers import describe
from chorus.escrow.models import Entry, Match, Notice, Share
from chorus.escrow.services.entries import EscrowError, escrow_tag
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Owner, Reader
from chorus.records.services.team import AccessRefused, team_keyring
from chorus.web import mail
from chorus.web.posting import MESSAGE_EMPTY, clean_text

MAX_NOTICE = 5000


@dataclass(frozen=True)
class MatchSummary:
    match: Match
    entries: int

    @property
    def opened(self) -> bool:
        return self.match.opened_at is not None


@dataclass(frozen=True)
class OpenedEntry:
    name: str  # "Survivor A": one letter per distinct author
    owner_tag: bytes
    entry: Entry
    member: Member | None
    content: dict[str, Any]

    @property
    def withdrawn(self) -> bool:
        return self.entry.withdrawn_at is not None


@dataclass(frozen=True)
class OpenedMatch:
    match: Match
    identifier: str
    entries: list[OpenedEntry]


def matches_for(reader: Reader) -> list[MatchSummary]:
    rows = Match.objects.filter(organization=reader.member.organization).order_by("-created_at")
    counts = {
        row["tag_id"]: row["n"]
        for row in Share.objects.filter(tag__match__in=rows).values("tag_id").annotate(n=Count("id"))
    }
    return [MatchSummary(match=m, entries=counts.get(m.tag_id, 0)) for m in rows]


def match_for(reader: Reader, match_id: UUID) -> Match:
    match = Match.objects.filter(pk=match_id, organization=reader.member.organization).select_related("tag").first()
    if match is None:
        raise Http404
    return match


def match_open(reader: Reader, match: Match) -> OpenedMatch:
    """Open every share with the team key, interpolate K from k authors' shares and
    decrypt each entry. Raises AccessRefused if this advocate holds no team key yet."""
    team = team_keyring(reader)
    shares = list(Share.objects.filter(tag=match.tag).select_related("entry").order_by("id"))
    opened = []
    for share in shares:
        try:
            opened.append((share, *matching.payload_open(team.open(share.sealed))))
        except CryptoError as error:
            raise AccessRefused(_("A share of this match cannot be opened with the team key.")) from error
    try:
        secret = matching.recover([point for _, point, _ in opened], match.tag.threshold)
    except CryptoError as error:
        raise AccessRefused(_("The shares of this match do not combine; the match cannot be read.")) from error
    contents = [
        _released(share.entry, _json(matching.content_open(secret, bytes(match.tag.tag), sealed)))
        for share, _point, sealed in opened
    ]
    members = Member.objects.in_organization(reader.member.organization).in_bulk(
        [str(content.get("member")) for content in contents]
    )
    letters: dict[bytes, str] = {}
    entries = []
    for (share, _key, _sealed), content in zip(opened, contents, strict=True):
        author = bytes(share.entry.owner_tag)
        letters.setdefault(author, _("Survivor %(letter)s") % {"letter": string.ascii_uppercase[len(letters) % 26]})
        member = members.get(UUID(str(content.get("member"))))
        entries.append(
            OpenedEntry(name=letters[author], owner_tag=author, entry=share.entry, member=member, content=content)
        )
    with transaction.atomic():
        if match.opened_at is None:
            Match.objects.filter(pk=match.pk).update(opened_at=timezone.now())
        ledger_append(
            organization_id=match.organization_id,
            actor=reader.member.pseudonym,
            action="escrow.match_opened",
            refs={"match": str(match.pk), "entries": len(entries)},
        )
    identifier = describe(str(entries[0].content.get("identifier", ""))) if entries else ""
    return OpenedMatch(match=match, identifier=identifier, entries=entries)


def _released(entry: Entry, content: dict[str, Any]) -> dict[str, Any]:
    """A share's content names the identifier and carries the key of the entry's released
    part (contact, few words, record); the two together are what the advocates read."""
    try:
        released: dict[str, Any] = keys.open_json(
            unb64(content.get("released")), entry.released, "escrow-released", entry.pk
        )
    except CryptoError as error:
        raise AccessRefused(_("An entry of this match cannot be read with the key its share carries.")) from error
    written = released.get("written")
    try:  # kept as an ISO date inside the sealed part; shown as the reader's long date
        written_on = date.fromisoformat(written) if isinstance(written, str) else None
    except ValueError:
        written_on = None
    return {**released, "identifier": content.get("identifier", ""), "written_on": written_on}


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise AccessRefused(_("An entry of this match is not readable."))
    return value


@dataclass(frozen=True)
class NoticeView:
    sent_at: datetime
    body: str


def notice_send(reader: Reader, opened: OpenedMatch, name: str, body: str) -> None:
    """Tell one matched survivor who asked to be told. The text is sealed to their public
    key; their email says only that there is a message."""
    text = clean_text(body, limit=MAX_NOTICE, refusal=EscrowError, empty=MESSAGE_EMPTY)
    entry = next((e for e in opened.entries if e.name == name), None)
    if entry is None or entry.member is None or not entry.content.get("tell_me") or entry.withdrawn:
        raise EscrowError(_("This survivor did not ask to be told, or withdrew their entry."))
    member = entry.member
    with transaction.atomic():
        Notice.objects.create(
            match=opened.match,
            owner_tag=entry.owner_tag,
            body_sealed=keys.seal_to(keys.member_public_key(member), text.encode()),
        )
        ledger_append(
            organization_id=opened.match.organization_id,
            actor=reader.member.pseudonym,
            action="escrow.survivor_told",
            refs={"match": str(opened.match.pk), "to": name},
        )
        transaction.on_commit(lambda: mail.send("escrow/email/notice", member.email, {}))


def notices_for(owner: Owner) -> list[NoticeView]:
    if owner.member is None:
        return []
    rows = Notice.objects.filter(
        owner_tag=escrow_tag(owner),
        match__organization=owner.organization,
    ).order_by("-created_at")
    if not rows:
        return []  # nothing to open: the private key stays sealed
    private = keys.member_private_key(owner.member, owner.vault_key)
    return [NoticeView(sent_at=row.created_at, body=keys.open_from(private, row.body_sealed).decode()) for row in rows]


def told(match: Match) -> set[bytes]:
    """The escrow owner tags of the survivors of this match who were already told."""
    return {bytes(tag) for tag in Notice.objects.filter(match=match).values_list("owner_tag", flat=True)}
