"""No one holds power alone: power roles are proposed by one person and approved by another,
and a new member counts toward an escrow match only once a second person confirmed them.

Which role approves which is declared once in ``accounts/roles.py`` (``approved_by``). The
rules every function here keeps:

* an administrator proposes; a different person who holds an approving role approves;
  nobody approves a proposal they made or a role for themselves (also database constraints);
* where nobody in the organization holds an approving role yet (a new organization), an
  administrator other than the proposer approves, so the rule is still two people;
* an administrator never also holds a role that reads case content, decides or oversees;
* removing a role takes effect at once: one person may always reduce power, except the
  power of whoever proposed, or may decide, a proposal to suspend or remove the actor
  while it waits (``_refuse_own_accuser``), another administrator's role when that would leave the actor
  the only administrator (whom nobody suspends or removes), and the only active oversight
  member's role (``refuse_only_oversight``);
* every step is ledgered, and who holds power is shown to every member.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts.errors import AccountError, LastAdministrator
from chorus.accounts.models import Invitation, Member, MemberRole, MembershipChange, Organization, RoleProposal
from chorus.accounts.roles import (
    BY_CODE,
    CONFIRMS_MEMBERSHIP,
    POWER_ROLES,
    ROLE_CODES,
    ROLE_LABELS,
    approver_roles,
    separation_conflict,
)
from chorus.ledger.models import LedgerEvent, LedgerHead
from chorus.ledger.services import chain_for, ledger_append


class PowerRefused(AccountError):
    """A proposal, approval or confirmation Chorus refuses; the message says why."""


@dataclass
class RolesChange:
    """What one save of a member's roles did: removed and plain roles at once, power roles proposed."""

    removed: list[str] = field(default_factory=list)
    granted: list[str] = field(default_factory=list)
    proposed: list[str] = field(default_factory=list)


def _label(role: str) -> str:
    return str(ROLE_LABELS[role])


def _held(member: Member) -> set[str]:
    return set(MemberRole.objects.filter(member=member).values_list("role", flat=True))


def _refuse_combination(member: Member, role: str, held: set[str]) -> None:
    clash = separation_conflict(held, role)
    if clash is not None:
        raise PowerRefused(
            _(
                "%(name)s holds the %(held)s role, which cannot be combined with %(role)s: the process must be "
                "independent of the organization's leadership. Nothing was changed."
            )
            % {"name": member.display_name, "held": _label(clash), "role": _label(role)}
        )


def member_set_roles(*, member: Member, roles: set[str], actor: Member) -> RolesChange:
    """An administrator's save of a member's roles. Removals and roles without power take
    effect at once; each power role added becomes a proposal a second person approves."""
    unknown = roles - set(ROLE_CODES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    current = _held(member)
    change = RolesChange(removed=sorted(current - roles))
    adding = roles - current
    for role in sorted(adding):
        # Checked against what the member will hold, before anything is written.
        _refuse_combination(member, role, (current - set(change.removed)) | (adding - {role}))
    with transaction.atomic():
        if change.removed:
            roles_remove(member=member, roles=set(change.removed), actor=actor)
            actor.refresh_roles()  # an administrator who just removed their own admin role proposes nothing
        for role in sorted(adding):
            if BY_CODE[role].is_power:
                role_propose(member=member, role=role, proposer=actor)
                change.proposed.append(role)
            else:
                _grant(member=member, role=role, approval="direct", proposed_by=actor, approved_by=None)
                change.granted.append(role)
        if change.granted:
            ledger_append(
                organization_id=member.organization_id,
                actor=actor.pseudonym,
                action="role.granted",
                refs={"member": member.pseudonym, "roles": change.granted},
            )
    member.refresh_roles()
    return change


def _grant(
    *, member: Member, role: str, approval: str, proposed_by: Member | None, approved_by: Member | None
) -> MemberRole:
    return MemberRole.objects.create(
        member=member, role=role, approval=approval, proposed_by=proposed_by, approved_by=approved_by
    )


def roles_remove(*, member: Member, roles: set[str], actor: Member | str) -> None:
    """Takes effect at once (one person may always reduce power), but never removes the
    organization's last administrator, another administrator's role when that would leave
    ``actor`` the only one, nor (for anyone but themselves) the only active oversight
    member's role."""
    with transaction.atomic():
        if not isinstance(actor, str) and actor.pk != member.pk:
            _refuse_own_accuser(member=member, actor=actor)
        if "admin" in roles:
            # Locked, so two administrators removing each other at once cannot both succeed.
            admins = set(
                MemberRole.objects.select_for_update()
                .filter(member__organization_id=member.organization_id, member__is_active=True, role="admin")
                .values_list("member_id", flat=True)
            )
            if admins == {member.pk}:
                raise LastAdministrator(_("An organization needs at least one administrator. Nothing was changed."))
            if not isinstance(actor, str):
                refusal = sole_administrator_refusal(member, actor, admins)
                if refusal is not None:
                    raise PowerRefused(refusal)
        if "oversight" in roles and not isinstance(actor, str) and actor.pk != member.pk:
            # Otherwise one administrator, removing every oversight member's role at once,
            # would leave nobody who may propose suspending them.
            refuse_only_oversight(member)
        removed = sorted(MemberRole.objects.filter(member=member, role__in=roles).values_list("role", flat=True))
        if not removed:
            return
        MemberRole.objects.filter(member=member, role__in=removed).delete()
        ledger_append(
            organization_id=member.organization_id,
            actor=actor if isinstance(actor, str) else actor.pseudonym,
            action="role.removed",
            refs={"member": member.pseudonym, "roles": removed},
        )
    member.refresh_roles()


def refuse_only_oversight(member: Member) -> None:
    """Refused by suspension and removal (``lifecycle``), offboarding and another person's
    removal of the role (``roles_remove``). The oversight body verifies the ledger, reads
    process reports, approves what only it approves and may propose suspending an
    administrator: taking its only active member away leaves nobody to do that (and
    administrators never take it back, ``Organization.oversight_since``)."""
    if "oversight" in member.role_codes and only_active_holder(member, "oversight"):
        raise PowerRefused(only_oversight_refusal(member))


def only_active_holder(member: Member, role: str) -> bool:
    """Whether ``member`` is the only active member holding ``role``. The role's rows are
    locked first, so two people taking the role from each other at once cannot both see
    someone else still holding it."""
    holders = set(
        MemberRole.objects.select_for_update()
        .filter(member__organization_id=member.organization_id, member__is_active=True, role=role)
        .values_list("member_id", flat=True)
    )
    return member.pk in holders and not set(Member.objects.holding(member.organization_id, role)) - {member}


def only_oversight_refusal(member: Member) -> str:
    """Why the only active oversight member is not suspended, removed or offboarded."""
    return _(
        "%(name)s is the organization's only active oversight member. Without one, nobody verifies the "
        "ledger or approves what only the oversight body approves. Have a second oversight member approved "
        "first, or ask the deployment's operator to seat one (chorus organization seat). Nothing was changed."
    ) % {"name": member.display_name}


def sole_administrator_refusal(member: Member, actor: Member, admins: set[UUID] | None = None) -> str | None:
    """Why ``actor`` may not take ``member``'s administrator role alone: it would leave the
    actor the only active administrator, whom nobody suspends or removes, so beyond anyone's
    check. ``admins``: the active administrators' ids, when the caller has them locked."""
    if actor.pk == member.pk:
        return None
    if admins is None:
        admins = set(
            MemberRole.objects.filter(
                member__organization_id=member.organization_id, member__is_active=True, role="admin"
            ).values_list("member_id", flat=True)
        )
    if member.pk not in admins or admins - {member.pk} != {actor.pk}:
        return None
    return _(
        "Removing the administrator role from %(name)s would leave you the only administrator, whom nobody can "
        "suspend or remove. They can give up the role themselves, or you can propose their suspension or removal, "
        "which a second person confirms. Nothing was changed."
    ) % {"name": member.display_name}


def _refuse_own_accuser(*, member: Member, actor: Member) -> None:
    """While a proposal to suspend or remove ``actor`` waits for a second person, they do not
    take the roles of whoever proposed it or of anyone who may decide it: otherwise they
    would remove their accuser or their judge and let the proposal lapse. Anyone else's roles
    they may still take at once (one person may always reduce power, and a proposal left
    waiting must not freeze that)."""
    from chorus.accounts.services.lifecycle import may_decide  # lifecycle imports this module

    pending = MembershipChange.objects.pending().filter(member=actor, kind__in=["suspend", "remove"])
    if any(change.proposed_by_id == member.pk or may_decide(change, member) for change in pending):
        raise PowerRefused(
            _(
                "A change to your own membership is waiting for a second person, and %(name)s proposed it or may "
                "decide it, so you cannot take their roles until it is decided. Another administrator must change "
                "%(name)s's roles. Nothing was changed."
            )
            % {"name": member.display_name}
        )


def role_propose(*, member: Member, role: str, proposer: Member) -> RoleProposal:
    if role not in POWER_ROLES:
        raise ValueError(f"not a power role: {role!r}")
    if not proposer.has_role("admin") or proposer.organization_id != member.organization_id:
        raise PowerRefused(_("Only an administrator of this organization proposes roles."))
    if not member.is_active:
        raise PowerRefused(_("%(name)s's account is not active.") % {"name": member.display_name})
    with transaction.atomic():
        held = _held(member)
        if role in held:
            raise PowerRefused(
                _("%(name)s already holds the %(role)s role.") % {"name": member.display_name, "role": _label(role)}
            )
        _refuse_combination(member, role, held)
        now = timezone.now()
        RoleProposal.objects.filter(member=member, role=role, outcome="", expires_at__lte=now).update(outcome="expired")
        existing = RoleProposal.objects.filter(member=member, role=role, outcome="").first()
        if existing is not None:
            return existing
        proposal = RoleProposal.objects.create(
            organization_id=member.organization_id,
            member=member,
            role=role,
            proposed_by=proposer,
            expires_at=now + timedelta(hours=settings.CHORUS_ROLE_PROPOSAL_TTL_HOURS),
        )
        ledger_append(
            organization_id=member.organization_id,
            actor=proposer.pseudonym,
            action="role.proposed",
            refs={"proposal": str(proposal.pk), "member": member.pseudonym, "role": role},
        )
    return proposal


def roles_present(organization: Organization) -> set[str]:
    """The roles someone active in the organization holds (one query; see ``approving_roles``)."""
    return set(
        MemberRole.objects.filter(member__organization=organization, member__is_active=True)
        .values_list("role", flat=True)
        .distinct()
    )


def approving_roles(organization: Organization, role: str, present: set[str] | None = None) -> set[str]:
    """The roles whose holders approve ``role`` here: its declared approvers, or, only while
    the organization has never had an oversight member (a new organization), its
    administrators. Once someone held oversight, removing the last oversight member does
    not hand its approvals back to administrators: such roles then wait until the
    deployment's operator seats a new oversight member (``chorus organization seat``, in
    ``accounts/services/operator.py``)."""
    declared = set(approver_roles(role))
    if declared & (roles_present(organization) if present is None else present):
        return declared
    if organization.oversight_since is None and not _had_oversight(organization):
        return {"admin"}
    return declared


def _had_oversight(organization: Organization) -> bool:
    """Read afresh: an Organization loaded before its first oversight member must not let
    administrators approve in oversight's place."""
    return Organization.objects.filter(pk=organization.pk, oversight_since__isnull=False).exists()


def approval_refusal(proposal: RoleProposal, approver: Member) -> str | None:
    """Why ``approver`` may not approve ``proposal`` now, or None."""
    if approver.organization_id != proposal.organization_id:
        return _("That proposal is not part of your organization.")
    if proposal.outcome or proposal.expired:
        return (
            _("This proposal has expired. An administrator can propose the role again.")
            if proposal.expired
            else _("This proposal is no longer waiting for a decision.")
        )
    if approver.pk in (proposal.member_id, proposal.proposed_by_id):
        return (
            _("Nobody approves a role for themselves. Another person must approve it.")
            if approver.pk == proposal.member_id
            else _("You proposed this role, so a different person must approve it.")
        )
    if not proposal.member.membership_confirmed:
        # Otherwise one approval of an account its inviter controls, as an administrator,
        # would let that account confirm the inviter's other accounts.
        return _("%(name)s's membership has not been confirmed by a second person yet. Confirm it first.") % {
            "name": proposal.member.display_name
        }
    needed = approving_roles(approver.organization, proposal.role)
    if not approver.role_codes & needed:
        return _("Approving the %(role)s role needs someone who holds: %(roles)s.") % {
            "role": _label(proposal.role),
            "roles": ", ".join(_label(code) for code in sorted(needed)),
        }
    return None


def role_approve(*, proposal: RoleProposal, approver: Member) -> MemberRole:
    with transaction.atomic():
        proposal = RoleProposal.objects.select_for_update().select_related("member", "proposed_by").get(pk=proposal.pk)
        refusal = approval_refusal(proposal, approver)
        if refusal is not None:
            raise PowerRefused(refusal)
        # The member's row is locked so that two approvals for one person (say admin and
        # advocate) cannot both pass the separation check before either is written.
        member = Member.objects.select_for_update().get(pk=proposal.member_id)
        if not member.is_active:
            raise PowerRefused(_("%(name)s's account is not active.") % {"name": member.display_name})
        held = _held(member)
        _refuse_combination(member, proposal.role, held)
        RoleProposal.objects.filter(pk=proposal.pk).update(
            outcome="approved", decided_by=approver, decided_at=timezone.now()
        )
        granted = _grant(
            member=member,
            role=proposal.role,
            approval="second_person",
            proposed_by=proposal.proposed_by,
            approved_by=approver,
        )
        if proposal.role == "oversight":
            Organization.objects.filter(pk=proposal.organization_id, oversight_since__isnull=True).update(
                oversight_since=timezone.now()
            )
        ledger_append(
            organization_id=proposal.organization_id,
            actor=approver.pseudonym,
            action="role.approved",
            refs={
                "proposal": str(proposal.pk),
                "member": member.pseudonym,
                "role": proposal.role,
                "proposed_by": proposal.proposed_by.pseudonym,
            },
        )
    member.refresh_roles()
    return granted


def role_decline(*, proposal: RoleProposal, actor: Member) -> None:
    """An approver declines, or the proposer withdraws, a pending proposal."""
    with transaction.atomic():
        proposal = RoleProposal.objects.select_for_update().get(pk=proposal.pk)
        withdrawing = actor.pk == proposal.proposed_by_id
        if proposal.outcome or proposal.expired:
            raise PowerRefused(_("This proposal is no longer waiting for a decision."))
        if not withdrawing and approval_refusal(proposal, actor) is not None:
            raise PowerRefused(_("Only someone who may approve this role, or who proposed it, can decline it."))
        outcome = "withdrawn" if withdrawing else "declined"
        RoleProposal.objects.filter(pk=proposal.pk).update(outcome=outcome, decided_by=actor, decided_at=timezone.now())
        ledger_append(
            organization_id=proposal.organization_id,
            actor=actor.pseudonym,
            action=f"role.{outcome}",
            refs={"proposal": str(proposal.pk), "role": proposal.role},
        )


def proposals_visible_to(member: Member) -> QuerySet[RoleProposal]:
    """Pending proposals this member may decide on or made: approvers and administrators."""
    pending = RoleProposal.objects.pending().filter(organization_id=member.organization_id)
    if member.has_role("admin"):
        return pending.select_related("member", "proposed_by")
    present = roles_present(member.organization)
    decidable = [
        role for role in POWER_ROLES if member.role_codes & approving_roles(member.organization, role, present)
    ]
    return pending.filter(role__in=decidable).select_related("member", "proposed_by")


# What in the ledger shows that someone was given a power role, and that it was taken away.
_GIVEN = ("member.created", "member.roles_changed", "role.approved", "role.seated")
_TAKEN = ("member.roles_changed", "role.removed")


@dataclass
class _Fold:
    """The roles the ledger shows given and not taken back, per pseudonym, from a chain's
    events up to ``seq``."""

    seq: int
    roles: dict[str, set[str]]


# Per chain, in this process: folds of committed events only. Committed events are always a
# prefix of the chain (an append holds the head until it commits), so a fold up to ``seq``
# stays true and the next call reads only the events after it: the cost of the check does
# not grow with the ledger. A fold that read inside a transaction (which may still roll back
# what it saw) is used for that call and not kept.
_folds: dict[str, _Fold] = {}
_HEAD_SEQ = f'SELECT "seq" FROM "{LedgerHead._meta.db_table}" WHERE "chain" = %s'  # noqa: S608  (the model's table)


def ledger_backed(organization_id: object, members: Iterable[Member]) -> dict[object, set[str]]:
    """For each member, the power roles the ledger shows they were given and still hold.

    A role row written straight into the database (by whoever holds it, not through a
    proposal and approval) has no such event, so nothing is sealed to it and "Who holds
    power" flags it. At most two queries (the chain's head, then the role events after what
    this process already folded, if anything was appended since), however long the ledger."""
    by_pseudonym = {member.pseudonym: member.pk for member in members}
    if not by_pseudonym:
        return {}
    chain = chain_for(organization_id)
    with connection.cursor() as cursor:  # asked whenever something is sealed to a team: written once
        cursor.execute(_HEAD_SEQ, [chain])
        found = cursor.fetchone()
    head = found[0] if found else 0
    known = _folds.get(chain)
    if known is None or known.seq > head:  # a chain this process never read, or one started again
        known = _Fold(0, {})
    roles = {pseudonym: set(given) for pseudonym, given in known.roles.items()}
    if head > known.seq:  # nothing was appended since this process last read the chain: no query
        events = (
            LedgerEvent.objects.filter(chain=chain, seq__gt=known.seq, seq__lte=head, action__in=_GIVEN + _TAKEN)
            .order_by("seq")
            .values_list("action", "refs")
        )
        for action, refs in events:
            _fold(roles, action, refs)
    if not transaction.get_connection().in_atomic_block:
        _folds[chain] = _Fold(head, roles)
    power = set(POWER_ROLES)
    return {pk: roles.get(pseudonym, set()) & power for pseudonym, pk in by_pseudonym.items()}


def _fold(roles: dict[str, set[str]], action: str, refs: object) -> None:
    pseudonym = refs.get("member") if isinstance(refs, dict) else None
    if not isinstance(pseudonym, str):
        return
    held = roles.setdefault(pseudonym, set())
    assert isinstance(refs, dict)  # noqa: S101 (narrowing for the type checker)
    if action in ("role.approved", "role.seated"):
        held |= _role_names(refs.get("role"), single=True)
    elif action == "member.created":
        held |= _role_names(refs.get("roles"))
    elif action == "member.roles_changed":  # before two-person approval began
        held |= _role_names(refs.get("added"))
        held -= _role_names(refs.get("removed"))
    else:
        held -= _role_names(refs.get("roles"))


def _role_names(value: object, *, single: bool = False) -> set[str]:
    """Role codes named by an event's reference, whatever was written there: an event of
    an unexpected shape (written straight into the database) names none."""
    if single:
        return {value} if isinstance(value, str) else set()
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


@dataclass
class Holding:
    """One power role held, as "Who holds power" shows it."""

    row: MemberRole
    backed: bool  # the row's seal verifies and the ledger shows it was given (see ``ledger_backed``)
    clash: str  # a role held with it that separation of duties forbids (held from before), or ""

    @property
    def clash_label(self) -> str:
        return _label(self.clash) if self.clash else ""


def power_holders(organization: Organization) -> dict[str, list[Holding]]:
    """Every power role and who holds it, since when and approved by whom: shown to every
    member, with what does not add up flagged."""
    held: dict[str, list[Holding]] = {role: [] for role in POWER_ROLES}
    rows = list(
        MemberRole.objects.filter(member__organization=organization, member__is_active=True, role__in=POWER_ROLES)
        .select_related("member", "proposed_by", "approved_by")
        .order_by("role", "granted_at")
    )
    holders = {row.member_id: row.member for row in rows}
    backed = ledger_backed(organization.pk, holders.values())
    roles_of: dict[object, set[str]] = {}
    for row in rows:
        roles_of.setdefault(row.member_id, set()).add(row.role)
    for row in rows:
        clash = separation_conflict(roles_of[row.member_id] - {row.role}, row.role) or ""
        holding = Holding(row=row, backed=row.role in backed[row.member_id] and row.seal_valid, clash=clash)
        held[row.role].append(holding)
    return held


# Memberships ------------------------------------------------------------------------------


def inviter_of(member: Member) -> Member | None:
    invitation = Invitation.objects.filter(accepted_member=member).select_related("invited_by").first()
    return invitation.invited_by if invitation else None


def may_confirm_memberships(member: Member) -> bool:
    return bool(member.role_codes & CONFIRMS_MEMBERSHIP)


def memberships_unconfirmed(organization: Organization) -> QuerySet[Member]:
    return Member.objects.filter(organization=organization, is_active=True, confirmed_at__isnull=True).order_by(
        "created_at"
    )


def memberships_confirm(*, confirmer: Member, members: Iterable[Member]) -> list[Member]:
    """Confirm a list of new members as one act (a roster checked against the organization's
    own list). Refused whole if any of them is the confirmer or someone they invited."""
    if not may_confirm_memberships(confirmer):
        raise PowerRefused(_("Only an administrator or the oversight body confirms memberships."))
    chosen = list(members)
    if not chosen:
        raise PowerRefused(_("Choose at least one person to confirm."))
    invited = set(
        Invitation.objects.filter(accepted_member__in=chosen, invited_by=confirmer).values_list(
            "accepted_member_id", flat=True
        )
    )
    for person in chosen:
        if person.organization_id != confirmer.organization_id:
            raise PowerRefused(_("That person is not part of your organization."))
        if person.pk == confirmer.pk:
            raise PowerRefused(_("Nobody confirms their own membership. Nothing was confirmed."))
        if person.pk in invited:
            raise PowerRefused(
                _("You invited %(name)s, so a different person must confirm them. Nothing was confirmed.")
                % {"name": person.display_name}
            )
    with transaction.atomic():
        now = timezone.now()
        confirmed = list(
            Member.objects.select_for_update().filter(
                pk__in=[person.pk for person in chosen], confirmed_at__isnull=True
            )
        )
        Member.objects.filter(pk__in=[person.pk for person in confirmed]).update(
            confirmed_at=now, confirmed_by=confirmer, confirmation="second_person"
        )
        if confirmed:
            ledger_append(
                organization_id=confirmer.organization_id,
                actor=confirmer.pseudonym,
                action="membership.confirmed",
                refs={"members": sorted(person.pseudonym for person in confirmed)},
            )
    return confirmed
