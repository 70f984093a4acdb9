"""A request for repair: someone worried they crossed a line asks whether the person
concerned wants anything from them — never directly.

The path: he writes the request in his self-initiated case (whom it concerns, what he
would like to offer); his facilitator reads it and either passes it to the advocates or
does not; an advocate asks her. Her first message says only that someone would like to
offer something about something that concerns her, that she need not answer and that
nothing happens if she does not; only if she chooses to hear more does she read what it
is about and whom it is from. Her answer alone decides: nothing, an acknowledgement, an
apology, or a restorative process (a restorative case opened with her as complainant,
``core.case_open``). Silence decides too: she is asked once, and the ask closes quietly
``REPAIR_DAYS`` later (``repair_expire``).

He is told only what she allows (``told``): "No repair is wanted" if she declines, what
she would like and any words she chose to send him otherwise, and the same "closed"
whether she never answered or the advocates decided not to ask her. Nothing he can see
says whether she was asked or read it.

Keys: each request has its own key. Whom it concerns, his offer and her words are sealed
under it; it is sealed under the case's respondent-side compartment key (he and the
facilitator hold it), to the advocates' team key once forwarded (re-sealed on rotation:
``records.services.rotation``), and to her public key once she is asked. She is found by
a keyed hash under its own server key, so her tag matches no party tag anywhere and a
dump neither names her nor ties her to him. Her own steps are ledgered without her
pseudonym for the same reason.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts import keyring
from chorus.accounts.models import Member
from chorus.cases import keys as case_keys
from chorus.cases.machine import ENDED, Pathway, Role
from chorus.cases.models import Case, RepairRequest
from chorus.cases.services.core import (
    MAX_TEXT,
    CaseActor,
    CaseError,
    _team_key,
    case_open,
    clean_text,
    log,
    parties_notify,
)
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Reader
from chorus.records.services.team import team_keyring
from chorus.web import posting, tasks

REPAIR_DAYS = 30  # how long her one ask stays open before it closes quietly
MAX_NAME = 200
# Her steps name no one in the ledger: her pseudonym next to the request would tie her to him.
CONCERNED = "person-concerned"
Status = RepairRequest.Status
# Asking her and deciding not to are one action in the ledger (the request's own row keeps
# which): he may hold a role that reads the ledger, and must not learn whether she was asked.
ADVOCATES_ACTED = "repair.advocates_acted"
Answer = RepairRequest.Answer
OPEN_TO_TEAM = (Status.WITH_ADVOCATES, Status.ASKED, Status.ANSWERED, Status.NOT_ASKED, Status.EXPIRED)


@dataclass(frozen=True)
class RepairContent:
    """What a request says: whom it concerns (a member's id and name, or a name written),
    what he would like to offer, whom it is from, and her words to him if she wrote any."""

    concerning_member: str
    concerning_name: str
    offer: str
    from_name: str
    note: str = ""


def concerned_tag(member: Member) -> bytes:
    """Finds the asks waiting for a member. Its own server key: it matches no party tag."""
    return hmac.digest(keyring.server_key(b"chorus.repairto"), str(member.pk).encode(), "sha256")


def _open(request: RepairRequest, key: bytes) -> RepairContent:
    body = keys.open_json(key, request.body_sealed, "repair", request.pk)
    note = keys.open_bytes(key, request.note_sealed, "repair-note", request.pk).decode() if request.note_sealed else ""
    return RepairContent(body["member"], body["name"], body["offer"], body["from"], note)


# A request the advocates decided not to put to her stays open, and closes on the same
# schedule as one she never answered: he cannot tell the two apart, so he never learns
# whether she was asked.
_STILL_OPEN = (Status.WITH_ADVOCATES, Status.ASKED, Status.NOT_ASKED)
_PASSED_ON = (Status.WITH_ADVOCATES, Status.ASKED, Status.NOT_ASKED, Status.ANSWERED, Status.EXPIRED)


def passed_on(request: RepairRequest) -> bool:
    """Whether the facilitator passed this request on: one per plan, whatever came of it."""
    return request.status in _PASSED_ON


def _closed(request: RepairRequest, status: str, **fields: object) -> None:
    """Move one request from the status the caller saw, or refuse: someone else was first."""
    now = timezone.now()
    done = RepairRequest.objects.filter(pk=request.pk, status=request.status).update(
        status=status, closed_at=now if status not in _STILL_OPEN else None, **fields
    )
    if not done:
        raise CaseError(_("Someone else dealt with this request a moment ago. Please look again."))
    request.refresh_from_db()


# ---- his side and the facilitator's (inside the self-initiated case) -------------------


def _case_key(actor: CaseActor) -> bytes:
    key = actor.opened().get("respondent")
    if key is None:
        raise CaseError(_("This step is not yours to take in this case."))
    return key


def repair_requests_of(actor: CaseActor) -> list[RepairRequest]:
    """The case's requests, newest first: for him and his facilitator only."""
    if actor.case.pathway != Pathway.SELF or actor.party(Role.SELF, Role.FACILITATOR) is None:
        raise Http404
    return list(actor.case.repair_requests.order_by("-requested_at"))


def repair_request(actor: CaseActor, *, concerning: Member | None, name: str, offer: str) -> RepairRequest:
    """He asks, through his facilitator, whether the person concerned wants anything."""
    case = actor.case
    me = actor.party(Role.SELF)
    if case.pathway != Pathway.SELF or me is None:
        raise CaseError(_("Only the member taking accountability can ask for repair."))
    if case.state in ENDED:
        raise CaseError(_("This plan has ended."))
    written = posting.clean_text(name, limit=MAX_NAME, refusal=CaseError, required=False)
    if concerning is not None:
        if concerning.organization_id != case.organization_id or not concerning.is_active:
            raise CaseError(_("Choose one of the organization's members."))
        if concerning.pk == actor.member.pk:
            raise CaseError(_("Choose the person concerned, not yourself."))
        written = concerning.display_name
    elif not written:
        raise CaseError(_("Choose the person concerned, or write their name."))
    text = clean_text(offer, required=False)
    if case.repair_requests.filter(status__in=_PASSED_ON).exists():
        raise CaseError(
            _("A request for repair has already been passed on in this plan. Another one is not passed on.")
        )
    if case.repair_requests.filter(closed_at__isnull=True).exists():
        raise CaseError(_("A request for repair is already under way in this plan."))
    key = keys.new_key()
    request = RepairRequest(case=case)
    content = {
        "member": str(concerning.pk) if concerning else "",
        "name": written,
        "offer": text,
        "from": actor.member.display_name,
    }
    request.body_sealed = keys.seal_json(key, content, "repair", request.pk)
    request.key_for_case = keys.seal_bytes(_case_key(actor), key, "repair-key", request.pk)
    with transaction.atomic():
        request.save()
        log(actor, case, "repair_requested", request=request.pk)
        parties_notify(case, Role.FACILITATOR)
    return request


def repair_read(actor: CaseActor, request: RepairRequest) -> RepairContent:
    """What the request says, for him or his facilitator. Ledgered as a read."""
    if request.case_id != actor.case.pk or actor.party(Role.SELF, Role.FACILITATOR) is None:
        raise Http404
    if not request.key_for_case:  # destroyed with the case's content at the end of its retention period
        return RepairContent("", "", "", "")
    key = keys.open_bytes(_case_key(actor), request.key_for_case, "repair-key", request.pk)
    with transaction.atomic():
        log(actor, actor.case, "repair_read", request=request.pk)
    return _open(request, key)


def repair_review(actor: CaseActor, *, request: RepairRequest, forward: bool) -> None:
    """The facilitator passes the request to the advocates, or does not."""
    if request.case_id != actor.case.pk or actor.party(Role.FACILITATOR) is None:
        raise CaseError(_("Only the facilitator of this plan can pass a request on."))
    if request.status != Status.WITH_FACILITATOR:
        raise CaseError(_("This request has already been dealt with."))
    with transaction.atomic():
        if forward:
            key = keys.open_bytes(_case_key(actor), request.key_for_case, "repair-key", request.pk)
            team_key = _team_key(actor.case.organization)
            _closed(
                request,
                Status.WITH_ADVOCATES,
                forwarded_at=timezone.now(),
                key_for_team=keys.seal_to(team_key.public_key, key),
            )
            ledger_append(
                organization_id=actor.case.organization_id,
                actor=actor.pseudonym,
                action="repair.forwarded",
                # The case too, so the facilitator's pseudonym in it can be recomputed for their receipts.
                refs={"request": str(request.pk), "case": str(actor.case.pk)},
            )
        else:
            _closed(request, Status.NOT_FORWARDED)
        log(actor, actor.case, "repair_reviewed", request=request.pk, forwarded=forward)
        parties_notify(actor.case, Role.SELF)


def told(request: RepairRequest, content: RepairContent | None = None) -> str:
    """What he (and his facilitator) may know of the outcome: only what she allows. Being
    with the advocates, asked, or read all look the same; so do never asked and never answered."""
    if request.status == Status.WITH_FACILITATOR:
        return _("Your facilitator is reading your request.")
    if request.status == Status.NOT_FORWARDED:
        return _("Your facilitator did not pass this request on. You can talk with them about why.")
    if request.status in _STILL_OPEN:
        return _(
            "Your request is with the advocates. You will hear here only what the person concerned chooses to tell you."
        )
    if request.status == Status.EXPIRED:
        return _("This request is closed. Nothing more will happen with it.")
    said = {
        Answer.NOTHING: _("No repair is wanted."),
        Answer.ACKNOWLEDGEMENT: _(
            "The person concerned would like an acknowledgement. Your facilitator can help you write it."
        ),
        Answer.APOLOGY: _("The person concerned would like an apology. Your facilitator can help you write it."),
        Answer.RESTORATIVE: _("The person concerned would like a restorative process. The advocates will contact you."),
    }[Answer(request.answer)]
    return str(said)


def words_for_him(request: RepairRequest, content: RepairContent) -> str:
    """Her words to him, if she wrote any: never when she wants nothing."""
    if request.status != Status.ANSWERED or request.answer == Answer.NOTHING:
        return ""
    return content.note


# ---- the advocates' side --------------------------------------------------------------


def repair_requests_for_team(member: Member) -> QuerySet[RepairRequest]:
    """The requests facilitators passed on in the member's organization (advocates only)."""
    if not member.has_role("advocate"):
        raise Http404
    return RepairRequest.objects.filter(
        case__organization=member.organization, status__in=OPEN_TO_TEAM, key_for_team__isnull=False
    ).order_by("-forwarded_at")


def repair_for_team(reader: Reader, request_id: UUID) -> tuple[RepairRequest, RepairContent]:
    request = repair_requests_for_team(reader.member).filter(pk=request_id).first()
    if request is None:
        raise Http404
    key = team_keyring(reader).open(request.key_for_team or b"")
    with transaction.atomic():
        ledger_append(
            organization_id=request.case.organization_id,
            actor=reader.member.pseudonym,
            action="repair.read",
            refs={"request": str(request.pk)},
        )
    return request, _open(request, key)


def repair_ask(reader: Reader, *, request: RepairRequest, recipient: Member) -> None:
    """An advocate asks her, once. The email says only that something is waiting."""
    if request.status != Status.WITH_ADVOCATES:
        raise CaseError(_("This request has already been dealt with."))
    if recipient.organization_id != reader.member.organization_id or not recipient.is_active:
        raise CaseError(_("Choose one of the organization's members."))
    if request.case.parties.filter(role=Role.SELF, tag=case_keys.member_tag(recipient)).exists():
        raise CaseError(_("Choose the person concerned, not the member who asked."))
    key = team_keyring(reader).open(request.key_for_team or b"")
    now = timezone.now()
    with transaction.atomic():
        _closed(
            request,
            Status.ASKED,
            asked_at=now,
            expires_at=now + timedelta(days=REPAIR_DAYS),
            key_for_her=keys.seal_to(keys.member_public_key(recipient), key),
            her_tag=concerned_tag(recipient),
        )
        ledger_append(
            organization_id=request.case.organization_id,
            actor=reader.member.pseudonym,
            action=ADVOCATES_ACTED,
            refs={"request": str(request.pk)},
        )
        tasks.mail_later("cases/email/repair_ask", recipient.email, {})


def repair_not_asked(reader: Reader, *, request: RepairRequest) -> None:
    """The advocates decide not to ask (they could not reach her, or it would not be safe)."""
    if request.status != Status.WITH_ADVOCATES:
        raise CaseError(_("This request has already been dealt with."))
    with transaction.atomic():
        # No email to him and no change on his page: it closes when an ask would have.
        _closed(request, Status.NOT_ASKED, expires_at=timezone.now() + timedelta(days=REPAIR_DAYS))
        ledger_append(
            organization_id=request.case.organization_id,
            actor=reader.member.pseudonym,
            action=ADVOCATES_ACTED,
            refs={"request": str(request.pk)},
        )


# ---- her side ---------------------------------------------------------------------------


def repair_asks_for(member: Member) -> QuerySet[RepairRequest]:
    """The asks waiting for this member: open, not past their time."""
    return RepairRequest.objects.filter(
        her_tag=concerned_tag(member),
        case__organization=member.organization,
        status=Status.ASKED,
        key_for_her__isnull=False,
        expires_at__gt=timezone.now(),
    ).order_by("-asked_at")


def repair_ask_for(member: Member, request_id: UUID) -> RepairRequest:
    request = repair_asks_for(member).filter(pk=request_id).first()
    if request is None:
        raise Http404
    return request


def repair_hear_more(member: Member, vault_key: bytes, request: RepairRequest) -> RepairContent:
    """She chose to hear more: what it is about and whom it is from. Nothing records that
    she read it, not even the ledger: he may hold a role that reads the ledger, and an event
    at that moment would tell him she opened it."""
    key = keys.open_from(keys.member_private_key(member, vault_key), request.key_for_her or b"")
    return _open(request, key)


def repair_answer(member: Member, vault_key: bytes, *, request: RepairRequest, answer: str, note: str) -> Case | None:
    """Her answer alone decides. A restorative process opens a restorative case with her
    as its complainant (the advocates hold its keys and bring him in, as in any other)."""
    if answer not in Answer.values:
        raise CaseError(_("Choose what you would like, or that you want nothing."))
    words = clean_text(note, required=False)
    key = keys.open_from(keys.member_private_key(member, vault_key), request.key_for_her or b"")
    content = _open(request, key)
    with transaction.atomic():
        fields: dict[str, object] = {"answer": answer, "key_for_her": None, "her_tag": None}
        if words and answer != Answer.NOTHING:
            fields["note_sealed"] = keys.seal_bytes(key, words.encode(), "repair-note", request.pk)
        _closed(request, Status.ANSWERED, **fields)
        ledger_append(
            organization_id=member.organization_id,
            actor=CONCERNED,
            action="repair.answered",
            refs={"request": str(request.pk), "answer": answer},
        )
        parties_notify(request.case, Role.SELF, Role.FACILITATOR)
        if answer != Answer.RESTORATIVE:
            return None
        summary = _("A restorative process, asked for in answer to a request for repair from %(name)s.") % {
            "name": content.from_name
        }
        if words:
            summary += "\n\n" + words
        return case_open(member, vault_key, summary=summary[:MAX_TEXT], pathway=Pathway.RESTORATIVE)


def repair_expire(now: datetime | None = None) -> int:
    """Asks past their time close quietly: nothing is told to anyone, her copy of the key
    and her tag are dropped. A periodic job of the worker; idempotent."""
    now = now or timezone.now()
    closed = 0
    due = RepairRequest.objects.filter(status__in=[Status.ASKED, Status.NOT_ASKED], expires_at__lte=now)
    for request in due.select_related("case"):
        with transaction.atomic():
            updated = RepairRequest.objects.filter(pk=request.pk, status=request.status).update(
                status=Status.EXPIRED, closed_at=now, key_for_her=None, her_tag=None  # not asked ends the same
            )
            if updated:
                ledger_append(
                    organization_id=request.case.organization_id,
                    actor="system",
                    action="repair.expired",
                    refs={"request": str(request.pk)},
                )
                closed += 1
    return closed


tasks.periodic(repair_expire)
