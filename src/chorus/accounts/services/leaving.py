"""What stops when someone leaves (suspended, removed, offboarded, or deleting their own
account), shared by ``lifecycle``, ``offboarding`` and ``deletion``: their sessions, the
invitations they sent, their roles and the team keys they held. And the days a removed
member may still sign in to take their own records away.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.sessions.models import Session
from django.db.models import Q
from django.utils import timezone

from chorus.accounts.models import Invitation, Member, MemberRole, MembershipChange, Organization, RoleProposal
from chorus.ledger.services import ledger_append

# A removed member's records stay theirs, sealed under their vault key, which only they
# hold: for this many days they may sign in to a page that reaches only their records (to
# export or destroy them) and the deletion of their account (docs/members.md).
REMOVAL_EXPORT_DAYS = 30


def export_until(member: Member) -> datetime | None:
    """Until when a removed member may still sign in to take their records away (and
    delete them, or their account): ``REMOVAL_EXPORT_DAYS`` after the removal. None for
    anyone else, and once it has passed."""
    if member.removed_at is None or member.deleted_at is not None or member.is_active:
        return None
    until: datetime = member.removed_at + timedelta(days=REMOVAL_EXPORT_DAYS)
    return until if until > timezone.now() else None


def sessions_end(member_id: object) -> int:
    """Deletes the member's session rows (with the sealed vault keys in them). The backend
    already refuses an inactive member at their next request; this also ends a session
    nobody returns to. Sessions are looked up by decoding the live ones: few, since they
    end after CHORUS_SESSION_IDLE_MINUTES."""
    wanted = str(member_id)
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id", "")) == wanted
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def invitations_withdraw(member: Member, *, actor: str) -> int:
    """The invitations ``member`` sent that nobody has accepted yet stop working: someone
    who is suspended or removed no longer brings people in."""
    now = timezone.now()
    pending = list(
        Invitation.objects.filter(
            invited_by=member, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).values_list("pk", flat=True)
    )
    Invitation.objects.filter(pk__in=pending).update(revoked_at=now)
    for invitation_id in pending:
        ledger_append(
            organization_id=member.organization_id,
            actor=actor,
            action="invitation.revoked",
            refs={"invitation": str(invitation_id), "because": "inviter_left"},
        )
    return len(pending)


def roles_take_all(member: Member, *, actor: Member | str) -> list[str]:
    """Every role row goes at once (the last administrator and only oversight member were
    refused before), ledgered as a removal, so their power stops counting for the proposal
    period too (``power_held``)."""
    removed = sorted(MemberRole.objects.filter(member=member).values_list("role", flat=True))
    if removed:
        MemberRole.objects.filter(member=member).delete()
        ledger_append(
            organization_id=member.organization_id,
            actor=actor if isinstance(actor, str) else actor.pseudonym,
            action="role.removed",
            refs={"member": member.pseudonym, "roles": removed},
        )
    member.refresh_roles()
    return removed


def team_keys_rotate(organization: Organization, *, actor: str) -> None:
    """Retire each team key someone who no longer holds its role still holds, now rather
    than at the team's next visit (``records.services.team``)."""
    from chorus.records.services.team import ADVOCATE, COMMISSION, team_key_ensure

    for role in (ADVOCATE, COMMISSION):
        team_key_ensure(organization, role, actor=actor)


def team_keys_held_alone(member: Member, *, lock: bool = False) -> list[str]:
    """The teams (``advocate``, ``commission``) whose key ``member`` holds and no other
    current member of the team holds (``TeamKeyHolder``): with their key pair, or their
    role, it would go for good, and what was shared with the team could no longer be read,
    even by a newcomer. A retired key already sealed to its successor does not count: the
    successor's holders reach it. With ``lock`` (within a transaction), the holder rows are
    locked, so two people leaving at once cannot each count on the other."""
    from chorus.records.models import TeamKeyHolder
    from chorus.records.services.team import team_members

    held = list(TeamKeyHolder.objects.filter(member=member).select_related("team_key"))
    keys = [
        holding.team_key
        for holding in held
        if holding.team_key.retired_at is None or holding.team_key.private_key_for_successor is None
    ]
    if not keys:
        return []
    if lock:
        list(TeamKeyHolder.objects.select_for_update().filter(team_key__in=keys).values_list("pk", flat=True))
    alone = set()
    for key in keys:
        others = TeamKeyHolder.objects.filter(
            team_key=key, member__in=team_members(member.organization, key.role)
        ).exclude(member=member)
        if not others.exists():
            alone.add(key.role)
    return sorted(alone)


def proposals_close(member: Member, *, actor: str) -> int:
    """Pending role proposals for ``member`` or made by them, and the reinstatements they
    proposed, are withdrawn: nobody gains power, or acts on a proposal, through someone who
    has left. The suspensions and removals they proposed of others stay, for a second
    person to decide: they take power away, and the person they are about must not escape
    them by making their proposer leave (offboarding them, say)."""
    now = timezone.now()
    closed = 0
    for proposal in RoleProposal.objects.pending().filter(Q(member=member) | Q(proposed_by=member)):
        RoleProposal.objects.filter(pk=proposal.pk, outcome="").update(outcome="withdrawn", decided_at=now)
        ledger_append(
            organization_id=member.organization_id,
            actor=actor,
            action="role.withdrawn",
            refs={"proposal": str(proposal.pk), "role": proposal.role, "because": "member_left"},
        )
        closed += 1
    changes = (
        MembershipChange.objects.pending().filter(proposed_by=member, kind="reinstate").select_related("member")
    )
    for change in changes:
        MembershipChange.objects.filter(pk=change.pk, outcome="").update(outcome="withdrawn", decided_at=now)
        ledger_append(
            organization_id=member.organization_id,
            actor=actor,
            action="member.change_declined",
            refs={
                "change": str(change.pk),
                "member": change.member.pseudonym,
                "kind": change.kind,
                "reason": change.reason,
                "outcome": "withdrawn",
            },
        )
        closed += 1
    return closed
