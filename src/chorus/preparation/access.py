"""Who may see and change preparation records: the one place the views ask."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from chorus.accounts.access import signed_in_member
from chorus.accounts.models import Member
from chorus.preparation.models import TrainingRecord
from chorus.preparation.services.training import may_confirm


def require_confirmer(request: HttpRequest) -> Member:
    """An administrator or an oversight member of the signed-in organization; else 403."""
    member = signed_in_member(request)
    if not may_confirm(member):
        raise PermissionDenied
    return member


def get_record_for_confirmer(request: HttpRequest, record_id: UUID) -> tuple[Member, TrainingRecord]:
    """(confirmer, record) for a record of the confirmer's organization; 404 for another's."""
    confirmer = require_confirmer(request)
    record = (
        TrainingRecord.objects.filter(pk=record_id, organization_id=confirmer.organization_id)
        .select_related("member")
        .first()
    )
    if record is None:
        raise Http404
    return confirmer, record
