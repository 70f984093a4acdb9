"""Offboarding someone who leaves a role with power: their roles go at once, the team keys
rotate away from them, and what they were doing is listed so it can be handed over."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chorus.accounts.errors import AccountError, InvitationUnusable, LastAdministrator
from chorus.accounts.models import Member
from chorus.accounts.services.invitations import invitation_create, invitation_for_token
from chorus.accounts.services.offboarding import handover_of, member_offboard
from chorus.accounts.services.power import PowerRefused
from chorus.cases.keys import member_tag
from chorus.cases.models import Case, Measure, Party
from chorus.ledger.models import LedgerEvent
from chorus.records.models import TeamKey
from chorus.records.services import sharing, writing
from chorus.records.services.team import team_key_ensure, team_key_of
from tests.helpers import open_vault
from tests.personas import Personas, add_member
from tests.records.factory import survivor_owner, survivor_record


def _fresh(member: Member) -> Member:
    return Member.objects.get(pk=member.pk)


def _signed_in(personas: Personas, persona: str) -> Client:
    client = Client()
    member = personas.members[persona]
    client.force_login(member, backend="chorus.accounts.backends.MemberBackend")
    open_vault(client, member, personas.vault_keys[persona])
    return client


def _seated(member: Member, role: str, *, closed: bool = False) -> Party:
    case = Case.objects.create(
        organization=member.organization,
        pathway="restorative",
        state="closed" if closed else "preparation",
        closed_at=timezone.now() if closed else None,
    )
    return Party.objects.create(
        case=case, role=role, label=role.title(), tag=member_tag(member), joined_at=timezone.now()
    )


def _shared_personally(personas: Personas, grantee: Member) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    version = writing.record_save(owner, record, {"title": "For you", "what": "Only for this advocate"})
    assert version is not None
    sharing.grant_create(
        owner,
        record,
        grantee=grantee,
        purpose="support",
        versions=[version.number],
        parts=["title"],
        attachment_ids=[],
        expires_at=None,
    )


def test_it_lists_what_must_be_handed_over(personas: Personas) -> None:
    advocate = personas.advocate
    _seated(advocate, "facilitator")
    owning = _seated(advocate, "owner")
    Measure.objects.create(case=owning.case, number=1, kind="supportive", status="agreed", owner=owning)
    _seated(advocate, "facilitator", closed=True)  # a closed case needs nobody
    _seated(advocate, "complainant")  # their own case is not an assignment
    _shared_personally(personas, advocate)

    handover = handover_of(advocate)
    assert handover.roles == ["advocate"]
    assert sorted(seat.seat for seat in handover.seats) == ["Carries out a measure", "Facilitator"]
    assert handover.measures == 1
    assert handover.personal_shares == 1


def test_offboarding_removes_every_power_role_and_rotates_the_team_key(personas: Personas) -> None:
    leaving, _ = add_member(personas.organization, "leaving", {"advocate", "facilitator"})
    before = team_key_ensure(personas.organization)
    assert before is not None and before.holders.filter(member=leaving).exists()

    removed = member_offboard(member=leaving, actor=personas.admin)

    assert removed == ["advocate", "facilitator"]
    assert _fresh(leaving).role_codes == set()
    assert _fresh(leaving).is_active  # they stay a member
    assert TeamKey.objects.get(pk=before.pk).retired_at is not None
    current = team_key_of(personas.organization)
    assert current is not None and not current.holders.filter(member=leaving).exists()
    (event,) = LedgerEvent.objects.filter(action="member.offboarded")
    assert event.actor == personas.admin.pseudonym
    assert event.refs == {"member": leaving.pseudonym, "roles": ["advocate", "facilitator"]}


def test_an_offboarded_administrators_invitations_stop_working(personas: Personas) -> None:
    second_admin, _ = add_member(personas.organization, "second admin", {"admin"})
    add_member(personas.organization, "third admin", {"admin"})
    _sent, token = invitation_create(inviter=second_admin, email="newcomer@riverside.example", roles=set())
    member_offboard(member=second_admin, actor=personas.admin)
    with pytest.raises(InvitationUnusable, match="withdrawn"):
        invitation_for_token(token)


@pytest.mark.parametrize(
    ("persona", "actor", "error", "refusal"),
    [
        ("survivor", "admin", PowerRefused, "holds no role with power"),
        ("advocate", "oversight", PowerRefused, "Only an administrator"),
        ("advocate", "other_org", PowerRefused, "not part of your organization"),
        ("admin", "admin", LastAdministrator, "at least one administrator"),
    ],
)
def test_it_refuses(personas: Personas, persona: str, actor: str, error: type[AccountError], refusal: str) -> None:
    with pytest.raises(error, match=refusal):
        member_offboard(member=personas.members[persona], actor=personas.members[actor])
    assert not LedgerEvent.objects.filter(action="member.offboarded").exists()


def test_it_offboards_from_its_page(personas: Personas) -> None:
    _seated(personas.advocate, "facilitator")
    admin = _signed_in(personas, "admin")
    url = reverse("member_offboard", args=[personas.advocate.pk])
    page = admin.get(url).content.decode()
    assert "Offboard Advocate" in page and 'class="danger"' in page
    assert "Seats in open cases to hand over" in page and "Facilitator" in page
    assert "Advocate is the only one holding a role" in page  # the personas have one advocate

    done = admin.post(url, follow=True)
    body = done.content.decode()
    assert "Advocate no longer holds: Advocate." in body
    assert "Facilitator" in body  # the seat is still listed, to hand over
    assert 'class="danger"' not in body  # nothing left to offboard
    assert _fresh(personas.advocate).role_codes == set()


def test_it_says_why_it_refuses_on_the_page(personas: Personas) -> None:
    admin = _signed_in(personas, "admin")
    response = admin.post(reverse("member_offboard", args=[personas.admin.pk]))
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert "at least one administrator" in response.content.decode()


@pytest.mark.parametrize("persona", ["survivor", "advocate", "oversight", "commission", "panel"])
def test_it_denies_everyone_but_an_administrator(personas: Personas, persona: str) -> None:
    client = _signed_in(personas, persona)
    url = reverse("member_offboard", args=[personas.facilitator.pk])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert _fresh(personas.facilitator).role_codes == {"facilitator"}


def test_it_does_not_warn_when_someone_else_holds_the_role(personas: Personas) -> None:
    add_member(personas.organization, "second", {"advocate"})
    page = _signed_in(personas, "admin").get(reverse("member_offboard", args=[personas.advocate.pk]))
    assert "the only one holding a role" not in page.content.decode()


# Where taking power away alone would let someone escape a check or lose the team's key ------


def test_the_only_oversight_member_is_not_offboarded_as_they_are_not_suspended(personas: Personas) -> None:
    from chorus.accounts.services.lifecycle import member_suspend

    with pytest.raises(PowerRefused) as suspending:
        member_suspend(member=personas.oversight, reason="other", actor=personas.admin)
    with pytest.raises(PowerRefused) as offboarding:
        member_offboard(member=personas.oversight, actor=personas.admin)
    assert str(offboarding.value) == str(suspending.value)
    assert "only active oversight member" in str(offboarding.value)
    assert _fresh(personas.oversight).role_codes == {"oversight"}
    page = _signed_in(personas, "admin").get(reverse("member_offboard", args=[personas.oversight.pk]))
    body = page.content.decode()
    assert "only active oversight member" in body and 'class="danger"' not in body

    add_member(personas.organization, "second oversight", {"oversight"})
    assert member_offboard(member=personas.oversight, actor=personas.admin) == ["oversight"]


def test_the_only_holder_of_the_advocate_teams_key_is_not_offboarded(personas: Personas) -> None:
    from chorus.records.access import Reader
    from chorus.records.services.team import team_key_distribute

    built = survivor_record(personas)  # shared with the advocate team: the key exists
    with pytest.raises(PowerRefused, match="only one holding the team key of: Advocate"):
        member_offboard(member=personas.advocate, actor=personas.admin)
    assert _fresh(personas.advocate).role_codes == {"advocate"}
    page = _signed_in(personas, "admin").get(reverse("member_offboard", args=[personas.advocate.pk])).content.decode()
    assert "Have a second holder approved first" in page and "open the team&#x27;s page" in page
    assert 'class="danger"' not in page

    # A second advocate is approved, but does not hold the key until a holder opens the team's page.
    second, second_key = add_member(personas.organization, "second advocate", {"advocate"})
    with pytest.raises(PowerRefused, match="only one holding the team key"):
        member_offboard(member=personas.advocate, actor=personas.admin)
    team_key_distribute(Reader(member=personas.advocate, vault_key=personas.vault_keys["advocate"]))
    assert member_offboard(member=personas.advocate, actor=personas.admin) == ["advocate"]
    assert sharing.grant_open(Reader(member=second, vault_key=second_key), built.grant)


def test_the_only_holder_of_the_commissions_key_is_not_offboarded(personas: Personas) -> None:
    assert team_key_ensure(personas.organization, "commission") is not None
    with pytest.raises(PowerRefused, match="only one holding the team key of: Commission"):
        member_offboard(member=personas.commission, actor=personas.admin)
    assert _fresh(personas.commission).role_codes == {"commission"}


def test_someone_who_leaves_leaves_their_suspensions_of_others_waiting(personas: Personas) -> None:
    """Their suspensions and removals of others still take a second person; what they proposed
    that gives power (a role, a reinstatement) is withdrawn."""
    from chorus.accounts.models import MembershipChange, RoleProposal
    from chorus.accounts.services.lifecycle import member_reinstate, member_suspend, membership_change_approve
    from chorus.accounts.services.power import role_propose

    second, _ = add_member(personas.organization, "second admin", {"admin"})
    third, _ = add_member(personas.organization, "third admin", {"admin"})
    Member.objects.filter(pk=personas.survivor.pk).update(confirmed_at=timezone.now())
    Member.objects.filter(pk=personas.respondent.pk).update(is_active=False)
    suspension = member_suspend(member=personas.admin, reason="other", actor=second)
    reinstatement = member_reinstate(member=personas.respondent, reason="other", actor=second)
    role = role_propose(member=_fresh(personas.survivor), role="panel", proposer=second)

    member_offboard(member=second, actor=third)
    assert MembershipChange.objects.get(pk=suspension.pk).outcome == ""
    assert MembershipChange.objects.get(pk=reinstatement.pk).outcome == "withdrawn"
    assert RoleProposal.objects.get(pk=role.pk).outcome == "withdrawn"
    membership_change_approve(change=suspension, approver=personas.oversight)
    assert not _fresh(personas.admin).is_active


def test_an_administrator_does_not_offboard_who_proposed_suspending_them(personas: Personas) -> None:
    """Otherwise they would be the last administrator, whom nobody suspends."""
    from chorus.accounts.services.lifecycle import member_suspend, membership_change_approve

    second, _ = add_member(personas.organization, "second admin", {"admin"})
    suspension = member_suspend(member=personas.admin, reason="other", actor=second)
    with pytest.raises(PowerRefused, match="change to your own membership is waiting"):
        member_offboard(member=second, actor=personas.admin)
    page = _signed_in(personas, "admin").post(reverse("member_offboard", args=[second.pk]))
    assert page.status_code == 400 and "Another administrator must change" in page.content.decode()
    assert _fresh(second).role_codes == {"admin"}
    membership_change_approve(change=suspension, approver=personas.oversight)
    assert not _fresh(personas.admin).is_active


def test_an_administrator_does_not_make_themselves_the_only_one_alone(personas: Personas) -> None:
    """The last administrator is never suspended or removed: taking the only other
    administrator's role alone would put the actor beyond anyone's check. They may give it up
    themselves, or two people remove them; with a third administrator left, it is done at once."""
    from chorus.accounts.services.lifecycle import member_remove, membership_change_approve
    from chorus.accounts.services.power import member_set_roles

    second, _ = add_member(personas.organization, "second admin", {"admin"})
    with pytest.raises(PowerRefused, match="leave you the only administrator"):
        member_offboard(member=second, actor=personas.admin)
    with pytest.raises(PowerRefused, match="leave you the only administrator"):
        member_set_roles(member=second, roles=set(), actor=personas.admin)
    client = _signed_in(personas, "admin")
    assert "leave you the only administrator" in client.get(reverse("member_offboard", args=[second.pk])).content.decode()
    page = client.post(reverse("member_offboard", args=[second.pk]))
    assert page.status_code == 400 and "leave you the only administrator" in page.content.decode()
    assert _fresh(second).role_codes == {"admin"}
    assert not LedgerEvent.objects.filter(action__in=["role.removed", "member.offboarded"]).exists()

    third, _ = add_member(personas.organization, "third admin", {"admin"})
    member_offboard(member=second, actor=personas.admin)  # two administrators remain
    assert _fresh(second).role_codes == set()
    member_set_roles(member=third, roles=set(), actor=third)  # one gives up their own role
    assert _fresh(third).role_codes == set()

    fourth, _ = add_member(personas.organization, "fourth admin", {"admin"})
    removal = member_remove(member=fourth, reason="left", actor=personas.admin)
    membership_change_approve(change=removal, approver=personas.oversight)  # two people did it
    assert not _fresh(fourth).is_active and _fresh(personas.admin).role_codes == {"admin"}


def test_an_administrator_facing_a_proposal_takes_nobodys_roles_until_it_is_decided(personas: Personas) -> None:
    """The oversight member who proposed suspending them is protected, and so is the one who
    would approve it: otherwise the administrator removes the approver's role and the proposal
    waits until it lapses."""
    from chorus.accounts.services.lifecycle import member_suspend, membership_change_approve
    from chorus.accounts.services.power import member_set_roles

    approver, _ = add_member(personas.organization, "second oversight", {"oversight"})
    add_member(personas.organization, "third oversight", {"oversight"})
    suspension = member_suspend(member=personas.admin, reason="other", actor=personas.oversight)
    with pytest.raises(PowerRefused, match="change to your own membership is waiting"):
        member_set_roles(member=approver, roles=set(), actor=personas.admin)
    with pytest.raises(PowerRefused, match="change to your own membership is waiting"):
        member_offboard(member=approver, actor=personas.admin)
    assert _fresh(approver).role_codes == {"oversight"}
    membership_change_approve(change=suspension, approver=approver)
    assert not _fresh(personas.admin).is_active


def test_a_waiting_proposal_does_not_freeze_removing_anyone_elses_roles(personas: Personas) -> None:
    """Only the accuser and those who may decide are protected: a proposal left waiting must
    not stop the administrator taking power from someone else at once."""
    from chorus.accounts.services.lifecycle import member_suspend
    from chorus.accounts.services.power import member_set_roles

    second, _ = add_member(personas.organization, "second admin", {"admin"})
    add_member(personas.organization, "third admin", {"admin"})
    member_suspend(member=personas.admin, reason="other", actor=second)
    member_set_roles(member=personas.advocate, roles=set(), actor=personas.admin)
    assert _fresh(personas.advocate).role_codes == set()
