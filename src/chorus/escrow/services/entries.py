"""A survivor's escrow entries: name someone, see and withdraw what you named.

Per identifier only the match tag and a payload sealed to the advocate team are stored
(``chorus.crypto.matching``); what the advocates read at a match is sealed once per
entry under a key only the shares carry; the author's own copy is under their vault key
(or, for an entry built in the browser, their list of whom they named under a copy key).
The entry is built in the browser (``entry_submit_sealed``) or, without JavaScript, here
in memory (``entry_submit``). The response never depends on whether it matched (no
oracle): the advocates are told, and they contact the survivor through the platform.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from chorus.accounts.models import Member, Organization
from chorus.crypto import matching
from chorus.custodian.wsgi import b64
from chorus.escrow import evaluation, filing, holders
from chorus.escrow.holders import MAX_BATCH, CustodianUnavailable, RateLimited
from chorus.escrow.identifiers import KINDS, IdentifierError, browser_rules, normalize
from chorus.escrow.models import Entry, Match, Share, Tag
from chorus.ledger.services import ledger_append
from chorus.notices import services as notices
from chorus.records import keys
from chorus.records.access import Owner, record_for_owner
from chorus.records.services.team import team_key_ensure
from chorus.records.services.writing import OWNER_ACTOR, record_contents
from chorus.records.witnessed_models import WitnessAccount
from chorus.web import tasks

ESCROW_PERSON = b"chorus.escrow"
FIRST_REQUIRED = gettext_lazy(
    "Write at least identifier 1: an email address, a phone number, a member or staff number or a social media "
    "handle of the person."
)
INCOMPLETE = gettext_lazy("The entry your browser prepared is not complete. Nothing was saved; please try again.")
UNREACHABLE = gettext_lazy("The custodian could not be reached, so nothing was saved. Please try again later.")
MAX_STATEMENT = 4000


class EscrowError(Exception):
    """Refused; the message is for the survivor. ``field`` names the identifier row at fault."""

    def __init__(self, message: str, *, field: int | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Named:
    kind: str
    text: str  # as written


@dataclass(frozen=True)
class EntryView:
    entry: Entry
    named: list[dict[str, str]]  # made on the server: the identifiers as written
    named_copy: str  # made in the browser: sealed there under copy_key(), opened there too
    tell_me: bool
    would_meet: bool
    release: str
    record_title: str

    @property
    def withdrawn(self) -> bool:
        return self.entry.withdrawn_at is not None


def escrow_tag(owner: Owner) -> bytes:
    return keys.owner_tag(owner.vault_key, owner.organization.pk, person=ESCROW_PERSON)


COPY_PERSON = b"chorus.escrowcp"
COPY_CONTEXT = "escrow-copy"


def copy_key(owner: Owner) -> bytes:
    """The key under which the browser seals (and later opens) the author's own list of
    whom they named, so that list never reaches the server in the clear either."""
    return keys.owner_tag(owner.vault_key, owner.organization.pk, person=COPY_PERSON)


def browser_setup(owner: Owner) -> dict[str, Any]:
    """What the page hands the browser's construction (js/page.js): the organization's
    threshold and phone region, the normalization tables, the keys to check both holders'
    proofs against and to seal to, and the author's own tag and copy key. No secret of
    anyone but the author; none of it is stored by the browser."""
    organization = owner.organization
    team_key = team_key_ensure(organization)
    try:
        custodian_key = b64(holders.custodian().public_key())
    except CustodianUnavailable:
        custodian_key = ""  # the page falls back to the server construction, which explains
    copy = copy_setup(owner)
    return {
        **copy,
        "organization": str(organization.pk),
        "k": organization.escrow_threshold,
        "region": organization.phone_region,
        "rules": browser_rules(),
        "platformKey": b64(holders.platform_key()[1]),
        "custodianKey": custodian_key,
        "teamKey": b64(bytes(team_key.public_key)) if team_key is not None else "",
        "author": b64(escrow_tag(owner)),
        "text": {
            **copy["text"],
            "checkRows": gettext("Check the identifiers marked below. Nothing was sent."),
            "firstRequired": str(FIRST_REQUIRED),
            "sealing": gettext("Sealing your entry in this browser…"),
            "sending": gettext("Sending the sealed entry…"),
            "unverified": gettext(
                "The answers from the platform or the custodian could not be checked against their "
                "published keys, so nothing was sent. Please tell an advocate or an administrator."
            ),
            "failed": gettext("Something went wrong and nothing was saved. Please try again."),
        },
    }


def copy_setup(owner: Owner) -> dict[str, Any]:
    """What the browser needs to open (or seal) the author's own list of whom they named."""
    return {
        "copyKey": b64(copy_key(owner)),
        "copyContext": COPY_CONTEXT,
        "labels": {code: str(kind.label) for code, kind in KINDS.items()},
        "text": {"unreadable": gettext("This list cannot be opened in this browser.")},
    }


def _member_owner(owner: Owner) -> Member:
    if owner.member is None:
        raise EscrowError(
            gettext(
                "Naming someone needs an account: a match counts distinct members, "
                "and an anonymous receipt cannot show it is a different person."
            )
        )
    return owner.member


def active_count(owner: Owner) -> int:
    return Share.objects.filter(entry__owner_tag=escrow_tag(owner), entry__withdrawn_at__isnull=True).count()


def canonical(named: Sequence[Named], *, region: str) -> list[str]:
    """Each identifier's canonical form, repeats removed; EscrowError names the bad row."""
    result: list[str] = []
    for index, item in enumerate(named):
        try:
            value = normalize(item.kind, item.text, region=region)
        except IdentifierError as error:
            raise EscrowError(str(error), field=index) from error
        if value not in result:
            result.append(value)
    if not result:
        raise EscrowError(gettext("Name at least one identifier of the person."))
    if len(result) > MAX_BATCH:
        raise EscrowError(gettext("One entry can name at most %(count)d identifiers.") % {"count": MAX_BATCH})
    return result


def _released_record(owner: Owner, release: str, record_id: UUID | None) -> dict[str, str] | None:
    if release not in {"contact", "record"}:
        raise EscrowError(gettext("Choose what may be released at a match."))
    if release == "contact":
        return None
    if record_id is None:
        raise EscrowError(gettext("Choose which of your records may be released, or release your contact only."))
    record = record_for_owner(owner, record_id)
    if WitnessAccount.objects.filter(record=record).exists():  # what someone saw never counts toward a match
        raise EscrowError(
            gettext("An account of what you saw happen to someone else cannot be used to name a person here.")
        )
    return record_contents(owner, record).latest


@dataclass(frozen=True)
class SealedShare:
    """One identifier as stored: its match tag and the payload sealed to the advocate team."""

    tag: bytes
    sealed: bytes


@dataclass(frozen=True)
class Choices:
    """What the author decides beside the identifiers (both constructions)."""

    tell_me: bool
    would_meet: bool
    release: str
    record_id: UUID | None = None
    statement: str = ""


@dataclass
class _Draft:
    entry: Entry
    member: Member
    team_public: bytes
    released: dict[str, Any]
    owner_copy: dict[str, Any]


def _too_many() -> EscrowError:
    return EscrowError(
        gettext("You can keep up to %(count)d identifiers sealed at once. Withdraw an older entry to name more.")
        % {"count": settings.CHORUS_ESCROW_ACTIVE_LIMIT}
    )


def _draft(owner: Owner, choices: Choices) -> _Draft:
    """Everything both constructions check and prepare before any identifier is evaluated.
    The author's active limit is checked when the entry is saved (``_save``), where two
    entries of one author cannot both pass it."""
    member = _member_owner(owner)
    statement = choices.statement.strip()
    if len(statement) > MAX_STATEMENT:
        raise EscrowError(gettext("The few words can be up to %(count)d characters.") % {"count": MAX_STATEMENT})
    record_parts = _released_record(owner, choices.release, choices.record_id)
    team_public = _team_public(owner.organization)
    if team_public is None:
        raise EscrowError(
            gettext("This organization has no advocates yet, so nobody could receive a match. Nothing was saved.")
        )
    entry = Entry(
        organization=owner.organization,
        owner_tag=escrow_tag(owner),
        created_at=timezone.now(),
        counts=member.membership_confirmed,
    )
    released = {
        "entry": str(entry.pk),
        "member": str(member.pk),
        "tell_me": choices.tell_me,
        "would_meet": choices.would_meet,
        "release": choices.release,
        "record": record_parts,
        "statement": statement,
        "written": entry.created_at.date().isoformat(),
    }
    owner_copy = {
        "tell_me": choices.tell_me,
        "would_meet": choices.would_meet,
        "release": choices.release,
        "record_title": (record_parts or {}).get("title", ""),
    }
    return _Draft(entry, member, team_public, released, owner_copy)


# The advocates' public key as ``team_key_ensure`` last gave it, per organization, for at
# most TEAM_KEY_SECONDS: a burst of entries does not ask again who holds the role for each
# one. An entry may so be sealed to a key retired less than that long ago, as it would be by
# a request that fetched the key just before; the rotation waits twice the request timeout
# (records.services.team._requests_end) before re-sealing such shares to the successor.
TEAM_KEY_SECONDS = 1.0
_team_keys: dict[UUID, tuple[float, bytes]] = {}


def _team_public(organization: Organization) -> bytes | None:
    now = time.monotonic()
    known = _team_keys.get(organization.pk)
    if known is not None and now - known[0] < TEAM_KEY_SECONDS:
        return known[1]
    team_key = team_key_ensure(organization)
    if team_key is None:
        _team_keys.pop(organization.pk, None)
        return None
    _team_keys[organization.pk] = (now, bytes(team_key.public_key))
    return bytes(team_key.public_key)


def share_content(identifier: str, released_key: bytes) -> bytes:
    """What a share's payload carries under K: the identifier and the key of the released part."""
    return keys.json_bytes({"identifier": identifier, "released": b64(released_key)})


def entry_submit(owner: Owner, *, named: Sequence[Named], choices: Choices) -> Entry:
    """The construction on the server (no JavaScript): the identifiers and OPRF outputs
    exist only in this call's memory and are gone when it returns."""
    identifiers = canonical(named, region=owner.organization.phone_region)
    draft = _draft(owner, choices)
    try:
        outputs = evaluation.outputs(identifiers, member=draft.member)
    except RateLimited as error:
        raise EscrowError(str(error)) from error
    except CustodianUnavailable as error:
        raise EscrowError(str(UNREACHABLE)) from error
    organization, released_key = owner.organization, keys.new_key()
    shares = []
    for identifier, output in zip(identifiers, outputs, strict=True):
        derived = matching.derive(output, organization=str(organization.pk), k=organization.escrow_threshold)
        payload = matching.payload(derived, bytes(draft.entry.owner_tag), share_content(identifier, released_key))
        shares.append(SealedShare(derived.tag, keys.seal_to(draft.team_public, payload)))
    as_written = [{"kind": item.kind, "text": item.text.strip()} for item in named if item.text.strip()]
    try:
        return _save(
            owner, draft, shares, released_key, {**draft.owner_copy, "named": as_written}, evaluations=len(outputs)
        )
    except RateLimited as error:
        raise EscrowError(str(error)) from error


# What a payload sealed in the browser can measure: sealed box (48) around x ‖ f(x) (64)
# and an envelope (41) around share_content (an identifier is at most 320 characters).
SEALED_SIZES = range(48 + 64 + 41 + 40, 48 + 64 + 41 + 1400)


def entry_submit_sealed(
    owner: Owner,
    *,
    shares: Sequence[SealedShare],
    named_copy: bytes,
    released_key: bytes,
    k: int,
    team_key: bytes,
    choices: Choices,
) -> Entry:
    """The construction in the browser: only tags and sealed blobs arrive. The server
    cannot check what is inside them, only that they are well-formed and made for the
    organization's current threshold and team key (or a match could never be read)."""
    if not 1 <= len(shares) <= MAX_BATCH or len({share.tag for share in shares}) != len(shares):
        raise EscrowError(str(INCOMPLETE))
    if any(len(share.tag) != 32 or len(share.sealed) not in SEALED_SIZES for share in shares):
        raise EscrowError(str(INCOMPLETE))
    if len(released_key) != 32 or not 41 <= len(named_copy) <= 8000:
        raise EscrowError(str(INCOMPLETE))
    draft = _draft(owner, choices)
    if k != owner.organization.escrow_threshold or team_key != draft.team_public:
        raise EscrowError(
            gettext(
                "The organization's escrow settings changed while you were writing. Nothing was saved; please submit again."
            )
        )
    return _save(owner, draft, shares, released_key, {**draft.owner_copy, "named_copy": b64(named_copy)})


def _save(
    owner: Owner,
    draft: _Draft,
    shares: Sequence[SealedShare],
    released_key: bytes,
    owner_copy: dict[str, Any],
    *,
    evaluations: int = 0,
) -> Entry:
    """One transaction, so one commit, per entry: the platform's count of the evaluations
    made here (``evaluations``; a browser's were counted when it asked), the rows and the
    ledger event."""
    entry, organization = draft.entry, owner.organization
    # Its time (also its ledger event's) is taken here, after the evaluations a remote
    # custodian makes slower, as close to the append as ledger_append takes its own.
    entry.created_at = timezone.now()
    draft.released["written"] = entry.created_at.date().isoformat()
    entry.for_owner = keys.seal_json(owner.vault_key, owner_copy, "escrow-entry", entry.pk)
    entry.released = keys.seal_json(released_key, draft.released, "escrow-released", entry.pk)
    k = organization.escrow_threshold
    # Tags in one order by every submission, so two entries naming the same people in
    # another order wait for each other instead of deadlocking.
    in_order = sorted(shares, key=lambda share: share.tag)
    if filing.in_database():
        outcome = filing.file_entry(
            entry,
            [share.tag for share in in_order],
            [share.sealed for share in in_order],
            k=k,
            member_id=draft.member.pk,
            evaluations=evaluations,
            actor=OWNER_ACTOR,
        )
        if outcome == "active":
            raise _too_many()
        if outcome == "rate":
            raise evaluation.over_the_count()
        entry._state.adding, entry._state.db = False, connection.alias
        return entry
    with transaction.atomic():  # SQLite's transactions take the write lock at once
        if active_count(owner) + len(shares) > settings.CHORUS_ESCROW_ACTIVE_LIMIT:
            raise _too_many()
        if evaluations:
            evaluation.take(draft.member, evaluations)
        entry.save(force_insert=True)
        needing_attention = [match for share in in_order if (match := file_share(entry, share.tag, share.sealed, k))]
        # One event per submission whatever happened: members can see the ledger's head, so
        # a matched submission must not add more events than an unmatched one (no oracle).
        ledger_append(
            organization_id=organization.pk,
            actor=OWNER_ACTOR,
            action=filing.ACTION,
            refs={
                "entry": str(entry.pk),
                "identifiers": len(shares),
                "matches": sorted(str(match.pk) for match in needing_attention),
            },
        )
        if needing_attention:
            notify_advocates(organization)
    return entry


def file_share(entry: Entry, tag_value: bytes, sealed: bytes, k: int) -> Match | None:
    """Store one share; return the match that now needs the advocates' attention — one this
    share completed, or an existing one it joined (marked unopened again). Runs inside a
    transaction; the tag row's lock makes the count-and-record step exactly-once."""
    tag = _tag_locked(tag_value, k)
    Share.objects.bulk_create([Share(entry=entry, tag=tag, sealed=sealed)])
    return _match_check(tag, entry.organization_id)


def _tag_locked(tag_value: bytes, k: int) -> Tag:
    """The tag's row, made if new, and locked until the transaction ends, in one statement:
    an upsert that touches the row takes its lock as an UPDATE would (PostgreSQL; SQLite's
    IMMEDIATE transaction holds the whole database). A concurrent first share of the same
    tag waits on the unique index until this transaction ends, then finds the row."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Tag._meta.db_table} (tag, threshold) VALUES (%s, %s) ON CONFLICT (tag)"  # noqa: S608 - the model's own table
            f" DO UPDATE SET threshold = {Tag._meta.db_table}.threshold RETURNING id, threshold",
            [tag_value, k],
        )
        tag_id, threshold = cursor.fetchone()
    return Tag(id=tag_id, tag=tag_value, threshold=threshold)


def _match_check(tag: Tag, organization_id: UUID) -> Match | None:
    """With the tag row locked: the match that needs attention, made now if ``k`` distinct
    authors whose membership a second person confirmed named this tag. One query reads
    both the existing match and the count."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT id FROM {Match._meta.db_table} WHERE tag_id = %s),"  # noqa: S608 - the models' own tables
            f" (SELECT COUNT(DISTINCT e.owner_tag) FROM {Share._meta.db_table} s"
            f" JOIN {Entry._meta.db_table} e ON e.id = s.entry_id WHERE s.tag_id = %s AND e.counts = %s)",
            [tag.pk, tag.pk, True],
        )
        existing, authors = cursor.fetchone()
    if existing is not None:
        Match.objects.filter(pk=existing).update(opened_at=None)
        return Match.objects.get(pk=existing)
    if authors < tag.threshold:
        return None
    return Match.objects.create(organization_id=organization_id, tag=tag)


def entries_start_counting(owner: Owner) -> int:
    """Once a second person confirmed the author's membership, their waiting entries count
    toward matches. Runs on the author's visits to the escrow page, which write no event
    naming them, so the ledger never links a member to their entries (the server cannot tell which entries
    are whose without their vault key). Returns how many entries began to count; the
    response must not depend on whether that completed a match (no oracle)."""
    member = owner.member
    if member is None or not member.membership_confirmed:
        return 0
    waiting = Entry.objects.filter(
        organization=owner.organization, owner_tag=escrow_tag(owner), counts=False, withdrawn_at__isnull=True
    )
    if not waiting.exists():
        return 0
    with transaction.atomic():
        entries = list(waiting.select_for_update())
        Entry.objects.filter(pk__in=[entry.pk for entry in entries]).update(counts=True)
        needing_attention = []
        # Tags locked in the order every submission locks them (by value), so this waits
        # for a submission naming the same people instead of deadlocking with it.
        for tag_id in (
            Tag.objects.filter(shares__entry__in=entries).distinct().order_by("tag").values_list("pk", flat=True)
        ):
            tag = Tag.objects.select_for_update().get(pk=tag_id)
            if (match := _match_check(tag, owner.organization.pk)) is not None:
                needing_attention.append(match)
        ledger_append(
            organization_id=owner.organization.pk,
            actor=OWNER_ACTOR,
            action="escrow.entries_counted",
            refs={"entries": len(entries)},
        )
        if needing_attention:
            notify_advocates(owner.organization)
    return len(entries)


@tasks.handler(filing.NOTICE)
def _match_notice(payload: dict[str, object]) -> None:
    """Tell each advocate that a match needs attention (a batched, content-free notice).
    Queued (one row, whatever the number of advocates) so the submitter's response takes
    no longer when their entry completed a match, and sent by the worker."""
    organization = Organization.objects.get(pk=str(payload["organization"]))
    notices.advocates_tell(organization=organization, kind="match", source=f"match@{timezone.now().isoformat()}")


def notify_advocates(organization: Organization) -> None:
    tasks.task_enqueue(filing.NOTICE, {"organization": str(organization.pk)})


def entries_of(owner: Owner) -> list[EntryView]:
    rows = Entry.objects.filter(organization=owner.organization, owner_tag=escrow_tag(owner)).order_by("-created_at")
    return [_view(owner, entry) for entry in rows]


def owned_entry(owner: Owner, entry_id: UUID) -> Entry:
    """The owner's entry (404 for anyone else's), without opening it."""
    entry = Entry.objects.filter(pk=entry_id, organization=owner.organization, owner_tag=escrow_tag(owner)).first()
    if entry is None:
        raise Http404
    return entry


def entry_for_owner(owner: Owner, entry_id: UUID) -> EntryView:
    return _view(owner, owned_entry(owner, entry_id))


def _view(owner: Owner, entry: Entry) -> EntryView:
    data = keys.open_json(owner.vault_key, entry.for_owner, "escrow-entry", entry.pk)
    named = [{"label": KINDS[item["kind"]].label, "text": item["text"]} for item in data.get("named", [])]
    return EntryView(
        entry=entry,
        named=named,
        named_copy=data.get("named_copy", ""),
        tell_me=data["tell_me"],
        would_meet=data["would_meet"],
        release=data["release"],
        record_title=data.get("record_title", ""),
    )


def entry_withdraw(owner: Owner, entry: Entry) -> datetime:
    """Withdraw: shares not yet in a match are deleted; shares already released stay with
    the advocates, who see the withdrawal. The answer is the same either way."""
    if entry.withdrawn_at is not None:
        return entry.withdrawn_at
    now = timezone.now()
    with transaction.atomic():
        # The entry first, as counting an author's waiting entries locks them before their
        # tags; a withdrawal that got here first has already done the rest.
        withdrawn_at = Entry.objects.select_for_update().values_list("withdrawn_at", flat=True).get(pk=entry.pk)
        if withdrawn_at is not None:
            entry.withdrawn_at = withdrawn_at
            return withdrawn_at
        for share in Share.objects.filter(entry=entry).order_by("tag__tag"):  # as submissions lock them
            tag = Tag.objects.select_for_update().get(pk=share.tag_id)
            if Match.objects.filter(tag=tag).exists():
                continue
            share.delete()
            if not Share.objects.filter(tag=tag).exists():
                tag.delete()
        withdrawn = Entry.objects.filter(pk=entry.pk)
        withdrawn.update(withdrawn_at=now)
        if not Share.objects.filter(entry=entry).exists():  # nothing holds its key any more
            withdrawn.update(released=b"")
        ledger_append(
            organization_id=owner.organization.pk,
            actor=OWNER_ACTOR,
            action="escrow.withdrawn",
            refs={"entry": str(entry.pk)},
        )
    entry.withdrawn_at = now
    return now


def escrow_settings_set(admin: Member, *, threshold: int, phone_region: str) -> None:
    """Change the organization's threshold and phone region. Entries already made keep
    the threshold they were made under (it is part of their tag)."""
    organization = admin.organization
    with transaction.atomic():
        Organization.objects.filter(pk=organization.pk).update(escrow_threshold=threshold, phone_region=phone_region)
        ledger_append(
            organization_id=organization.pk,
            actor=admin.pseudonym,
            action="escrow.settings_changed",
            refs={"threshold": threshold, "phone_region": phone_region},
        )
    organization.escrow_threshold, organization.phone_region = threshold, phone_region
