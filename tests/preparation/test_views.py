"""The Preparation pages, the member's own section on their account page, and the case
page's appoint form."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import formats, timezone

from chorus.ledger.models import LedgerEvent
from chorus.preparation.models import Course, PreparationPolicy, TrainingRecord
from chorus.preparation.services.training import training_record
from tests.cases.factory import opened, people
from tests.escrow.factory import client_for
from tests.personas import Personas
from tests.preparation.factory import unprepared

pytestmark = pytest.mark.django_db


def _client(personas: Personas, persona: str) -> Client:
    return client_for(personas.members[persona], personas.vault_keys[persona])


def _posted_date(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


@pytest.mark.parametrize("persona", ["admin", "oversight"])
def test_it_lists_each_person_with_the_status_of_each_role(personas: Personas, persona: str) -> None:
    unprepared(personas.organization, "Ana", {"panel"})
    page = _client(personas, persona).get(reverse("preparation")).content.decode()
    assert "Ana" in page and "No current preparation: cannot be appointed" in page
    until = formats.date_format(TrainingRecord.objects.get(member=personas.panel).valid_until)
    assert f"Current until {until}" in page  # the panel persona was prepared when seeded


@pytest.mark.parametrize("persona", ["survivor", "advocate", "facilitator", "investigator", "panel", "commission"])
def test_it_denies_everyone_else(personas: Personas, persona: str) -> None:
    client = _client(personas, persona)
    assert client.get(reverse("preparation")).status_code == 403
    assert client.get(reverse("preparation_record")).status_code == 403
    record = TrainingRecord.objects.get(member=personas.panel)
    assert client.post(reverse("preparation_withdraw", args=[record.pk]), {"reason": "x" * 20}).status_code == 403
    assert TrainingRecord.objects.get(pk=record.pk).withdrawn_at is None


def test_it_denies_another_organizations_administrator_a_record(personas: Personas) -> None:
    record = TrainingRecord.objects.get(member=personas.panel)
    client = _client(personas, "other_org")
    assert client.get(reverse("preparation_withdraw", args=[record.pk])).status_code == 404
    assert "Panel" not in client.get(reverse("preparation")).content.decode()


def test_it_records_preparation_from_a_course_on_the_list(personas: Personas) -> None:
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    Course.objects.create(organization=personas.organization, name="Myths and facts about rape")
    client = _client(personas, "oversight")
    assert "Myths and facts about rape" in client.get(reverse("preparation_record")).content.decode()
    completed = timezone.localdate() - timedelta(days=10)
    response = client.post(
        reverse("preparation_record"),
        {
            "member": str(ana.pk),
            "roles": ["panel"],
            "course": "Myths and facts about rape",
            **_posted_date("completed_on", completed),
        },
    )
    assert response.status_code == 302
    record = TrainingRecord.objects.get(member=ana)
    assert record.topic == "Myths and facts about rape" and record.confirmed_by == personas.oversight
    assert record.valid_until.year == completed.year + 2  # the default 24 months
    page = client.get(reverse("preparation")).content.decode()
    assert f"Recorded: Ana is prepared for Panel member until {formats.date_format(record.valid_until)}." in page


def test_it_takes_another_topic_written_out_and_an_end_date(personas: Personas) -> None:
    ana, _ = unprepared(personas.organization, "Ana", {"facilitator"})
    today = timezone.localdate()
    response = _client(personas, "admin").post(
        reverse("preparation_record"),
        {
            "member": str(ana.pk),
            "roles": ["facilitator"],
            "course": "other",
            "other": "Circle keeping, level 2",
            **_posted_date("completed_on", today),
            **_posted_date("valid_until", today + timedelta(days=365)),
        },
    )
    assert response.status_code == 302
    record = TrainingRecord.objects.get(member=ana)
    assert (record.topic, record.valid_until) == ("Circle keeping, level 2", today + timedelta(days=365))


def test_a_refused_record_starts_with_the_error_summary_and_keeps_what_was_typed(personas: Personas) -> None:
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    response = _client(personas, "admin").post(
        reverse("preparation_record"),
        {
            "member": str(ana.pk),
            "course": "other",
            "other": "",
            "completed_on_day": "31",
            "completed_on_month": "2",
            "completed_on_year": "2026",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400 and "There is a problem" in page
    assert "Choose at least one role the preparation covers." in page
    assert "Write the topic, or choose a course from the list." in page
    assert "The date must be a real date" in page
    assert 'value="31"' in page
    assert not TrainingRecord.objects.filter(member=ana).exists()


def test_the_form_does_not_offer_oneself(personas: Personas) -> None:
    page = _client(personas, "oversight").get(reverse("preparation_record")).content.decode()
    assert f'value="{personas.oversight.pk}"' not in page
    assert f'value="{personas.panel.pk}"' in page


def test_it_withdraws_a_record_with_a_reason(personas: Personas) -> None:
    record = TrainingRecord.objects.get(member=personas.panel)
    client = _client(personas, "admin")
    page = client.get(reverse("preparation_withdraw", args=[record.pk])).content.decode()
    assert 'class="danger"' in page and "Withdraw the record" in page
    refused = client.post(reverse("preparation_withdraw", args=[record.pk]), {"reason": ""})
    assert "There is a problem" in refused.content.decode()
    assert (
        client.post(
            reverse("preparation_withdraw", args=[record.pk]), {"reason": "The course did not take place."}
        ).status_code
        == 302
    )
    record.refresh_from_db()
    assert record.withdrawn_at is not None and record.withdrawn_by == personas.admin
    page = _client(personas, "panel").get(reverse("account")).content.decode()
    assert "The course did not take place." in page and "you cannot be appointed for this" in page


def test_it_sets_the_usual_validity_and_adds_a_course(personas: Personas) -> None:
    client = _client(personas, "admin")
    assert (
        client.post(reverse("preparation_settings"), {"form": "validity", "validity-validity_months": "12"}).status_code
        == 302
    )
    assert PreparationPolicy.objects.get(organization=personas.organization).validity_months == 12
    refused = client.post(reverse("preparation_settings"), {"form": "validity", "validity-validity_months": "0"})
    assert "Enter 1 or more." in refused.content.decode()
    assert (
        client.post(reverse("preparation_settings"), {"form": "course", "course-name": "Trauma basics"}).status_code
        == 302
    )
    again = client.post(reverse("preparation_settings"), {"form": "course", "course-name": "trauma BASICS"})
    assert "That course is already on the list." in again.content.decode()
    actions = list(
        LedgerEvent.objects.filter(action__startswith="preparation.", actor=personas.admin.pseudonym).values_list(
            "action", flat=True
        )
    )
    assert actions == ["preparation.validity_changed", "preparation.course_added"]


def test_a_member_sees_their_own_records_and_when_they_expire(personas: Personas) -> None:
    record = TrainingRecord.objects.get(member=personas.investigator)
    page = _client(personas, "investigator").get(reverse("account")).content.decode()
    assert "Your preparation" in page and f"Current until {formats.date_format(record.valid_until)}" in page
    assert reverse("preparation") not in page  # not someone who confirms
    survivor = _client(personas, "survivor").get(reverse("account")).content.decode()
    assert "Your preparation" not in survivor  # holds no such role and has no record


def test_the_case_page_marks_who_has_no_current_preparation(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "formal")
    bea, _ = unprepared(personas.organization, "Bea", {"panel"})
    page = _client(personas, "advocate").get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Bea (no current preparation)" in page
    assert ">Panel<" in page  # the prepared panel persona, unmarked
    training_record(actor=personas.admin, member=bea, roles={"panel"}, topic="X", completed_on=timezone.localdate())
    page = _client(personas, "advocate").get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Bea (no current preparation)" not in page and ">Bea<" in page


def test_the_form_refuses_a_date_past_the_organizations_validity(personas: Personas) -> None:
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    Course.objects.create(organization=personas.organization, name="Myths and facts about rape")
    completed = timezone.localdate() - timedelta(days=10)
    response = _client(personas, "oversight").post(
        reverse("preparation_record"),
        {
            "member": str(ana.pk),
            "roles": ["panel"],
            "course": "Myths and facts about rape",
            **_posted_date("completed_on", completed),
            **_posted_date("valid_until", completed.replace(year=completed.year + 5)),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "at most your organization&#x27;s validity of 24 months" in page
    assert not TrainingRecord.objects.filter(member=ana).exists()


@override_settings(CHORUS_TRAINING_MAX_VALIDITY_YEARS=3)
def test_the_form_refuses_a_date_past_the_deployments_ceiling(personas: Personas) -> None:
    PreparationPolicy.objects.create(organization=personas.organization, validity_months=120)
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    completed = timezone.localdate() - timedelta(days=10)
    client = _client(personas, "admin")
    page = client.get(reverse("preparation_record")).content.decode()
    assert "it counts for 36 months from the date completed" in page  # what a record gets, not the 120 set
    response = client.post(
        reverse("preparation_record"),
        {
            "member": str(ana.pk),
            "roles": ["panel"],
            "course": "other",
            "other": "Trauma basics",
            **_posted_date("completed_on", completed),
            **_posted_date("valid_until", completed.replace(year=completed.year + 4)),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "at most 3 years after it was completed" in page
    assert 'href="#id_valid_until' in page  # the error summary leads to the field
    assert not TrainingRecord.objects.filter(member=ana).exists()


@override_settings(CHORUS_TRAINING_MAX_VALIDITY_YEARS=3)
def test_the_usual_validity_cannot_be_set_past_the_deployments_ceiling(personas: Personas) -> None:
    client = _client(personas, "admin")
    refused = client.post(reverse("preparation_settings"), {"form": "validity", "validity-validity_months": "37"})
    assert "Enter 36 or less." in refused.content.decode()
    assert not PreparationPolicy.objects.filter(organization=personas.organization, validity_months=37).exists()
    assert 'max="36"' in client.get(reverse("preparation_settings")).content.decode()
