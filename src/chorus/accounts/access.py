"""Who may do what in accounts: the one place views ask."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from chorus.accounts.models import Invitation, Member, MembershipChange, RoleProposal
from chorus.accounts.roles import CONFIRMS_MEMBERSHIP
from chorus.accounts.services.lifecycle import may_decide
from chorus.accounts.services.power import approving_roles


def signed_in_member(request: HttpRequest) -> Member:
    user = request.user
    if not isinstance(user, Member) or not user.is_authenticated:
        raise PermissionDenied
    return user


def require_role(request: HttpRequest, role: str) -> Member:
    member = signed_in_member(request)
    if not member.has_role(role):
        raise PermissionDenied
    return member


def require_admin(request: HttpRequest) -> Member:
    return require_role(request, "admin")


def get_member_for_admin(request: HttpRequest, member_id: UUID) -> tuple[Member, Member]:
    """(admin, member) when the signed-in admin may manage ``member_id``; else 403/404."""
    admin = require_admin(request)
    member = Member.objects.filter(pk=member_id, organization=admin.organization).first()
    if member is None:
        raise Http404
    return admin, member


def get_member_for_change(request: HttpRequest, member_id: UUID) -> tuple[Member, Member]:
    """(proposer, member) when the signed-in member may propose suspending, removing or
    reinstating ``member_id``: an administrator, or the oversight body for an administrator
    (``lifecycle.may_propose``); else 403/404."""
    from chorus.accounts.services.lifecycle import may_propose  # the services import this module's models

    actor = signed_in_member(request)
    if not (actor.has_role("admin") or actor.has_role("oversight")):
        raise PermissionDenied
    member = Member.objects.filter(pk=member_id, organization=actor.organization).first()
    if member is None:
        raise Http404
    if member.pk != actor.pk and not may_propose(actor, member):
        raise PermissionDenied
    return actor, member


def get_invitation_for_admin(request: HttpRequest, invitation_id: UUID) -> tuple[Member, Invitation]:
    admin = require_admin(request)
    invitation = Invitation.objects.filter(pk=invitation_id, organization=admin.organization).first()
    if invitation is None:
        raise Http404
    return admin, invitation


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send visitors who are not signed in to the sign-in page, then back."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def get_proposal_for_decider(request: HttpRequest, proposal_id: UUID) -> tuple[Member, RoleProposal]:
    """(member, proposal) when the member may decide on proposals of its role (an approver)
    or made it; 404 for another organization's, 403 for anyone else. The service still
    refuses the particular cases (their own role, their own proposal, an expired one)."""
    member = signed_in_member(request)
    proposal = (
        RoleProposal.objects.filter(pk=proposal_id, organization_id=member.organization_id)
        .select_related("member", "proposed_by")
        .first()
    )
    if proposal is None:
        raise Http404
    if proposal.proposed_by_id != member.pk and not member.role_codes & approving_roles(
        member.organization, proposal.role
    ):
        raise PermissionDenied
    return member, proposal


def require_membership_confirmer(request: HttpRequest) -> Member:
    member = signed_in_member(request)
    if not member.role_codes & CONFIRMS_MEMBERSHIP:
        raise PermissionDenied
    return member


def get_membership_change_for_decider(request: HttpRequest, change_id: UUID) -> tuple[Member, MembershipChange]:
    """(member, change) when the member may decide on a pending suspension or reinstatement
    (see ``lifecycle.may_decide``) or proposed it; 404 for another organization's, 403 for
    anyone else. The service still refuses the particular cases."""
    member = signed_in_member(request)
    change = (
        MembershipChange.objects.filter(pk=change_id, organization_id=member.organization_id)
        .select_related("member", "proposed_by")
        .first()
    )
    if change is None:
        raise Http404
    if not may_decide(change, member):
        raise PermissionDenied
    return member, change
