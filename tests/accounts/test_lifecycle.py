"""Suspending and reinstating members: always by two people (for someone with power, a
second person who may approve their roles); refusals; sessions end; sign-in says the
account is suspended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chorus.accounts.models import Member, MembershipChange
from chorus.accounts.services.lifecycle import (
    member_reinstate,
    member_suspend,
    membership_change_approve,
    membership_change_decline,
)
from chorus.accounts.services.power import PowerRefused
from chorus.ledger.models import LedgerEvent
from chorus.records.models import Record
from tests.helpers import open_vault, sign_in
from tests.personas import PASSWORD, Personas, add_member
from tests.records.factory import survivor_record


def _fresh(member: Member) -> Member:
    return Member.objects.get(pk=member.pk)


def _events(*actions: str) -> list[LedgerEvent]:
    return list(LedgerEvent.objects.filter(action__in=actions).order_by("seq"))


def _signed_in(personas: Personas, persona: str) -> Client:
    client = Client()
    member = personas.members[persona]
    client.force_login(member, backend="chorus.accounts.backends.MemberBackend")
    open_vault(client, member, personas.vault_keys[persona])
    return client


def _suspended(personas: Personas, member: Member, reason: str = "other") -> None:
    """Suspended by the administrator and the oversight body."""
    change = member_suspend(member=member, reason=reason, actor=personas.admin)
    membership_change_approve(change=change, approver=personas.oversight)


# The service ------------------------------------------------------------------------------


def test_nobody_suspends_a_member_alone_not_even_one_without_power(personas: Personas) -> None:
    """One administrator alone would cut a survivor off from her own records and cases:
    another administrator or the oversight body confirms."""
    built = survivor_record(personas)
    change = member_suspend(
        member=personas.survivor, reason="sanction", case_reference="HR-2026-014", actor=personas.admin
    )
    assert change.outcome == "" and _fresh(personas.survivor).is_active
    for who, refusal in [
        (personas.admin, "You proposed this change"),
        (personas.survivor, "Nobody approves a change to their own membership"),
        (personas.advocate, "Another administrator or the oversight body"),
    ]:
        with pytest.raises(PowerRefused, match=refusal):
            membership_change_approve(change=change, approver=who)
    membership_change_approve(change=change, approver=personas.oversight)
    assert not _fresh(personas.survivor).is_active
    assert Record.objects.filter(pk=built.record.pk).exists()  # their records stay
    (event,) = _events("member.suspended")
    assert event.actor == personas.oversight.pseudonym
    # Only pseudonyms and the reason code: never the case reference, never a name.
    assert set(event.refs) == {"change", "member", "reason", "proposed_by"}
    assert (event.refs["member"], event.refs["reason"]) == (personas.survivor.pseudonym, "sanction")
    assert "HR-2026-014" not in str(event.refs)

    back = member_reinstate(member=_fresh(personas.survivor), reason="sanction_ended", actor=personas.admin)
    assert not _fresh(personas.survivor).is_active  # undoing a sanction takes two as well
    second_admin, _ = add_member(personas.organization, "second admin", {"admin"})
    membership_change_approve(change=back, approver=second_admin)
    assert _fresh(personas.survivor).is_active
    assert _events("member.reinstated")[0].refs["reason"] == "sanction_ended"


def test_suspending_or_reinstating_a_power_holder_waits_for_a_second_person(personas: Personas) -> None:
    advocate = personas.advocate
    change = member_suspend(member=advocate, reason="compromised", actor=personas.admin)
    assert change.outcome == ""
    assert _fresh(advocate).is_active
    assert [event.refs["member"] for event in _events("member.suspension_proposed")] == [advocate.pseudonym]
    for who, refusal in [
        (personas.admin, "You proposed this change"),
        (advocate, "Nobody approves a change to their own membership"),
        (personas.commission, "needs someone who holds: Advocate, Oversight"),
        (personas.survivor, "needs someone who holds"),
        (personas.other_org, "not part of your organization"),
    ]:
        with pytest.raises(PowerRefused, match=refusal):
            membership_change_approve(change=change, approver=who)
    assert _fresh(advocate).is_active

    membership_change_approve(change=change, approver=personas.oversight)
    assert not _fresh(advocate).is_active
    (event,) = _events("member.suspended")
    assert event.actor == personas.oversight.pseudonym
    assert event.refs["proposed_by"] == personas.admin.pseudonym
    # The role is kept, but counts for nothing while suspended.
    assert "advocate" in _fresh(advocate).role_codes
    assert not Member.objects.holding(personas.organization, "advocate").exists()
    with pytest.raises(PowerRefused, match="no longer waiting"):
        membership_change_approve(change=change, approver=personas.oversight)

    back = member_reinstate(member=_fresh(advocate), reason="secured", actor=personas.admin)
    assert back.outcome == "" and not _fresh(advocate).is_active
    membership_change_decline(change=back, actor=personas.oversight)
    assert not _fresh(advocate).is_active
    assert _events("member.change_declined")[0].refs["outcome"] == "declined"

    again = member_reinstate(member=_fresh(advocate), reason="secured", actor=personas.admin)
    membership_change_approve(change=again, approver=personas.oversight)
    assert _fresh(advocate).is_active
    assert list(Member.objects.holding(personas.organization, "advocate")) == [advocate]
    assert [event.action for event in _events(*_ACTIONS)] == [
        "member.suspension_proposed",
        "member.suspended",
        "member.reinstatement_proposed",
        "member.change_declined",
        "member.reinstatement_proposed",
        "member.reinstated",
    ]


_ACTIONS = (
    "member.suspension_proposed",
    "member.suspended",
    "member.reinstatement_proposed",
    "member.reinstated",
    "member.change_declined",
)


def test_the_approver_must_approve_every_power_role_the_member_holds(personas: Personas) -> None:
    both, _ = add_member(personas.organization, "both", {"advocate", "panel"})
    change = member_suspend(member=both, reason="sanction", actor=personas.admin)
    with pytest.raises(PowerRefused, match="holds the Panel member role"):
        membership_change_approve(change=change, approver=personas.advocate)
    membership_change_approve(change=change, approver=personas.oversight)
    assert not _fresh(both).is_active


def test_removing_the_role_first_does_not_get_around_the_second_person(personas: Personas) -> None:
    """The administrator removes the oversight member's role (at once, by design), then
    proposes to suspend them: they still count as holding it, and only oversight approves."""
    from chorus.accounts.services.power import roles_remove

    second_admin, _ = add_member(personas.organization, "second admin", {"admin"})
    add_member(personas.organization, "second oversight", {"oversight"})  # so the role may be taken
    roles_remove(member=personas.oversight, roles={"oversight"}, actor=personas.admin)
    change = member_suspend(member=_fresh(personas.oversight), reason="other", actor=personas.admin)
    with pytest.raises(PowerRefused, match="holds the Oversight role"):
        membership_change_approve(change=change, approver=second_admin)
    assert _fresh(personas.oversight).is_active


def test_another_advocate_may_approve_suspending_an_advocate(personas: Personas) -> None:
    second, _ = add_member(personas.organization, "second", {"advocate"})
    change = member_suspend(member=second, reason="left", actor=personas.admin)
    membership_change_approve(change=change, approver=personas.advocate)
    assert not _fresh(second).is_active


def test_the_proposer_withdraws_and_nobody_else_without_the_roles_declines(personas: Personas) -> None:
    change = member_suspend(member=personas.advocate, reason="other", actor=personas.admin)
    with pytest.raises(PowerRefused, match="Only someone who may approve"):
        membership_change_decline(change=change, actor=personas.survivor)
    membership_change_decline(change=change, actor=personas.admin)
    assert MembershipChange.objects.get(pk=change.pk).outcome == "withdrawn"
    assert _events("member.change_declined")[0].refs["outcome"] == "withdrawn"
    assert _fresh(personas.advocate).is_active


def test_a_pending_change_expires(personas: Personas) -> None:
    change = member_suspend(member=personas.advocate, reason="other", actor=personas.admin)
    with pytest.raises(PowerRefused, match="already waiting"):
        member_suspend(member=personas.advocate, reason="other", actor=personas.admin)
    MembershipChange.objects.filter(pk=change.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(PowerRefused, match="expired"):
        membership_change_approve(change=change, approver=personas.oversight)
    member_suspend(member=personas.advocate, reason="other", actor=personas.admin)  # may be proposed again
    assert MembershipChange.objects.get(pk=change.pk).outcome == "expired"


def test_refusals(personas: Personas) -> None:
    admin, survivor = personas.admin, personas.survivor
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: member_suspend(member=admin, reason="other", actor=admin), "Nobody suspends, reinstates or removes themselves"),
        (
            lambda: member_suspend(member=personas.other_org, reason="other", actor=admin),
            "not part of your organization",
        ),
        (lambda: member_suspend(member=survivor, reason="other", actor=personas.advocate), "Only an administrator"),
        (lambda: member_reinstate(member=survivor, reason="other", actor=admin), "is not suspended"),
        (
            lambda: member_suspend(member=survivor, reason="other", case_reference="he shouted at me", actor=admin),
            "A case reference is an identifier",
        ),
        (
            lambda: member_suspend(member=survivor, reason="other", case_reference="C" * 65, actor=admin),
            "A case reference is an identifier",
        ),
        (
            lambda: member_suspend(
                member=survivor, reason="other", case_reference="raped-by-J.Smith/xmas/2026#2", actor=admin
            ),
            "A case reference is an identifier",
        ),
    ]
    for attempt, refusal in cases:
        with pytest.raises(PowerRefused, match=refusal):
            attempt()
    with pytest.raises(ValueError, match="unknown reason"):
        member_suspend(member=survivor, reason="secured", actor=admin)  # a reinstatement reason
    assert _fresh(survivor).is_active
    assert not MembershipChange.objects.exists()
    _suspended(personas, survivor)
    with pytest.raises(PowerRefused, match="already suspended"):
        member_suspend(member=_fresh(survivor), reason="other", actor=admin)
    assert len(_events("member.suspended")) == 1


def test_the_last_active_administrator_is_never_suspended(personas: Personas) -> None:
    """A third administrator proposed suspending both, then gave up the role: approving both
    would leave none."""
    from chorus.accounts.services.power import roles_remove

    second, _ = add_member(personas.organization, "second", {"admin"})
    third, _ = add_member(personas.organization, "third", {"admin"})
    first_out = member_suspend(member=personas.admin, reason="other", actor=third)
    second_out = member_suspend(member=second, reason="other", actor=third)
    roles_remove(member=third, roles={"admin"}, actor=third)  # gave it up themselves
    membership_change_approve(change=first_out, approver=personas.oversight)
    assert not _fresh(personas.admin).is_active
    with pytest.raises(PowerRefused, match="last active administrator"):
        membership_change_approve(change=second_out, approver=personas.oversight)
    assert _fresh(second).is_active


def test_two_administrators_suspending_each_other_the_other_waits_and_never_leaves_none(personas: Personas) -> None:
    """The suspended administrator's proposal stays for a second person (it takes power away),
    but approving it would leave no administrator."""
    second, _ = add_member(personas.organization, "second", {"admin"})
    first_out = member_suspend(member=personas.admin, reason="other", actor=second)
    second_out = member_suspend(member=second, reason="other", actor=personas.admin)
    membership_change_approve(change=first_out, approver=personas.oversight)
    assert MembershipChange.objects.get(pk=second_out.pk).outcome == ""
    with pytest.raises(PowerRefused, match="last active administrator"):
        membership_change_approve(change=second_out, approver=personas.oversight)
    assert _fresh(second).is_active


def test_the_database_refuses_a_change_approved_by_its_proposer_or_member(personas: Personas) -> None:
    change = member_suspend(member=personas.advocate, reason="other", actor=personas.admin)
    for decider in (personas.admin, personas.advocate):
        with pytest.raises(IntegrityError), transaction.atomic():
            MembershipChange.objects.filter(pk=change.pk).update(outcome="approved", decided_by=decider)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipChange.objects.filter(pk=change.pk).update(reason="he did it")


# Sessions and sign-in ---------------------------------------------------------------------


def test_a_suspended_members_open_session_ends_at_their_next_request(personas: Personas) -> None:
    client = Client()
    sign_in(client, personas.survivor)
    assert client.get(reverse("records")).status_code == 200
    _suspended(personas, personas.survivor, "compromised")
    response = client.get(reverse("records"))
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    # Their session row, with the sealed vault key in it, is gone too.
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(personas.survivor.pk)]


def test_sign_in_says_the_account_is_suspended_and_works_again_once_reinstated(personas: Personas) -> None:
    _suspended(personas, personas.survivor, "left")
    client = Client()
    response = client.post("/sign-in/", {"email": personas.survivor.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Your account is suspended. Ask your organization&#x27;s administrator or oversight body." in (
        response.content.decode()
    )
    # Only whoever knows the password learns it: a wrong one gets the usual answer.
    response = client.post("/sign-in/", {"email": personas.survivor.email, "password": "not the password"})
    assert "suspended" not in response.content.decode()
    assert "do not match" in response.content.decode()

    back = member_reinstate(member=_fresh(personas.survivor), reason="returned", actor=personas.admin)
    membership_change_approve(change=back, approver=personas.oversight)
    sign_in(Client(), personas.survivor)


# Pages ------------------------------------------------------------------------------------


def test_it_suspends_from_the_members_page(personas: Personas) -> None:
    client = _signed_in(personas, "admin")
    page = client.get(reverse("members")).content.decode()
    suspend_url = reverse("member_suspend", args=[personas.survivor.pk])
    assert suspend_url in page
    assert reverse("member_suspend", args=[personas.admin.pk]) not in page  # not themselves
    form = client.get(suspend_url).content.decode()
    assert 'class="danger"' in form and 'value="sanction"' in form
    response = client.post(suspend_url, {"reason": "sanction", "case_reference": "HR-2026-7"}, follow=True)
    assert "A second person must confirm it" in response.content.decode()
    assert "suspension waiting for approval" in response.content.decode()
    assert _fresh(personas.survivor).is_active
    change = MembershipChange.objects.get(member=personas.survivor)
    oversight = _signed_in(personas, "oversight")
    response = oversight.post(reverse("membership_change_approve", args=[change.pk]), follow=True)
    assert "is suspended: they are signed out and cannot sign in" in response.content.decode()
    assert not _fresh(personas.survivor).is_active
    page = client.get(reverse("members")).content.decode()
    assert reverse("member_reinstate", args=[personas.survivor.pk]) in page


def test_it_shows_an_error_summary_and_keeps_what_was_typed(personas: Personas) -> None:
    client = _signed_in(personas, "admin")
    url = reverse("member_suspend", args=[personas.survivor.pk])
    response = client.post(url, {"case_reference": "a story about it"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page
    assert 'href="#id_reason_0"' in page and 'href="#id_case_reference"' in page
    assert "data-error-summary" in page and ">Case reference: " in page  # the shared summary, errors named by field
    assert 'value="a story about it"' in page
    assert _fresh(personas.survivor).is_active


def test_it_lists_a_pending_change_for_those_who_may_decide_it(personas: Personas) -> None:
    admin = _signed_in(personas, "admin")
    url = reverse("member_suspend", args=[personas.advocate.pk])
    response = admin.post(url, {"reason": "compromised"}, follow=True)
    assert "A second person must confirm it" in response.content.decode()
    change = MembershipChange.objects.get(member=personas.advocate)
    approve = reverse("membership_change_approve", args=[change.pk])
    oversight = _signed_in(personas, "oversight")
    assert approve in oversight.get(reverse("power")).content.decode()
    for persona in ("survivor", "advocate", "commission"):
        assert approve not in _signed_in(personas, persona).get(reverse("power")).content.decode()
    response = oversight.post(approve, follow=True)
    assert "is suspended" in response.content.decode()
    assert not _fresh(personas.advocate).is_active


def test_it_denies_a_decision_to_those_who_may_not_make_it(personas: Personas) -> None:
    change = member_suspend(member=personas.advocate, reason="other", actor=personas.admin)
    for persona in ("survivor", "commission", "advocate"):
        response = _signed_in(personas, persona).post(reverse("membership_change_approve", args=[change.pk]))
        assert response.status_code == 403, persona
    assert (
        _signed_in(personas, "other_org").post(reverse("membership_change_decline", args=[change.pk])).status_code
        == 404
    )
    assert _fresh(personas.advocate).is_active
