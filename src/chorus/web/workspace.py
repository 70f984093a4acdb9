"""What waits for each person, for their home page.

Every list here is a subset of what the same person already reaches on another page,
through the same rules: the advocates' inbox (``records.access.grants_visible_to``, the
organization's conversations), the team's cases (``cases.services.core.cases_query``),
the match list, the power and members pages (``proposals_visible_to``,
``membership_changes_visible_to``), a survivor's own records and escrow invitations
(found by the tags of their open vault), and the cases a member is a party in. Nothing
is decrypted: only what already shows on those pages' lists (kinds, times, stages).

The number of queries does not grow with the number of shares, messages, matches or
overdue steps (each is one query); it grows by a few per case a person is a party in
(what the case waits on) and per pending approval (who may decide it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max, Q, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member
from chorus.accounts.services.lifecycle import membership_changes_visible_to
from chorus.accounts.services.power import approval_refusal, proposals_visible_to
from chorus.cases import keys as case_keys
from chorus.cases.machine import APPOINTED, ENDED, STATE_LABELS, Role
from chorus.cases.models import Case, Party
from chorus.cases.services import stages
from chorus.cases.services.stages import Deadline
from chorus.cases.services.story import WAITING_LABELS, waiting_on
from chorus.escrow.models import GroupMember, Match
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for
from chorus.records import keys
from chorus.records.access import ally_requests_to, grants_visible_to
from chorus.records.models import Conversation

StrOrPromise = str | Promise
# The roles a member is given a case to work on in; the others are their own cases.
ASSIGNED = (Role.FACILITATOR, Role.INVESTIGATOR, Role.PANEL, Role.APPEAL_PANEL)


@dataclass(frozen=True)
class Waiting:
    """One thing waiting for someone: what, since when, and where to deal with it."""

    what: StrOrPromise
    since: datetime
    url: str
    overdue: bool = False


@dataclass
class CaseRow:
    case: Case
    roles: list[StrOrPromise]
    stage: StrOrPromise
    waiting_for: StrOrPromise = ""
    needs_you: bool = False
    deadline: Deadline | None = None
    url: str = ""


@dataclass
class Workspace:
    queue: list[Waiting] = field(default_factory=list)  # oldest first
    my_cases: list[CaseRow] = field(default_factory=list)
    assignments: list[CaseRow] = field(default_factory=list)
    invitations: list[Waiting] = field(default_factory=list)
    replies: list[Waiting] = field(default_factory=list)
    vault_open: bool = False


def _case_url(case: Case) -> str:
    return reverse("case_detail", args=[case.pk])


def _live(cases: Q) -> Q:
    return cases & Q(destroyed_at__isnull=True) & ~Q(state__in=ENDED)


# ---- deadlines, for many cases at once --------------------------------------------


def deadlines_for(cases: list[Case], now: datetime) -> dict[object, list[Deadline]]:
    """``stages.deadlines`` for a list of cases, in four queries whatever their number: their
    stays, measures and milestones, and the organization's targets. The cases keep those rows
    loaded, for what they wait on (``waiting_on``)."""
    live = [case for case in cases if case.state not in ENDED and case.destroyed_at is None]
    prefetch_related_objects(live, "periods", "measures", "milestones")
    targets: dict[object, dict[tuple[str, str], int | None]] = {}
    found: dict[object, list[Deadline]] = {}
    for case in live:
        if case.organization_id not in targets:
            targets[case.organization_id] = stages.targets_for(case.organization)
        found[case.pk] = stages.deadlines(case, targets=targets[case.organization_id], now=now)
    return found


# ---- advocates ---------------------------------------------------------------------


def _new_shares(member: Member, now: datetime) -> list[Waiting]:
    grants = [
        grant
        for grant in grants_visible_to(member)
        .filter(revoked_at__isnull=True)
        .only("pk", "grantee_id", "purpose", "created_at", "expires_at", "revoked_at", "record_id")
        if grant.is_active()
    ]
    if not grants:
        return []
    read = {
        str(grant_id)
        for grant_id in LedgerEvent.objects.filter(
            chain=chain_for(member.organization_id),
            action="record.read",
            refs__grant__in=[str(grant.pk) for grant in grants],
        ).values_list("refs__grant", flat=True)
    }
    return [
        Waiting(
            (
                _("Shared with you, not yet read: %(purpose)s")
                if grant.grantee_id
                else _("Shared with the team, not yet read: %(purpose)s")
            )
            % {"purpose": grant.get_purpose_display()},
            grant.created_at,
            reverse("shared_record", args=[grant.pk]),
        )
        for grant in grants
        if str(grant.pk) not in read
    ]


def _unread_messages(member: Member) -> list[Waiting]:
    conversations = (
        Conversation.objects.filter(record__organization=member.organization, unread_by_team=True)
        .annotate(last_from_survivor=Max("messages__sent_at", filter=Q(messages__from_team=False)))
        .only("pk", "record_id", "created_at")
    )
    return [
        Waiting(
            _("An unread message from a survivor"),
            conversation.last_from_survivor or conversation.created_at,
            reverse("team_conversation", args=[conversation.record_id]),
        )
        for conversation in conversations
    ]


def _team_cases(member: Member) -> Q:
    return Q(organization=member.organization) & ~Q(keys_for_team=b"")


def _new_cases(member: Member) -> list[Waiting]:
    cases = Case.objects.filter(_live(_team_cases(member)), state="intake", paused=False)
    return [
        Waiting(
            _("A new case waits for a pathway: %(reference)s") % {"reference": case.reference or _("no reference yet")},
            case.opened_at,
            _case_url(case),
        )
        for case in cases
    ]


def _matches(member: Member) -> list[Waiting]:
    return [
        Waiting(_("A match in escrow not yet opened"), match.created_at, reverse("match_detail", args=[match.pk]))
        for match in Match.objects.filter(organization=member.organization, opened_at__isnull=True)
    ]


def _overdue(member: Member, now: datetime) -> list[Waiting]:
    cases = list(Case.objects.filter(_live(_team_cases(member)), paused=False))
    waiting = []
    dates = deadlines_for(cases, now)
    for case in cases:
        for deadline in dates.get(case.pk, []):
            if deadline.overdue:
                waiting.append(
                    Waiting(
                        _("Overdue in %(reference)s: %(what)s")
                        % {"reference": case.reference or _("a case"), "what": deadline.what},
                        deadline.due_at,
                        _case_url(case),
                        overdue=True,
                    )
                )
    return waiting


def _approvals(member: Member) -> list[Waiting]:
    waiting = [
        Waiting(
            _("A role waits for your approval: %(role)s for %(name)s")
            % {"role": proposal.get_role_display(), "name": proposal.member.display_name},
            proposal.proposed_at,
            reverse("power"),
        )
        for proposal in proposals_visible_to(member).exclude(proposed_by=member)
        if approval_refusal(proposal, member) is None
    ]
    waiting += [
        Waiting(
            _("A membership change waits for a second person: %(kind)s %(name)s")
            % {"kind": change.get_kind_display(), "name": change.member.display_name},
            change.proposed_at,
            reverse("power"),  # where changes are approved or declined
        )
        for change in membership_changes_visible_to(member)
        if change.proposed_by_id != member.pk
    ]
    return waiting


# ---- everyone's own ------------------------------------------------------------------


def _parties(member: Member) -> list[Party]:
    """The member's seats in cases, as ``case_actor`` counts them: a seat given for a role
    ends with the role."""
    parties = Party.objects.filter(
        tag=case_keys.member_tag(member),
        joined_at__isnull=False,
        case__organization=member.organization,
        case__destroyed_at__isnull=True,
    ).select_related("case__organization")
    return [
        party
        for party in parties
        if party.recused_at is None and (party.role not in APPOINTED or member.has_role(APPOINTED[Role(party.role)]))
    ]


def _case_rows(member: Member, parties: list[Party], now: datetime) -> list[CaseRow]:
    by_case: dict[object, list[Party]] = defaultdict(list)
    for party in parties:
        by_case[party.case_id].append(party)
    cases = [seats[0].case for seats in by_case.values()]
    dates = deadlines_for(cases, now)
    rows = []
    for case in sorted(cases, key=lambda case: case.opened_at):
        seats = by_case[case.pk]
        waits = waiting_on(case)
        mine = {party.role for party in seats if party.withdrawn_at is None}
        rows.append(
            CaseRow(
                case=case,
                roles=[party.get_role_display() for party in seats],
                stage=STATE_LABELS.get(case.state, case.state),
                waiting_for=_(" and ").join(
                    dict.fromkeys(
                        str(_("you") if role in mine else WAITING_LABELS[role])
                        for role in waits
                        if role in WAITING_LABELS
                    )
                ),
                needs_you=bool(mine & set(waits)),
                deadline=stages.most_pressing(dates.get(case.pk, [])),
                url=_case_url(case),
            )
        )
    return rows


def _owner_tags(member: Member, vault_key: bytes) -> tuple[bytes, bytes]:
    from chorus.escrow.services.entries import ESCROW_PERSON

    return (
        keys.owner_tag(vault_key, member.organization_id),
        keys.owner_tag(vault_key, member.organization_id, person=ESCROW_PERSON),
    )


def _invitations(escrow_tag: bytes) -> list[Waiting]:
    invited = GroupMember.objects.filter(
        owner_tag=escrow_tag, joined_at__isnull=True, declined_at__isnull=True, group__outcome=""
    )
    return [
        Waiting(
            _("You are invited to meet others who named the same person"),
            invitation.invited_at,
            reverse("escrow_group", args=[invitation.group_id]),
        )
        for invitation in invited
    ]


def _replies(member: Member, record_tag: bytes) -> list[Waiting]:
    conversations = (
        Conversation.objects.filter(
            record__organization=member.organization, record__owner_tag=record_tag, unread_by_owner=True
        )
        .annotate(last_reply=Max("messages__sent_at", filter=Q(messages__from_team=True)))
        .only("pk", "record_id", "created_at")
    )
    return [
        Waiting(
            _("An advocate replied to you"),
            conversation.last_reply or conversation.created_at,
            reverse("record_messages", args=[conversation.record_id]),
        )
        for conversation in conversations
    ]


def _asked_to_step_in(member: Member) -> list[Waiting]:
    return [
        Waiting(_("Someone who trusts you asks you to step in"), asked.asked_at, reverse("ally_detail", args=[asked.pk]))
        for asked in ally_requests_to(member).filter(state="asked").select_related(None).only("pk", "asked_at")
    ]


def workspace_for(member: Member, vault_key: bytes | None) -> Workspace:
    now = timezone.now()
    space = Workspace(vault_open=vault_key is not None)
    if member.has_role("advocate"):
        space.queue += _new_shares(member, now)
        space.queue += _unread_messages(member)
        space.queue += _new_cases(member)
        space.queue += _matches(member)
        space.queue += _overdue(member, now)
    space.queue += _asked_to_step_in(member)
    if member.role_codes:  # a member with no role approves nothing: spare them the look-ups
        space.queue += _approvals(member)
    space.queue.sort(key=lambda waiting: waiting.since)
    parties = _parties(member)
    rows = _case_rows(member, parties, now)
    assigned = {party.case_id for party in parties if party.role in ASSIGNED}
    space.assignments = [row for row in rows if row.case.pk in assigned]
    space.my_cases = [row for row in rows if row.case.pk not in assigned]
    if vault_key is not None:
        record_tag, escrow_tag = _owner_tags(member, vault_key)
        space.invitations = _invitations(escrow_tag)
        space.replies = _replies(member, record_tag)
    return space
