"""Members who hold a case role but no preparation for it, as after an upgrade."""

from __future__ import annotations

from chorus.accounts.models import Member, Organization
from chorus.accounts.services.members import member_create
from tests.personas import PASSWORD


def unprepared(organization: Organization, name: str, roles: set[str]) -> tuple[Member, bytes]:
    member, _code, vault_key = member_create(
        organization=organization,
        email=f"{name.lower()}@riverside.example",
        display_name=name,
        password=PASSWORD,
        roles=roles,
        actor="test",
    )
    return member, vault_key
