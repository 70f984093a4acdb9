"""Removing (expelling) a member: by two people, as a suspension; sessions end, roles go and
the team keys rotate away from them, the invitations they sent stop working, what they own
stays. Also: a suspended administrator's invitations stop working; the only oversight member
is not suspended; a change carrying out a case's sanction names it, so the case shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chorus.accounts.errors import InvitationUnusable, SignInRefused
from chorus.accounts.models import Invitation, Member, MemberRole, MembershipChange, Organization, RoleProposal
from chorus.accounts.services.invitations import invitation_create, invitation_for_token
from chorus.accounts.services.lifecycle import (
    member_reinstate,
    member_remove,
    member_suspend,
    membership_change_approve,
)
from chorus.accounts.services.power import PowerRefused, role_approve, role_propose, roles_remove
from chorus.accounts.services.sanctions import measure_tag, sanction_carried_out
from chorus.accounts.services.signin import sign_in_password
from chorus.cases.keys import member_tag
from chorus.cases.models import Case, Measure, Party
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import ledger_verify
from chorus.records.models import Record, TeamKey
from chorus.records.services.team import team_key_ensure, team_key_of
from tests.helpers import open_vault
from tests.personas import PASSWORD, Personas, add_member
from tests.records.factory import survivor_record


def _fresh(member: Member) -> Member:
    return Member.objects.get(pk=member.pk)


def _signed_in(member: Member, vault_key: bytes) -> Client:
    client = Client()
    client.force_login(member, backend="chorus.accounts.backends.MemberBackend")
    open_vault(client, member, vault_key)
    return client


def _removed(personas: Personas, member: Member, approver: Member | None = None) -> MembershipChange:
    change = member_remove(member=member, reason="sanction", actor=personas.admin)
    return membership_change_approve(change=change, approver=approver or personas.oversight)


# The service ------------------------------------------------------------------------------


def test_nobody_removes_a_member_alone(personas: Personas) -> None:
    built = survivor_record(personas)
    client = _signed_in(personas.survivor, personas.vault_keys["survivor"])
    assert client.get("/records/").status_code == 200
    change = member_remove(member=personas.survivor, reason="sanction", case_reference="HR-2026-7", actor=personas.admin)
    assert _fresh(personas.survivor).is_active and _fresh(personas.survivor).removed_at is None
    for who, refusal in [
        (personas.admin, "You proposed this change"),
        (personas.survivor, "Nobody approves a change to their own membership"),
        (personas.advocate, "Another administrator or the oversight body"),
    ]:
        with pytest.raises(PowerRefused, match=refusal):
            membership_change_approve(change=change, approver=who)

    membership_change_approve(change=change, approver=personas.oversight)
    removed = _fresh(personas.survivor)
    assert not removed.is_active and removed.removed_at is not None
    # Their session ends at once; what they own is not destroyed by the organization.
    assert client.get("/records/").status_code == 302
    assert not any(s.get_decoded().get("_auth_user_id") == str(removed.pk) for s in Session.objects.all())
    assert Record.objects.filter(pk=built.record.pk).exists()
    (event,) = LedgerEvent.objects.filter(action="member.removed")
    assert event.actor == personas.oversight.pseudonym
    assert set(event.refs) == {"change", "member", "reason", "proposed_by"}
    assert "HR-2026-7" not in str(event.refs)
    assert [e.action for e in LedgerEvent.objects.filter(action__startswith="member.r").order_by("seq")] == [
        "member.removal_proposed",
        "member.removed",
    ]
    with pytest.raises(PowerRefused, match="already been removed"):
        member_remove(member=removed, reason="other", actor=personas.admin)
    assert ledger_verify(f"org:{personas.organization.pk}").ok


def test_a_removed_member_may_take_their_records_away_for_a_while_and_nothing_else(personas: Personas) -> None:
    built = survivor_record(personas)
    _removed(personas, personas.survivor)
    client = Client()
    signed = client.post("/sign-in/", {"email": "survivor@riverside.example", "password": PASSWORD})
    assert signed.status_code == 302
    assert client.get("/")["Location"] == reverse("membership_ended")
    page = client.get(reverse("membership_ended")).content.decode()
    assert "Your membership has ended" in page and "What you wrote is still yours" in page
    assert client.get(reverse("records")).status_code == 200
    assert client.get(reverse("record_export", args=[built.record.pk, "zip"])).status_code == 200
    for refused in (client.get(reverse("escrow")), client.post(reverse("record_new")), client.get(reverse("power"))):
        assert refused.status_code == 302 and refused["Location"] == reverse("membership_ended")
    assert Record.objects.count() == 1
    # They may delete their account (and so their records) within those days.
    assert client.get(reverse("account_delete")).status_code == 200

    # Once the days have passed, the session no longer loads and sign-in says why.
    Member.objects.filter(pk=personas.survivor.pk).update(removed_at=timezone.now() - timedelta(days=31))
    assert client.get(reverse("records"))["Location"].startswith("/sign-in/")
    with pytest.raises(SignInRefused, match="days to take your records away have passed"):
        sign_in_password(email="survivor@riverside.example", password=PASSWORD, ip="127.0.0.9")
    assert Record.objects.filter(pk=built.record.pk).exists()  # still not destroyed


def test_a_suspended_member_gets_no_such_days(personas: Personas) -> None:
    change = member_suspend(member=personas.survivor, reason="other", actor=personas.admin)
    membership_change_approve(change=change, approver=personas.oversight)
    with pytest.raises(SignInRefused, match="suspended"):
        sign_in_password(email="survivor@riverside.example", password=PASSWORD, ip="127.0.0.9")


def test_removing_a_power_holder_takes_their_roles_and_rotates_the_team_key(personas: Personas) -> None:
    second, _ = add_member(personas.organization, "second", {"advocate"})
    first_key = team_key_ensure(personas.organization)
    assert first_key is not None
    assert set(first_key.holders.values_list("member_id", flat=True)) == {personas.advocate.pk, second.pk}

    change = member_remove(member=second, reason="left", actor=personas.admin)
    second_admin, _ = add_member(personas.organization, "second admin", {"admin"})
    with pytest.raises(PowerRefused, match="holds the Advocate role"):
        membership_change_approve(change=change, approver=second_admin)
    membership_change_approve(change=change, approver=personas.advocate)

    assert not MemberRole.objects.filter(member=second).exists()
    assert LedgerEvent.objects.filter(action="role.removed", refs__member=second.pseudonym).exists()
    current = team_key_of(personas.organization)
    assert current is not None and current.pk != first_key.pk
    assert TeamKey.objects.get(pk=first_key.pk).retired_at is not None
    assert list(current.holders.values_list("member_id", flat=True)) == [personas.advocate.pk]
    assert LedgerEvent.objects.filter(action="team_key.rotation_started").exists()


def test_removing_the_role_first_does_not_get_around_the_second_person(personas: Personas) -> None:
    second, _ = add_member(personas.organization, "second", {"advocate"})
    second_admin, _ = add_member(personas.organization, "second admin", {"admin"})
    roles_remove(member=second, roles={"advocate"}, actor=personas.admin)
    change = member_remove(member=_fresh(second), reason="sanction", actor=personas.admin)
    with pytest.raises(PowerRefused, match="holds the Advocate role"):
        membership_change_approve(change=change, approver=second_admin)
    assert _fresh(second).is_active


def test_a_removed_member_is_reinstated_by_two_people_without_their_roles(personas: Personas) -> None:
    second, _ = add_member(personas.organization, "second", {"advocate"})
    _removed(personas, second)
    back = member_reinstate(member=_fresh(second), reason="sanction_ended", actor=personas.admin)
    assert not _fresh(second).is_active
    membership_change_approve(change=back, approver=personas.oversight)
    again = _fresh(second)
    assert again.is_active and again.removed_at is None
    assert again.role_codes == set()


def test_a_suspended_member_may_still_be_removed(personas: Personas) -> None:
    change = member_suspend(member=personas.survivor, reason="sanction", actor=personas.admin)
    membership_change_approve(change=change, approver=personas.oversight)
    _removed(personas, _fresh(personas.survivor))
    assert _fresh(personas.survivor).removed_at is not None


@pytest.mark.parametrize("kind", ["suspend", "remove"])
def test_a_suspended_or_removed_administrators_invitations_stop_working(personas: Personas, kind: str) -> None:
    second_admin, _ = add_member(personas.organization, "second admin", {"admin"})
    sent, token = invitation_create(inviter=second_admin, email="newcomer@riverside.example", roles=set())
    accepted, _token = invitation_create(inviter=second_admin, email="other@riverside.example", roles=set())
    Invitation.objects.filter(pk=accepted.pk).update(accepted_at=timezone.now())
    assert invitation_for_token(token).pk == sent.pk

    act = member_suspend if kind == "suspend" else member_remove
    change = act(member=second_admin, reason="other", actor=personas.admin)
    membership_change_approve(change=change, approver=personas.oversight)

    with pytest.raises(InvitationUnusable, match="withdrawn"):
        invitation_for_token(token)
    assert Invitation.objects.get(pk=sent.pk).revoked_at is not None
    assert Invitation.objects.get(pk=accepted.pk).revoked_at is None  # used already: untouched
    (event,) = LedgerEvent.objects.filter(action="invitation.revoked")
    assert event.refs == {"invitation": str(sent.pk), "because": "inviter_left"}


def test_an_invitation_from_someone_who_cannot_sign_in_is_refused_even_if_not_withdrawn(personas: Personas) -> None:
    """Rows put straight into the database, or a suspension from before invitations were
    withdrawn: an inactive inviter's invitation still brings nobody in."""
    second_admin, _ = add_member(personas.organization, "second admin", {"admin"})
    _sent, token = invitation_create(inviter=second_admin, email="newcomer@riverside.example", roles=set())
    Member.objects.filter(pk=second_admin.pk).update(is_active=False)
    with pytest.raises(InvitationUnusable, match="withdrawn"):
        invitation_for_token(token)


@pytest.mark.parametrize("act", [member_suspend, member_remove])
def test_the_only_oversight_member_is_not_suspended_or_removed(personas: Personas, act: object) -> None:
    with pytest.raises(PowerRefused, match="only active oversight member") as refused:
        act(member=personas.oversight, reason="other", actor=personas.admin)  # type: ignore[operator]
    assert "chorus organization seat" in str(refused.value)
    assert not MembershipChange.objects.exists()
    # With a second oversight member it may be proposed, and the second one approves it.
    second, _ = add_member(personas.organization, "second oversight", {"oversight"})
    change = act(member=personas.oversight, reason="other", actor=personas.admin)  # type: ignore[operator]
    membership_change_approve(change=change, approver=second)
    assert not _fresh(personas.oversight).is_active


def test_the_last_administrator_is_not_removed(personas: Personas) -> None:
    """A third administrator proposed removing both, then gave up the role: the second
    approval would leave none."""
    second_admin, _ = add_member(personas.organization, "second admin", {"admin"})
    third, _ = add_member(personas.organization, "third", {"admin"})
    first = member_remove(member=second_admin, reason="other", actor=third)
    other = member_remove(member=personas.admin, reason="other", actor=third)
    roles_remove(member=third, roles={"admin"}, actor=third)  # gave it up themselves
    membership_change_approve(change=first, approver=personas.oversight)
    with pytest.raises(PowerRefused, match="last active administrator"):
        membership_change_approve(change=other, approver=personas.oversight)
    assert _fresh(personas.admin).is_active and personas.admin.has_role("admin")


def test_the_oversight_body_checks_even_the_only_administrator(personas: Personas) -> None:
    """Administrators alone propose these changes and never the last administrator's: without
    this, the only administrator would be beyond anyone's check. The oversight body proposes
    it, a second person approves it, and the operator then seats a new administrator."""
    with pytest.raises(PowerRefused, match="oversight body may propose it for an administrator"):
        member_suspend(member=personas.survivor, reason="other", actor=personas.oversight)
    with pytest.raises(PowerRefused, match="oversight body may propose it for an administrator"):
        member_suspend(member=personas.admin, reason="other", actor=personas.advocate)
    change = member_remove(member=personas.admin, reason="other", actor=personas.oversight)
    with pytest.raises(PowerRefused, match="a different person must approve"):
        membership_change_approve(change=change, approver=personas.oversight)
    second, _ = add_member(personas.organization, "second oversight", {"oversight"})
    membership_change_approve(change=change, approver=second)
    removed = _fresh(personas.admin)
    assert not removed.is_active and removed.role_codes == set()
    assert LedgerEvent.objects.get(action="member.removed").refs["proposed_by"] == personas.oversight.pseudonym


def test_the_only_administrator_does_not_take_the_oversight_bodys_roles_to_escape_it(personas: Personas) -> None:
    """Removing roles is done at once, but not the only oversight member's by someone else:
    otherwise the only administrator removes them all and nobody may propose suspending them."""
    from chorus.accounts.services.power import member_set_roles

    second, _ = add_member(personas.organization, "second oversight", {"oversight"})
    member_set_roles(member=second, roles=set(), actor=personas.admin)  # another one remains
    with pytest.raises(PowerRefused, match="only active oversight member"):
        member_set_roles(member=personas.oversight, roles=set(), actor=personas.admin)
    assert _fresh(personas.oversight).role_codes == {"oversight"}
    member_suspend(member=personas.admin, reason="other", actor=_fresh(personas.oversight))


def test_the_oversight_body_proposes_it_from_who_holds_power(personas: Personas) -> None:
    oversight = _signed_in(personas.oversight, personas.vault_keys["oversight"])
    page = oversight.get(reverse("power")).content.decode()
    suspend = reverse("member_suspend", args=[personas.admin.pk])
    assert suspend in page and "you may propose suspending or removing Admin" in page
    assert suspend not in _signed_in(personas.advocate, personas.vault_keys["advocate"]).get(reverse("power")).content.decode()
    assert oversight.get(reverse("member_suspend", args=[personas.survivor.pk])).status_code == 403
    assert oversight.get(reverse("members")).status_code == 403
    form = oversight.get(suspend)
    assert form.status_code == 200 and "Back to Who holds power" in form.content.decode()
    response = oversight.post(suspend, {"reason": "other"})
    assert response.status_code == 302 and response["Location"] == reverse("power")
    change = MembershipChange.objects.get(member=personas.admin)
    assert (change.kind, change.proposed_by) == ("suspend", personas.oversight)
    second, _ = add_member(personas.organization, "second oversight", {"oversight"})
    membership_change_approve(change=change, approver=second)
    assert not _fresh(personas.admin).is_active
    assert "Nobody is an active administrator" in oversight.get(reverse("power")).content.decode()


# A sanction decided in a case ---------------------------------------------------------------


def _sanction(
    personas: Personas, *, kind: str = "sanction", status: str = "agreed", organization: Organization | None = None
) -> Measure:
    case = Case.objects.create(organization=organization or personas.organization, pathway="formal", state="final")
    Party.objects.create(case=case, role="respondent", label="Respondent", tag=member_tag(personas.respondent))
    return Measure.objects.create(
        case=case,
        number=1,
        kind=kind,
        status=status,
        decided_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=30) if kind == "interim" else None,
    )


def test_a_change_carrying_out_a_sanction_shows_on_the_case_who_did_it(personas: Personas) -> None:
    measure = _sanction(personas)
    assert sanction_carried_out(measure) == []
    change = member_remove(member=personas.respondent, reason="sanction", actor=personas.admin, measure=measure)
    assert change.case_reference == ""  # the row names no case
    (waiting,) = sanction_carried_out(measure)
    assert (waiting.kind, waiting.outcome, waiting.done, waiting.proposed_by) == ("remove", "", False, "Admin")
    proposed = LedgerEvent.objects.get(action="member.removal_proposed")
    assert proposed.refs["measure"] == measure_tag(measure.pk).hex()

    membership_change_approve(change=change, approver=personas.oversight)
    (done,) = sanction_carried_out(measure)
    assert done.done and done.decided_by == "Oversight" and done.decided_at is not None
    assert LedgerEvent.objects.get(action="member.removed").refs["measure"] == measure_tag(measure.pk).hex()


def test_a_change_carrying_out_a_sanction_does_not_tie_the_member_to_the_case_in_a_dump(personas: Personas) -> None:
    measure = _sanction(personas)
    Case.objects.filter(pk=measure.case_id).update(reference="C-2026-0042")
    change = member_suspend(member=personas.respondent, reason="sanction", actor=personas.admin, measure=measure)
    row = MembershipChange.objects.filter(pk=change.pk).values().get()
    dumped = repr(row) + repr(list(LedgerEvent.objects.values_list("refs", flat=True)))
    for identifier in (str(measure.pk), measure.pk.hex, str(measure.case_id), measure.case_id.hex, "C-2026-0042"):
        assert identifier not in dumped
    assert [row.kind for row in sanction_carried_out(measure)] == ["suspend"]  # the server still finds it


def test_a_lapsed_change_shows_as_expired_on_the_case(personas: Personas) -> None:
    measure = _sanction(personas, kind="interim")
    change = member_suspend(member=personas.respondent, reason="sanction", actor=personas.admin, measure=measure)
    MembershipChange.objects.filter(pk=change.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert [row.outcome for row in sanction_carried_out(measure)] == ["expired"]


def test_a_sanction_is_carried_out_only_on_the_cases_respondent(personas: Personas) -> None:
    measure = _sanction(personas)
    with pytest.raises(PowerRefused, match="not about this member"):
        member_suspend(member=personas.survivor, reason="sanction", actor=personas.admin, measure=measure)
    assert not MembershipChange.objects.exists()


@pytest.mark.parametrize(
    ("kind", "status", "elsewhere", "refusal"),
    [
        ("supportive", "agreed", False, "Only a sanction or an interim measure"),
        ("sanction", "requested", False, "has not been decided"),
        ("sanction", "agreed", True, "not part of your organization"),
    ],
)
def test_only_a_decided_sanction_of_ones_own_organization_is_carried_out(
    personas: Personas, kind: str, status: str, elsewhere: bool, refusal: str
) -> None:
    measure = _sanction(
        personas, kind=kind, status=status, organization=personas.other_organization if elsewhere else None
    )
    with pytest.raises(PowerRefused, match=refusal):
        member_remove(member=personas.respondent, reason="sanction", actor=personas.admin, measure=measure)
    assert not MembershipChange.objects.exists()


# The pages ----------------------------------------------------------------------------------


def test_it_proposes_a_removal_from_the_members_page(personas: Personas) -> None:
    admin = _signed_in(personas.admin, personas.vault_keys["admin"])
    members = admin.get(reverse("members")).content.decode()
    assert reverse("member_remove", args=[personas.survivor.pk]) in members
    assert reverse("member_offboard", args=[personas.advocate.pk]) in members
    assert reverse("member_offboard", args=[personas.survivor.pk]) not in members  # holds no power

    url = reverse("member_remove", args=[personas.survivor.pk])
    page = admin.get(url).content.decode()
    assert "What they own is not destroyed" in page and 'class="danger"' in page
    refused = admin.post(url, {"reason": "", "case_reference": "he did it"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "There is a problem" in body and "Choose a reason." in body and "A case reference is an identifier" in body
    response = admin.post(url, {"reason": "sanction", "case_reference": "HR-2026-14"}, follow=True)
    assert "You proposed to remove Survivor" in response.content.decode()
    assert "removal waiting for approval" in response.content.decode()
    assert MembershipChange.objects.get().kind == "remove"

    oversight = _signed_in(personas.oversight, personas.vault_keys["oversight"])
    power = oversight.get(reverse("power")).content.decode()
    assert "Approve: remove Survivor" in power
    change = MembershipChange.objects.get()
    done = oversight.post(reverse("membership_change_approve", args=[change.pk]), follow=True)
    assert "Survivor is removed" in done.content.decode()
    after = admin.get(reverse("members")).content.decode()
    assert ">removed</span>" in after
    assert reverse("member_reinstate", args=[personas.survivor.pk]) in after
    stale = admin.get(url, follow=True)
    assert "Survivor has already been removed." in stale.content.decode()


def test_it_refuses_removing_the_only_oversight_member_with_a_clear_message(personas: Personas) -> None:
    admin = _signed_in(personas.admin, personas.vault_keys["admin"])
    response = admin.post(reverse("member_remove", args=[personas.oversight.pk]), {"reason": "other"})
    assert response.status_code == 400
    assert "only active oversight member" in response.content.decode()


@pytest.mark.parametrize("persona", ["survivor", "advocate", "oversight", "commission", "panel"])
def test_it_denies_the_removal_page_to_anyone_but_an_administrator(personas: Personas, persona: str) -> None:
    client = _signed_in(personas.members[persona], personas.vault_keys[persona])
    url = reverse("member_remove", args=[personas.respondent.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "sanction"}).status_code == 403
    assert not MembershipChange.objects.exists()


def test_it_does_not_reach_another_organizations_member(personas: Personas) -> None:
    client = _signed_in(personas.other_org, personas.vault_keys["other_org"])
    assert client.get(reverse("member_remove", args=[personas.survivor.pk])).status_code == 404


def test_proposals_by_or_for_someone_who_leaves_are_withdrawn_but_not_their_suspensions_of_others(
    personas: Personas,
) -> None:
    """Nobody gains power, nor has a proposal approved, through someone suspended or removed.
    A suspension they proposed of someone else stays for a second person to decide: it takes
    power away, and its subject must not escape it by having its proposer leave."""
    second_admin, _ = add_member(personas.organization, "second admin", {"admin"})
    newcomer, _ = add_member(personas.organization, "newcomer", set())
    Member.objects.filter(pk__in=[newcomer.pk, personas.survivor.pk]).update(confirmed_at=timezone.now())
    by_them = role_propose(member=_fresh(newcomer), role="advocate", proposer=second_admin)
    for_survivor = role_propose(member=_fresh(personas.survivor), role="panel", proposer=personas.admin)
    their_change = member_suspend(member=personas.respondent, reason="other", actor=second_admin)

    change = member_suspend(member=second_admin, reason="compromised", actor=personas.admin)
    membership_change_approve(change=change, approver=personas.oversight)
    assert RoleProposal.objects.get(pk=by_them.pk).outcome == "withdrawn"
    assert MembershipChange.objects.get(pk=their_change.pk).outcome == ""
    with pytest.raises(PowerRefused, match="no longer waiting"):
        role_approve(proposal=by_them, approver=personas.advocate)
    membership_change_approve(change=their_change, approver=personas.oversight)
    assert not _fresh(personas.respondent).is_active

    _removed(personas, personas.survivor)
    assert RoleProposal.objects.get(pk=for_survivor.pk).outcome == "withdrawn"
    assert LedgerEvent.objects.filter(action="role.withdrawn", refs__because="member_left").count() == 2


def test_a_removed_member_may_delete_their_account_within_those_days(personas: Personas) -> None:
    survivor_record(personas)
    _removed(personas, personas.survivor)
    client = Client()
    client.post("/sign-in/", {"email": "survivor@riverside.example", "password": PASSWORD})
    response = client.post(reverse("account_delete"), {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("account_deleted")
    assert not Record.objects.exists()
    assert _fresh(personas.survivor).deleted_at is not None
