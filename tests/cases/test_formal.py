"""The formal path through the services: notice, response, investigation, a panel that
declares conflicts before reading, votes with reasons, decision, appeal, final."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction
from django.http import Http404

from chorus.accounts.services.power import member_set_roles
from chorus.cases.models import Case, Decision, Vote
from chorus.cases.services.core import CaseError, items_for
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for, ledger_verify
from tests.cases.factory import PANELS, claim_invitation, formal_to_deliberation, opened, people
from tests.escrow.factory import client_for
from tests.personas import Personas, add_member

pytestmark = pytest.mark.django_db


def test_it_refuses_notice_without_the_survivors_consent(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "allegation", text="An allegation.")
    with pytest.raises(CaseError, match="needs consent first"):
        crowd.act("advocate", case, "notice", email="respondent@riverside.example", text="Notice")
    case.refresh_from_db()
    assert case.state == "filed" and not case.parties.filter(role="respondent").exists()
    assert LedgerEvent.objects.filter(action="case.consent_gate_held").count() == 1


def test_it_runs_a_formal_case_to_a_final_outcome_with_an_appeal(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = formal_to_deliberation(crowd)
    # The respondent reads the notice and the allegation, never the survivor's summary.
    seen = {item.kind for item in items_for(crowd.actor("respondent", case))}
    assert {"notice", "allegation", "response", "report"} <= seen and "summary" not in seen
    allegation = case.allegations.get()
    for name, upheld in (("panel", "yes"), ("panel2", "yes"), ("panel3", "no")):
        crowd.act(name, case, "vote", allegation=allegation, upheld=upheld, reasons=f"{name} reasons")
    with pytest.raises(CaseError, match="not changed once cast"):
        crowd.act("panel", case, "vote", allegation=allegation, upheld="no", reasons="changed my mind")
    crowd.act("panel2", case, "decide", text="Upheld by two of three.")
    case.refresh_from_db()
    assert case.state == "appeal_window"
    assert Decision.objects.get(case=case, stage="panel").upheld is True
    crowd.act("respondent", case, "appeal", ground="procedure", text="I was not shown the witness statements.")
    for name in ("appeal1", "appeal2", "appeal3"):
        crowd.act("advocate", case, "appeal_panel", member=crowd.member(name))
        crowd.act(name, case, "declare", conflict="no", text="")
        crowd.act(name, case, "appeal_vote", allegation=allegation, upheld="no", reasons="procedure failed")
    crowd.act("appeal1", case, "appeal_decide", text="Reversed: the respondent did not see the evidence.")
    case.refresh_from_db()
    assert case.state == "final"
    # The original panel is shown the reversal.
    page = client_for(crowd.member("panel"), crowd.vault_keys["panel"]).get(f"/cases/{case.pk}/").content.decode()
    assert "The appeal panel reversed this panel's decision" in page
    assert ledger_verify(chain_for(personas.organization.pk)).ok


def test_no_one_can_change_a_decision_not_even_through_the_database(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = formal_to_deliberation(crowd)
    allegation = case.allegations.get()
    for name in ("panel", "panel2", "panel3"):
        crowd.act(name, case, "vote", allegation=allegation, upheld="yes", reasons="r")
    crowd.act("panel", case, "decide", text="Upheld.")
    for persona in ("advocate", "survivor", "respondent", "panel"):
        with pytest.raises(CaseError):
            crowd.act(persona, case, "decide", text="Changed.")
    with pytest.raises(DatabaseError), transaction.atomic():
        Decision.objects.filter(case=case).update(upheld=False)
    with pytest.raises(DatabaseError), transaction.atomic():
        Vote.objects.filter(case=case).delete()
    assert Decision.objects.get(case=case).upheld is True
    assert LedgerEvent.objects.filter(action="case.decision_change_refused").count() == 4


def test_a_panel_member_reads_nothing_before_declaring_and_steps_aside_on_a_conflict(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "allegation", text="An allegation.")
    crowd.act("advocate", case, "panel", member=crowd.member("panel"))
    assert items_for(crowd.actor("panel", case)) == []
    with pytest.raises(CaseError, match="Only the panel that heard the case"):
        crowd.act("panel", case, "vote", allegation=case.allegations.get(), upheld="yes", reasons="r")
    crowd.act("panel", case, "declare", conflict="yes", text="He is my brother-in-law.")
    actor = crowd.actor("panel", case)
    assert actor.roles == set() and items_for(actor) == []
    with pytest.raises(CaseError, match="already has this role"):
        crowd.act("advocate", case, "panel", member=crowd.member("panel"))


def test_a_raised_conflict_upheld_by_a_colleague_recuses(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "allegation", text="An allegation.")
    crowd.act("survivor", case, "consent", step="contact")
    crowd.act("advocate", case, "notice", email=crowd.member("respondent").email, text="Notice")
    claim_invitation(crowd, "respondent")
    for name in ("panel", "panel2"):
        crowd.act("advocate", case, "panel", member=crowd.member(name))
        crowd.act(name, case, "declare", conflict="no", text="")
    challenged = crowd.actor("panel2", case).parties[0]
    crowd.act("survivor", case, "challenge", member=challenged, text="They manage the respondent.")
    with pytest.raises(CaseError, match="No conflict raised"):
        crowd.act("panel2", case, "rule", upheld="no", reasons="I am fine")
    crowd.act("panel", case, "rule", upheld="yes", reasons="A direct reporting line is a conflict.")
    challenged.refresh_from_db()
    assert challenged.recused_at is not None and challenged.conflict


def test_the_separations_hold(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "allegation", text="An allegation.")
    crowd.act("survivor", case, "consent", step="contact")
    crowd.act("advocate", case, "notice", email=crowd.member("respondent").email, text="Notice")
    crowd.act("advocate", case, "investigator", member=crowd.member("investigator"))
    with pytest.raises(CaseError, match="does not hold this role"):
        crowd.act("advocate", case, "panel", member=crowd.member("investigator"))
    crowd.member("investigator").roles.create(role="panel")
    crowd.member("investigator").refresh_roles()
    with pytest.raises(CaseError, match="investigates or facilitates"):
        crowd.act("advocate", case, "panel", member=crowd.member("investigator"))
    crowd.member("panel3").roles.create(role="advocate")
    crowd.member("panel3").refresh_roles()
    with pytest.raises(CaseError, match="Advocates support survivors"):
        crowd.act("advocate", case, "panel", member=crowd.member("panel3"))
    assert not case.parties.filter(role="panel").exists()


def test_the_appeal_panel_is_people_who_did_not_act_earlier(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = formal_to_deliberation(crowd)
    allegation = case.allegations.get()
    for name in ("panel", "panel2", "panel3"):
        crowd.act(name, case, "vote", allegation=allegation, upheld="yes", reasons="r")
    crowd.act("panel", case, "decide", text="Upheld.")
    crowd.act("survivor", case, "appeal", ground="bias", text="b")
    crowd.member("panel").roles.create(role="appeal_panel")
    crowd.member("panel").refresh_roles()
    with pytest.raises(CaseError, match="did not act earlier"):
        crowd.act("advocate", case, "appeal_panel", member=crowd.member("panel"))
    assert Case.objects.get(pk=case.pk).state == "appeal"


def test_the_appeal_window_closes_into_a_final_outcome(personas: Personas) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from chorus.web.tasks import tasks_run_due

    crowd = people(personas, *PANELS)
    case = formal_to_deliberation(crowd)
    for name in ("panel", "panel2", "panel3"):
        crowd.act(name, case, "vote", allegation=case.allegations.get(), upheld="no", reasons="r")
    crowd.act("panel", case, "decide", text="Not upheld.")
    tasks_run_due()
    assert Case.objects.get(pk=case.pk).state == "appeal_window"  # not yet
    Case.objects.filter(pk=case.pk).update(appeal_deadline=timezone.now() - timedelta(minutes=1))
    tasks_run_due(now=timezone.now() + timedelta(days=11))
    assert Case.objects.get(pk=case.pk).state == "final"
    with pytest.raises(CaseError, match="current stage"):
        crowd.act("respondent", case, "appeal", ground="bias", text="too late")


def test_a_panel_member_whose_role_was_removed_no_longer_reads_or_votes_in_their_cases(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "allegation", text="An allegation.")
    crowd.act("advocate", case, "panel", member=crowd.member("panel"))
    crowd.act("panel", case, "declare", conflict="no", text="")
    assert crowd.actor("panel", case).roles
    member_set_roles(member=crowd.member("panel"), roles=set(), actor=personas.admin)
    with pytest.raises(Http404):
        crowd.actor("panel", case)



def test_a_panel_member_who_is_offboarded_no_longer_counts_and_the_panel_is_told_it_is_short(
    personas: Personas,
) -> None:
    from chorus.accounts.services.offboarding import member_offboard
    from chorus.cases.services.formal import seated

    crowd = people(personas, *PANELS)
    case = formal_to_deliberation(crowd)
    allegation = case.allegations.get()
    for name in ("panel", "panel2"):
        crowd.act(name, case, "vote", allegation=allegation, upheld="yes", reasons="The rota agrees.")
    member_offboard(member=crowd.member("panel3"), actor=personas.admin)
    # A seat given for the role ends with it: it is neither waited for nor counted.
    assert len(seated(case, "panel")) == 2
    client = client_for(crowd.member("panel"), crowd.vault_keys["panel"])
    response = client.post(f"/cases/{case.pk}/act/decide/", {"decide-text": "Upheld.", "decide-confirm": "on"}, follow=True)
    page = response.content.decode()
    assert "The panel needs 3 members who declared no conflict; it has 2." in page
    assert "Every seated member must vote" not in page
    assert not Decision.objects.filter(case=case).exists()
    # The advocates seat someone new, who declares and votes: the panel decides.
    panel4, vault_key = add_member(personas.organization, "panel4", {"panel"})
    crowd.members["panel4"], crowd.vault_keys["panel4"] = panel4, vault_key
    crowd.act("advocate", case, "panel", member=panel4)
    crowd.act("panel4", case, "declare", conflict="no", text="")
    crowd.act("panel4", case, "vote", allegation=allegation, upheld="yes", reasons="I read the file: it agrees.")
    crowd.act("panel", case, "decide", text="Upheld.")
    assert Decision.objects.filter(case=case).exists()
