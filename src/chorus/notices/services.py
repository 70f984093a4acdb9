"""Content-free notices by email, batched: one email per person per busy hour.

Where events come from: every share, message and case step is already written to the
ledger, so one scan of the ledger (a periodic job of the worker, reading each chain from
where it last stopped) decides whom to tell, and no service needs to know notices exist.
The one thing the ledger deliberately does not say is that a match happened (it would link
a member to their entries), so escrow calls ``advocates_tell`` when it finds one.

Each notice becomes a ``PendingNotice`` row (naming nobody in the clear, pointing at no
event, keeping only the hour); once the clock hour a person's oldest row arrived in has
ended, the flush turns all their rows into one email that says only that something is waiting
in Chorus, in the language they chose. Someone else reading their inbox learns no name,
case, record or kind of event.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts import keyring
from chorus.accounts.models import Member, Organization
from chorus.cases.keys import acted
from chorus.crypto import envelope
from chorus.crypto.errors import DecryptionError, MalformedInput
from chorus.ledger.models import LedgerEvent, LedgerHead
from chorus.ledger.services import PLATFORM_CHAIN, ledger_append
from chorus.notices.models import ADVOCATE_KINDS, PERSONAL_KINDS, Kind, NoticeCursor, NoticePreference, PendingNotice
from chorus.web import tasks

BATCH = timedelta(hours=1)  # one email per person per hour at most, however busy it was
SCAN_LIMIT = 2000  # events read from one chain per scan; the next scan goes on from there
ADVOCATE_TEAM = "advocate-team"  # how the ledger names the team as a grantee or a recipient
# The case events after which the case may wait on someone new: it moved, paused or resumed,
# or someone was brought in. (Not every step: a party the case waits on for days is told
# once, not again after each thing others write.)
STEP_ACTIONS = frozenset(
    f"case.{name}"
    for name in (
        "opened", "moved", "pathway_chosen", "pause", "resume", "co_complainant_joined",
        "facilitator", "investigator", "panel", "appeal_panel", "invite", "notice", "milestone",
    )
)  # fmt: skip
# A request to step in (``records.services.allies``): the person asked hears that something
# waits for them (asked, or ended), and the survivor hears of their answer and reports as of
# a reply. No advocate is told.
ALLY_TO_ALLY = frozenset({"ally.asked", "ally.stopped"})
ALLY_TO_OWNER = frozenset({"ally.accepted", "ally.declined", "ally.reported"})
WATCHED = frozenset({"grant.created", "message.sent", *STEP_ACTIONS, *ALLY_TO_ALLY, *ALLY_TO_OWNER})


class NoticeError(ValueError):
    """A choice of notices that cannot be saved; the message says why."""


# ---- who wants what --------------------------------------------------------------


def kinds_offered(member: Member) -> tuple[Kind, ...]:
    return (*ADVOCATE_KINDS, *PERSONAL_KINDS) if member.has_role("advocate") else PERSONAL_KINDS


def kinds_default(member: Member) -> set[str]:
    """Advocates are told of work waiting for them; everyone else chooses to be told."""
    return {kind.value for kind in ADVOCATE_KINDS} if member.has_role("advocate") else set()


def kinds_for(member: Member, preference: NoticePreference | None = None) -> set[str]:
    """The kinds of notice ``member`` gets now (a role taken away takes its notices with it)."""
    if preference is None:
        preference = NoticePreference.objects.filter(member=member).first()
    chosen = set(preference.kinds) if preference is not None else kinds_default(member)
    return chosen & {kind.value for kind in kinds_offered(member)}


# ---- whom a pending notice is for, without naming them in the database --------------


def recipient_tag(member_id: object) -> bytes:
    """A keyed hash of the member: the same for all their pending notices, meaningless
    without the server's key."""
    key = keyring.server_key(b"chorus.notice.to")
    return hmac.new(key, str(member_id).encode(), hashlib.sha256).digest()


def recipient_seal(member_id: object) -> bytes:
    """The member's id, sealed under a key only the running server holds (as
    ``Record.notify_sealed`` is), bound to the row's ``recipient`` tag."""
    key = keyring.server_key(b"chorus.notice.id")
    return envelope.seal(key, str(member_id).encode(), context=f"notice:{recipient_tag(member_id).hex()}")


def recipient_open(tag: bytes, sealed: bytes | memoryview) -> str | None:
    key = keyring.server_key(b"chorus.notice.id")
    try:
        return envelope.open_sealed(key, bytes(sealed), context=f"notice:{bytes(tag).hex()}").decode()
    except (DecryptionError, MalformedInput):
        return None  # sealed under another server's key: nobody to tell


def hour_end(moment: datetime) -> datetime:
    """The end of the hour ``moment`` falls in: all a pending notice keeps of its time, and
    when it is due. (The end, not the start: everything that arrives within one clock hour
    goes in one email after it, so one email per person per hour stays the most.)"""
    start = moment.replace(minute=0, second=0, microsecond=0)
    return start + timedelta(hours=1)


def pending(member: Member, kind: str, at: datetime | None = None) -> PendingNotice:
    return PendingNotice(
        recipient=recipient_tag(member.pk),
        recipient_sealed=recipient_seal(member.pk),
        kind=kind,
        created_at=hour_end(at or timezone.now()),
    )


def pending_forget(member: Member) -> None:
    """Drop every notice waiting for ``member`` (they turned notices off, or are leaving)."""
    PendingNotice.objects.filter(recipient=recipient_tag(member.pk)).delete()


def owner_index(owner_tag: bytes) -> bytes:
    return hashlib.blake2b(bytes(owner_tag), digest_size=32, key=keyring.server_key(b"chorus.notices")).digest()


def notice_preferences_set(*, member: Member, kinds: Iterable[str], vault_key: bytes | None) -> set[str]:
    """Save which notices ``member`` gets. Their open vault (``vault_key``) is needed only to
    be told of replies: it gives the tag their records carry."""
    from chorus.records import keys  # records loads the task queue, which loads this app's services

    owner_tag = keys.owner_tag(vault_key, member.organization_id) if vault_key is not None else None
    chosen = set(kinds)
    offered = {kind.value for kind in kinds_offered(member)}
    if chosen - offered:
        raise NoticeError(_("Choose only from the notices offered on this page."))
    if Kind.REPLY in chosen and owner_tag is None:
        raise NoticeError(
            _("To be told of replies, Chorus needs your vault open. Sign out, sign in again, and choose again.")
        )
    index = owner_index(owner_tag) if Kind.REPLY in chosen and owner_tag is not None else None
    with transaction.atomic():
        NoticePreference.objects.update_or_create(
            member=member, defaults={"kinds": sorted(chosen), "owner_index": index, "updated_at": timezone.now()}
        )
        if not chosen:
            pending_forget(member)
        ledger_append(
            organization_id=member.organization_id,
            actor=member.pseudonym,
            action="notices.chosen",
            refs={"kinds": sorted(chosen)},
        )
    return chosen


# ---- deriving notices from the ledger --------------------------------------------


@dataclass
class _Scan:
    """What one scan looked up once: each organization's advocates, each member's choice."""

    advocates: dict[str, list[Member]] = field(default_factory=dict)
    wanted: dict[object, set[str]] = field(default_factory=dict)

    def advocates_of(self, organization_id: str) -> list[Member]:
        if organization_id not in self.advocates:
            from chorus.records.services.team import advocates_of  # records imports the queue, as we do

            organization = Organization.objects.filter(pk=organization_id).first()
            self.advocates[organization_id] = list(advocates_of(organization)) if organization else []
        return self.advocates[organization_id]

    def wants(self, member: Member, kind: str) -> bool:
        if member.pk not in self.wanted:
            self.wanted[member.pk] = kinds_for(member)
        return kind in self.wanted[member.pk]


def _replied_to(record_id: str, scan: _Scan) -> Member | None:
    """The owner of the record, if they asked to be told of replies: on the record's own
    messages page (``Record.notify_sealed``) or for all their records on their account page."""
    from chorus.records.models import Record
    from chorus.records.services.messaging import notice_recipient

    record = Record.objects.filter(pk=record_id).first() if record_id else None
    if record is None:
        return None
    if (asked_here := notice_recipient(record)) is not None:
        scan.wants(asked_here, Kind.REPLY)  # loads their other choices before adding this one
        scan.wanted[asked_here.pk].add(Kind.REPLY)
        return asked_here
    preference = (
        NoticePreference.objects.filter(owner_index=owner_index(bytes(record.owner_tag)))
        .select_related("member")
        .first()
    )
    return preference.member if preference is not None else None


def _case_notices(event: LedgerEvent, organization_id: str, scan: _Scan) -> Iterator[tuple[Member, str]]:
    from chorus.cases.models import Case
    from chorus.cases.services.core import party_member
    from chorus.cases.services.story import waiting_parties

    case_id = event.refs.get("case")
    case = Case.objects.filter(pk=case_id, organization_id=organization_id).first() if case_id else None
    if case is None or case.destroyed_at is not None:
        return
    if event.action == "case.opened" and case.keys_for_team:
        yield from ((advocate, Kind.CASE) for advocate in scan.advocates_of(organization_id))
    for party in waiting_parties(case):
        member = party_member(party)
        if member is not None:
            yield member, Kind.STEP


def _notices_for(event: LedgerEvent, scan: _Scan) -> Iterator[tuple[Member, str]]:
    organization_id = event.chain.removeprefix("org:")
    refs = event.refs
    if event.action == "grant.created":
        if refs.get("grantee") == ADVOCATE_TEAM:
            yield from ((advocate, Kind.SHARE) for advocate in scan.advocates_of(organization_id))
        else:
            grantee = Member.objects.filter(pseudonym=refs.get("grantee"), organization_id=organization_id).first()
            if grantee is not None:
                yield grantee, Kind.SHARE
    elif event.action == "message.sent" and refs.get("to") == ADVOCATE_TEAM:
        yield from ((advocate, Kind.MESSAGE) for advocate in scan.advocates_of(organization_id))
    elif event.action == "message.sent" and refs.get("to") == "owner":
        owner = _replied_to(str(refs.get("record", "")), scan)
        if owner is not None:
            yield owner, Kind.REPLY
    elif event.action in STEP_ACTIONS:
        yield from _case_notices(event, organization_id, scan)
    elif event.action in ALLY_TO_ALLY:
        ally = Member.objects.filter(pseudonym=refs.get("ally"), organization_id=organization_id).first()
        if ally is not None:
            yield ally, Kind.STEP
    elif event.action in ALLY_TO_OWNER:
        owner = _replied_to(str(refs.get("record", "")), scan)
        if owner is not None:
            yield owner, Kind.REPLY


def _cursor(chain: str) -> None:
    try:
        with transaction.atomic():
            NoticeCursor.objects.get_or_create(chain=chain)
    except IntegrityError:
        pass  # another worker made it first


def notices_scan(*, limit: int = SCAN_LIMIT) -> int:
    """Read every chain's new events and queue a notice for each person to tell; returns
    how many were queued. Each chain's cursor moves in the transaction that queues."""
    queued = 0
    for chain, head in LedgerHead.objects.exclude(chain=PLATFORM_CHAIN).values_list("chain", "seq"):
        _cursor(chain)
        with transaction.atomic():
            cursor = NoticeCursor.objects.select_for_update().get(chain=chain)
            if cursor.seq >= head:
                continue
            until = min(head, cursor.seq + limit)  # ``head`` was committed: so was every event up to it
            scan = _Scan()
            rows: list[PendingNotice] = []
            events = LedgerEvent.objects.filter(
                chain=chain, seq__gt=cursor.seq, seq__lte=until, action__in=WATCHED
            ).order_by("seq")
            for event in events:
                told: set[tuple[object, str]] = set()
                for member, kind in _notices_for(event, scan):
                    if (member.pk, kind) in told or not member.is_active or acted(member, event.actor, event.refs):
                        continue  # nobody is told of what they did themselves
                    told.add((member.pk, kind))
                    if scan.wants(member, kind):
                        rows.append(pending(member, kind, event.created_at))
            PendingNotice.objects.bulk_create(rows, ignore_conflicts=True)
            NoticeCursor.objects.filter(chain=chain).update(seq=until)
            queued += len(rows)
    return queued


def advocates_tell(*, organization: Organization, kind: str, source: str = "") -> int:
    """Queue a notice of ``kind`` for every advocate of ``organization`` who wants it.
    (``source``, what caused it, is not kept: a pending notice points at nothing.)"""
    scan = _Scan()
    rows = [pending(advocate, kind) for advocate in scan.advocates_of(str(organization.pk)) if scan.wants(advocate, kind)]
    PendingNotice.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# ---- sending ---------------------------------------------------------------------


def notices_flush(*, now: datetime | None = None) -> int:
    """One email for each person whose oldest waiting notice arrived in an hour that has
    ended, covering every notice they have waiting; returns how many emails were queued."""
    now = now or timezone.now()
    due = {bytes(tag) for tag in PendingNotice.objects.filter(created_at__lte=now).values_list("recipient", flat=True)}
    sent = 0
    for tag in sorted(due):
        with transaction.atomic():
            rows = list(
                PendingNotice.objects.select_for_update().filter(recipient=tag).values_list("kind", "recipient_sealed")
            )
            if not rows:
                continue  # another worker sent it
            PendingNotice.objects.filter(recipient=tag).delete()
            kinds = {kind for kind, _sealed in rows}
            member_id = recipient_open(tag, rows[0][1])
            member = Member.objects.filter(pk=member_id, is_active=True).first() if member_id else None
            # A reply is queued only for someone who asked (perhaps on the record's own page,
            # which the account page's choice does not undo).
            if member is None or not kinds & (kinds_for(member) | {Kind.REPLY}):
                continue  # suspended, or they turned these notices off since
            tasks.mail_later("notices/email/notice", member.email, {})
            sent += 1
    return sent


tasks.periodic(notices_scan)
tasks.periodic(notices_flush)
