"""Hostile input on the Preparation forms: markup, control characters, right-to-left
overrides, overlong text, impossible dates and someone else's ids are refused with a reason
or stored as plain text, never a server error. (tests/reliability/test_hostile_input.py also
fuzzes these URLs through the access matrix.)"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chorus.preparation.models import TrainingRecord
from tests.escrow.factory import client_for
from tests.personas import Personas
from tests.preparation.factory import unprepared

pytestmark = pytest.mark.django_db

MARKUP = "<script>alert(1)</script>\u202eevil"


def _admin(personas: Personas) -> Client:
    return client_for(personas.admin, personas.vault_keys["admin"])


def _today() -> dict[str, str]:
    today = timezone.localdate()
    return {
        "completed_on_day": str(today.day),
        "completed_on_month": str(today.month),
        "completed_on_year": str(today.year),
    }


def test_a_topic_with_markup_is_kept_as_text_and_shown_escaped(personas: Personas) -> None:
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    posted = {"member": str(ana.pk), "roles": ["panel"], "course": "other", "other": MARKUP, **_today()}
    assert _admin(personas).post(reverse("preparation_record"), posted).status_code == 302
    assert TrainingRecord.objects.get(member=ana).topic == MARKUP
    page = _admin(personas).get(reverse("preparation")).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize(
    "changes",
    [
        {"other": "a\x00b"},
        {"other": "a" * 20_000},
        {"roles": ["admin"]},
        {"roles": ["panel", "panel", "advocate"]},
        {"course": "Not on the list"},
        {"member": str(uuid.uuid4())},
        {"member": "../../etc/passwd"},
        {"completed_on_day": "30", "completed_on_month": "2"},
        {"completed_on_year": "99999999999999999999"},
        {"valid_until_day": "1", "valid_until_month": "1", "valid_until_year": "1900"},
    ],
)
def test_hostile_record_forms_are_refused_with_a_reason(personas: Personas, changes: dict[str, object]) -> None:
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    posted = {"member": str(ana.pk), "roles": ["panel"], "course": "other", "other": "Topic", **_today(), **changes}
    response = _admin(personas).post(reverse("preparation_record"), posted)
    assert response.status_code == 400 and "There is a problem" in response.content.decode()
    assert not TrainingRecord.objects.filter(member=ana).exists()


def test_a_member_of_another_organization_cannot_be_chosen(personas: Personas) -> None:
    posted = {"member": str(personas.other_org.pk), "roles": ["panel"], "course": "other", "other": "X", **_today()}
    response = _admin(personas).post(reverse("preparation_record"), posted)
    assert "Choose who completed it." in response.content.decode()
    assert not TrainingRecord.objects.filter(member=personas.other_org).exists()


@pytest.mark.parametrize("reason", ["\x00" * 20, " " * 40, "x" * 5000])
def test_a_hostile_withdrawal_reason_is_refused(personas: Personas, reason: str) -> None:
    record = TrainingRecord.objects.get(member=personas.panel)
    response = _admin(personas).post(reverse("preparation_withdraw", args=[record.pk]), {"reason": reason})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert TrainingRecord.objects.get(pk=record.pk).withdrawn_at is None


def test_a_hostile_preselection_in_the_query_string_is_ignored(personas: Personas) -> None:
    response = _admin(personas).get(reverse("preparation_record"), {"member": "<b>x</b>"})
    assert response.status_code == 200 and "<b>x</b>" not in response.content.decode()
