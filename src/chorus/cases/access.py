"""Who reaches a case: the one place case views ask."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest

from chorus.accounts import vault
from chorus.accounts.access import signed_in_member
from chorus.accounts.models import Member
from chorus.cases.services.core import CaseActor, case_actor
from chorus.records.access import VaultLocked


def member_and_vault(request: HttpRequest) -> tuple[Member, bytes]:
    request.sensitive_post_parameters = "__ALL__"  # type: ignore[attr-defined]  # case text stays out of error reports
    member = signed_in_member(request)
    key = vault.vault_key(request)
    if key is None:
        raise VaultLocked
    return member, key


def get_case_for_member(request: HttpRequest, case_id: UUID) -> CaseActor:
    """The signed-in member acting in this case; 404 when they have no standing in it."""
    member, key = member_and_vault(request)
    return case_actor(member, key, case_id)
