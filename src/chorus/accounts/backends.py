from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest

from chorus.accounts.models import Member, MemberRole, Organization, TwoFactor
from chorus.accounts.services.leaving import export_until
from chorus.web.rows import Columns

_MEMBER = Columns(Member, "m")
_ORGANIZATION = Columns(Organization, "o")
_ROLE = Columns(MemberRole, "r")


# The member, their organization, one row per role they hold (none: one row of nulls), and
# whether they enrolled a second factor.
_SIGNED_IN = (
    f"SELECT {_MEMBER.sql}, {_ORGANIZATION.sql}, {_ROLE.sql}, "  # noqa: S608  (table names from the models)
    f'EXISTS (SELECT 1 FROM "{TwoFactor._meta.db_table}" "t" WHERE "t"."member_id" = "m"."id") '
    f'FROM "{Member._meta.db_table}" "m" '
    f'INNER JOIN "{Organization._meta.db_table}" "o" ON "o"."id" = "m"."organization_id" '
    f'LEFT JOIN "{MemberRole._meta.db_table}" "r" ON "r"."member_id" = "m"."id" '
    f'WHERE "m"."id" = %s'
)


def signed_in_member(member_id: Any) -> Member | None:
    """The member with this id as one request needs them: their organization loaded, whether
    they enrolled a second factor (``two_factor_enrolled``), and the roles whose seal verifies
    already counted (``Member.role_codes``). One query, with no ORM query built: this runs on
    every signed-in request."""
    connection = connections[DEFAULT_DB_ALIAS]  # the thread's own, not the proxy
    try:
        key = Member._meta.pk.get_db_prep_value(member_id, connection)
    except ValidationError:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_SIGNED_IN, [key])
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    member_end = len(_MEMBER)
    organization_end = member_end + len(_ORGANIZATION)
    role_end = organization_end + len(_ROLE)
    member = _MEMBER.build(connection, first[:member_end])
    Member.organization.field.set_cached_value(
        member, _ORGANIZATION.build(connection, first[member_end:organization_end])
    )
    member.two_factor_enrolled = bool(first[role_end])
    roles = [
        _ROLE.build(connection, row[organization_end:role_end]) for row in rows if row[organization_end] is not None
    ]
    member._role_codes = {role.role for role in roles if role.seal_valid}
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
