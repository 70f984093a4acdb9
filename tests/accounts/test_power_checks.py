"""What one person could still try against two-person approval, and what stops it: taking
the oversight body away to approve in its place, writing a role straight into the database,
and an account made to look like a trusted colleague."""

from __future__ import annotations

import pytest
from django.test import Client

from chorus.accounts.errors import DisplayNameRefused
from chorus.accounts.models import Member, MemberRole
from chorus.accounts.services.invitations import invitation_accept, invitation_create
from chorus.accounts.services.members import member_create
from chorus.accounts.services.power import (
    PowerRefused,
    approving_roles,
    role_approve,
    role_propose,
    roles_remove,
)
from chorus.cases.forms import SelfCaseForm
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
    roles_remove(member=personas.oversight, roles={"oversight"}, actor=personas.oversight)  # they step down
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
    assert "Chorus did not grant this role" in _page(personas, "survivor")

    # The same person, proposed and approved, is given the key on the next advocate visit.
    MemberRole.objects.filter(member=intruder).delete()
    proposal = role_propose(member=intruder, role="advocate", proposer=personas.admin)
    role_approve(proposal=proposal, approver=personas.advocate)
    assert team_key_distribute(advocate_reader(personas)) == 1
    assert sharing.grant_open(Reader(member=intruder, vault_key=intruder_key), built.grant).versions
    assert "Chorus did not grant this role" not in _page(personas, "survivor")


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


# A role row written, or put back, straight into the database -----------------------------


def _written_role(member: Member, role: str) -> None:
    """A row as a database writer would insert it: no service, so no seal and no event."""
    MemberRole.objects.bulk_create([MemberRole(member=member, role=role, approval="second_person", seal="0" * 64)])


def test_a_written_role_row_is_no_role_anywhere(personas: Personas) -> None:
    intruder, _ = add_member(personas.organization, "intruder", set())
    for role in ("advocate", "oversight", "facilitator"):
        _written_role(intruder, role)
    intruder.refresh_roles()
    assert intruder.role_codes == set()
    organization = personas.organization
    assert intruder not in sharing.grantees_for(organization)
    for role in ("advocate", "oversight", "facilitator"):
        assert not Member.objects.holding(organization, role).filter(pk=intruder.pk).exists()
    form = SelfCaseForm(personas.survivor)
    assert intruder not in form.fields["facilitator"].queryset  # type: ignore[attr-defined]


def test_a_sealed_row_the_ledger_does_not_back_is_no_role_either(personas: Personas) -> None:
    """Even with the server's key (rows made by the code, no event): a power role counts only
    as the ledger shows it given."""
    intruder, _ = add_member(personas.organization, "insider", set())
    MemberRole.objects.create(member=intruder, role="advocate", approval="second_person")
    intruder.refresh_roles()
    assert intruder.role_codes == {"advocate"}  # the row is sealed...
    assert intruder not in sharing.grantees_for(personas.organization)  # ...but not backed


def test_a_removed_advocate_put_back_is_a_former_holder_and_the_key_rotates(personas: Personas) -> None:
    built = survivor_record(personas)
    helper, helper_key = add_member(personas.organization, "helper", set())
    role_approve(
        proposal=role_propose(member=helper, role="advocate", proposer=personas.admin), approver=personas.advocate
    )
    team_key_distribute(advocate_reader(personas))
    old_key = TeamKeyHolder.objects.get(member=helper).team_key_id
    row = MemberRole.objects.get(member=helper, role="advocate")
    roles_remove(member=helper, roles={"advocate"}, actor=personas.admin)
    MemberRole.objects.bulk_create([row])  # the exact old row, seal and all, put back
    team_key_distribute(advocate_reader(personas))
    current = TeamKeyHolder.objects.filter(team_key__retired_at__isnull=True).values_list("team_key_id", flat=True)
    assert old_key not in set(current)
    assert not TeamKeyHolder.objects.filter(member=helper, team_key__retired_at__isnull=True).exists()
    assert helper not in sharing.grantees_for(personas.organization)
    with pytest.raises(AccessRefused):
        sharing.grant_open(Reader(member=helper, vault_key=helper_key), built.grant)


def test_an_event_of_an_unexpected_shape_breaks_nothing(personas: Personas) -> None:
    from chorus.ledger.services import ledger_append

    for refs in (
        {"member": personas.advocate.pseudonym, "role": ["advocate"]},
        {"member": personas.advocate.pseudonym, "roles": 7},
        {"member": [personas.advocate.pseudonym], "roles": "advocate"},
        {"member": personas.advocate.pseudonym, "roles": {"advocate": 1}},
    ):
        for action in ("role.approved", "member.created", "role.removed"):
            ledger_append(organization_id=personas.organization.pk, actor="x", action=action, refs=refs)
    assert personas.advocate in sharing.grantees_for(personas.organization)
    assert "Advocate" in _page(personas, "survivor")
    assert team_key_distribute(advocate_reader(personas)) == 0


@pytest.mark.parametrize(
    "invisible", ["\u3164", "\u115f", "\uffa0", "\u2800", "\u034f", "\ufe0f", "\U000e0100", "\u17b4", "\u00ad"]
)
def test_blank_characters_do_not_make_a_new_name(personas: Personas, invisible: str) -> None:
    with pytest.raises(DisplayNameRefused, match="already uses the name"):
        member_create(
            organization=personas.organization,
            email="blank@riverside.example",
            display_name=f"Advocate{invisible}",
            password=PASSWORD,
            roles=set(),
            actor="test",
        )
    with pytest.raises(DisplayNameRefused, match="Enter a name others can read"):
        member_create(
            organization=personas.organization,
            email="blank@riverside.example",
            display_name=invisible * 3,
            password=PASSWORD,
            roles=set(),
            actor="test",
        )


def test_a_name_that_normalizes_to_something_huge_is_refused(personas: Personas) -> None:
    with pytest.raises(DisplayNameRefused, match="too long"):
        member_create(
            organization=personas.organization,
            email="long@riverside.example",
            display_name="\ufdfa" * 20,
            password=PASSWORD,
            roles=set(),
            actor="test",
        )


def test_administrators_cannot_withdraw_the_operators_invitations(personas: Personas) -> None:
    from chorus.accounts.services.invitations import invitation_by_operator

    invitation, _ = invitation_by_operator(
        organization=personas.organization, email="seat@riverside.example", roles={"oversight"}
    )
    client = Client()
    sign_in(client, personas.admin, totp_secret=personas.totp_secrets["admin"])
    response = client.post(f"/organization/invitations/{invitation.pk}/revoke/", follow=True)
    assert "only they can withdraw or replace it" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
