"""The retention pages: every member reads the periods, the hold and each change; only an
administrator changes them; a receipt's page shows when its report would be deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from chorus.ledger.models import LedgerEvent
from chorus.records.services import anonymous, writing
from chorus.retention.models import Clock, Hold, Policy, Shortening
from chorus.retention.services.clock import record_deletes_on
from chorus.retention.services.policy import MONTH
from tests.escrow.factory import client_for
from tests.personas import Personas
from tests.records.factory import STORY, survivor_owner

pytestmark = pytest.mark.django_db

VALID = {
    "draft_months": "3",
    "record_months": "36",
    "anonymous_months": "12",
    "entry_days": "14",
    "story_days": "60",
    "notice_days": "21",
}


def _client(personas: Personas, persona: str) -> Client:
    return client_for(personas.members[persona], personas.vault_keys[persona])


def test_it_shows_the_defaults_to_every_member(personas: Personas) -> None:
    page = _client(personas, "survivor").get(reverse("retention")).content.decode()
    assert "Unused drafts, in months" in page and "<dd>6<" in page and "<dd>24<" in page
    assert "never been changed" in page
    assert reverse("retention_settings") not in page  # not an administrator


def test_it_lets_the_admin_change_the_periods_and_members_see_it(personas: Personas) -> None:
    admin = _client(personas, "admin")
    assert admin.post(reverse("retention_settings"), VALID).status_code == 302
    policy = Policy.objects.get(organization=personas.organization)
    assert policy.record_months == 36  # longer: at once (shorter ones wait, below)
    event = LedgerEvent.objects.get(action="retention.policy_changed")
    assert event.actor == personas.admin.pseudonym and event.refs["record_months"] == 36
    page = _client(personas, "survivor").get(reverse("retention")).content.decode()
    assert "<dd>36<" in page and f"the periods were changed by {personas.admin.pseudonym}" in page


def test_a_shorter_period_waits_and_every_member_sees_from_when(personas: Personas) -> None:
    admin = _client(personas, "admin")
    assert admin.post(reverse("retention_settings"), VALID).status_code == 302
    policy = Policy.objects.get(organization=personas.organization)
    # Drafts 6 -> 3 and anonymous reports 24 -> 12 months are shorter: the old periods stay in force.
    assert (policy.draft_months, policy.anonymous_months) == (6, 24)
    waiting = {row.period: row for row in Shortening.objects.all()}
    assert {name: row.value for name, row in waiting.items()} == {
        "draft_months": 3, "anonymous_months": 12, "notice_days": 21, "entry_days": 14,
    }
    assert waiting["anonymous_months"].takes_effect_at - waiting["anonymous_months"].chosen_at == 24 * MONTH
    page = _client(personas, "survivor").get(reverse("retention")).content.decode()
    assert "Shortened to 12 from" in page and "<dd>24<" in page
    form = admin.get(reverse("retention_settings")).content.decode()
    assert 'value="12"' in form  # the administrator sees what they chose


def test_it_refuses_periods_out_of_bounds_and_keeps_what_was_typed(personas: Personas) -> None:
    admin = _client(personas, "admin")
    response = admin.post(reverse("retention_settings"), {**VALID, "record_months": "1", "entry_days": "many"})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "Enter 6 or more." in page and "Enter a whole number." in page
    assert 'href="#id_record_months"' in page and 'value="1"' in page
    assert not Policy.objects.exists() and not LedgerEvent.objects.filter(action="retention.policy_changed").exists()


def test_it_refuses_a_notice_as_long_as_the_draft_period(personas: Personas) -> None:
    response = _client(personas, "admin").post(
        reverse("retention_settings"), {**VALID, "draft_months": "1", "notice_days": "40"}
    )
    assert "The notice must be shorter than the time unused drafts are kept." in response.content.decode()
    assert not Policy.objects.exists()


def test_it_denies_the_settings_to_members_without_the_admin_role(personas: Personas) -> None:
    for persona in ("survivor", "advocate", "oversight"):
        client = _client(personas, persona)
        assert client.get(reverse("retention_settings")).status_code == 403
        assert client.post(reverse("retention_settings"), VALID).status_code == 403
        assert client.post(reverse("retention_hold"), {"reason": "Trying to stop deletions."}).status_code == 403
    assert not Policy.objects.exists() and not Hold.objects.exists()


def test_it_denies_visitors(personas: Personas) -> None:
    for name in ("retention", "retention_settings", "retention_hold"):
        assert Client().get(reverse(name)).status_code == 302


def test_it_sets_and_lifts_a_hold_that_members_see(personas: Personas) -> None:
    admin = _client(personas, "admin")
    refused = admin.post(reverse("retention_hold"), {"reason": "court"})
    assert "at least 10 characters" in refused.content.decode() and not Hold.objects.exists()
    assert admin.post(reverse("retention_hold"), {"reason": "The employment tribunal asked us."}).status_code == 302
    page = _client(personas, "survivor").get(reverse("retention")).content.decode()
    assert "A legal hold has been in place since" in page and "The employment tribunal asked us." in page
    assert "Lift the legal hold" in admin.get(reverse("retention_hold")).content.decode()
    assert admin.post(reverse("retention_hold"), {"reason": "The tribunal closed the case."}).status_code == 302
    hold = Hold.objects.get()
    assert hold.lifted_at is not None and hold.lifted_by == personas.admin.pseudonym
    actions = list(LedgerEvent.objects.filter(action__startswith="retention.hold").values_list("action", flat=True))
    assert actions == ["retention.hold_set", "retention.hold_lifted"]
    page = _client(personas, "survivor").get(reverse("retention")).content.decode()
    assert "A legal hold has been in place" not in page and "The tribunal closed the case." in page


def test_opening_a_record_starts_its_clock_and_keeps_nothing_of_who_opened_it(personas: Personas) -> None:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    writing.record_save(owner, record, STORY)
    assert _client(personas, "survivor").get(reverse("record_edit", args=[record.pk])).status_code == 200
    clock = Clock.objects.get(record=record)
    assert clock.opened_at >= record.created_at
    assert list(Clock.objects.values().get(record=record)) == ["record_id", "opened_at"]


def test_the_receipt_page_shows_when_each_report_would_be_deleted(personas: Personas) -> None:
    client = Client()
    start = client.post(reverse("report_start", args=["riverside"]), {"understood": "yes"})
    receipt = start.context["receipt"]
    record = start.context["record"]
    writing.record_save(anonymous.receipt_open(personas.organization, receipt, client_ip="192.0.2.9"), record, STORY)
    page = client.get(reverse("records")).content.decode()
    due = record_deletes_on(record)
    assert "this report will be deleted on" in page
    assert f"{due:%Y}" in page and due > record.created_at + timedelta(days=700)
    # Coming back with the receipt opens the report: its clock starts again.
    returning = Client()
    response = returning.post(reverse("report_return", args=["riverside"]), {"receipt": receipt})
    assert response.status_code == 302 and Clock.objects.filter(record=record).exists()
    assert (
        "this report will be deleted on" not in _client(personas, "survivor").get(reverse("records")).content.decode()
    )


def test_a_record_begun_by_autosave_starts_its_clock(personas: Personas) -> None:
    client = _client(personas, "survivor")
    token = client.get(reverse("record_new")).context["new_record_token"]
    answer = client.post(reverse("record_new_draft"), {"record": token, "title": "Only a draft"}).json()
    assert answer["saved"] is True
    clock = Clock.objects.get()
    assert clock.record.draft.saved_at <= clock.opened_at
