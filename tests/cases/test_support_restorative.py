"""Support, the restorative path, self-initiated accountability, consent, pause and withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.http import Http404
from django.utils import timezone

from chorus.cases.models import Case, Measure
from chorus.cases.services.core import CaseError, items_for, self_case_open
from chorus.cases.services.reminders import reminders_for, reminders_scan
from chorus.web.tasks import tasks_run_due
from tests.cases.factory import IN_A_MONTH, claim_invitation, opened, people
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def test_a_supportive_measure_goes_from_request_to_review(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "support")
    crowd.act("survivor", case, "measure_request", kind="room", text="A desk away from the loading bay.")
    measure = case.measures.get()
    with pytest.raises(Http404):  # leadership is not in the case at all
        crowd.act("admin", case, "measure_done", measure=measure, text="done")
    crowd.act("advocate", case, "measure_decide", measure=measure, agree="yes", reasons="Reasonable.",
              owner=crowd.member("admin"), due=IN_A_MONTH)  # fmt: skip
    # The owner reads the measure and nothing else of the case.
    owner_view = items_for(crowd.actor("admin", case))
    assert {item.kind for item in owner_view} == {"measure_request", "measure_decision"}
    crowd.act("admin", case, "measure_done", measure=measure, text="Moved to the second floor.")
    crowd.act("survivor", case, "measure_review", measure=measure, text="It helps.")
    measure.refresh_from_db()
    assert measure.status == "reviewed" and measure.done_at and measure.reviewed_at
    # The owner's note reaches the advocates only.
    assert "Moved to the second floor." in [i.text for i in items_for(crowd.actor("advocate", case))]
    assert "Moved to the second floor." not in [i.text for i in items_for(crowd.actor("survivor", case))]


def test_an_overdue_measure_reminds_its_owner_once_without_content(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "support")
    crowd.act("survivor", case, "measure_request", kind="supervisor", text="Another supervisor, please.")
    measure = case.measures.get()
    crowd.act("advocate", case, "measure_decide", measure=measure, agree="yes", reasons="Yes.",
              owner=crowd.member("admin"), due=IN_A_MONTH)  # fmt: skip
    Measure.objects.filter(pk=measure.pk).update(due_at=timezone.now() - timedelta(days=1))
    tasks_run_due()
    mail.outbox.clear()
    assert reminders_scan() == 1
    assert reminders_scan() == 0  # once per step
    tasks_run_due()
    to = sorted(address for message in mail.outbox for address in message.to)
    assert to == ["admin@riverside.example", "advocate@riverside.example"]
    assert all("supervisor" not in message.body for message in mail.outbox)
    owner = crowd.actor("admin", case)
    assert [reminder.text for reminder in reminders_for(owner.parties)] == ["Measure 1 is past its due date."]
    crowd.act("admin", case, "measure_done", measure=measure, text="Done late.")
    assert reminders_for(owner.parties) == []  # the step was taken: the reminder leaves the page


def test_a_restorative_case_runs_to_the_survivors_confirmation(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "restorative")
    with pytest.raises(CaseError, match="needs consent first"):
        crowd.act("advocate", case, "invite", email=crowd.member("respondent").email, text="Letter")
    crowd.act("survivor", case, "consent", step="contact")
    crowd.act("advocate", case, "invite", email=crowd.member("respondent").email, text="An invitation to talk.")
    claim_invitation(crowd, "respondent")
    crowd.act("advocate", case, "facilitator", member=crowd.member("facilitator"))
    crowd.act("facilitator", case, "safety", text="No risk of retaliation found.")
    with pytest.raises(CaseError, match="needs consent first"):
        crowd.act("facilitator", case, "suitability", suitable="yes", reasons="Both willing.")
    crowd.act("survivor", case, "consent", step="restorative")
    crowd.act("respondent", case, "consent", step="restorative")
    crowd.act("facilitator", case, "suitability", suitable="yes", reasons="Both willing.")
    crowd.act("facilitator", case, "prepare", side="complainant", text="She wants an apology.")
    crowd.act("facilitator", case, "prepare", side="respondent", text="He is defensive.")
    # Each side's preparation stays with that side.
    assert "He is defensive." not in [i.text for i in items_for(crowd.actor("survivor", case))]
    assert "She wants an apology." not in [i.text for i in items_for(crowd.actor("respondent", case))]
    crowd.act("survivor", case, "consent", step="dialogue")
    crowd.act("facilitator", case, "dialogue")
    crowd.act("facilitator", case, "agreement", text="He will apologise in writing.")
    crowd.act("survivor", case, "consent", step="agreement")
    with pytest.raises(CaseError, match="Not yet given by: Respondent"):
        crowd.act("facilitator", case, "plan", behaviours="b", impact="i", removal="r", amends="a")
    crowd.act("respondent", case, "consent", step="agreement")
    crowd.act(
        "facilitator", case, "plan", behaviours="Comments", impact="Fear", removal="Off the rota", amends="Apology"
    )
    with pytest.raises(CaseError, match="current stage"):  # the plan is signed: no switching
        crowd.act("survivor", case, "choose_pathway", pathway="formal")
    verifier = crowd.actor("facilitator", case).parties[0]
    for step in ("Written apology", "Training", "No contact for a year"):
        crowd.act("facilitator", case, "milestone", text=step, due=IN_A_MONTH, verifier=verifier)
    with pytest.raises(CaseError, match="verified before the review"):
        crowd.act("facilitator", case, "review")
    for milestone in case.milestones.all():
        crowd.act("respondent", case, "milestone_report", milestone=milestone, text="Done.")
        crowd.act("facilitator", case, "milestone_verify", milestone=milestone, text="Checked.")
    crowd.act("respondent", case, "checkin", text="Three months on.")
    crowd.act("facilitator", case, "review")
    with pytest.raises(CaseError, match="survivor confirms"):
        crowd.act("facilitator", case, "complete")
    crowd.act("survivor", case, "needs_met", text="I feel safe at work again.")
    assert Case.objects.get(pk=case.pk).state == "closed"


def test_pause_stops_everything_but_resume_and_withdraw(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "support")
    crowd.act("survivor", case, "pause")
    with pytest.raises(CaseError, match="paused"):
        crowd.act("advocate", case, "measure_request", kind="room", text="x")
    with pytest.raises(CaseError, match="not yours"):
        crowd.act("advocate", case, "resume")
    crowd.act("survivor", case, "resume")
    crowd.act("survivor", case, "withdraw", text="I need to stop.")
    case.refresh_from_db()
    assert case.state == "withdrawn" and case.closed_at is not None
    with pytest.raises(CaseError, match="ended"):
        crowd.act("survivor", case, "need", text="x")


def test_a_restorative_case_can_become_formal_before_the_plan(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "restorative")
    crowd.act("survivor", case, "choose_pathway", pathway="formal")
    case.refresh_from_db()
    assert (case.pathway, case.state) == ("formal", "filed")


def test_a_member_opens_a_plan_for_themselves_with_a_facilitator(personas: Personas) -> None:
    crowd = people(personas)
    case = self_case_open(crowd.member("respondent"), crowd.vault_keys["respondent"],
                          facilitator=crowd.member("facilitator"), text="I think I made a colleague uncomfortable.")  # fmt: skip
    assert case.keys_for_team == b""  # the advocates hold no key to it
    with pytest.raises(Http404):
        crowd.actor("advocate", case)
    verifier = crowd.actor("facilitator", case).parties[0]
    crowd.act("facilitator", case, "milestone", text="Read the policy", due=IN_A_MONTH, verifier=verifier)
    milestone = case.milestones.get()
    crowd.act("respondent", case, "milestone_report", milestone=milestone, text="Read it twice.")
    crowd.act("facilitator", case, "milestone_verify", milestone=milestone, text="We discussed it.")
    crowd.act("facilitator", case, "review")
    crowd.act("facilitator", case, "complete")
    assert Case.objects.get(pk=case.pk).state == "closed"
