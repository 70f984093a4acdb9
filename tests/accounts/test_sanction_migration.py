"""Upgrading replaces a membership change's reference to the measure it carries out with the
keyed hash the server finds it by, and drops the case reference that was copied from it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chorus.accounts.models import MembershipChange
from chorus.accounts.services.sanctions import sanction_carried_out
from chorus.cases.keys import member_tag
from chorus.cases.models import Case, Measure, Party
from tests.helpers import migrated_to, migrated_to_latest
from tests.personas import Personas

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("ledger_flushable")]


def test_changes_made_before_the_upgrade_still_show_on_the_case_and_name_no_case(personas: Personas) -> None:
    case = Case.objects.create(
        organization=personas.organization, pathway="formal", state="final", reference="C-2026-0007"
    )
    Party.objects.create(case=case, role="respondent", label="Respondent", tag=member_tag(personas.respondent))
    measure = Measure.objects.create(case=case, number=1, kind="sanction", status="agreed", decided_at=timezone.now())

    before, after = [("accounts", "0009_member_removal_and_deletion")], [("accounts", "0010_membership_change_measure_tag")]
    old = migrated_to(before).get_model("accounts", "MembershipChange")
    now = timezone.now()
    old.objects.create(
        organization_id=personas.organization.pk,
        member_id=personas.respondent.pk,
        kind="suspend",
        reason="sanction",
        case_reference="C-2026-0007",
        measure_id=measure.pk,
        proposed_by_id=personas.admin.pk,
        proposed_at=now,
        expires_at=now + timedelta(days=1),
        outcome="",
    )
    old.objects.create(  # typed by hand for another member: kept as it was
        organization_id=personas.organization.pk,
        member_id=personas.survivor.pk,
        kind="suspend",
        reason="other",
        case_reference="C-2025-0001",
        proposed_by_id=personas.admin.pk,
        proposed_at=now,
        expires_at=now + timedelta(days=1),
        outcome="",
    )
    migrated_to(after)
    migrated_to_latest()

    carried = MembershipChange.objects.get(member=personas.respondent)
    assert carried.case_reference == ""
    assert str(measure.pk) not in repr(MembershipChange.objects.filter(pk=carried.pk).values().get())
    assert [row.change.pk for row in sanction_carried_out(measure)] == [carried.pk]
    assert MembershipChange.objects.get(member=personas.survivor).case_reference == "C-2025-0001"
