"""Asking someone you trust to step in: a member the survivor chooses reads only what she
gives them, keeps notes with her, and reports back, until she stops it.

What she gives is an ordinary grant (``sharing.grant_build``) with the purpose ``ally``,
sealed to the ally's public key, so the ally reads exactly its scope. What she asks, the
notes and the reports are sealed under one ally key, itself sealed to her public key and to
the ally's. Stopping (or the ally declining) revokes the grant — its key and copy are
deleted — and deletes the ally's copy of the ally key; her copy stays, so she keeps the
reports (to bring into a case if she opens one).

Nothing here reaches the advocates: no conversation is opened, ``grants_visible_to``
leaves these grants out, and the ledger events are ``ally.*``, not ``grant.created``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts.models import Member
from chorus.crypto.errors import CryptoError
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Owner, Reader
from chorus.records.models import AllyAsk, AllyNote, AllyRequest, AllyState, Grant, Purpose, Record
from chorus.records.services import sharing
from chorus.records.services.team import AccessRefused
from chorus.records.services.writing import OWNER_ACTOR, AttachmentInfo, RecordError

WORDS_MAX = 2000
NOTE_MAX = 5000
LIVE = (AllyState.ASKED, AllyState.ACCEPTED)


class AllyGone(AccessRefused):
    """The request ended (stopped or declined): the ally holds nothing of it any more."""


@dataclass(frozen=True)
class Note:
    written_at: datetime
    report: bool
    body: str


@dataclass(frozen=True)
class AllyView:
    """One request as one of its two people reads it."""

    request: AllyRequest
    ask: str  # what she asks, in words
    words: str  # and in her own words
    notes: list[Note]  # notes and reports, oldest first (for the survivor: the reports only)
    note_count: int

    @property
    def reports(self) -> list[Note]:
        return [note for note in self.notes if note.report]


def ally_candidates(owner: Owner) -> list[Member]:
    """Whom a survivor may ask: any active member of her organization but herself."""
    members = Member.objects.filter(organization=owner.organization, is_active=True).select_related("keys")
    if owner.member is not None:
        members = members.exclude(pk=owner.member.pk)
    return [member for member in members.order_by("display_name") if hasattr(member, "keys")]


def _event(request: AllyRequest, *, actor: str, action: str, **refs: str) -> None:
    ledger_append(
        organization_id=request.grant.record.organization_id,
        actor=actor,
        action=action,
        refs={"record": str(request.grant.record_id), "ally_request": str(request.pk), **refs},
    )


def ally_ask(
    owner: Owner,
    record: Record,
    *,
    ally: Member,
    ask: str,
    words: str,
    versions: list[int],
    parts: list[str],
    attachment_ids: list[UUID],
) -> AllyRequest:
    """Ask ``ally`` to step in, giving them only the chosen versions, parts and files."""
    if owner.member is None:
        raise RecordError(_("To ask someone to step in, sign in as a member."))
    if ask not in AllyAsk.values:
        raise RecordError(_("Choose what you would like them to do."))
    words = words.strip()
    if ask == AllyAsk.OTHER and not words:
        raise RecordError(_("Say in your own words what you would like them to do."))
    if len(words) > WORDS_MAX:
        raise RecordError(_("Please keep what you ask under %(count)d characters.") % {"count": WORDS_MAX})
    if ally.pk not in {member.pk for member in ally_candidates(owner)}:
        raise RecordError(_("Choose someone from your organization."))
    grant = sharing.grant_build(
        owner,
        record,
        grantee=ally,
        recipient_key=keys.member_public_key(ally),
        purpose=Purpose.ALLY,
        versions=versions,
        parts=parts,
        attachment_ids=attachment_ids,
        expires_at=None,
    )
    ally_key = keys.new_key()
    request = AllyRequest(
        grant=grant,
        key_for_owner=keys.seal_to(keys.member_public_key(owner.member), ally_key),
        key_for_ally=keys.seal_to(keys.member_public_key(ally), ally_key),
    )
    request.ask_sealed = keys.seal_json(ally_key, {"ask": ask, "words": words}, "ally-ask", request.pk)
    with transaction.atomic():
        grant.save()
        request.save()
        _event(request, actor=OWNER_ACTOR, action="ally.asked", grant=str(grant.pk), ally=ally.pseudonym)
    return request


def _key_for_owner(owner: Owner, request: AllyRequest) -> bytes:
    if owner.member is None:
        raise AccessRefused(_("This can be opened only by the member who asked."))
    try:
        return keys.open_from(keys.member_private_key(owner.member, owner.vault_key), request.key_for_owner)
    except CryptoError as error:
        raise AccessRefused(_("This cannot be opened with your keys.")) from error


def _key_for_ally(reader: Reader, request: AllyRequest) -> bytes:
    if request.state not in LIVE or request.key_for_ally is None:
        raise AllyGone(_("This has ended. Thank you for being there."))
    try:
        return keys.open_from(keys.member_private_key(reader.member, reader.vault_key), request.key_for_ally)
    except CryptoError as error:
        raise AccessRefused(_("This cannot be opened with your keys.")) from error


def _view(key: bytes, request: AllyRequest, *, reports_only: bool) -> AllyView:
    asked = keys.open_json(key, request.ask_sealed, "ally-ask", request.pk)
    rows = list(request.notes.all())
    notes = [
        Note(
            written_at=row.written_at,
            report=row.report,
            body=keys.open_bytes(key, row.body_sealed, "ally-note", row.pk).decode(),
        )
        for row in rows
        if row.report or not reports_only
    ]
    return AllyView(
        request=request,
        ask=str(AllyAsk(asked["ask"]).label),
        words=asked["words"],
        notes=notes,
        note_count=sum(1 for row in rows if not row.report),
    )


def ally_view_for_owner(owner: Owner, request: AllyRequest) -> AllyView:
    """What she asked, how many notes there are, and each report back."""
    return _view(_key_for_owner(owner, request), request, reports_only=True)


def ally_view_for_ally(reader: Reader, request: AllyRequest) -> AllyView:
    """What she asks; once accepted, the notes and reports too. ``AllyGone`` once ended."""
    view = _view(_key_for_ally(reader, request), request, reports_only=False)
    if request.state != AllyState.ACCEPTED:
        return AllyView(request=request, ask=view.ask, words=view.words, notes=[], note_count=0)
    return view


def _end_for_ally(request: AllyRequest, state: AllyState, now: datetime) -> None:
    """Delete what the ally holds: the grant's key and copy, and their copy of the ally key."""
    Grant.objects.filter(pk=request.grant_id).update(revoked_at=now, key_sealed=None, content=None)
    request.state = state
    request.key_for_ally = None
    if state == AllyState.STOPPED:
        request.stopped_at = now
    else:
        request.answered_at = now
    request.save(update_fields=["state", "key_for_ally", "stopped_at", "answered_at"])


def ally_answer(reader: Reader, request: AllyRequest, *, accept: bool) -> None:
    """The ally accepts or declines. Declining tells only her, and takes back what she gave."""
    with transaction.atomic():
        locked = (
            AllyRequest.objects.select_for_update(of=("self",))
            .select_related("grant", "grant__record")
            .get(pk=request.pk)
        )
        if locked.grant.grantee_id != reader.member.pk:
            raise AccessRefused(_("This request is not addressed to you."))
        if locked.state != AllyState.ASKED:
            raise RecordError(_("This request has already been answered."))
        now = timezone.now()
        if accept:
            locked.state = AllyState.ACCEPTED
            locked.answered_at = now
            locked.save(update_fields=["state", "answered_at"])
        else:
            _end_for_ally(locked, AllyState.DECLINED, now)
        _event(locked, actor=reader.member.pseudonym, action="ally.accepted" if accept else "ally.declined")
    request.refresh_from_db()


def ally_write(reader: Reader, request: AllyRequest, *, body: str, report: bool) -> AllyNote:
    """A note for both of them, or (``report``) a report back that she is told of."""
    body = body.strip()
    if not body:
        raise RecordError(_("Write something first."))
    if len(body) > NOTE_MAX:
        raise RecordError(_("Please keep it under %(count)d characters.") % {"count": NOTE_MAX})
    if request.state != AllyState.ACCEPTED:
        raise AllyGone(_("This has ended. Thank you for being there."))
    key = _key_for_ally(reader, request)
    note = AllyNote(request=request, report=report)
    with transaction.atomic():
        # Stopping locks this row too: a note never lands after she stopped it.
        if AllyRequest.objects.select_for_update().get(pk=request.pk).state != AllyState.ACCEPTED:
            raise AllyGone(_("This has ended. Thank you for being there."))
        note.body_sealed = b""
        note.save()
        note.body_sealed = keys.seal_bytes(key, body.encode(), "ally-note", note.pk)
        note.save(update_fields=["body_sealed"])
        _event(request, actor=reader.member.pseudonym, action="ally.reported" if report else "ally.noted")
    return note


def ally_shared(reader: Reader, request: AllyRequest) -> sharing.SharedRecord:
    """What she gave, read through its grant (each read is ledgered and shown to her)."""
    if request.state != AllyState.ACCEPTED:
        raise AllyGone(_("This has ended. Thank you for being there."))
    return sharing.grant_open(reader, request.grant)


def ally_file(reader: Reader, request: AllyRequest, attachment_id: UUID) -> tuple[AttachmentInfo, bytes]:
    if request.state != AllyState.ACCEPTED:
        raise AllyGone(_("This has ended. Thank you for being there."))
    return sharing.grant_attachment(reader, request.grant, attachment_id)


def ally_stop(owner: Owner, record: Record, request: AllyRequest) -> bool:
    """Stop at any time: the ally loses what was shared and the notes. False if it had ended."""
    with transaction.atomic():
        locked = (
            AllyRequest.objects.select_for_update(of=("self",))
            .select_related("grant", "grant__grantee", "grant__record")
            .filter(pk=request.pk, grant__record=record)
            .first()
        )
        if locked is None or locked.state not in LIVE:
            return False
        _end_for_ally(locked, AllyState.STOPPED, timezone.now())
        ally = locked.grant.grantee
        _event(locked, actor=OWNER_ACTOR, action="ally.stopped", ally=ally.pseudonym if ally else "")
    request.refresh_from_db()
    return True


def ally_requests_for(owner: Owner, record: Record) -> list[AllyRequest]:
    return list(
        AllyRequest.objects.filter(grant__record=record, grant__record__owner_tag=owner.tag)
        .select_related("grant", "grant__grantee")
        .order_by("-asked_at")
    )
