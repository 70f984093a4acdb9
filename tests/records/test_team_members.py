"""Who is in a team (``Member.objects.holding_ids``, ``team._team``: SQL written once) is who
the ORM's reading of the same rows says, whatever was written around it; and so are the
retired keys a team page hands over and the rotation under way."""

from __future__ import annotations

from typing import Any

import pytest

from chorus.accounts.models import Member, MemberKeys, MemberRole, Organization
from chorus.accounts.roles import POWER_ROLES
from chorus.accounts.services.members import member_create
from chorus.accounts.services.power import ledger_backed, member_set_roles
from chorus.records.access import Reader
from chorus.records.models import TeamKey, TeamKeyHolder, TeamKeyRotation
from chorus.records.services import team
from chorus.records.services.rotation import rotation_under_way, team_key_visit
from chorus.records.services.team import ADVOCATE, COMMISSION, team_key_ensure, team_members
from tests.helpers import fields_with_types
from tests.personas import PASSWORD, Personas, add_member
from tests.records.factory import advocate_reader, survivor_record
from tests.records.sealed import seal_everything, team_member

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


def _to_hand_over_by_the_orm(member: Member, role: str) -> list[TeamKeyHolder]:
    return list(
        TeamKeyHolder.objects.filter(
            member=member,
            team_key__organization=member.organization,
            team_key__role=role,
            team_key__successor__isnull=False,
            team_key__private_key_for_successor__isnull=True,
        )
        .select_related("team_key__successor")
        .order_by("id")
    )


def _same_retired(personas: Personas, members: list[Member], django_assert_num_queries: Any) -> int:
    """Each member's retired keys to hand over, and each role's rotation, against the ORM's
    reading (the loaded key and successor follow with no query); how many holdings in all."""
    found = 0
    for member in members:
        for role in (ADVOCATE, COMMISSION):
            read, expected = team._retired_holdings(member, role), _to_hand_over_by_the_orm(member, role)
            assert [fields_with_types(h) for h in read] == [fields_with_types(h) for h in expected]
            with django_assert_num_queries(0):
                for holding, orm in zip(read, expected, strict=True):
                    assert fields_with_types(holding.team_key) == fields_with_types(orm.team_key)
                    assert holding.team_key.successor is not None and orm.team_key.successor is not None
                    assert fields_with_types(holding.team_key.successor) == fields_with_types(orm.team_key.successor)
            found += len(read)
    for organization in (personas.organization, personas.other_organization):
        for role in (ADVOCATE, COMMISSION):
            rotation = rotation_under_way(organization.pk, role)
            orm_rotation = TeamKeyRotation.objects.filter(organization=organization, role=role).first()
            assert (rotation is None) == (orm_rotation is None)
            if rotation is not None and orm_rotation is not None:
                assert fields_with_types(rotation) == fields_with_types(orm_rotation)
    return found


def test_the_retired_keys_to_hand_over_and_the_rotation_are_the_orm_s(
    personas: Personas, django_assert_num_queries: Any
) -> None:
    seal_everything(personas)
    advocate = advocate_reader(personas)
    former = team_member(personas, "former", ADVOCATE)
    elsewhere, elsewhere_key = add_member(personas.other_organization, "elsewhere", {"advocate"})
    team_key_visit(advocate)
    team_key_visit(Reader(member=elsewhere, vault_key=elsewhere_key))  # no key there yet: nothing to do
    members = [advocate.member, former.member, elsewhere, personas.survivor]
    assert _same_retired(personas, members, django_assert_num_queries) == 0

    second = team_member(personas, "second", ADVOCATE)
    team_key_visit(advocate)  # the second advocate holds the key too
    members.append(second.member)
    member_set_roles(member=former.member, roles=set(), actor=personas.admin)
    survivor_record(personas)  # the survivor's share retires the key; no advocate has visited since
    assert _same_retired(personas, members, django_assert_num_queries) == 3  # the advocates' and the former's
    member_set_roles(member=second.member, roles=set(), actor=personas.admin)
    survivor_record(personas)  # and its successor, before anyone handed the first over
    # The advocate and the second each hold two retired keys, each to be handed to its own
    # successor (the first key's successor is retired in turn); the former holds the first.
    assert _same_retired(personas, members, django_assert_num_queries) == 5
    assert len(team._retired_holdings(advocate.member, ADVOCATE)) == 2
    assert rotation_under_way(personas.organization.pk, ADVOCATE) is not None
    retired = TeamKey.objects.exclude(retired_at=None).filter(organization=personas.organization)
    retired.update(private_key_for_successor=b"handed over")  # as if, with its holders still there
    assert _same_retired(personas, members, django_assert_num_queries) == 0
    retired.update(private_key_for_successor=None)

    team_key_visit(advocate)  # hands the retired key over (and deletes its holders)
    assert _same_retired(personas, members, django_assert_num_queries) == 0
