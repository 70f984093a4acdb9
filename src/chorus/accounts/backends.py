from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from chorus.accounts.models import Member, MemberRole, Organization, TwoFactor
from chorus.accounts.services.leaving import export_until
from chorus.web.rows import Columns, read

_MEMBER = Columns(Member, "m")
_ORGANIZATION = Columns(Organization, "o")
_ROLE = Columns(MemberRole, "r")

# The member, their organization, one row per role they hold (none: one row of nulls), and
# whether they enrolled a second factor.
_SIGNED_IN = (
    f"SELECT {_MEMBER.sql}, {_ORGANIZATION.sql}, {_ROLE.sql}, "  # noqa: S608  (table names from the models)
    f'EXISTS (SELECT 1 FROM "{TwoFactor._meta.db_table}" "t" WHERE "t"."member_id" = "m"."id") '
    f'FROM {_MEMBER.table} INNER JOIN {_ORGANIZATION.table} ON "o"."id" = "m"."organization_id" '
    f'LEFT JOIN {_ROLE.table} ON "r"."member_id" = "m"."id" '
    f'WHERE "m"."id" = %(id)s'
)


def signed_in_member(member_id: Any) -> Member | None:
    """The member with this id as one request needs them: their organization loaded, whether
    they enrolled a second factor (``two_factor_enrolled``), and the roles whose seal verifies
    already counted (``Member.role_codes``). One query, with no ORM query built: this runs on
    every signed-in request."""
    try:
        key = _MEMBER.param("id", member_id)
    except ValidationError:
        return None
    rows = read(_SIGNED_IN, {"id": key}, _MEMBER, _ORGANIZATION, _ROLE)
    if not rows:
        return None
    member: Member = rows[0][0]
    organization, _, enrolled = rows[0][1:]
    Member.organization.field.set_cached_value(member, organization)
    member.two_factor_enrolled = bool(enrolled)
    member._role_codes = {role.role for _, _, role, _ in rows if role is not None and role.seal_valid}
    return member


class MemberBackend(BaseBackend):
    """Loads the signed-in member for each request. Passwords are checked by
    ``chorus.accounts.services.signin``, which also derives the vault key, so
    ``authenticate`` is deliberately never the way in."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> Member | None:
        """An active member, or a removed one within the days they may still take their
        records away (``leaving.export_until``; ``TwoFactorEnrolmentMiddleware`` keeps
        them to those pages), read by ``signed_in_member``."""
        member = signed_in_member(user_id)
        if member is None or not (member.is_active or export_until(member)):
            return None
        return member
