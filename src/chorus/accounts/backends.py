from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from chorus.accounts.models import Member


class MemberBackend(BaseBackend):
    """Loads the signed-in member for each request. Passwords are checked by
    ``chorus.accounts.services.signin``, which also derives the vault key, so
    ``authenticate`` is deliberately never the way in."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> Member | None:
        return Member.objects.select_related("organization").filter(pk=user_id, is_active=True).first()
