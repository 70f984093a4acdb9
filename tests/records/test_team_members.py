"""Who is in a team (``Member.objects.holding_ids``, ``team._team``: SQL written once) is who
the ORM's reading of the same rows says, whatever was written around it."""

from __future__ import annotations

from typing import Any

import pytest

from chorus.accounts.models import Member, MemberKeys, MemberRole, Organization
from chorus.accounts.roles import POWER_ROLES
from chorus.accounts.services.members import member_create
from chorus.accounts.services.power import ledger_backed, member_set_roles
from chorus.records.services import team
from chorus.records.services.team import ADVOCATE, team_key_ensure, team_members
from tests.personas import PASSWORD, Personas, add_member

pytestmark = pytest.mark.django_db

ROLES = ("advocate", "respondent", "commission", "admin", "supporter")


def _by_the_orm(organization: Organization, role: str) -> list[Any]:
    rows = [
        row
        for row in MemberRole.objects.filter(
            member__organization_id=organization.pk, member__is_active=True, role=role
        ).select_related("member")
        if row.seal_valid
    ]
    if role in POWER_ROLES:
        backed = ledger_backed(organization.pk, [row.member for row in rows])
        rows = [row for row in rows if role in backed[row.member_id]]
    return sorted(row.member_id for row in rows)


def _same_team(organization: Organization) -> bool:
    """``_team`` against the ORM's rule; whether a holder has left (for the caller to expect)."""
    read = team._team(organization, ADVOCATE)
    current = team.team_key_of(organization)
    assert read.current == current
    if current is None:
        return False
    assert read.former == team._former_holders(current).exists()
    with_keys = set(MemberKeys.objects.values_list("member_id", flat=True))
    assert read.members & with_keys == set(team_members(organization, ADVOCATE).values_list("pk", flat=True))
    return read.former


def test_the_holders_of_each_role_are_the_orm_s_whatever_was_written_around_them(personas: Personas) -> None:
    organization, other = personas.organization, personas.other_organization
    for name, where, roles in (("elsewhere", other, {"advocate"}), ("respondent2", other, {"respondent"})):
        member_create(
            organization=where, email=f"{name}@hilltop.example", display_name=name.title(),
            password=PASSWORD, roles=roles, actor="test",
        )  # fmt: skip
    gone, _ = add_member(organization, "gone", {"advocate"})
    Member.objects.filter(pk=gone.pk).update(is_active=False)
    forged, _ = add_member(organization, "forged", {"advocate", "supporter"})
    MemberRole.objects.filter(member=forged).update(seal="0" * 64)
    MemberRole.objects.create(member=personas.survivor, role="advocate")  # sealed, but no ledger event
    for where in (organization, other):
        for role in ROLES:
            assert sorted(Member.objects.holding_ids(where, role)) == _by_the_orm(where, role), (where.slug, role)
    assert Member.objects.holding_ids(organization, "advocate") == [personas.advocate.pk]


def test_the_team_and_whether_a_holder_left_are_the_orm_s(personas: Personas) -> None:
    organization = personas.organization
    assert _same_team(organization) is False  # no key yet
    keyless, _ = add_member(organization, "keyless", {"advocate"})
    leaving, _ = add_member(organization, "leaving", {"advocate"})
    team_key_ensure(organization)
    assert _same_team(organization) is False
    add_member(organization, "newcomer", {"advocate"})  # in the team, not yet a holder
    assert _same_team(organization) is False
    MemberKeys.objects.filter(member=keyless).delete()
    assert _same_team(organization) is True
    team_key_ensure(organization)  # retired: the next key is sealed to the team as it is
    assert _same_team(organization) is False
    member_set_roles(member=leaving, roles=set(), actor=personas.admin)
    assert _same_team(organization) is True
