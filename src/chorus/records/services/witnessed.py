"""What I saw: a member records something they witnessed happen to someone else.

The account is the witness's own record (sealed like every record, shared through the
normal share page); ``WitnessAccount`` marks it and keeps what the witness decided:

- it never counts toward a match (the escrow refuses to release it, and never offers it);
- it is never shown to the person it happened to unless the witness agreed that an
  advocate may ask her, an advocate asked, and she said yes;
- if she says yes and chooses one of her cases, an advocate adds the account to that
  case's file, as a survivor's own record is added; if she says no, nothing happens and
  the witness is told only that she does not want it added.

The witness's steps are ledgered as the owner's (naming no one, as records' are); the
advocates' and hers under their pseudonyms, with no reference to whom the account is about.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts import keyring
from chorus.accounts.models import Member
from chorus.cases import keys as case_keys
from chorus.cases.machine import Role
from chorus.cases.models import Case
from chorus.cases.services import core as cases
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Owner, Reader, grants_visible_to
from chorus.records.fields import PART_NAMES
from chorus.records.models import Grant, Record
from chorus.records.services import sharing, writing
from chorus.records.services.writing import OWNER_ACTOR, RecordError
from chorus.records.witnessed_models import WitnessAccount, WitnessAnswer
from chorus.web import ratelimit

SURVIVOR_PURPOSE = "witness-survivor"
NAMED_PURPOSE = "witness-named"
CASE_PURPOSE = "witness-case"


class WitnessError(RecordError):
    """Refused; the message is for whoever asked."""


def survivor_tag(member: Member) -> bytes:
    """The keyed hash under which questions wait for a member; names nobody in a dump."""
    return hmac.digest(keyring.server_key(b"chorus.witness"), str(member.pk).encode(), "sha256")


def is_witnessed(record: Record) -> bool:
    return WitnessAccount.objects.filter(record=record).exists()


def _log(organization_id: object, actor: str, action: str, account: WitnessAccount, **refs: object) -> None:
    ledger_append(
        organization_id=organization_id,
        actor=actor,
        action=action,
        refs={"witnessed": str(account.pk), **{key: str(value) for key, value in refs.items()}},
    )


# ---- the witness's side ------------------------------------------------------------------


def witnessed_create(owner: Owner, *, values: Mapping[str, object]) -> Record:
    """A new account of what the owner saw: a record of their own, marked as witnessed."""
    if not writing.has_content(values):
        raise WitnessError(_("Please write what you saw first."))
    with transaction.atomic():
        record = writing.record_create(owner)
        writing.record_save(owner, record, values)
        account = WitnessAccount.objects.create(record=record)
        _log(owner.organization.pk, OWNER_ACTOR, "witnessed.created", account, record=record.pk)
    return record


def account_for_owner(owner: Owner, record: Record) -> WitnessAccount:
    account = WitnessAccount.objects.filter(record=record).first()
    if account is None:
        raise Http404
    return account


# Naming attempts per witness per hour: enough to correct a typo, too few to try a list of
# addresses (the page reads the same whether an address is a member's or not, and this keeps
# it from being a way to test many).
NAMINGS_PER_HOUR = 10
_NAMING_SCOPE = "witness-naming"


def witnessed_name(owner: Owner, record: Record, *, email: str, contact_allowed: bool) -> WitnessAccount:
    """Whom it happened to (the address she uses here), and whether an advocate may ask her.
    Changing either withdraws a question not yet answered.

    The witness is never told whether a member uses the address: what they typed is kept,
    sealed, and shown back to them; the member it belongs to, if any, is found now and kept
    under a sealed id and a keyed tag, so that an advocate can ask her. If nobody uses it, the
    advocate reads that there is nobody to ask."""
    account = account_for_owner(owner, record)
    email = (email or "").strip().lower()
    survivor: Member | None = None
    if email:
        if owner.member is None:
            raise WitnessError(_("Only members with an account can name the person it happened to."))
        if email == owner.member.email.strip().lower():
            raise WitnessError(_("This is for what you saw happen to someone else. Write your own record instead."))
        if not ratelimit.consume(
            _NAMING_SCOPE, str(owner.member.pk), count=1, limit=NAMINGS_PER_HOUR, window=timedelta(hours=1)
        ):
            raise WitnessError(
                _("You have named someone many times this hour. Nothing was changed; please try again later.")
            )
        survivor = Member.objects.filter(
            organization=owner.organization, email=email, is_active=True, deleted_at__isnull=True
        ).first()
    elif contact_allowed:
        raise WitnessError(_("An advocate can only ask her if you give the email address she uses here."))
    with transaction.atomic():
        account = WitnessAccount.objects.select_for_update().get(pk=account.pk)
        if account.answer:
            raise WitnessError(_("She has already answered, so this can no longer change."))
        account.named_sealed = keys.seal_for_server(email, NAMED_PURPOSE, account.pk) if email else None
        if survivor is None:
            account.survivor_sealed = account.survivor_tag = None
        else:
            account.survivor_sealed = keys.seal_for_server(str(survivor.pk), SURVIVOR_PURPOSE, account.pk)
            account.survivor_tag = survivor_tag(survivor)
        account.contact_allowed = contact_allowed and bool(email)
        account.asked_at = None  # a question she has not answered is withdrawn with the old choice
        account.save()
        _log(owner.organization.pk, OWNER_ACTOR, "witnessed.named", account, contact=account.contact_allowed)
    return account


@dataclass(frozen=True)
class WitnessStatus:
    """What the witness may know: never her case, never more than yes or no."""

    named: str  # the address they gave (for accounts named before it was kept, the member's name), or ""
    contact_allowed: bool
    asked: bool
    answer: str
    added: bool


def witnessed_status(owner: Owner, record: Record) -> WitnessStatus:
    account = account_for_owner(owner, record)
    named = ""
    if account.named_sealed:
        named = keys.open_for_server(account.named_sealed, NAMED_PURPOSE, account.pk)
    elif account.survivor_sealed:  # named before the address was kept: the member's name, as then
        member = Member.objects.filter(
            pk=keys.open_for_server(account.survivor_sealed, SURVIVOR_PURPOSE, account.pk)
        ).first()
        named = member.display_name if member else ""
    return WitnessStatus(
        named=named,
        contact_allowed=account.contact_allowed,
        asked=account.asked_at is not None,
        answer=account.answer,
        added=account.added_at is not None,
    )


# ---- the advocates' side -----------------------------------------------------------------


def witnessed_grants(reader: Reader) -> list[tuple[Grant, WitnessAccount]]:
    """Witnessed accounts shared with this advocate or the team, still active."""
    grants = grants_visible_to(reader.member).filter(record__witness_account__isnull=False)
    return [
        (grant, grant.record.witness_account)
        for grant in grants.select_related("record__witness_account")
        if grant.is_active()
    ]


def account_for_grant(grant: Grant) -> WitnessAccount:
    account = WitnessAccount.objects.filter(record_id=grant.record_id).first()
    if account is None:
        raise Http404
    return account


def witnessed_ask(reader: Reader, grant: Grant) -> None:
    """An advocate asks her whether she wants the account added to her case."""
    if not grant.is_active():
        raise WitnessError(_("This account is no longer shared with you."))
    with transaction.atomic():
        account = WitnessAccount.objects.select_for_update().get(pk=account_for_grant(grant).pk)
        if not account.contact_allowed:
            raise WitnessError(
                _("The person who wrote this did not agree that she may be asked, so she cannot be contacted here.")
            )
        if account.survivor_sealed is None:
            raise WitnessError(_("No member of the organization uses the address the witness gave, so there is nobody to ask here."))
        if account.asked_at is not None:
            raise WitnessError(_("She has already been asked."))
        account.asked_at = timezone.now()
        account.save(update_fields=["asked_at"])
        _log(reader.member.organization_id, reader.member.pseudonym, "witnessed.asked", account, grant=grant.pk)


def _account_text(shared: sharing.SharedRecord) -> str:
    latest = shared.versions[-1].parts if shared.versions else {}
    body = "\n\n".join(latest[name] for name in PART_NAMES if latest.get(name))
    return _("An account by a member who saw what happened, added with her agreement:") + "\n\n" + body


def witnessed_add_to_case(reader: Reader, grant: Grant) -> Case:
    """After her yes: the advocate adds the shared account to the case she chose."""
    account = account_for_grant(grant)
    if account.answer != WitnessAnswer.YES or account.case_sealed is None:
        raise WitnessError(_("She has not asked for it to be added to a case."))
    if account.added_at is not None:
        raise WitnessError(_("It is already in her case."))
    case_id = UUID(keys.open_for_server(account.case_sealed, CASE_PURPOSE, account.pk))
    shared = sharing.grant_open(reader, grant)
    try:
        actor = cases.case_actor(reader.member, reader.vault_key, case_id)
    except Http404 as missing:
        raise WitnessError(_("Her case is no longer open to the advocates.")) from missing
    text = _account_text(shared)
    with transaction.atomic():
        if (
            WitnessAccount.objects.select_for_update()
            .filter(pk=account.pk, added_at__isnull=True)
            .update(added_at=timezone.now())
            != 1
        ):
            raise WitnessError(_("It is already in her case."))
        try:
            cases.item_write(actor, "evidence", "file", cases.clean_text(text))
        except cases.CaseError as refused:
            raise WitnessError(str(refused)) from refused
        cases.log(actor, actor.case, "witnessed_added")
        _log(reader.member.organization_id, reader.member.pseudonym, "witnessed.added", account)
    return actor.case


# ---- her side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    id: UUID
    asked_at: object


def questions_for(member: Member) -> list[Question]:
    """Questions waiting for her answer: only that an account exists, never its text."""
    rows = WitnessAccount.objects.filter(
        record__organization=member.organization,
        survivor_tag=survivor_tag(member),
        asked_at__isnull=False,
        answer="",
    ).order_by("asked_at")
    return [Question(id=row.pk, asked_at=row.asked_at) for row in rows]


def question_for(member: Member, question_id: UUID) -> WitnessAccount:
    """A question asked of this member (answered or not); 404 for anyone else."""
    account = WitnessAccount.objects.filter(
        pk=question_id,
        record__organization=member.organization,
        survivor_tag=survivor_tag(member),
        asked_at__isnull=False,
    ).first()
    if account is None:
        raise Http404
    return account


def cases_of(member: Member) -> list[Case]:
    """Her own cases (as a complainant who has not withdrawn) she may choose from."""
    return list(
        Case.objects.filter(
            organization=member.organization,
            parties__tag=case_keys.member_tag(member),
            parties__role=Role.COMPLAINANT,
            parties__joined_at__isnull=False,
            parties__withdrawn_at__isnull=True,
            closed_at__isnull=True,
            destroyed_at__isnull=True,
        )
        .distinct()
        .order_by("opened_at")
    )


def witnessed_answer(member: Member, question_id: UUID, *, yes: bool, case_id: UUID | None) -> None:
    """Her answer. Yes with one of her cases: the advocates may add the account to it."""
    case: Case | None = None
    if yes and case_id is not None:
        case = next((case for case in cases_of(member) if case.pk == case_id), None)
        if case is None:
            raise WitnessError(_("Choose one of your open cases."))
    with transaction.atomic():
        account = (
            WitnessAccount.objects.select_for_update()
            .filter(
                pk=question_id,
                record__organization=member.organization,
                survivor_tag=survivor_tag(member),
                asked_at__isnull=False,
            )
            .first()
        )
        if account is None:
            raise Http404
        if account.answer:
            raise WitnessError(_("You have already answered."))
        account.answer = WitnessAnswer.YES if yes else WitnessAnswer.NO
        account.answered_at = timezone.now()
        if case is not None:
            account.case_sealed = keys.seal_for_server(str(case.pk), CASE_PURPOSE, account.pk)
        account.save(update_fields=["answer", "answered_at", "case_sealed"])
        # Ledgered as the owner's steps are: her pseudonym beside this account would say
        # whom it is about to everyone who reads the ledger.
        _log(member.organization_id, OWNER_ACTOR, "witnessed.answered", account, answer=account.answer)
