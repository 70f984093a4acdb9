"""The self-assessment and action points: set by those who steer, reported on by their
owner, every change kept in the history, and an overdue point reminds its owner once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from chorus.insights.models import ActionPoint, AssessmentAnswer
from chorus.insights.services.actions import action_points_remind
from chorus.web.tasks import tasks_run_due
from tests.escrow.factory import client_for
from tests.personas import Personas

pytestmark = pytest.mark.django_db

IN_A_MONTH = (timezone.localdate() + timedelta(days=30)).isoformat()


def _point(personas: Personas, **overrides: object) -> dict[str, object]:
    return {
        "finding": "Members do not know where to find the harassment policy.",
        "indicator": "Nine in ten members can find it in the yearly survey.",
        "owner": str(personas.respondent.pk),
        "due_on": IN_A_MONTH,
        "question": "policy",
        **overrides,
    }


def test_an_administrator_answers_the_self_assessment_and_the_history_keeps_each_answer(personas: Personas) -> None:
    admin = client_for(personas.admin, personas.vault_keys["admin"])
    response = admin.post("/insights/assessment/", {"policy-answer": "no", "policy-note": "Only on the intranet."})
    assert response.status_code == 302
    admin.post("/insights/assessment/", {"policy-answer": "partly", "policy-note": "Now in the handbook too."})
    page = admin.get("/insights/assessment/").content.decode()
    assert "Partly — Now in the handbook too." in page and "Set an action point" in page
    assert list(AssessmentAnswer.objects.values_list("answer", flat=True)) == ["partly", "no"]
    commission = client_for(personas.commission, personas.vault_keys["commission"])
    assert commission.get("/insights/assessment/").status_code == 200
    refused = commission.post("/insights/assessment/", {"policy-answer": "yes"})
    assert refused.status_code == 403 and AssessmentAnswer.objects.count() == 2


def test_an_action_point_is_set_reported_on_by_its_owner_and_reviewed(personas: Personas) -> None:
    admin = client_for(personas.admin, personas.vault_keys["admin"])
    response = admin.post("/insights/action-points/", _point(personas))
    assert response.status_code == 302 and response["Location"] == "/insights/action-points/1/"
    tasks_run_due()
    assert mail.outbox[-1].to == [personas.respondent.email]
    assert "Members do not know" not in mail.outbox[-1].body  # the email carries no content

    owner = client_for(personas.respondent, personas.vault_keys["respondent"])
    assert "Members do not know" in owner.get("/insights/action-points/").content.decode()
    response = owner.post("/insights/action-points/1/", {"status": "underway", "note": "Added to the handbook."})
    assert response.status_code == 302
    later = (timezone.localdate() + timedelta(days=60)).isoformat()
    refused = owner.post("/insights/action-points/1/", {"status": "dropped", "note": "Too hard."})
    assert (
        refused.status_code == 400 and "Only administrators and the oversight body can drop" in refused.content.decode()
    )
    refused = owner.post("/insights/action-points/1/", {"status": "underway", "note": "Later.", "due_on": later})
    assert refused.status_code == 400 and "move the due date" in refused.content.decode()

    oversight = client_for(personas.oversight, personas.vault_keys["oversight"])
    oversight.post("/insights/action-points/1/", {"status": "done", "note": "Survey: 93% found it."})
    page = oversight.get("/insights/action-points/1/").content.decode()
    assert '<dd id="status">Done</dd>' in page
    assert page.index("Added to the handbook.") < page.index("Survey: 93% found it.")
    assert [p.status for p in ActionPoint.objects.get().reviews.all()] == ["open", "underway", "done"]


def test_only_those_who_steer_set_action_points_and_others_see_only_their_own(personas: Personas) -> None:
    survivor = client_for(personas.survivor, personas.vault_keys["survivor"])
    assert survivor.post("/insights/action-points/", _point(personas)).status_code == 403
    admin = client_for(personas.admin, personas.vault_keys["admin"])
    admin.post("/insights/action-points/", _point(personas))
    assert "Members do not know" not in survivor.get("/insights/action-points/").content.decode()
    assert survivor.get("/insights/action-points/1/").status_code == 404
    assert survivor.post("/insights/action-points/1/", {"status": "done", "note": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"finding": ""}, "This field is required."),
        ({"due_on": "2001-01-01"}, "The due date cannot be in the past."),
        ({"due_on": "not a date"}, "Enter a valid date."),
        ({"owner": "00000000-0000-0000-0000-000000000000"}, "Select a valid choice."),
        ({"question": "made-up"}, "Select a valid choice."),
    ],
)
def test_it_explains_a_bad_action_point_and_keeps_what_was_typed(
    personas: Personas, overrides: dict[str, object], message: str
) -> None:
    admin = client_for(personas.admin, personas.vault_keys["admin"])
    response = admin.post("/insights/action-points/", _point(personas, **overrides))
    page = response.content.decode()
    assert response.status_code == 400 and message in page
    assert "Nine in ten members can find it" in page
    assert not ActionPoint.objects.exists()


def test_an_overdue_point_reminds_its_owner_once_and_shows_on_the_dashboard(personas: Personas) -> None:
    admin = client_for(personas.admin, personas.vault_keys["admin"])
    admin.post("/insights/action-points/", _point(personas))
    ActionPoint.objects.update(due_on=timezone.localdate() - timedelta(days=1))
    tasks_run_due()
    mail.outbox.clear()
    assert action_points_remind() == 1
    assert action_points_remind() == 0
    tasks_run_due()
    assert [message.to for message in mail.outbox] == [[personas.respondent.email]]
    assert "past its due date" in mail.outbox[0].body
    page = admin.get("/insights/action-points/").content.decode()
    assert '<strong id="overdue-count">1</strong>' in page and "(past due)" in page
    # A new date earns a new reminder when that one passes too.
    admin.post("/insights/action-points/1/", {"status": "underway", "note": "New date agreed.", "due_on": IN_A_MONTH})
    assert ActionPoint.objects.get().reminded_at is None
