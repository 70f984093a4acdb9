"""A member deletes their own account.

What is destroyed, with the services each app already uses for it, so nothing is destroyed
differently here than by hand:

* their records, with every version, draft, file, grant and the conversation with the
  advocates inside each record (``records.services.writing.record_destroy``);
* their escrow entries: withdrawn (``escrow.services.entries.entry_withdraw``), then their
  own copy (what they named, as written) is deleted; where a match already released a
  share to the advocates, that share stays with the advocates, as on any withdrawal;
* the messages they wrote in a matched group and the notices sent to them;
* their stories, and the commission's copy of any that was shown
  (``insights.services.stories.story_delete``);
* their keys (key pair, both wrappings of the vault key, second factor, backup codes,
  team-key holdings, password resets), their roles, and the invitations they sent that
  nobody has accepted yet.

What stays, because it is not theirs alone:

* the ledger's events, which name them only by their pseudonym (the ledger is append-only,
  and it is how everyone can verify what the process did);
* cases they took part in: decisions, votes, statements and measures belong to the process
  and its other parties, and follow the case's own retention. Where they acted for the
  process (facilitator, investigator, panel, carrying out a measure) the case keeps the name
  it showed them under, so its parties keep knowing who handled it;
* messages they wrote as an advocate inside someone else's record, which belong to that
  survivor's record;
* the member row itself, reduced to the pseudonym: no name, no address, no password, so
  the ledger's pseudonym still points at "a deleted member" and nothing else.

Refused while they alone hold a team's key (``team_key_refusal``): it would go with their
key pair, and what survivors shared with the team with it, for good.

The password (and the second factor, if they have one) is asked again, and opens the vault
key the destruction needs: records are found only through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.accounts import keyring
from chorus.accounts.errors import AccountError
from chorus.accounts.models import (
    BackupCode,
    Invitation,
    Member,
    MemberKeys,
    MembershipChange,
    PasswordReset,
    TwoFactor,
)
from chorus.accounts.roles import POWER_ROLES, ROLE_LABELS
from chorus.accounts.services.leaving import (
    invitations_withdraw,
    proposals_close,
    roles_take_all,
    sessions_end,
    team_keys_held_alone,
)
from chorus.accounts.services.signin import _check_not_locked, _count_failure
from chorus.accounts.services.two_factor import two_factor_check
from chorus.cases.keys import member_tag
from chorus.cases.models import Party
from chorus.escrow.models import Entry, GroupMember, GroupMessage, Notice, Share
from chorus.escrow.services.entries import entry_withdraw, escrow_tag
from chorus.insights.models import Story
from chorus.insights.services.stories import story_delete
from chorus.ledger.services import ledger_append
from chorus.notices.models import NoticePreference
from chorus.notices.services import pending_forget
from chorus.records.access import Owner
from chorus.records.models import Attachment, Record, RecordDraft, TeamKeyHolder
from chorus.records.services.writing import record_destroy

# What an empty role means, for the one person who holds it.
_SOLE_MEANING: dict[str, Promise] = {
    "admin": gettext_lazy(
        "Nobody will be able to invite people, manage roles or suspend anyone until the deployment's operator "
        "seats a new administrator."
    ),
    "oversight": gettext_lazy(
        "Nobody will verify the ledger, receive process reports or approve what only the oversight body approves "
        "until the deployment's operator seats a new oversight member."
    ),
    "advocate": gettext_lazy(
        "You are the only one holding the advocate team's key. Once your keys are destroyed, nobody can read what "
        "survivors shared with the advocate team or what a match released, not even a new advocate. Ask for a "
        "second advocate to be approved and to open the advocates' page before you leave."
    ),
    "commission": gettext_lazy(
        "You are the only one holding the commission's key. Once your keys are destroyed, nobody can read the "
        "excerpts survivors showed the commission. Ask for a second commission member to be approved first."
    ),
}
_SOLE_OTHER = gettext_lazy(
    "Nobody will hold this role until an administrator proposes someone and a second person approves them."
)


class DeletionRefused(AccountError):
    """The password or code was wrong, or the account cannot be deleted now; the message says why."""


@dataclass(frozen=True)
class SoleRole:
    role: str
    label: str
    meaning: str


@dataclass(frozen=True)
class DeletionPreview:
    """What deleting the account destroys (counted) and what stays."""

    records: int = 0
    drafts: int = 0
    attachments: int = 0
    entries: int = 0
    stories: int = 0
    group_messages: int = 0
    cases: int = 0
    sole_roles: list[SoleRole] = field(default_factory=list)
    two_factor: bool = False
    refusal: str = ""  # why the account cannot be deleted now (``team_key_refusal``), or ""


@dataclass(frozen=True)
class DeletionDone:
    records: int
    entries: int
    stories: int


def _owned(owner: Owner) -> tuple[list[Record], list[Entry], list[Story]]:
    records = list(Record.objects.filter(organization=owner.organization, owner_tag=owner.tag))
    entries = list(Entry.objects.filter(organization=owner.organization, owner_tag=escrow_tag(owner)))
    stories = list(Story.objects.filter(organization=owner.organization, owner_tag=owner.tag))
    return records, entries, stories


def _group_messages(owner: Owner) -> QuerySet[GroupMessage]:
    mine = GroupMember.objects.filter(owner_tag=escrow_tag(owner), group__match__organization=owner.organization)
    return GroupMessage.objects.filter(author__in=mine)


def sole_roles(member: Member) -> list[SoleRole]:
    """The power roles ``member`` is the only active holder of."""
    sole = []
    for role in POWER_ROLES:
        if role in member.role_codes and set(Member.objects.holding(member.organization_id, role)) <= {member}:
            sole.append(
                SoleRole(role=role, label=str(ROLE_LABELS[role]), meaning=str(_SOLE_MEANING.get(role, _SOLE_OTHER)))
            )
    return sole


def team_key_refusal(member: Member, *, lock: bool = False) -> str | None:
    """Why ``member`` may not delete their account now: they alone hold a team's key, and
    it would go with their key pair (whether or not they still hold the team's role)."""
    alone = team_keys_held_alone(member, lock=lock)
    if not alone:
        return None
    return _(
        "You are the only one holding the team key of: %(roles)s. Without it, nobody could read what was shared with "
        "the team, not even a newcomer. Have a second holder approved first, and ask them to open the team's "
        "page so the key passes on to them. Nothing was deleted."
    ) % {"roles": ", ".join(str(ROLE_LABELS[role]) for role in alone)}


def deletion_preview(owner: Owner) -> DeletionPreview:
    member = owner.member
    assert member is not None  # noqa: S101 - only members have accounts
    records, entries, stories = _owned(owner)
    return DeletionPreview(
        records=len(records),
        drafts=RecordDraft.objects.filter(record__in=records).count(),
        attachments=Attachment.objects.filter(record__in=records).count(),
        entries=len(entries),
        stories=len(stories),
        group_messages=_group_messages(owner).count(),
        cases=Party.objects.filter(tag=member_tag(member)).values("case").distinct().count(),
        sole_roles=sole_roles(member),
        two_factor=member.has_two_factor,
        refusal=team_key_refusal(member) or "",
    )


def deletion_confirm(*, member: Member, password: str, code: str, ip: str) -> Owner:
    """The vault (as an ``Owner``) when ``password`` and, for someone with a second factor,
    ``code`` are right. Failures count toward the sign-in lockout, so this page is no way
    to guess a password."""
    _check_not_locked(member.email, ip)
    wrapping = keyring.password_wrapping_key(member, password)
    if wrapping is None:
        _count_failure(member, member.email, ip, "password")
        raise DeletionRefused(_("That is not your password. Nothing was deleted."))
    if member.has_two_factor and not two_factor_check(member=member, code=code):
        _count_failure(member, member.email, ip, "second_factor")
        raise DeletionRefused(
            _("That code did not work. Use the one your app shows now, or a backup code. Nothing was deleted.")
        )
    vault_key = keyring.vault_from_password_key(member, wrapping)
    return Owner(organization=member.organization, vault_key=vault_key, member=member)


def account_delete(*, owner: Owner) -> DeletionDone:
    """Destroys what the member owns and reduces their row to the pseudonym (see the
    module's docstring). All or nothing: files are removed once the transaction commits."""
    member = owner.member
    if member is None:
        raise DeletionRefused(_("Only a member's account can be deleted here."))
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.deleted_at is not None:
            raise DeletionRefused(_("This account has already been deleted."))
        refusal = team_key_refusal(member, lock=True)
        if refusal is not None:
            raise DeletionRefused(refusal)
        records, entries, stories = _owned(owner)
        for record in records:
            record_destroy(owner, record)
        for entry in entries:
            entry_withdraw(owner, entry)
            mine = Entry.objects.filter(pk=entry.pk)
            if Share.objects.filter(entry_id=entry.pk).exists():
                mine.update(for_owner=b"")  # released shares stay with the advocates
            else:
                mine.delete()
        for story in stories:
            story_delete(owner, story.pk)
        _group_messages(owner).delete()
        Notice.objects.filter(owner_tag=escrow_tag(owner), match__organization=owner.organization).delete()

        pseudonym = member.pseudonym
        roles_take_all(member, actor=pseudonym)
        invitations_withdraw(member, actor=pseudonym)
        proposals_close(member, actor=pseudonym)
        now = timezone.now()
        # A change proposed about them (say, a suspension) has nobody left to act on.
        MembershipChange.objects.filter(member=member, outcome="").update(outcome="withdrawn", decided_at=now)
        # Their holdings of the team keys go with their key pair: sealed to a key nobody
        # holds any more, so there is nothing left to rotate away from.
        for model in (MemberKeys, TwoFactor, BackupCode, PasswordReset, TeamKeyHolder):
            model.objects.filter(member=member).delete()
        pending_forget(member)  # the notices waiting for them, and their choice of notices
        NoticePreference.objects.filter(member=member).delete()
        placeholder = f"{pseudonym}@deleted.invalid"
        # The invitation they accepted named their address; it now names the placeholder.
        Invitation.objects.filter(accepted_member=member).update(email=placeholder)
        member.email = placeholder
        member.display_name = _deleted_name(pseudonym)
        member.language = ""
        member.is_active = False
        member.deleted_at = now
        member.set_unusable_password()
        member.save()
        ledger_append(
            organization_id=member.organization_id,
            actor=pseudonym,
            action="member.account_deleted",
            refs={"member": pseudonym, "records": len(records), "entries": len(entries), "stories": len(stories)},
        )
        sessions_end(member.pk)
    return DeletionDone(records=len(records), entries=len(entries), stories=len(stories))


def _deleted_name(pseudonym: str) -> str:
    """Shown where the member once acted (e.g. an advocate's reply in a survivor's record):
    unique, naming nobody. Not translated: it is stored."""
    return f"Deleted member {pseudonym.removeprefix('m_')}"
