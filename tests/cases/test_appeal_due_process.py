"""Due process around an appeal: a pause stops the appeal clock (and no other), a filed
appeal cannot be paused, and a complainant who withdraws in the appeal window or during an
appeal ends their own part while the window stays open and an appeal is still heard. A
co-complainant who withdraws ends only their part too; the last complainant ends the case
only when no appeal right is pending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import formats, timezone

from chorus.cases.forms import action_form
from chorus.cases.keys import acted
from chorus.cases.machine import BY_NAME
from chorus.cases.models import Case, Decision, Measure, Party
from chorus.cases.services.act import available, consent_missing
from chorus.cases.services.core import CaseError, items_for
from chorus.ledger.models import LedgerEvent
from chorus.web.tasks import tasks_run_due
from tests.cases.factory import (
    IN_A_MONTH,
    PANELS,
    People,
    co_complainant,
    formal_decided,
    formal_to_deliberation,
    opened,
    people,
)
from tests.escrow.factory import client_for
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def _page(crowd: People, name: str, case: Case) -> str:
    return client_for(crowd.member(name), crowd.vault_keys[name]).get(f"/cases/{case.pk}/").content.decode()


def _shown(moment: object) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")  # type: ignore[arg-type]


def _appeal_heard(crowd: People, case: Case) -> None:
    allegation = case.allegations.get()
    for name in ("appeal1", "appeal2", "appeal3"):
        crowd.act("advocate", case, "appeal_panel", member=crowd.member(name))
        crowd.act(name, case, "declare", conflict="no", text="")
        crowd.act(name, case, "appeal_vote", allegation=allegation, upheld="no", reasons="The rota was wrong.")
    crowd.act("appeal1", case, "appeal_decide", text="Not upheld: the rota was for another week.")


def test_a_pause_in_the_appeal_window_moves_the_deadline_by_the_paused_time(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    crowd.act("survivor", case, "measure_request", kind="room", text="A desk on another floor.")
    measure = case.measures.get()
    crowd.act("advocate", case, "measure_decide", measure=measure, agree="yes", reasons="Yes.",
              owner=crowd.member("admin"), due=IN_A_MONTH)  # fmt: skip
    due = Measure.objects.get(pk=measure.pk).due_at
    crowd.act("survivor", case, "pause")
    # Three days ago, with two days of the window left; the deadline has passed since.
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(paused_at=now - timedelta(days=3), appeal_deadline=now - timedelta(days=1))
    tasks_run_due(now=now + timedelta(hours=2))
    assert Case.objects.get(pk=case.pk).state == "appeal_window"  # it never closes while paused
    for name in ("survivor", "respondent"):
        assert "the clock is stopped while the case is paused" in _page(crowd, name, case)
    with pytest.raises(CaseError, match="paused"):
        crowd.act("respondent", case, "appeal", ground="evidence", text="A new witness.")

    said = crowd.act("survivor", case, "resume")
    case.refresh_from_db()
    assert not case.paused and case.paused_at is None
    assert case.appeal_deadline is not None
    assert abs(case.appeal_deadline - (now + timedelta(days=2))) < timedelta(minutes=1)
    assert said and _shown(case.appeal_deadline) in said
    event = LedgerEvent.objects.get(action="case.appeal_deadline_moved")
    assert event.refs["to"] == case.appeal_deadline.isoformat() and acted(personas.survivor, event.actor, event.refs)
    for name in ("survivor", "respondent"):  # both parties see the moved date
        assert f"Appeals until {_shown(case.appeal_deadline)}" in _page(crowd, name, case)
    # The other clocks stay where they were: what the organization owes the survivor.
    assert Measure.objects.get(pk=measure.pk).due_at == due
    tasks_run_due(now=timezone.now() + timedelta(hours=2))
    assert Case.objects.get(pk=case.pk).state == "appeal_window"
    crowd.act("respondent", case, "appeal", ground="evidence", text="A new witness.")
    assert Case.objects.get(pk=case.pk).state == "appeal"


def test_a_pause_that_began_after_the_deadline_gives_no_time_back(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    deadline = timezone.now() - timedelta(hours=1)
    Case.objects.filter(pk=case.pk).update(appeal_deadline=deadline)
    crowd.act("survivor", case, "pause")
    crowd.act("survivor", case, "resume")
    assert Case.objects.get(pk=case.pk).appeal_deadline == deadline
    assert not LedgerEvent.objects.filter(action="case.appeal_deadline_moved").exists()


def test_a_filed_appeal_cannot_be_paused(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    crowd.act("respondent", case, "appeal", ground="procedure", text="I never saw the rota.")
    assert "pause" not in {action.name for action in available(crowd.actor("survivor", case))}
    with pytest.raises(CaseError, match="Once an appeal is filed the case cannot be paused"):
        crowd.act("survivor", case, "pause")
    client = client_for(crowd.member("survivor"), crowd.vault_keys["survivor"])
    response = client.post(f"/cases/{case.pk}/act/pause/", {})
    assert response.status_code == 400 and "so that no one can hold up its hearing" in response.content.decode()
    assert not Case.objects.get(pk=case.pk).paused
    assert {"appeal_window", "deliberation"} <= BY_NAME["pause"].states and "appeal" not in BY_NAME["pause"].states


def test_a_withdrawal_during_an_appeal_ends_only_the_complainants_part(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    crowd.act("respondent", case, "appeal", ground="procedure", text="I never saw the rota.")
    said = crowd.act("survivor", case, "withdraw", text="I cannot go through this again.")
    assert said and "still heard" in said
    case.refresh_from_db()
    assert case.state == "appeal" and case.closed_at is None
    survivor = Party.objects.get(case=case, role="complainant")
    assert survivor.withdrawn_at is not None
    event = LedgerEvent.objects.get(action="case.complainant_withdrew")
    assert event.refs == {"case": str(case.pk), "party": str(survivor.pk), "stage": "appeal"}
    # They take no step, block none, and are asked to consent to nothing any more.
    actor = crowd.actor("survivor", case)
    assert actor.roles == set() and available(actor) == []
    for step, data in (("pause", {}), ("consent", {"step": "contact"}), ("withdraw", {"text": ""})):
        with pytest.raises(CaseError, match="not yours"):
            crowd.act("survivor", case, step, **data)
    assert consent_missing(case, "contact") == (
        "No survivor takes part in this case any more, so no one can give this consent."
    )
    # The respondent sees the withdrawal; the survivor is told where they stand.
    assert "Complainant 1 — withdrew on" in _page(crowd, "respondent", case)
    assert 'id="withdrawn"' in _page(crowd, "survivor", case)

    tasks_run_due()
    mail.outbox.clear()
    _appeal_heard(crowd, case)
    case.refresh_from_db()
    assert case.state == "final"
    assert Decision.objects.get(case=case, stage="appeal").upheld is False
    tasks_run_due()
    emailed = {address for message in mail.outbox for address in message.to}
    assert crowd.member("respondent").email in emailed and crowd.member("survivor").email not in emailed
    # They still read the case and its outcome, and their words stay theirs.
    texts = [item.text for item in items_for(crowd.actor("survivor", case))]
    assert "I cannot go through this again." in texts and "Not upheld: the rota was for another week." in texts
    assert "I cannot go through this again." not in [i.text for i in items_for(crowd.actor("respondent", case))]


def _outbox_cleared() -> None:
    tasks_run_due()
    mail.outbox.clear()


def _emailed() -> set[str]:
    tasks_run_due()
    return {address for message in mail.outbox for address in message.to}


def _window_closes(case: Case) -> None:
    """The appeal deadline passes and the worker runs the window's task."""
    Case.objects.filter(pk=case.pk).update(appeal_deadline=timezone.now() - timedelta(minutes=1))
    tasks_run_due(now=timezone.now() + timedelta(days=365))


def test_a_withdrawal_in_the_appeal_window_leaves_the_respondent_their_time_to_appeal(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    deadline = case.appeal_deadline
    assert deadline is not None
    said = crowd.act("survivor", case, "withdraw", text="I have nothing left for this.")
    assert said and f"may still appeal until {_shown(deadline)}" in said
    case.refresh_from_db()
    assert (case.state, case.closed_at, case.appeal_deadline) == ("appeal_window", None, deadline)
    survivor = Party.objects.get(case=case, role="complainant")
    assert survivor.withdrawn_at is not None
    event = LedgerEvent.objects.get(action="case.complainant_withdrew")
    assert event.refs == {"case": str(case.pk), "party": str(survivor.pk), "stage": "appeal_window"}
    assert acted(personas.survivor, event.actor, event.refs)
    # Their part has ended: no step, no appeal of their own, no pause holding the window.
    actor = crowd.actor("survivor", case)
    assert actor.roles == set() and available(actor) == []
    for step, data in (("appeal", {"ground": "procedure", "text": "x"}), ("pause", {})):
        with pytest.raises(CaseError, match="not yours"):
            crowd.act("survivor", case, step, **data)
    # Both see where the case stands: the respondent, the withdrawal and the window's end.
    page = _page(crowd, "respondent", case)
    assert "Complainant 1 — withdrew on" in page and f"Appeals until {_shown(deadline)}" in page
    assert "The others in it may still appeal the decision" in _page(crowd, "survivor", case)

    _outbox_cleared()
    crowd.act("respondent", case, "appeal", ground="procedure", text="I never saw the rota.")
    assert Case.objects.get(pk=case.pk).state == "appeal"
    _appeal_heard(crowd, case)
    case.refresh_from_db()
    assert case.state == "final" and Decision.objects.get(case=case, stage="appeal").upheld is False
    emailed = _emailed()
    assert crowd.member("respondent").email in emailed and crowd.member("survivor").email not in emailed
    texts = [item.text for item in items_for(crowd.actor("survivor", case))]
    assert "Not upheld: the rota was for another week." in texts
    assert "Your part in it has ended" in _page(crowd, "survivor", case)


def test_when_no_one_appeals_after_the_last_complainant_withdrew_the_case_becomes_final(
    personas: Personas,
) -> None:
    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    deadline = case.appeal_deadline
    assert deadline is not None
    crowd.act("survivor", case, "pause")
    Case.objects.filter(pk=case.pk).update(paused_at=timezone.now() - timedelta(days=3))
    _outbox_cleared()
    said = crowd.act("survivor", case, "withdraw", text="")
    # No one is left to resume the pause: it is lifted, and the window gets its time back.
    case.refresh_from_db()
    assert (case.state, case.paused, case.paused_at) == ("appeal_window", False, None)
    assert case.appeal_deadline is not None
    assert abs(case.appeal_deadline - (deadline + timedelta(days=3))) < timedelta(minutes=1)
    moved = LedgerEvent.objects.get(action="case.appeal_deadline_moved")
    assert acted(personas.survivor, moved.actor, moved.refs)
    assert moved.refs["to"] == case.appeal_deadline.isoformat()
    assert said and _shown(case.appeal_deadline) in said
    assert crowd.member("survivor").email not in _emailed()

    tasks_run_due(now=deadline + timedelta(hours=1))  # the window's task finds the moved deadline ahead
    assert Case.objects.get(pk=case.pk).state == "appeal_window"
    _outbox_cleared()
    _window_closes(case)
    case.refresh_from_db()
    assert case.state == "final" and case.closed_at is None
    final = LedgerEvent.objects.get(action="case.moved", refs__to="final")
    assert final.refs["why"] == "appeal window closed" and final.actor == "system"
    emailed = _emailed()
    assert crowd.member("respondent").email in emailed and crowd.member("survivor").email not in emailed


def test_a_co_complainant_who_withdraws_ends_only_their_part(personas: Personas) -> None:
    crowd = people(personas, ("robin", set()))
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "allegation", text="At the Friday social.")
    robin = co_complainant(crowd, case, "robin")
    crowd.act("survivor", case, "consent", step="contact")
    assert consent_missing(case, "contact") == (
        "This needs consent first — to: Contact the respondent (a notice or an invitation to a restorative "
        "process). Not yet given by: Complainant Robin."
    )
    said = crowd.act("robin", case, "withdraw", text="I need to step back.")
    assert said and "the case goes on for the other complainants" in said
    case.refresh_from_db()
    assert (case.state, case.closed_at) == ("filed", None)
    assert Party.objects.get(pk=robin.pk).withdrawn_at is not None
    event = LedgerEvent.objects.get(action="case.complainant_withdrew")
    assert event.refs == {"case": str(case.pk), "party": str(robin.pk), "stage": "filed"}
    assert crowd.actor("robin", case).roles == set()
    assert "Complainant Robin — withdrew on" in _page(crowd, "survivor", case)
    assert "Your part in it has ended" in _page(crowd, "robin", case)
    # No one chooses them for a step any more, and the case moves with the survivor's consent alone.
    verifiers = action_form(crowd.actor("advocate", case), BY_NAME["milestone"]).fields["verifier"]
    assert robin.pk not in {party.pk for party in verifiers.queryset}  # type: ignore[attr-defined]
    assert consent_missing(case, "contact") is None
    crowd.act("advocate", case, "notice", email=crowd.member("respondent").email, text="Notice: one allegation.")
    assert Case.objects.get(pk=case.pk).state == "notice"

    # The last complainant taking part, before any decision: the case ends, as it always did.
    assert crowd.act("survivor", case, "withdraw", text="") == "You have withdrawn. The case has ended."
    case.refresh_from_db()
    assert case.state == "withdrawn" and case.closed_at is not None
    assert LedgerEvent.objects.filter(action="case.complainant_withdrew").count() == 1


def test_a_pause_held_by_a_remaining_co_complainant_stays_theirs_to_lift(personas: Personas) -> None:
    crowd = people(personas, *PANELS, ("robin", set()))
    case = formal_decided(crowd)
    co_complainant(crowd, case, "robin")
    crowd.act("robin", case, "pause")
    said = crowd.act("survivor", case, "withdraw", text="")
    assert said and "the others in the case may still appeal" in said
    case.refresh_from_db()
    assert (case.state, case.paused) == ("appeal_window", True)  # Robin can still resume it
    assert "resume" in {action.name for action in available(crowd.actor("robin", case))}
    crowd.act("robin", case, "withdraw", text="")
    case.refresh_from_db()
    assert (case.state, case.paused) == ("appeal_window", False)
    assert LedgerEvent.objects.filter(action="case.complainant_withdrew", refs__stage="appeal_window").count() == 2
    _window_closes(case)
    assert Case.objects.get(pk=case.pk).state == "final"


def test_a_withdrawal_before_a_decision_still_ends_the_case(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = formal_to_deliberation(crowd)
    crowd.act("survivor", case, "pause")
    crowd.act("survivor", case, "withdraw", text="")
    case.refresh_from_db()
    assert (case.state, case.paused, case.paused_at) == ("withdrawn", False, None)
    assert not Party.objects.filter(case=case, withdrawn_at__isnull=False).exists()
