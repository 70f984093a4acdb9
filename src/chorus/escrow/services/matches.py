"""The advocates' side of a match: open it (interpolate K, read the entries), see who
may be contacted. Every opening is ledgered."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from chorus.accounts.models import Member
from chorus.crypto import matching
from chorus.crypto.errors import CryptoError
from chorus.escrow.identifiers import describe
from chorus.escrow.models import Entry, Match, Share
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Reader
from chorus.records.services.team import AccessRefused, team_private_key


@dataclass(frozen=True)
class MatchSummary:
    match: Match
    entries: int
    opened: bool


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
    return [MatchSummary(match=m, entries=counts.get(m.tag_id, 0), opened=m.opened_at is not None) for m in rows]


def unopened_count(member: Member) -> int:
    return Match.objects.filter(organization=member.organization, opened_at__isnull=True).count()


def match_for(reader: Reader, match_id: UUID) -> Match:
    match = Match.objects.filter(pk=match_id, organization=reader.member.organization).select_related("tag").first()
    if match is None:
        raise Http404
    return match


def match_open(reader: Reader, match: Match) -> OpenedMatch:
    """Open every share with the team key, interpolate K from k authors' shares and
    decrypt each entry. Raises AccessRefused if this advocate holds no team key yet."""
    private = team_private_key(reader)
    shares = list(Share.objects.filter(tag=match.tag).select_related("entry").order_by("id"))
    opened = []
    for share in shares:
        try:
            opened.append((share, *matching.payload_open(keys.open_from(private, share.sealed))))
        except CryptoError as error:
            raise AccessRefused("A share of this match cannot be opened with the team key.") from error
    try:
        secret = matching.recover([point for _, point, _ in opened], match.tag.threshold)
    except CryptoError as error:
        raise AccessRefused("The shares of this match do not combine; the match cannot be read.") from error
    letters: dict[bytes, str] = {}
    entries = []
    for share, _, sealed in opened:
        content = _json(matching.content_open(secret, bytes(match.tag.tag), sealed))
        author = bytes(share.entry.owner_tag)
        letters.setdefault(author, f"Survivor {string.ascii_uppercase[len(letters) % 26]}")
        member = Member.objects.filter(pk=str(content.get("member")), organization=reader.member.organization).first()
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


def _json(data: bytes) -> dict[str, Any]:
    value = json.loads(data)
    if not isinstance(value, dict):
        raise AccessRefused("An entry of this match is not readable.")
    return value
