"""Who holds power: every member sees it; approvers decide on proposals; memberships are
confirmed by a second person."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.accounts.access import (
    get_proposal_for_decider,
    member_required,
    require_membership_confirmer,
    signed_in_member,
)
from chorus.accounts.forms import ConfirmMembersForm
from chorus.accounts.roles import BY_CODE, POWER_ROLES
from chorus.accounts.services.lifecycle import change_refusal, membership_changes_visible_to
from chorus.accounts.services.power import (
    PowerRefused,
    approval_refusal,
    approving_roles,
    inviter_of,
    memberships_confirm,
    memberships_unconfirmed,
    power_holders,
    proposals_visible_to,
    role_approve,
    role_decline,
    roles_present,
)


@require_GET
@member_required
def power(request: HttpRequest) -> HttpResponse:
    member = signed_in_member(request)
    organization = member.organization
    holders = power_holders(organization)
    present = roles_present(organization)
    proposals = []
    for proposal in proposals_visible_to(member):
        can_approve = approval_refusal(proposal, member) is None
        may_decide = proposal.proposed_by_id == member.pk or bool(
            member.role_codes & approving_roles(organization, proposal.role, present)
        )
        proposals.append((proposal, can_approve, may_decide, inviter_of(proposal.member)))
    return render(
        request,
        "accounts/power.html",
        {
            "roles": [
                (
                    BY_CODE[code],
                    holders[code],
                    [str(BY_CODE[approver].label) for approver in sorted(approving_roles(organization, code, present))],
                )
                for code in POWER_ROLES
            ],
            "proposals": proposals,
            "changes": [
                (change, change_refusal(change, member) is None) for change in membership_changes_visible_to(member)
            ],
            "oversight_gone": organization.oversight_since is not None and "oversight" not in present,
            "admin_gone": not holders["admin"],
            # The oversight body proposes suspending or removing an administrator from here
            # (``lifecycle.may_propose``); a second person approves it.
            "oversight_proposes": member.is_active and member.has_role("oversight") and not member.has_role("admin"),
        },
    )


def _decide(request: HttpRequest, proposal_id: UUID, *, approve: bool) -> HttpResponse:
    member, proposal = get_proposal_for_decider(request, proposal_id)
    try:
        if approve:
            role_approve(proposal=proposal, approver=member)
        else:
            role_decline(proposal=proposal, actor=member)
    except PowerRefused as refused:
        messages.error(request, str(refused))
        return redirect("power")
    done = (
        _("%(name)s now holds the %(role)s role. Members can see that you approved it.")
        if approve
        else _("The proposal to give %(name)s the %(role)s role was closed; nothing was granted.")
    )
    messages.success(request, done % {"name": proposal.member.display_name, "role": BY_CODE[proposal.role].label})
    return redirect("power")


@require_POST
@member_required
def role_proposal_approve(request: HttpRequest, proposal_id: UUID) -> HttpResponse:
    return _decide(request, proposal_id, approve=True)


@require_POST
@member_required
def role_proposal_decline(request: HttpRequest, proposal_id: UUID) -> HttpResponse:
    return _decide(request, proposal_id, approve=False)


@require_http_methods(["GET", "POST"])
@member_required
def memberships(request: HttpRequest) -> HttpResponse:
    confirmer = require_membership_confirmer(request)
    waiting = list(memberships_unconfirmed(confirmer.organization))
    inviters = {person.pk: inviter_of(person) for person in waiting}
    choices = [(str(person.pk), person.display_name) for person in waiting]
    form = ConfirmMembersForm(request.POST if request.method == "POST" else None, choices=choices)
    if request.method == "POST" and form.is_valid():
        chosen = [person for person in waiting if str(person.pk) in set(form.cleaned_data["members"])]
        try:
            confirmed = memberships_confirm(confirmer=confirmer, members=chosen)
        except PowerRefused as refused:
            form.add_error("members", str(refused))
        else:
            messages.success(
                request,
                _("%(count)d membership(s) confirmed. Their escrow entries now count toward matches.")
                % {"count": len(confirmed)},
            )
            return redirect("memberships")
    rows = [(person, inviters[person.pk], inviters[person.pk] == confirmer) for person in waiting]
    return render(
        request, "accounts/memberships.html", {"form": form, "rows": rows}, status=400 if form.errors else 200
    )
