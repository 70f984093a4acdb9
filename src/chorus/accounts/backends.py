from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from chorus.accounts.models import Member, TwoFactor
from chorus.accounts.services.leaving import export_until


class MemberBackend(BaseBackend):
    """Loads the signed-in member for each request. Passwords are checked by
    ``chorus.accounts.services.signin``, which also derives the vault key, so
    ``authenticate`` is deliberately never the way in."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> Member | None:
        """An active member, or a removed one within the days they may still take their
        records away (``leaving.export_until``; ``TwoFactorEnrolmentMiddleware`` keeps
        them to those pages). Whether they enrolled a second factor comes in the same query:
        the middleware asks it on every request of a role that needs one."""
        member = (
            Member.objects.select_related("organization")
            .annotate(two_factor_enrolled=Exists(TwoFactor.objects.filter(member=OuterRef("pk"))))
            .filter(pk=user_id)
            .first()
        )
        if member is None or not (member.is_active or export_until(member)):
            return None
        return member
