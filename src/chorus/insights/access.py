"""Who may see what of the insights: the one place views ask.

The tables and the action-point dashboard are for those who steer the organization's
learning (administrators, the oversight body, the commission); the transparency report is
for every member; the stories are for the commission only.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from chorus.accounts import vault
from chorus.accounts.access import require_role, signed_in_member
from chorus.accounts.models import Member
from chorus.insights.models import ActionPoint
from chorus.records.access import Reader, VaultLocked
from chorus.records.services.team import COMMISSION

INSIGHT_ROLES = ("admin", "oversight", "commission")


def may_see_insights(member: Member) -> bool:
    return any(member.has_role(role) for role in INSIGHT_ROLES)


def require_insights(request: HttpRequest) -> Member:
    member = signed_in_member(request)
    if not may_see_insights(member):
        raise PermissionDenied
    return member


def action_point_for(member: Member, number: int) -> ActionPoint:
    """An action point of the member's organization that they may see (they steer or see
    the insights, or they own it); 404 otherwise."""
    point = ActionPoint.objects.filter(organization=member.organization, number=number).select_related("owner").first()
    if point is None or not (may_see_insights(member) or point.owner_id == member.pk):
        raise Http404
    return point


def require_commission(request: HttpRequest) -> Reader:
    member = require_role(request, COMMISSION)
    key = vault.vault_key(request)
    if key is None:
        raise VaultLocked
    return Reader(member=member, vault_key=key)
