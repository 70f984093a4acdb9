"""The commission's stories: a survivor contributes an anonymized excerpt of their
experience to the organization's learning, reads it back exactly as the commission will,
shows it when ready, and may take it back at any time.

Stories of accountability follow the same steps: anyone writes, without their name, about
harm they caused and what they learned. Their shown copy is sealed under the server key,
because the organization may let every member read them (``AccountabilityReaders``; by
default only the commission reads them).

The author is whoever holds the vault key whose tag the story carries (as for records);
the commission reads only the shown copy, sealed to its team key, with no author, no date
and no order that would line stories up with cases.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.accounts import keyring
from chorus.accounts.models import Member
from chorus.insights.models import AccountabilityReaders, Story, StoryKind
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Owner, Reader
from chorus.records.models import TeamKey
from chorus.records.services.team import COMMISSION, team_key_ensure, team_keyring
from chorus.records.services.writing import OWNER_ACTOR
from chorus.web.posting import clean_text

MAX_EXCERPT = 3000
PURPOSE = "story"
SHOWN_PURPOSE = "accountability-story"

# What an excerpt must not carry: the ways of reaching or finding a person.
_IDENTIFYING = (
    (re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+"), gettext_lazy("an email address")),
    (re.compile(r"(?:\+|\b00)?\d[\d ()./-]{6,}\d"), gettext_lazy("a phone number")),
    (re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE), gettext_lazy("a web address")),
    (re.compile(r"(?<![\w.])@[A-Za-z0-9_.]{2,}"), gettext_lazy("a social media handle")),
)


class StoryError(Exception):
    """The excerpt cannot be saved or shown as it is; the message says why."""


@dataclass(frozen=True)
class StoryView:
    id: UUID
    text: str
    shown: bool
    kind: str = StoryKind.SURVIVOR


def clean_excerpt(text: str) -> str:
    value = clean_text(text, limit=MAX_EXCERPT, refusal=StoryError, empty=_("Please write the excerpt first."))
    found = [what for pattern, what in _IDENTIFYING if pattern.search(value)]
    if found:
        raise StoryError(
            _(
                "The excerpt seems to contain %(found)s. Please take it out: the commission reads excerpts "
                "without anything that points to a person."
            )
            % {"found": _(" and ").join(str(what) for what in found)}
        )
    return value


def _log(owner: Owner, action: str, story: Story) -> None:
    """The author's steps are ledgered as the owner's, naming no one (as records' are)."""
    ledger_append(
        organization_id=owner.organization.pk, actor=OWNER_ACTOR, action=action, refs={"story": str(story.pk)}
    )


def _story_for(owner: Owner, story_id: UUID) -> Story:
    story = Story.objects.filter(pk=story_id, organization=owner.organization, owner_tag=owner.tag).first()
    if story is None:
        raise Http404
    return story


def _view(owner: Owner, story: Story) -> StoryView:
    text = keys.open_bytes(owner.vault_key, story.text_sealed, PURPOSE, story.pk).decode()
    return StoryView(id=story.pk, text=text, shown=story.shown_at is not None, kind=story.kind)


def stories_of(owner: Owner, kind: str = StoryKind.SURVIVOR) -> list[StoryView]:
    rows = Story.objects.filter(organization=owner.organization, owner_tag=owner.tag, kind=kind).order_by("created_at")
    return [_view(owner, story) for story in rows]


def story_of(owner: Owner, story_id: UUID) -> StoryView:
    return _view(owner, _story_for(owner, story_id))


def story_write(owner: Owner, *, text: str, story_id: UUID | None = None, kind: str = StoryKind.SURVIVOR) -> Story:
    """Save a new excerpt, or a new wording of one that is not shown (take it back first)."""
    if kind not in StoryKind.values:
        raise StoryError(_("Please choose which kind of story this is."))
    value = clean_excerpt(text)
    with transaction.atomic():
        if story_id is None:
            story = Story(organization=owner.organization, owner_tag=owner.tag, kind=kind)
            action = "story.written"
        else:
            story = _story_for(owner, story_id)
            if story.shown_at is not None:
                raise StoryError(_("This excerpt is being shown. Take it back first, then change it."))
            action = "story.edited"
        story.text_sealed = keys.seal_bytes(owner.vault_key, value.encode(), PURPOSE, story.pk)
        story.save()
        _log(owner, action, story)
    return story


def story_show(owner: Owner, story_id: UUID) -> None:
    """Seal the excerpt, exactly as the author last read it, to the commission's key."""
    with transaction.atomic():
        story = _story_for(owner, story_id)
        if story.shown_at is not None:
            return
        if story.kind == StoryKind.ACCOUNTABILITY:
            text = keys.open_bytes(owner.vault_key, story.text_sealed, PURPOSE, story.pk)
            story.shown_sealed = keys.seal_for_server(text.decode(), SHOWN_PURPOSE, story.pk)
            story.shown_at = timezone.now()
            story.save(update_fields=["shown_sealed", "shown_at"])
            _log(owner, "story.shown", story)
            return
        commission_key = team_key_ensure(owner.organization, COMMISSION)
        if commission_key is None:
            raise StoryError(
                _("Your organization has no commission members yet, so nobody could read it. It stays saved here.")
            )
        text = keys.open_bytes(owner.vault_key, story.text_sealed, PURPOSE, story.pk)
        story.shown_sealed = keys.seal_to(commission_key.public_key, text)
        story.shown_at = timezone.now()
        story.save(update_fields=["shown_sealed", "shown_at"])
        _log(owner, "story.shown", story)


def story_withdraw(owner: Owner, story_id: UUID) -> None:
    """Take the excerpt back: the commission's copy is deleted; the author's stays."""
    with transaction.atomic():
        story = _story_for(owner, story_id)
        if story.shown_at is None:
            return
        story.shown_sealed = None
        story.shown_at = None
        story.save(update_fields=["shown_sealed", "shown_at"])
        _log(owner, "story.withdrawn", story)


def story_delete(owner: Owner, story_id: UUID) -> None:
    with transaction.atomic():
        story = _story_for(owner, story_id)
        _log(owner, "story.deleted", story)
        story.delete()


def stories_for_commission(reader: Reader) -> list[str]:
    """Every shown excerpt, in an order that says nothing about when it was shown.

    The order is a keyed hash of each story's id under the commission's private key:
    stable for the commission, unrelated to time. Reading is ledgered (how many, by whom).
    """
    if not TeamKey.objects.filter(organization=reader.member.organization, role=COMMISSION).exists():
        return []  # nothing was ever shown
    team = team_keyring(reader, COMMISSION)
    shown = list(
        Story.objects.filter(
            organization=reader.member.organization, kind=StoryKind.SURVIVOR, shown_sealed__isnull=False
        )
    )
    shown.sort(key=lambda story: hashlib.blake2b(story.pk.bytes, key=team.private_key[:32], digest_size=16).digest())
    texts = [team.open(story.shown_sealed or b"").decode() for story in shown]
    ledger_append(
        organization_id=reader.member.organization.pk,
        actor=reader.member.pseudonym,
        action="stories.read",
        refs={"count": len(texts)},
    )
    return texts


# ---- stories of accountability: who reads them -----------------------------------------------


def accountability_readers(organization_id: UUID) -> str:
    row = AccountabilityReaders.objects.filter(organization_id=organization_id).first()
    return row.readers if row else AccountabilityReaders.Readers.COMMISSION


def accountability_readers_set(admin: Member, *, readers: str) -> None:
    """An administrator chooses who reads shown stories of accountability (ledgered)."""
    if not admin.has_role("admin"):
        raise StoryError(_("Only an administrator can change this."))
    if readers not in AccountabilityReaders.Readers.values:
        raise StoryError(_("Choose who may read the stories of accountability."))
    with transaction.atomic():
        AccountabilityReaders.objects.update_or_create(
            organization=admin.organization, defaults={"readers": readers, "changed_at": timezone.now()}
        )
        ledger_append(
            organization_id=admin.organization_id,
            actor=admin.pseudonym,
            action="stories.accountability_readers",
            refs={"readers": readers},
        )


def may_read_accountability(member: Member) -> bool:
    return member.has_role(COMMISSION) or (
        accountability_readers(member.organization_id) == AccountabilityReaders.Readers.MEMBERS
    )


def accountability_stories_for(member: Member) -> list[str]:
    """Every shown story of accountability, with no author, no date and an order unrelated
    to time (a keyed hash of each id). Reading is ledgered (how many, by whom)."""
    if not may_read_accountability(member):
        raise PermissionDenied
    shown_stories = Story.objects.filter(
        organization=member.organization, kind=StoryKind.ACCOUNTABILITY, shown_sealed__isnull=False
    )
    if not member.has_role(COMMISSION):
        # A story shown while only the commission read them stays with the commission: one
        # administrator widening the readers does not widen what its author agreed to.
        # Its author may show it again to reach every member.
        widened = AccountabilityReaders.objects.get(organization_id=member.organization_id).changed_at
        shown_stories = shown_stories.filter(shown_at__gte=widened)
    shown = list(shown_stories)
    order_key = keyring.server_key(b"chorus.storyord")
    shown.sort(key=lambda story: hmac.digest(order_key, story.pk.bytes, "sha256"))
    texts = [keys.open_for_server(story.shown_sealed or b"", SHOWN_PURPOSE, story.pk) for story in shown]
    ledger_append(
        organization_id=member.organization_id,
        actor=member.pseudonym,
        action="stories.accountability_read",
        refs={"count": len(texts)},
    )
    return texts
