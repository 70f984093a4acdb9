"""What one person could still try against two-person approval, and what stops it: taking
the oversight body away to approve in its place, writing a role straight into the database,
and an account made to look like a trusted colleague."""

from __future__ import annotations

import pytest
from django.test import Client

from chorus.accounts.errors import DisplayNameRefused
from chorus.accounts.models import MemberRole
from chorus.accounts.services.invitations import invitation_accept, invitation_create
from chorus.accounts.services.members import member_create
from chorus.accounts.services.power import (
    PowerRefused,
    approving_roles,
    role_approve,
    role_propose,
    roles_remove,
)
from chorus.records.access import Reader
from chorus.records.models import TeamKeyHolder
from chorus.records.services import sharing
from chorus.records.services.team import AccessRefused, team_key_distribute
from tests.helpers import sign_in
from tests.personas import PASSWORD, Personas, add_member
from tests.records.factory import advocate_reader, survivor_record


def _page(personas: Personas, persona: str, url: str = "/organization/power/") -> str:
    client = Client()
    sign_in(client, personas.members[persona], totp_secret=personas.totp_secrets.get(persona))
    return client.get(url).content.decode()


def test_removing_the_last_oversight_member_does_not_hand_its_approvals_to_administrators(
    personas: Personas,
) -> None:
    second_admin, _ = add_member(personas.organization, "second admin", {"admin"})
    roles_remove(member=personas.oversight, roles={"oversight"}, actor=personas.admin)
    personas.organization.refresh_from_db()
    assert approving_roles(personas.organization, "panel") == {"oversight"}
    assert approving_roles(personas.organization, "oversight") == {"oversight"}
    for role in ("panel", "oversight", "investigator"):
        proposal = role_propose(member=personas.survivor, role=role, proposer=personas.admin)
        with pytest.raises(PowerRefused, match="needs someone who holds: Oversight"):
            role_approve(proposal=proposal, approver=second_admin)
    assert "oversight" not in MemberRole.objects.filter(member=personas.survivor).values_list("role", flat=True)
    page = _page(personas, "survivor")
    assert "Nobody holds the oversight role any more" in page
    # Administrators still approve each other: that never needed oversight.
    proposal = role_propose(member=personas.survivor, role="admin", proposer=personas.admin)
    role_approve(proposal=proposal, approver=second_admin)


def test_a_role_written_straight_into_the_database_opens_nothing(personas: Personas) -> None:
    """Whoever can write to the database adds an advocate row for an account of theirs:
    no approval of it is in the ledger, so the team key is never sealed to it, and every
    member sees it flagged."""
    built = survivor_record(personas)  # the team key exists, held by the one advocate
    intruder, intruder_key = add_member(personas.organization, "intruder", set())
    MemberRole.objects.create(member=intruder, role="advocate", approval="second_person")
    assert team_key_distribute(advocate_reader(personas)) == 0
    assert not TeamKeyHolder.objects.filter(member=intruder).exists()
    with pytest.raises(AccessRefused):
        sharing.grant_open(Reader(member=intruder, vault_key=intruder_key), built.grant)
    assert "No approval of this role is recorded in the ledger" in _page(personas, "survivor")

    # The same person, proposed and approved, is given the key on the next advocate visit.
    MemberRole.objects.filter(member=intruder).delete()
    proposal = role_propose(member=intruder, role="advocate", proposer=personas.admin)
    role_approve(proposal=proposal, approver=personas.advocate)
    assert team_key_distribute(advocate_reader(personas)) == 1
    assert sharing.grant_open(Reader(member=intruder, vault_key=intruder_key), built.grant).versions
    assert "No approval of this role is recorded" not in _page(personas, "survivor")


def test_a_removed_role_written_back_opens_nothing(personas: Personas) -> None:
    """The ledger shows the role approved once, then removed: writing the row back is flagged."""
    survivor_record(personas)
    helper, _ = add_member(personas.organization, "helper", set())
    role_approve(
        proposal=role_propose(member=helper, role="advocate", proposer=personas.admin), approver=personas.advocate
    )
    roles_remove(member=helper, roles={"advocate"}, actor=personas.admin)
    team_key_distribute(advocate_reader(personas))
    MemberRole.objects.create(member=helper, role="advocate", approval="second_person", approved_by=personas.advocate)
    team_key_distribute(advocate_reader(personas))
    assert not TeamKeyHolder.objects.filter(member=helper, team_key__retired_at__isnull=True).exists()


def test_a_combination_held_from_before_separation_of_duties_is_flagged(personas: Personas) -> None:
    MemberRole.objects.create(member=personas.admin, role="advocate", approval="migration")
    page = _page(personas, "survivor")
    assert "Also holds the Administrator role, from before separation of duties began" in page


@pytest.mark.parametrize("lookalike", ["Advocate", "ADVOCATE", " advocate ", "Adv\u200bocate", "Ａｄｖｏｃａｔｅ"])
def test_nobody_can_take_a_name_already_used_in_the_organization(personas: Personas, lookalike: str) -> None:
    with pytest.raises(DisplayNameRefused, match="already uses the name"):
        member_create(
            organization=personas.organization,
            email="double@riverside.example",
            display_name=lookalike,
            password=PASSWORD,
            roles=set(),
            actor="test",
        )


def test_the_same_name_in_another_organization_is_fine(personas: Personas) -> None:
    member, _, _ = member_create(
        organization=personas.other_organization,
        email="advocate@hilltop.example",
        display_name="Advocate",
        password=PASSWORD,
        roles=set(),
        actor="test",
    )
    assert member.display_name == "Advocate"


def test_joining_under_a_taken_name_asks_for_another_and_keeps_the_invitation(personas: Personas) -> None:
    _, token = invitation_create(inviter=personas.admin, email="newcomer@riverside.example", roles=set())
    client = Client()
    page = client.post(
        f"/invitations/{token}/",
        {"display_name": "advocate", "new_password": PASSWORD, "new_password_again": PASSWORD},
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Someone in this organization already uses the name advocate" in text
    assert 'aria-invalid="true"' in text or "has-error" in text
    # Nothing was used up: the same invitation works with another name.
    member, _, _ = invitation_accept(token=token, display_name="Advocate B.", password=PASSWORD)
    assert member.display_name == "Advocate B."


def test_a_name_of_invisible_characters_only_is_refused(personas: Personas) -> None:
    with pytest.raises(DisplayNameRefused, match="Enter a name others can read"):
        member_create(
            organization=personas.organization,
            email="ghost@riverside.example",
            display_name="\u200b\u2060 \u200e",
            password=PASSWORD,
            roles=set(),
            actor="test",
        )
