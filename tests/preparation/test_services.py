"""Training records and what appointment requires of them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from chorus.cases.services.core import CaseError, self_case_open
from chorus.cases.services.formal import appoint
from chorus.ledger.models import LedgerEvent
from chorus.preparation.models import PreparationPolicy, TrainingRecord
from chorus.preparation.services.training import (
    PreparationError,
    add_months,
    missing,
    prepared_ids,
    training_record,
    training_withdraw,
    validity_set,
)
from tests.cases.factory import opened, people
from tests.personas import Personas
from tests.preparation.factory import unprepared

pytestmark = pytest.mark.django_db


def today() -> date:
    """The service's today (the settings' time zone), read when used: a constant taken at
    import goes stale when the suite runs across midnight."""
    return timezone.localdate()


def _formal_case_at_investigation(personas: Personas):  # type: ignore[no-untyped-def]
    crowd = people(personas)
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "allegation", text="He touched me at the staff party.")
    crowd.act("survivor", case, "consent", step="contact")
    return crowd, case


def test_a_record_counts_for_the_organizations_validity_and_is_ledgered(personas: Personas) -> None:
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    validity_set(actor=personas.admin, months=12)
    record = training_record(
        actor=personas.oversight, member=ana, roles={"panel"}, topic="Rape myths", completed_on=date(2026, 3, 31)
    )
    assert record.valid_until == date(2027, 3, 31)
    assert record.confirmed_by == personas.oversight
    event = LedgerEvent.objects.get(action="preparation.recorded", refs__record=str(record.pk))
    assert event.actor == personas.oversight.pseudonym and event.refs["member"] == ana.pseudonym
    assert "Rape myths" not in str(event.refs)  # the topic is only in the payload's hash


def test_months_end_on_the_last_day_of_a_shorter_month() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 24) == date(2028, 11, 30)


def test_nobody_confirms_their_own_preparation(personas: Personas) -> None:
    with pytest.raises(PreparationError, match="Nobody confirms their own"):
        training_record(
            actor=personas.oversight, member=personas.oversight, roles={"panel"}, topic="X", completed_on=today()
        )
    # and the database holds it too
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRecord.objects.create(
            organization=personas.organization,
            member=personas.admin,
            topic="X",
            roles="panel",
            completed_on=today(),
            valid_until=today() + timedelta(days=1),
            confirmed_by=personas.admin,
        )


@pytest.mark.parametrize("persona", ["survivor", "advocate", "panel", "investigator", "facilitator", "commission"])
def test_only_administrators_and_oversight_confirm(personas: Personas, persona: str) -> None:
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    with pytest.raises(PreparationError, match="Only an administrator or an oversight member"):
        training_record(actor=personas.members[persona], member=ana, roles={"panel"}, topic="X", completed_on=today())


def test_it_refuses_a_future_completion_and_an_end_before_it(personas: Personas) -> None:
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    with pytest.raises(PreparationError, match="today or in the past"):
        training_record(
            actor=personas.admin, member=ana, roles={"panel"}, topic="X", completed_on=today() + timedelta(days=1)
        )
    with pytest.raises(PreparationError, match="must be after"):
        training_record(
            actor=personas.admin, member=ana, roles={"panel"}, topic="X", completed_on=today(), valid_until=today()
        )
    with pytest.raises(PreparationError, match="at least one role"):
        training_record(actor=personas.admin, member=ana, roles={"advocate"}, topic="X", completed_on=today())


def test_a_date_may_shorten_the_organizations_validity_never_lengthen_it(personas: Personas) -> None:
    """Otherwise one administrator could make someone eligible for appointment for good."""
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    latest = add_months(today(), 24)  # the default validity
    with pytest.raises(PreparationError, match="at most your organization's validity of 24 months"):
        training_record(
            actor=personas.admin, member=ana, roles={"panel"}, topic="X", completed_on=today(),
            valid_until=latest + timedelta(days=1),
        )  # fmt: skip
    with pytest.raises(PreparationError, match="at most"):
        training_record(
            actor=personas.admin,
            member=ana,
            roles={"panel"},
            topic="X",
            completed_on=today(),
            valid_until=date(9999, 1, 1),
        )
    assert not TrainingRecord.objects.filter(member=ana).exists()
    record = training_record(
        actor=personas.admin, member=ana, roles={"panel"}, topic="X", completed_on=today(), valid_until=latest
    )
    assert record.valid_until == latest


@override_settings(CHORUS_TRAINING_MAX_VALIDITY_YEARS=3)
def test_no_record_counts_past_the_deployments_ceiling_whatever_the_organization_set(personas: Personas) -> None:
    """The organization's validity is one administrator's choice, so it cannot lift the ceiling."""
    with pytest.raises(PreparationError, match="from 1 to 36"):
        validity_set(actor=personas.admin, months=37)
    # A validity set before the ceiling was lowered still cannot carry a record past it.
    PreparationPolicy.objects.create(organization=personas.organization, validity_months=120)
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    ceiling = add_months(today(), 36)
    for too_late in (ceiling + timedelta(days=1), add_months(today(), 120), date(9999, 1, 1)):
        with pytest.raises(PreparationError, match="at most 3 years after it was completed"):
            training_record(
                actor=personas.admin, member=ana, roles={"panel"}, topic="X", completed_on=today(), valid_until=too_late
            )
    assert not TrainingRecord.objects.filter(member=ana).exists()
    assert (
        training_record(actor=personas.admin, member=ana, roles={"panel"}, topic="X", completed_on=today()).valid_until
        == ceiling
    )
    with override_settings(CHORUS_TRAINING_MAX_VALIDITY_YEARS=5):
        bea, _ = unprepared(personas.organization, "Bea", {"panel"})
        record = training_record(actor=personas.admin, member=bea, roles={"panel"}, topic="X", completed_on=today())
        assert record.valid_until == add_months(today(), 60)


def test_appointing_someone_never_prepared_is_refused_plainly(personas: Personas) -> None:
    crowd, case = _formal_case_at_investigation(personas)
    ana, _ = unprepared(personas.organization, "Ana", {"investigator"})
    with pytest.raises(CaseError) as refused:
        appoint(crowd.actor("advocate", case), ana, "investigator")
    assert str(refused.value) == (
        "Ana has no recorded preparation for investigation. "
        "An administrator or an oversight member can record it on the Preparation page."
    )
    assert not case.parties.filter(role="investigator").exists()


def test_appointing_someone_whose_preparation_expired_says_when(personas: Personas) -> None:
    crowd, case = _formal_case_at_investigation(personas)
    ana, _ = unprepared(personas.organization, "Ana", {"investigator"})
    training_record(
        actor=personas.admin,
        member=ana,
        roles={"investigator"},
        topic="X",
        completed_on=date(2024, 3, 3),
        valid_until=date(2026, 3, 3),
    )
    with pytest.raises(
        CaseError, match="Ana has no current preparation for investigation: the last one expired on 3 March 2026"
    ):
        appoint(crowd.actor("advocate", case), ana, "investigator")


def test_a_withdrawn_record_no_longer_counts(personas: Personas) -> None:
    crowd, case = _formal_case_at_investigation(personas)
    ana, _ = unprepared(personas.organization, "Ana", {"investigator"})
    record = training_record(actor=personas.admin, member=ana, roles={"investigator"}, topic="X", completed_on=today())
    assert missing(ana, "investigator") is None
    with pytest.raises(PreparationError, match="Write the reason"):
        training_withdraw(actor=personas.oversight, record=record, reason="no")
    training_withdraw(actor=personas.oversight, record=record, reason="Recorded for the wrong person.")
    assert LedgerEvent.objects.filter(action="preparation.withdrawn", actor=personas.oversight.pseudonym).exists()
    with pytest.raises(CaseError, match="the last record was withdrawn on"):
        appoint(crowd.actor("advocate", case), ana, "investigator")


def test_a_record_for_another_role_does_not_count(personas: Personas) -> None:
    crowd, case = _formal_case_at_investigation(personas)
    ana, _ = unprepared(personas.organization, "Ana", {"investigator", "facilitator"})
    training_record(actor=personas.admin, member=ana, roles={"facilitator"}, topic="X", completed_on=today())
    with pytest.raises(CaseError, match="no recorded preparation for investigation"):
        appoint(crowd.actor("advocate", case), ana, "investigator")
    training_record(actor=personas.admin, member=ana, roles={"investigator"}, topic="X", completed_on=today())
    appoint(crowd.actor("advocate", case), ana, "investigator")
    assert case.parties.filter(role="investigator").count() == 1


def test_panel_appeal_panel_and_facilitator_appointments_are_checked(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "formal")
    bea, _ = unprepared(personas.organization, "Bea", {"panel"})
    with pytest.raises(CaseError, match="Bea has no recorded preparation for panel work"):
        crowd.act("advocate", case, "panel", member=bea)
    restorative = opened(crowd, "restorative")
    cy, _ = unprepared(personas.organization, "Cy", {"facilitator"})
    with pytest.raises(CaseError, match="Cy has no recorded preparation for facilitation"):
        crowd.act("advocate", restorative, "facilitator", member=cy)
    crowd.act("advocate", restorative, "facilitator", member=personas.facilitator)  # prepared: seated


def test_a_self_initiated_plan_needs_a_prepared_facilitator(personas: Personas) -> None:
    cy, _ = unprepared(personas.organization, "Cy", {"facilitator"})
    with pytest.raises(CaseError, match="Cy has no recorded preparation for facilitation"):
        self_case_open(personas.survivor, personas.vault_keys["survivor"], facilitator=cy, text="I went too far.")
    case = self_case_open(
        personas.survivor, personas.vault_keys["survivor"], facilitator=personas.facilitator, text="I went too far."
    )
    assert case.pathway == "self"


def test_preparation_that_ends_today_still_counts_and_not_tomorrow(personas: Personas) -> None:
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    today = timezone.localdate()
    training_record(
        actor=personas.admin,
        member=ana,
        roles={"panel"},
        topic="X",
        completed_on=today - timedelta(days=400),
        valid_until=today,
    )
    assert missing(ana, "panel") is None
    TrainingRecord.objects.filter(member=ana).update(valid_until=today - timedelta(days=1))
    assert missing(ana, "panel") is not None


def test_a_record_made_before_the_ceiling_with_a_far_end_date_no_longer_counts(personas: Personas) -> None:
    """Made before the deployment's ceiling existed, with an end date years away: it stops
    counting once the ceiling has passed since its completion, for appointment and on the page."""
    ana, _ = unprepared(personas.organization, "Ana", {"panel"})
    record = training_record(actor=personas.admin, member=ana, roles={"panel"}, topic="X", completed_on=today())
    assert missing(ana, "panel") is None
    long_ago = add_months(today(), -37)  # past the default 3-year ceiling
    TrainingRecord.objects.filter(pk=record.pk).update(completed_on=long_ago, valid_until=date(2099, 1, 1))
    record.refresh_from_db()
    assert record.status() == "expired" and record.counts_until == add_months(long_ago, 36)
    assert missing(ana, "panel") is not None
    assert ana.pk not in prepared_ids(personas.organization, "panel")
