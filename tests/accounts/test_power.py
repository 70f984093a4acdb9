"""No one holds power alone: two-person approval of power roles, separation of duties, who
holds power shown to members, and memberships confirmed by a second person before they
count toward an escrow match."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from chorus.accounts.models import Member, MemberRole, RoleProposal
from chorus.accounts.services.invitations import invitation_accept, invitation_create
from chorus.accounts.services.members import member_create, organization_create
from chorus.accounts.services.power import (
    PowerRefused,
    approving_roles,
    memberships_confirm,
    role_approve,
    role_decline,
    role_propose,
)
from chorus.escrow.models import Match
from chorus.escrow.services.entries import entries_start_counting
from chorus.ledger.models import LedgerEvent
from chorus.records.access import Owner
from tests.escrow.factory import SAM, client_for, name
from tests.helpers import sign_in
from tests.personas import PASSWORD, Personas
from tests.records.factory import survivor_owner


def _client(personas: Personas, persona: str) -> Client:
    client = Client()
    sign_in(client, personas.members[persona], totp_secret=personas.totp_secrets.get(persona))
    return client


def _fresh(member: Member) -> Member:
    return Member.objects.get(pk=member.pk)


def test_a_power_role_needs_a_second_person_who_may_approve_it(personas: Personas) -> None:
    proposal = role_propose(member=personas.survivor, role="advocate", proposer=personas.admin)
    for who, refusal in [
        (personas.admin, "You proposed this role"),
        (personas.survivor, "Nobody approves a role for themselves"),
        (personas.commission, "needs someone who holds: Advocate, Oversight"),
        (personas.panel, "needs someone who holds"),
    ]:
        with pytest.raises(PowerRefused, match=refusal):
            role_approve(proposal=proposal, approver=who)
    assert _fresh(personas.survivor).role_codes == set()
    role_approve(proposal=proposal, approver=personas.advocate)
    held = MemberRole.objects.get(member=personas.survivor, role="advocate")
    assert (held.proposed_by, held.approved_by, held.approval) == (personas.admin, personas.advocate, "second_person")
    event = LedgerEvent.objects.get(action="role.approved")
    assert event.actor == personas.advocate.pseudonym
    assert event.refs["proposed_by"] == personas.admin.pseudonym
    with pytest.raises(PowerRefused, match="no longer waiting"):
        role_approve(proposal=proposal, approver=personas.oversight)


def test_the_database_refuses_a_proposal_approved_by_its_proposer_or_grantee(personas: Personas) -> None:
    proposal = role_propose(member=personas.survivor, role="panel", proposer=personas.admin)
    for decider in (personas.admin, personas.survivor):
        with pytest.raises(IntegrityError), transaction.atomic():
            RoleProposal.objects.filter(pk=proposal.pk).update(outcome="approved", decided_by=decider)


def test_a_new_organization_starts_with_two_administrators(db: None) -> None:
    """Nobody holds an approving role yet: another administrator approves, never the proposer."""
    organization = organization_create(name="New Union", slug="new-union")
    first, second, volunteer = (
        member_create(
            organization=organization,
            email=f"{who}@new.example",
            display_name=who,
            password=PASSWORD,
            roles=roles,
            actor="test",
        )[0]
        for who, roles in [("first", {"admin"}), ("second", {"admin"}), ("volunteer", set())]
    )
    assert approving_roles(organization, "oversight") == {"admin"}
    proposal = role_propose(member=volunteer, role="oversight", proposer=first)
    with pytest.raises(PowerRefused):
        role_approve(proposal=proposal, approver=first)
    role_approve(proposal=proposal, approver=second)
    # Now that the organization has an oversight body, it alone approves oversight and panels.
    assert approving_roles(organization, "oversight") == {"oversight"}
    assert approving_roles(organization, "panel") == {"oversight"}


def test_proposals_lapse_and_can_be_made_again(personas: Personas) -> None:
    proposal = role_propose(member=personas.survivor, role="advocate", proposer=personas.admin)
    RoleProposal.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(PowerRefused, match="expired"):
        role_approve(proposal=RoleProposal.objects.get(pk=proposal.pk), approver=personas.oversight)
    again = role_propose(member=personas.survivor, role="advocate", proposer=personas.admin)
    assert again.pk != proposal.pk
    assert RoleProposal.objects.get(pk=proposal.pk).outcome == "expired"
    role_approve(proposal=again, approver=personas.oversight)
    assert _fresh(personas.survivor).role_codes == {"advocate"}


@pytest.mark.parametrize(
    ("persona", "role"),
    [("advocate", "admin"), ("oversight", "admin"), ("admin", "advocate"), ("admin", "oversight"), ("admin", "panel")],
)
def test_an_administrator_never_also_reads_content_decides_or_oversees(
    personas: Personas, persona: str, role: str
) -> None:
    with pytest.raises(PowerRefused, match="independent of the organization's leadership"):
        role_propose(member=personas.members[persona], role=role, proposer=personas.admin)


def test_the_proposer_withdraws_and_an_approver_declines(personas: Personas) -> None:
    first = role_propose(member=personas.survivor, role="advocate", proposer=personas.admin)
    with pytest.raises(PowerRefused, match="Only someone who may approve"):
        role_decline(proposal=first, actor=personas.commission)
    role_decline(proposal=first, actor=personas.admin)
    second = role_propose(member=personas.survivor, role="advocate", proposer=personas.admin)
    role_decline(proposal=second, actor=personas.oversight)
    outcomes = list(RoleProposal.objects.order_by("proposed_at").values_list("outcome", flat=True))
    assert outcomes == ["withdrawn", "declined"]
    assert [event.action for event in LedgerEvent.objects.filter(action__startswith="role.").order_by("seq")] == [
        "role.proposed",
        "role.withdrawn",
        "role.proposed",
        "role.declined",
    ]
    assert _fresh(personas.survivor).role_codes == set()


def test_every_member_sees_who_holds_power_and_approvers_see_what_waits(personas: Personas) -> None:
    role_approve(
        proposal=role_propose(member=personas.respondent, role="commission", proposer=personas.admin),
        approver=personas.oversight,
    )
    role_propose(member=personas.facilitator, role="panel", proposer=personas.admin)
    page = _client(personas, "survivor").get("/organization/power/").content.decode()
    assert "Who holds power" in page
    assert "proposed by Admin, approved by Oversight" in page
    assert "set up by the deployment" in page  # the founding personas
    assert "Waiting for a second person" not in page  # a plain member decides nothing
    oversight = _client(personas, "oversight").get("/organization/power/").content.decode()
    assert "Waiting for a second person" in oversight
    assert "Approve: Facilitator as Panel member" in oversight
    advocate = _client(personas, "advocate").get("/organization/power/").content.decode()
    assert "Waiting for a second person" not in advocate  # advocates do not approve panels


def test_an_approver_approves_on_the_page(personas: Personas) -> None:
    proposal = role_propose(member=personas.survivor, role="advocate", proposer=personas.admin)
    response = _client(personas, "oversight").post(f"/organization/power/{proposal.pk}/approve/", follow=True)
    assert "Survivor now holds the Advocate role" in response.content.decode()
    assert _fresh(personas.survivor).role_codes == {"advocate"}


def test_an_administrator_approving_their_own_proposal_is_told_why_not(personas: Personas) -> None:
    proposal = role_propose(member=personas.survivor, role="advocate", proposer=personas.admin)
    response = _client(personas, "admin").post(f"/organization/power/{proposal.pk}/approve/", follow=True)
    assert "You proposed this role, so a different person must approve it" in response.content.decode()
    assert _fresh(personas.survivor).role_codes == set()


def test_a_proposal_of_another_organization_is_not_found(personas: Personas) -> None:
    proposal = role_propose(member=personas.survivor, role="advocate", proposer=personas.admin)
    assert _client(personas, "other_org").post(f"/organization/power/{proposal.pk}/approve/").status_code == 404


# Memberships and the escrow ---------------------------------------------------------------


def _sock_puppet(personas: Personas, email: str) -> Owner:
    """An address the administrator controls, invited and accepted by the administrator."""
    _, token = invitation_create(inviter=personas.admin, email=email, roles=set())
    member, _, vault_key = invitation_accept(
        token=token, display_name=email.split("@", maxsplit=1)[0], password=PASSWORD
    )
    return Owner(organization=member.organization, vault_key=vault_key, member=member)


def test_an_administrator_alone_cannot_complete_a_match(personas: Personas) -> None:
    """The administrator invites an address they control, accepts, and names the person a
    real survivor named: the entry waits, and the administrator cannot confirm it."""
    name(survivor_owner(personas), ("email", SAM))
    puppet = _sock_puppet(personas, "friend@elsewhere.example")
    name(puppet, ("email", SAM))
    assert not Match.objects.exists()
    assert puppet.member is not None
    with pytest.raises(PowerRefused, match="You invited friend"):
        memberships_confirm(confirmer=personas.admin, members=[puppet.member])
    with pytest.raises(PowerRefused, match="Only an administrator or the oversight body"):
        memberships_confirm(confirmer=personas.advocate, members=[puppet.member])
    # Nor by signing the puppet in: unconfirmed entries do not count.
    assert entries_start_counting(puppet) == 0
    client_for(puppet.member, puppet.vault_key).get("/escrow/")
    assert not Match.objects.exists()
    # Nor by granting the puppet the power to confirm: that, too, needs a second person.
    proposal = role_propose(member=puppet.member, role="admin", proposer=personas.admin)
    with pytest.raises(PowerRefused):
        role_approve(proposal=proposal, approver=personas.admin)


def test_a_confirmed_membership_counts_from_the_authors_next_visit(personas: Personas) -> None:
    name(survivor_owner(personas), ("email", SAM))
    newcomer = _sock_puppet(personas, "newcomer@riverside.example")
    name(newcomer, ("email", SAM))
    assert newcomer.member is not None
    confirmed = memberships_confirm(confirmer=personas.oversight, members=[newcomer.member])
    assert confirmed == [newcomer.member]
    assert not Match.objects.exists()  # the server cannot tell which entries are theirs
    newcomer_member = _fresh(newcomer.member)
    assert (newcomer_member.confirmed_by, newcomer_member.confirmation) == (personas.oversight, "second_person")
    client_for(newcomer_member, newcomer.vault_key).get("/escrow/")
    assert Match.objects.count() == 1
    assert LedgerEvent.objects.filter(action="escrow.entries_counted").count() == 1
    assert LedgerEvent.objects.get(action="membership.confirmed").refs == {"members": [newcomer_member.pseudonym]}


def test_memberships_are_confirmed_as_one_list_on_the_page(personas: Personas) -> None:
    first = _sock_puppet(personas, "one@riverside.example").member
    second = _sock_puppet(personas, "two@riverside.example").member
    assert first is not None and second is not None
    client = _client(personas, "admin")
    page = client.get("/organization/memberships/").content.decode()
    assert "you invited them, so someone else confirms" in page
    refused = client.post("/organization/memberships/", {"members": [str(first.pk)]})
    assert refused.status_code == 400
    assert "You invited one" in refused.content.decode()
    oversight = _client(personas, "oversight")
    empty = oversight.post("/organization/memberships/", {})
    assert "Choose at least one person to confirm" in empty.content.decode()
    response = oversight.post("/organization/memberships/", {"members": [str(first.pk), str(second.pk)]}, follow=True)
    assert "2 membership(s) confirmed" in response.content.decode()
    assert Member.objects.filter(pk__in=[first.pk, second.pk], confirmed_by=personas.oversight).count() == 2
    assert LedgerEvent.objects.filter(action="membership.confirmed").count() == 1  # one act


def test_a_role_for_an_unconfirmed_member_waits_for_a_second_person_to_confirm_them(personas: Personas) -> None:
    """Otherwise an administrator could have an account of their own approved as an
    administrator, and have it confirm their other accounts."""
    puppet = _sock_puppet(personas, "friend@elsewhere.example").member
    assert puppet is not None
    proposal = role_propose(member=puppet, role="admin", proposer=personas.admin)
    page = _client(personas, "oversight").get("/organization/power/").content.decode()
    assert "friend@elsewhere.example" in page
    assert "Invited by Admin." in page
    assert "Membership not yet confirmed by a second person" in page
    with pytest.raises(PowerRefused, match="has not been confirmed by a second person yet"):
        role_approve(proposal=proposal, approver=personas.oversight)
    memberships_confirm(confirmer=personas.oversight, members=[puppet])
    role_approve(proposal=RoleProposal.objects.get(pk=proposal.pk), approver=personas.oversight)
    assert _fresh(puppet).role_codes == {"admin"}


def test_only_those_who_may_decide_a_proposal_are_offered_to_decline_it(personas: Personas) -> None:
    second = member_create(
        organization=personas.organization,
        email="second-admin@riverside.example",
        display_name="Second Admin",
        password=PASSWORD,
        roles={"admin"},
        actor="test",
    )[0]
    role_propose(member=personas.survivor, role="panel", proposer=second)
    page = _client(personas, "admin").get("/organization/power/").content.decode()
    assert "Approve: Survivor as Panel member" not in page
    assert "Decline this proposal" not in page
    assert "Withdraw this proposal" not in page
    oversight = _client(personas, "oversight").get("/organization/power/").content.decode()
    assert "Decline this proposal" in oversight
