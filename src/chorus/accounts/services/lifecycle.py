"""Suspending, reinstating and removing members.

An administrator suspends or reinstates someone, giving a reason from a short fixed list
and, optionally, a case reference (an identifier, never an account of what happened: a
database dump or the ledger shows only the reason code). The rules:

* every suspension and reinstatement waits for a second person, as a role proposal does
  (``accounts/services/power.py``): never the proposer nor the member. For someone who
  holds no power role, another administrator or the oversight body; for someone who holds
  (or held in the last ``CHORUS_ROLE_PROPOSAL_TTL_HOURS``, so removing the role first does
  not get around it) a power role, someone who, for every such role, holds a role that
  approves it. Otherwise one administrator could cut a survivor, a complainant or a
  respondent off from their own records and cases, undo a sanction, silence every other
  holder of power, or bring back one who was suspended for abusing it;
* nobody suspends themselves;
* a suspended member's account is inactive: the session backend no longer loads it, so
  their open sessions end at their next request (their session rows are deleted too),
  sign-in says the account is suspended, and their roles count for nothing
  (``Member.objects.holding``; the team keys rotate away from them). Their records stay;
  the invitations they sent that are not yet accepted are withdrawn;
* a removed (expelled) member is also inactive for good (until two people reinstate them,
  e.g. after an appeal), and loses every role at once, so the team keys rotate away from
  them. What they own (records, escrow entries, stories) is never destroyed by the
  organization: it stays sealed under their own vault key, which nobody else holds
  (docs/members.md says why), and for ``REMOVAL_EXPORT_DAYS`` they may still sign in to
  take their records away (``leaving.export_until``);
* an administrator does not suspend or remove the organization's last active
  administrator, and nobody its only active oversight member (that would leave nobody to
  verify the ledger or approve what only oversight approves): a second one is seated first;
* the oversight body may propose suspending, removing or reinstating an administrator,
  even the last one (a second person approves it, and the deployment's operator then seats
  a new administrator), so no administrator is beyond a check (``may_propose``);
* a change proposed from a case's measure (a decided sanction) names it, so the case shows
  that it was carried out, and by whom (``sanctions.sanction_carried_out``).
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts.models import (
    REINSTATEMENT_REASONS,
    REMOVAL_REASONS,
    SUSPENSION_REASONS,
    Member,
    MembershipChange,
)
from chorus.accounts.roles import POWER_ROLES, ROLE_LABELS
from chorus.accounts.services.leaving import (
    invitations_withdraw,
    proposals_close,
    roles_take_all,
    sessions_end,
    team_keys_rotate,
)
from chorus.accounts.services.power import (
    PowerRefused,
    approving_roles,
    only_active_holder,
    refuse_only_oversight,
    roles_present,
)
from chorus.accounts.services.sanctions import measure_tag
from chorus.cases.models import Measure
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for, ledger_append

REASONS = {
    "suspend": {code for code, _label in SUSPENSION_REASONS},
    "reinstate": {code for code, _label in REINSTATEMENT_REASONS},
    "remove": {code for code, _label in REMOVAL_REASONS},
}
_PROPOSED = {
    "suspend": "member.suspension_proposed",
    "reinstate": "member.reinstatement_proposed",
    "remove": "member.removal_proposed",
}
_DONE = {"suspend": "member.suspended", "reinstate": "member.reinstated", "remove": "member.removed"}
# The measures of a case a membership change may carry out.
_CARRIED_OUT_MEASURES = {"sanction", "interim"}
# An identifier such as "HR-2026-014": up to five letters, a year, a number. No words fit,
# so nothing about what happened, nor a name, can be written here.
CASE_REFERENCE = re.compile(r"[A-Za-z]{1,5}-[0-9]{4}-[0-9]{1,6}")
# The shape of Chorus's own references ("C-2026-0042", ``cases.services.stages``), however the
# number is written.
CHORUS_REFERENCE = re.compile(r"[Cc]-[0-9]{4}-[0-9]+")
# Who approves a change for someone without power (besides never the proposer or the member).
_APPROVERS_WITHOUT_POWER = {"admin", "oversight"}


def case_reference_refusal(value: str) -> str | None:
    if value and not CASE_REFERENCE.fullmatch(value):
        return _(
            "A case reference is an identifier such as HR-2026-014: up to five letters, the year and a number. "
            "Write nothing about what happened here."
        )
    return None


def power_held(member: Member) -> set[str]:
    """The power roles the member holds, and those removed from them in the last
    ``CHORUS_ROLE_PROPOSAL_TTL_HOURS`` (as the ledger shows)."""
    held = member.role_codes & set(POWER_ROLES)
    since = timezone.now() - timedelta(hours=settings.CHORUS_ROLE_PROPOSAL_TTL_HOURS)
    removed = LedgerEvent.objects.filter(
        chain=chain_for(member.organization_id),
        action="role.removed",
        refs__member=member.pseudonym,
        created_at__gte=since,
    ).values_list("refs", flat=True)
    for refs in removed:
        roles = refs.get("roles") if isinstance(refs, dict) else None
        if isinstance(roles, list):
            held |= {role for role in roles if isinstance(role, str)} & set(POWER_ROLES)
    return held


def member_suspend(
    *, member: Member, reason: str, case_reference: str = "", actor: Member, measure: Measure | None = None
) -> MembershipChange:
    """Proposes suspending ``member``: a second person approves it (``membership_change_approve``)."""
    return _change(
        member=member, kind="suspend", reason=reason, case_reference=case_reference, actor=actor, measure=measure
    )


def member_reinstate(*, member: Member, reason: str, case_reference: str = "", actor: Member) -> MembershipChange:
    """Proposes reinstating ``member``: a second person approves it."""
    return _change(member=member, kind="reinstate", reason=reason, case_reference=case_reference, actor=actor)


def member_remove(
    *, member: Member, reason: str, case_reference: str = "", actor: Member, measure: Measure | None = None
) -> MembershipChange:
    """Proposes removing (expelling) ``member``: a second person approves it, as a suspension."""
    return _change(
        member=member, kind="remove", reason=reason, case_reference=case_reference, actor=actor, measure=measure
    )


def _measure_refusal(measure: Measure, member: Member, kind: str) -> str | None:
    if measure.case.organization_id != member.organization_id:
        return _("That case is not part of your organization.")
    if kind == "reinstate" or measure.kind not in _CARRIED_OUT_MEASURES:
        return _("Only a sanction or an interim measure decided in a case is carried out here.")
    if measure.status not in ("agreed", "done"):
        return _("That measure has not been decided, so there is nothing to carry out yet.")
    from chorus.cases.keys import member_tag  # cases imports accounts; this way round only here

    if not measure.case.parties.filter(role="respondent", tag=member_tag(member)).exists():
        # Otherwise anyone's suspension could be shown on a case as the carrying out of its sanction.
        return _("That measure is not about this member: a case's sanction is carried out only on its respondent.")
    return None


def _change(
    *, member: Member, kind: str, reason: str, case_reference: str, actor: Member, measure: Measure | None = None
) -> MembershipChange:
    if reason not in REASONS[kind]:
        raise ValueError(f"unknown reason: {reason!r}")
    if measure is not None:
        measure_refusal = _measure_refusal(measure, member, kind)
        if measure_refusal is not None:
            raise PowerRefused(measure_refusal)
        # The case reference is not copied from the measure: with it, the row would name the case.
    case_reference = case_reference.strip()
    refusal = case_reference_refusal(case_reference)
    if refusal is not None:
        raise PowerRefused(refusal)
    if actor.organization_id != member.organization_id:
        raise PowerRefused(_("That person is not part of your organization."))
    if actor.pk != member.pk and not may_propose(actor, member):
        raise PowerRefused(
            _(
                "Only an administrator of this organization suspends, reinstates or removes its members; the "
                "oversight body may propose it for an administrator."
            )
        )
    if CHORUS_REFERENCE.fullmatch(case_reference):
        # Written beside the member, a case's reference would tell a database dump that they
        # were its respondent; the measure's keyed hash says it to the server alone. Every
        # reference of Chorus's shape is refused alike, whether or not such a case exists, so
        # the refusal tells nobody which cases there are.
        raise PowerRefused(
            _(
                "%(reference)s has the shape of a case reference in Chorus. Carry out a decision of a case in Chorus "
                "from the case's page, where the measure's owner proposes it: the case then shows it was done, and "
                "its reference is not written beside this member. Nothing was changed."
            )
            % {"reference": case_reference}
        )
    if actor.pk == member.pk:
        raise PowerRefused(_("Nobody suspends, reinstates or removes themselves. Another administrator must do it."))
    name = {"name": member.display_name}
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        _refuse_state(locked, kind)
        now = timezone.now()
        MembershipChange.objects.filter(member=member, outcome="", expires_at__lte=now).update(outcome="expired")
        if MembershipChange.objects.filter(member=member, outcome="").exists():
            raise PowerRefused(
                _(
                    "A change for %(name)s is already waiting for a second person on the “Who holds power” page. "
                    "Nothing was changed."
                )
                % name
            )
        if kind != "reinstate":
            _refuse_last_administrator(member, proposer=actor)
            refuse_only_oversight(member)
        change = MembershipChange.objects.create(
            organization_id=member.organization_id,
            member=member,
            kind=kind,
            reason=reason,
            case_reference=case_reference,
            measure_tag=measure_tag(measure.pk) if measure is not None else None,
            proposed_by=actor,
            proposed_at=now,
            expires_at=now + timedelta(hours=settings.CHORUS_ROLE_PROPOSAL_TTL_HOURS),
            outcome="",
            decided_at=None,
        )
        ledger_append(
            organization_id=member.organization_id,
            actor=actor.pseudonym,
            action=_PROPOSED[kind],
            refs=_refs(change),
        )
    return change


def _refs(change: MembershipChange) -> dict[str, object]:
    """Pseudonyms, the reason code and, when it carries out a case's measure, the keyed hash
    of its id (as the row keeps it): never the case reference, never a name."""
    refs: dict[str, object] = {"change": str(change.pk), "member": change.member.pseudonym, "reason": change.reason}
    if change.measure_tag is not None:
        refs["measure"] = bytes(change.measure_tag).hex()
    return refs


def _refuse_state(member: Member, kind: str) -> None:
    name = {"name": member.display_name}
    if member.deleted_at is not None:
        raise PowerRefused(_("%(name)s deleted their account. Nothing was changed.") % name)
    if kind == "remove" and member.removed_at is not None:
        raise PowerRefused(_("%(name)s has already been removed. Nothing was changed.") % name)
    if kind == "suspend" and not member.is_active:
        raise PowerRefused(_("%(name)s is already suspended. Nothing was changed.") % name)
    if kind == "reinstate" and member.is_active:
        raise PowerRefused(_("%(name)s is not suspended. Nothing was changed.") % name)


def may_propose(actor: Member, member: Member) -> bool:
    """Whether ``actor`` may propose suspending, removing or reinstating ``member``: an
    active administrator, for anyone; an active oversight member, for an administrator
    (one now, or in the last proposal period, so removing the role first does not get
    around it). Otherwise an administrator, above all the only one, would be beyond anyone's
    check: administrators alone propose these changes, and nobody suspends the last one."""
    if not actor.is_active or actor.organization_id != member.organization_id:
        return False
    if actor.has_role("admin"):
        return True
    return actor.has_role("oversight") and "admin" in power_held(member)


def _from_oversight(proposer: Member) -> bool:
    return proposer.has_role("oversight") and not proposer.has_role("admin")


def _refuse_last_administrator(member: Member, *, proposer: Member) -> None:
    """Locked, as in ``roles_remove``, so two administrators suspending each other at once
    cannot both succeed. The oversight body may propose suspending or removing even the last
    administrator (a second person still approves it); the deployment's operator then seats
    a new one (``chorus organization seat``)."""
    if _from_oversight(proposer):
        return
    if only_active_holder(member, "admin"):
        raise PowerRefused(
            _(
                "%(name)s is the organization's last active administrator, and an organization needs one. "
                "Nothing was changed."
            )
            % {"name": member.display_name}
        )


def _take_effect(change: MembershipChange, *, actor: Member) -> None:
    """Within the caller's transaction: the account is (in)active (a removed member loses
    every role too), what they set going stops, and it is ledgered."""
    leaving = change.kind != "reinstate"
    member = change.member
    if change.kind == "remove":
        roles_take_all(member, actor=actor)
    now = timezone.now()
    removed_at = now if change.kind == "remove" else None if change.kind == "reinstate" else member.removed_at
    Member.objects.filter(pk=change.member_id).update(is_active=not leaving, removed_at=removed_at)
    refs = _refs(change)
    if change.outcome == "approved":
        refs["proposed_by"] = change.proposed_by.pseudonym
    ledger_append(organization_id=change.organization_id, actor=actor.pseudonym, action=_DONE[change.kind], refs=refs)
    if leaving:
        invitations_withdraw(member, actor=actor.pseudonym)
        proposals_close(member, actor=actor.pseudonym)
        sessions_end(change.member_id)
    if change.kind == "remove":
        team_keys_rotate(member.organization, actor=actor.pseudonym)


def change_refusal(change: MembershipChange, approver: Member) -> str | None:
    """Why ``approver`` may not approve ``change`` now, or None."""
    if approver.organization_id != change.organization_id:
        return _("That change is not part of your organization.")
    if change.outcome or change.expired:
        return (
            _("This change has expired. An administrator can propose it again.")
            if change.expired
            else _("This change is no longer waiting for a decision.")
        )
    if not approver.is_active:
        return _("Your account is suspended, so you cannot decide this change.")
    if approver.pk in (change.member_id, change.proposed_by_id):
        return (
            _("Nobody approves a change to their own membership. Another person must approve it.")
            if approver.pk == change.member_id
            else _("You proposed this change, so a different person must approve it.")
        )
    return _roles_refusal(change, approver)


def _roles_refusal(change: MembershipChange, approver: Member) -> str | None:
    """For each power role the member holds, the approver holds a role that approves it."""
    held = power_held(change.member)
    if not held and not approver.role_codes & _APPROVERS_WITHOUT_POWER:
        return _("Another administrator or the oversight body decides this change.")
    present = roles_present(approver.organization)
    for role in sorted(held):
        needed = approving_roles(approver.organization, role, present)
        if not approver.role_codes & needed:
            return _("%(name)s holds the %(role)s role, so this change needs someone who holds: %(roles)s.") % {
                "name": change.member.display_name,
                "role": ROLE_LABELS[role],
                "roles": ", ".join(str(ROLE_LABELS[code]) for code in sorted(needed)),
            }
    return None


def may_decide(change: MembershipChange, member: Member) -> bool:
    """The proposer (who may withdraw it) or someone whose roles approve each power role the
    member holds; the service refuses the particular cases (their own membership)."""
    if change.proposed_by_id == member.pk:
        return True
    if change.member_id == member.pk:
        return False
    held = power_held(change.member)
    if not held:
        return bool(member.role_codes & _APPROVERS_WITHOUT_POWER)
    present = roles_present(member.organization)
    return all(member.role_codes & approving_roles(member.organization, role, present) for role in held)


def membership_change_approve(*, change: MembershipChange, approver: Member) -> MembershipChange:
    with transaction.atomic():
        change = (
            MembershipChange.objects.select_for_update()
            .select_related("member", "proposed_by", "organization")
            .get(pk=change.pk)
        )
        refusal = change_refusal(change, approver)
        if refusal is not None:
            raise PowerRefused(refusal)
        member = Member.objects.select_for_update().get(pk=change.member_id)
        _refuse_state(member, change.kind)
        if change.kind != "reinstate":
            _refuse_last_administrator(member, proposer=change.proposed_by)
            refuse_only_oversight(member)
        now = timezone.now()
        MembershipChange.objects.filter(pk=change.pk).update(outcome="approved", decided_by=approver, decided_at=now)
        change.outcome, change.decided_by, change.decided_at = "approved", approver, now
        _take_effect(change, actor=approver)
    return change


def membership_change_decline(*, change: MembershipChange, actor: Member) -> MembershipChange:
    """Someone who may approve it declines it, or its proposer withdraws it."""
    with transaction.atomic():
        change = MembershipChange.objects.select_for_update().select_related("member").get(pk=change.pk)
        if change.outcome or change.expired:
            raise PowerRefused(_("This change is no longer waiting for a decision."))
        withdrawing = actor.pk == change.proposed_by_id
        if not withdrawing and change_refusal(change, actor) is not None:
            raise PowerRefused(_("Only someone who may approve this change, or who proposed it, can decline it."))
        outcome = "withdrawn" if withdrawing else "declined"
        now = timezone.now()
        MembershipChange.objects.filter(pk=change.pk).update(outcome=outcome, decided_by=actor, decided_at=now)
        change.outcome, change.decided_by, change.decided_at = outcome, actor, now
        ledger_append(
            organization_id=change.organization_id,
            actor=actor.pseudonym,
            action="member.change_declined",
            refs={
                "change": str(change.pk),
                "member": change.member.pseudonym,
                "kind": change.kind,
                "reason": change.reason,
                "outcome": outcome,
            },
        )
    return change


def membership_changes_visible_to(member: Member) -> list[MembershipChange]:
    """Pending changes this member may decide on or made."""
    pending = (
        MembershipChange.objects.pending()
        .filter(organization_id=member.organization_id)
        .select_related("member", "proposed_by")
    )
    return [change for change in pending if may_decide(change, member)]


def pending_change_of(member: Member) -> QuerySet[MembershipChange]:
    return MembershipChange.objects.pending().filter(member=member)
