"""The case page tells the story: the step indicator, the summary, the timeline, and only
the steps this person can take now, the usual next one first and serious ones confirmed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from chorus.cases.machine import ACTIONS, SERIOUS, STEP_GROUPS
from chorus.cases.models import Case, StagePeriod
from chorus.cases.services import stages
from chorus.notices.services import notice_preferences_set
from tests.cases.factory import IN_A_MONTH, PANELS, claim_invitation, formal_decided, opened, people
from tests.escrow.factory import client_for
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def _page(personas: Personas, name: str, case: Case) -> str:
    client = client_for(personas.members[name], personas.vault_keys[name])
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, element_id: str) -> str:
    """The element with ``element_id``, to its matching closing tag."""
    found = re.search(rf'<(\w+)[^>]*\bid="{element_id}"', page)
    assert found, element_id
    tag, depth = found.group(1), 0
    for match in re.finditer(rf"<(/?){tag}\b[^>]*>", page[found.start() :]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return page[found.start() : found.start() + match.end()]
    raise AssertionError(element_id)


def test_every_step_belongs_to_one_named_group() -> None:
    grouped = [name for _key, _label, names in STEP_GROUPS for name in names]
    assert sorted(grouped) == sorted(action.name for action in ACTIONS)


def test_it_shows_the_formal_pathway_as_steps_with_the_current_one_marked(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "formal")
    page = _page(personas, "survivor", case)
    steps = _section(page, "steps")
    items = re.findall(
        r"<li class=\"(\w+)\"( aria-current=\"step\")?>(.*?)<span class=\"step-status\">(.*?)</span>", steps, re.S
    )
    assert [(cls, label.strip(), status) for cls, _aria, label, status in items][:2] == [
        ("current", "Filed", "now"),
        ("upcoming", "Notice given", "to come"),
    ]
    assert steps.count('aria-current="step"') == 1
    assert "Under appeal" not in steps  # the appeal branch shows only in a case that reached it


def test_a_decided_case_marks_the_earlier_stages_done_and_the_timeline_tells_what_happened(
    personas: Personas,
) -> None:
    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    page = _page(personas, "survivor", case)
    steps = _section(page, "steps")
    assert steps.count(">done<") == 5 and "Decided; appeal window open" in steps
    timeline = _section(page, "timeline")
    for said in (
        "The case was opened: Formal process, Filed",
        "Stage: Notice given",
        "Respondent joined the case",
        "declared no conflict",
        "The panel decided",
        "allegation 1: upheld",
        "He touched me at the staff party.",  # a written item the survivor may read
    ):
        assert said in timeline, said
    assert timeline.index("Stage: Notice given") < timeline.index("The panel decided")
    assert "Complainant 1 joined" not in timeline  # the opening already says so
    # The respondent reads the same events but not the survivor's support compartment.
    respondent = _section(_page(personas, "respondent", case), "timeline")
    assert "The panel decided" in respondent and "I want it to stop." not in respondent


def test_the_summary_says_who_is_in_it_who_it_waits_on_and_the_next_deadline(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "formal")
    page = _page(personas, "survivor", case)
    summary = _section(page, "summary")
    assert case.reference and case.reference in summary and "Complainant 1" in summary
    assert str(case.pk) not in summary  # the short reference only, not the raw id
    assert "You" in _section(page, "waiting")  # the survivor adds an allegation first
    deadline = _section(page, "deadline")
    assert "Target for this stage (Filed)" in deadline and "overdue" not in deadline
    StagePeriod.objects.filter(case=case).update(entered_at=timezone.now() - timedelta(days=8))
    assert "overdue" in _section(_page(personas, "survivor", case), "deadline")
    assert "The advocates" not in _section(_page(personas, "advocate", case), "waiting")


def test_the_usual_next_step_comes_first_and_the_rest_wait_under_disclosures(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "formal")
    page = _page(personas, "survivor", case)
    next_step = _section(page, "next-step")
    assert 'id="act-allegation"' in next_step and 'class="primary"' in next_step
    assert page.count('class="primary"') == 1
    assert '<details class="step-group" id="group-case">' in page
    assert "The next step is yours: Add an allegation." in page
    assert "Nothing you can read yet" not in page
    crowd.act("survivor", case, "allegation", text="He shouted at me.")
    assert 'id="act-consent"' in _section(_page(personas, "survivor", case), "next-step")
    crowd.act("survivor", case, "consent", step="contact")
    page = _page(personas, "survivor", case)
    assert 'id="next-step"' not in page and "The case is waiting on the advocates." in page
    assert 'id="act-notice"' in _section(_page(personas, "advocate", case), "next-step")


def test_pause_and_resume_are_offered_one_at_a_time(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "support")
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="act-pause"' in page and 'id="act-resume"' not in page
    assert client.post(f"/cases/{case.pk}/act/resume/", {}).status_code == 400
    assert client.post(f"/cases/{case.pk}/act/pause/", {}).status_code == 302
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="act-resume"' in page and 'id="act-pause"' not in page


def test_withdrawing_is_a_warning_button_and_refused_without_the_confirmation(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "support")
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    withdraw = _section(page, "act-withdraw")
    assert 'class="danger"' in withdraw and str(SERIOUS["withdraw"]) in withdraw
    assert "Anything you want to say" in withdraw and "(optional) (optional)" not in page
    response = client.post(f"/cases/{case.pk}/act/withdraw/", {"withdraw-text": "I need to stop."})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert 'id="group-case" open' in response.content.decode()  # the refused step stays in view
    case.refresh_from_db()
    assert case.state == "support"
    response = client.post(f"/cases/{case.pk}/act/withdraw/", {"withdraw-confirm": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "withdrawn"
    steps = _section(client.get(f"/cases/{case.pk}/").content.decode(), "steps")
    assert "Withdrawn" in steps and "Closed" not in steps


def test_a_step_with_nothing_to_choose_is_left_out_with_a_sentence(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "support")
    page = _page(personas, "advocate", case)
    assert 'id="act-measure_decide"' not in page
    assert "No measure is waiting for a decision." in _section(page, "unavailable-measure_decide")
    assert "---------" not in page
    crowd.act("survivor", case, "measure_request", kind="room", text="A desk elsewhere.")
    page = _page(personas, "advocate", case)
    assert 'id="act-measure_decide"' in _section(page, "next-step")


def test_a_given_consent_is_not_asked_for_again(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "consent", step="contact")
    consent = _section(_page(personas, "survivor", case), "act-consent")
    assert "Contact the respondent" not in consent and "Sign the accountability plan" in consent


def test_references_count_per_organization_and_year_in_opening_order(personas: Personas) -> None:
    crowd = people(personas)
    first, second = opened(crowd), opened(crowd, "formal")
    year = timezone.localtime(first.opened_at).year
    assert (first.reference, second.reference) == (f"C-{year}-0001", f"C-{year}-0002")
    assert stages.reference_next(personas.other_org.organization, year) == f"C-{year}-0001"
    assert stages.reference_next(personas.organization, year + 1) == f"C-{year + 1}-0001"
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    listing = client.get("/cases/").content.decode()
    assert f"{first.reference}<" in listing and f"{second.reference}<" in listing


def test_the_migration_numbers_existing_cases_and_rebuilds_their_stages_from_the_ledger(personas: Personas) -> None:
    from importlib import import_module

    from django.apps import apps

    crowd = people(personas)
    older, newer = opened(crowd, "restorative"), opened(crowd)
    crowd.act("survivor", newer, "choose_pathway", pathway="formal")
    Case.objects.filter(pk=older.pk).update(opened_at=older.opened_at - timedelta(days=1))
    Case.objects.update(reference=None)
    StagePeriod.objects.all().delete()
    from chorus.cases.models import CaseCounter

    CaseCounter.objects.all().delete()
    import_module("chorus.cases.migrations.0004_case_references_stages_targets").backfill(apps, None)
    older.refresh_from_db()
    newer.refresh_from_db()
    year = timezone.localtime(newer.opened_at).year
    assert str(older.reference).endswith("-0001") and newer.reference == f"C-{year}-0002"
    assert [(p.pathway, p.state, p.left_at is None) for p in newer.periods.all()] == [
        ("intake", "intake", False),
        ("formal", "filed", True),
    ]
    assert opened(crowd).reference == f"C-{year}-0003"


def test_only_an_administrator_sets_the_deadlines_and_bad_numbers_are_refused(personas: Personas) -> None:
    from chorus.ledger.models import LedgerEvent

    client = client_for(personas.admin, personas.vault_keys["admin"])
    page = client.get("/cases/deadlines/").content.decode()
    assert 'name="formal__filed"' in page and 'value="7"' in page
    response = client.post("/cases/deadlines/", {"formal__filed": "0", "formal__notice": "soon"})
    page = response.content.decode()
    assert response.status_code == 400 and 'class="error-summary"' in page
    assert 'href="#id_formal__filed"' in page and "Enter a whole number of days" in page
    data = {
        f"{pathway}__{state}": days or ""
        for (pathway, state), days in stages.targets_for(personas.organization).items()
    }
    data.update({"formal__filed": "5", "support__support": ""})
    assert client.post("/cases/deadlines/", data).status_code == 302
    targets = stages.targets_for(personas.organization)
    assert targets[("formal", "filed")] == 5 and targets[("support", "support")] is None
    event = LedgerEvent.objects.get(action="case.targets_changed")
    assert event.refs["targets"] == {"formal.filed": 5, "support.support": None}
    assert stages.targets_for(personas.other_org.organization)[("formal", "filed")] == 7
    advocate = client_for(personas.advocate, personas.vault_keys["advocate"])
    assert advocate.get("/cases/deadlines/").status_code == 403


def test_a_stage_past_its_target_reminds_whoever_it_waits_on_once(personas: Personas, mailoutbox: list) -> None:
    from chorus.cases.models import Reminder
    from chorus.cases.services.reminders import reminders_scan
    from chorus.web.tasks import tasks_run_due

    crowd = people(personas)
    case = opened(crowd, "formal")
    assert reminders_scan() == 0
    StagePeriod.objects.filter(case=case).update(entered_at=timezone.now() - timedelta(days=8))
    assert reminders_scan() == 1
    assert reminders_scan() == 0
    reminder = Reminder.objects.get()
    assert reminder.party.role == "complainant" and reminder.about == "stage:filed"
    tasks_run_due()
    # She never chose to hear of her cases by email: an email would tell whoever reads her
    # inbox that she is in one. The case page tells her.
    assert mailoutbox == []
    notice_preferences_set(member=personas.survivor, kinds={"step"}, vault_key=personas.vault_keys["survivor"])
    StagePeriod.objects.filter(case=case).update(reminded_at=None)
    assert reminders_scan() == 1
    tasks_run_due()
    assert {m.to[0] for m in mailoutbox} == {personas.survivor.email}
    assert "Filed" not in mailoutbox[0].body and str(case.reference) not in mailoutbox[0].body
    page = _page(personas, "survivor", case)
    assert (
        "has gone past the organization&#x27;s target time" in page
        or "has gone past the organization's target time" in page
    )
    crowd.act("survivor", case, "allegation", text="He shouted.")
    crowd.act("survivor", case, "consent", step="contact")
    crowd.act("advocate", case, "notice", email=personas.respondent.email, text="Notice.")
    assert Reminder.objects.get().settled_at is not None  # the stage was left


def test_waiting_on_names_who_the_case_needs_next(personas: Personas) -> None:
    from chorus.cases.machine import TEAM
    from chorus.cases.services.story import waiting_on, waiting_parties

    crowd = people(personas)
    case = opened(crowd, "formal")
    assert waiting_on(case) == ("complainant",)
    assert [party.label for party in waiting_parties(case)] == ["Complainant 1"]
    crowd.act("survivor", case, "allegation", text="He shouted.")
    crowd.act("survivor", case, "consent", step="contact")
    assert waiting_on(case) == (TEAM,) and waiting_parties(case) == []
    crowd.act("survivor", case, "pause")
    case.refresh_from_db()
    assert waiting_on(case) == ("complainant",)
    crowd.act("survivor", case, "resume")
    crowd.act("survivor", case, "withdraw", text="")
    case.refresh_from_db()
    assert waiting_on(case) == ()


def test_a_stage_waiting_on_the_advocates_emails_them_when_overdue(personas: Personas, mailoutbox: list) -> None:
    from chorus.cases.models import Reminder
    from chorus.cases.services.reminders import reminders_scan
    from chorus.web.tasks import tasks_run_due

    crowd = people(personas)
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "allegation", text="He shouted.")
    crowd.act("survivor", case, "consent", step="contact")
    StagePeriod.objects.filter(case=case).update(entered_at=timezone.now() - timedelta(days=8))
    assert reminders_scan() == 1
    tasks_run_due()
    assert personas.advocate.email in {m.to[0] for m in mailoutbox}
    assert personas.survivor.email not in {m.to[0] for m in mailoutbox}
    assert not Reminder.objects.exists()  # the advocates are not a party: the case page shows the overdue date


def test_an_advocate_who_turned_case_notices_off_is_not_emailed_of_an_overdue_stage(
    personas: Personas, mailoutbox: list
) -> None:
    from chorus.cases.services.reminders import reminders_scan
    from chorus.web.tasks import tasks_run_due

    notice_preferences_set(member=personas.advocate, kinds={"share", "message"}, vault_key=None)
    crowd = people(personas)
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "allegation", text="He shouted.")
    crowd.act("survivor", case, "consent", step="contact")
    StagePeriod.objects.filter(case=case).update(entered_at=timezone.now() - timedelta(days=8))
    assert reminders_scan() == 1
    tasks_run_due()
    assert personas.advocate.email not in {m.to[0] for m in mailoutbox}


def test_a_paused_case_is_not_reminded_of_its_stage(personas: Personas) -> None:
    from chorus.cases.services.reminders import reminders_scan

    crowd = people(personas)
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "pause")
    StagePeriod.objects.filter(case=case).update(entered_at=timezone.now() - timedelta(days=8))
    assert reminders_scan() == 0


def test_a_case_is_found_by_its_reference_in_its_own_organization_only(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd)
    assert case.reference is not None
    assert stages.case_by_reference(personas.organization, f" {case.reference.lower()} ") == case
    assert stages.case_by_reference(personas.other_org.organization, case.reference) is None
    assert stages.case_by_reference(personas.organization, "C-20-1") is None


def test_a_sanction_shows_who_carried_it_out(personas: Personas) -> None:
    """The sanction decided in the case is carried out by a membership change (proposed by an
    administrator, approved by a second person): the case says so, and by whom."""
    from chorus.accounts.services.lifecycle import member_suspend, membership_change_approve
    from chorus.cases.models import Measure

    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    measure = Measure.objects.create(case=case, number=99, kind="sanction", status="agreed", decided_at=timezone.now())
    change = member_suspend(member=personas.respondent, reason="sanction", actor=personas.admin, measure=measure)
    assert "waiting for a second person" in _section(_page(personas, "survivor", case), "measures")
    membership_change_approve(change=change, approver=personas.oversight)
    shown = _section(_page(personas, "survivor", case), "measures")
    assert "Carried out: Suspension, proposed by Admin, approved by Oversight on" in shown


def _timeline(personas: Personas, name: str, case: Case) -> str:
    return _section(_page(personas, name, case), "timeline")


def test_each_person_reads_the_history_from_where_their_part_in_the_case_began(personas: Personas) -> None:
    """The survivor first asked for support, then filed a formal complaint. The respondent is
    given written notice of the allegations, not her time in support or when she first came
    forward; the investigator and the panel see the formal process from its filing; the
    survivor and the advocates see all of it."""
    crowd = people(personas, *PANELS)
    case = opened(crowd)
    crowd.act("survivor", case, "choose_pathway", pathway="support")
    crowd.act("survivor", case, "measure_request", kind="room", text="A desk away from him.")
    crowd.act("survivor", case, "choose_pathway", pathway="formal")
    crowd.act("survivor", case, "allegation", text="He touched me at the staff party.")
    crowd.act("survivor", case, "consent", step="contact")
    crowd.act("advocate", case, "notice", email=crowd.member("respondent").email, text="Notice: one allegation.")
    claim_invitation(crowd, "respondent")
    crowd.act("respondent", case, "respond", text="I remember it differently.")
    crowd.act("advocate", case, "investigator", member=crowd.member("investigator"))
    crowd.act("investigator", case, "report", text="Two witnesses confirm the account.")
    crowd.act("advocate", case, "panel", member=crowd.member("panel"))
    crowd.act("panel", case, "declare", conflict="no", text="")
    support_history = ("The case was opened", "Support only", "was asked for", "The pathway changed")

    for name in ("survivor", "advocate"):
        timeline = _timeline(personas, name, case)
        for said in (
            "The case was opened: Not chosen yet, Choosing a pathway",
            "The pathway changed to: Support only",
            "was asked for",
            "The pathway changed to: Formal process",
            "Stage: Notice given",
        ):
            assert said in timeline, (name, said)

    respondent = _timeline(personas, "respondent", case)
    for said in (*support_history, "Stage: Filed"):
        assert said not in respondent, said
    for said in (
        "Stage: Notice given",
        "Respondent joined the case",
        "Stage: Investigation",
        "Notice: one allegation.",
    ):
        assert said in respondent, said

    for name in ("investigator", "panel"):
        timeline = _timeline(personas, name, case)
        for said in support_history:
            assert said not in timeline, (name, said)
        assert "Stage: Filed" in timeline and "Stage: Notice given" in timeline, name
        assert timeline.index("Stage: Filed") < timeline.index("Stage: Notice given")


def test_waiting_names_someone_whose_consent_is_missing_only_to_those_who_could_tell(personas: Personas) -> None:
    """In preparation the restorative process waits on the facilitator and on the survivor's
    consent to meet. The respondent is not told whether she has given it: the page reads the
    same for them before and after, as it did before it said who the case waits on."""
    crowd = people(personas)
    case = opened(crowd, "restorative")
    crowd.act("survivor", case, "consent", step="contact")
    crowd.act("advocate", case, "invite", email=crowd.member("respondent").email, text="An invitation to talk.")
    claim_invitation(crowd, "respondent")
    crowd.act("advocate", case, "facilitator", member=crowd.member("facilitator"))
    crowd.act("facilitator", case, "safety", text="No risk of retaliation found.")
    crowd.act("survivor", case, "consent", step="restorative")
    crowd.act("respondent", case, "consent", step="restorative")
    crowd.act("facilitator", case, "suitability", suitable="yes", reasons="Both willing.")

    def waiting(name: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", _section(_page(personas, name, case), "waiting"))).strip()

    # She has not consented yet: she, and the facilitator who needs it, are told.
    assert waiting("survivor") == "You (the survivor and the facilitator)"
    assert waiting("facilitator") == "You (the survivor and the facilitator)"
    before = waiting("respondent")
    assert before == "The facilitator and the other people in the case"
    assert waiting("advocate") == "The facilitator and the other people in the case"
    crowd.act("survivor", case, "consent", step="dialogue")
    assert waiting("facilitator") == "You (the facilitator)"
    assert waiting("survivor") == "The facilitator"
    assert waiting("respondent") == before

    # In dialogue both sign the agreement: neither is told whether the other has.
    crowd.act("facilitator", case, "prepare", side="complainant", text="She wants an apology.")
    crowd.act("facilitator", case, "prepare", side="respondent", text="He is defensive.")
    crowd.act("facilitator", case, "dialogue")
    assert waiting("respondent") == "You (the facilitator and the respondent and the other people in the case)"
    crowd.act("respondent", case, "consent", step="agreement")
    assert waiting("survivor") == "You (the survivor and the facilitator and the other people in the case)"
    assert waiting("respondent") == "The facilitator and the other people in the case"
    assert waiting("facilitator") == "You (the survivor and the facilitator)"
    crowd.act("survivor", case, "consent", step="agreement")
    assert waiting("respondent") == "The facilitator and the other people in the case"
    assert waiting("survivor") == "The facilitator and the other people in the case"
    assert waiting("facilitator") == "You (the facilitator)"
    assert "The case is waiting on the facilitator and the other people in the case." in _page(
        personas, "respondent", case
    )


def test_the_owner_of_a_sanction_carries_it_out_from_the_case(personas: Personas) -> None:
    """An administrator handed a sanction opens the suspension from the case page; the change
    names the measure only by its keyed hash, a second person approves it, and the case shows
    who carried it out. Anyone else following the same link gets the page for an unknown address."""
    from chorus.accounts.models import MembershipChange
    from chorus.accounts.services.lifecycle import membership_change_approve

    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    Case.objects.filter(pk=case.pk).update(state="final")
    crowd.act("advocate", case, "sanction", kind="sanction", text="Suspended for three months.",
              owner=personas.admin, due=IN_A_MONTH)  # fmt: skip
    measure = case.measures.get(kind="sanction")
    link = f"/organization/members/{personas.respondent.pk}/suspend/?measure={measure.pk}"
    shown = _section(_page(personas, "admin", case), "measures")
    assert link.replace("&", "&amp;") in shown and personas.respondent.display_name in shown
    # The owner is named on the page, never in the rows: beside the proposal they make, a name
    # there would tell a database dump whose case this is.
    assert f"<td>{personas.admin.display_name}</td>" in _section(_page(personas, "survivor", case), "measures")
    assert measure.due_at is not None
    assert f"<td>{date_format(measure.due_at, 'DATE_FORMAT')}</td>" in shown  # the due date, in the reader's format
    assert f"{personas.admin.display_name} (Carries out a measure) joined the case" in _section(
        _page(personas, "survivor", case), "timeline"
    )
    from chorus.cases.models import Item, Party

    rows = repr(list(Party.objects.filter(case=case).values("label"))) + repr(
        list(Item.objects.filter(case=case).values("author_label"))
    )
    assert personas.admin.display_name not in rows
    # Nor does the ledger tie them to the case: its events name whoever acted in a case by
    # their pseudonym in that case, not by the one beside their name in the members table.
    from chorus.cases.keys import acted
    from chorus.ledger.models import LedgerEvent

    events = [event for event in LedgerEvent.objects.all() if str(case.pk) in repr(event.refs)]
    assert any(acted(personas.respondent, e.actor, e.refs) for e in events)  # the respondent did act in it
    assert any(acted(personas.admin, e.actor, e.refs) for e in events)  # and the owner read it
    named = {personas.admin.pseudonym, personas.respondent.pseudonym}
    assert [event.action for event in events if event.actor in named] == []
    assert "propose a suspension" not in _section(_page(personas, "survivor", case), "measures")

    admin = client_for(personas.admin, personas.vault_keys["admin"])
    page = admin.get(link)
    assert page.status_code == 200 and f"This carries out measure {measure.number}" in page.content.decode()
    for stranger, url in (
        ("advocate", link),  # not an administrator, not the owner
        ("admin", f"/organization/members/{personas.survivor.pk}/suspend/?measure={measure.pk}"),  # not the respondent
        ("admin", f"/organization/members/{personas.respondent.pk}/suspend/?measure=not-a-uuid"),
    ):
        response = client_for(personas.members[stranger], personas.vault_keys[stranger]).get(url)
        assert response.status_code in (403, 404), (stranger, url)

    response = admin.post(link.split("?", maxsplit=1)[0], {"reason": "sanction", "measure": str(measure.pk)})
    assert response.status_code == 302
    change = MembershipChange.objects.get(member=personas.respondent)
    assert change.case_reference == "" and str(measure.pk) not in repr(MembershipChange.objects.values().get())
    assert "propose a suspension" not in _section(_page(personas, "admin", case), "measures")  # one is waiting
    membership_change_approve(change=change, approver=personas.oversight)
    assert "Carried out: Suspension, proposed by Admin" in _section(_page(personas, "survivor", case), "measures")


def test_a_case_reference_typed_on_the_members_page_is_refused_when_it_names_a_case_in_chorus(
    personas: Personas,
) -> None:
    from chorus.accounts.models import MembershipChange

    crowd = people(personas)
    case = opened(crowd)
    admin = client_for(personas.admin, personas.vault_keys["admin"])
    url = f"/organization/members/{personas.respondent.pk}/suspend/"
    assert case.reference is not None
    number = int(case.reference.rsplit("-", 1)[1])
    for typed in (case.reference, case.reference.lower(), f"C-{case.reference[2:6]}-{number}", "C-2031-9999"):
        # the case's own reference however written, and one of no case at all: refused alike
        response = admin.post(url, {"reason": "other", "case_reference": typed})
        assert response.status_code == 400 and "shape of a case reference in Chorus" in response.content.decode()
    assert not MembershipChange.objects.exists()
    assert admin.post(url, {"reason": "other", "case_reference": "HR-2025-7"}).status_code == 302


def test_an_interim_suspension_handed_to_an_administrator_is_carried_out_from_the_case(personas: Personas) -> None:
    """An interim measure may name who carries it out; an administrator named there is offered
    the suspension, and the form says to choose one."""
    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    Case.objects.filter(pk=case.pk).update(state="investigation")
    assert "carried out by an administrator" in _page(personas, "advocate", case)
    crowd.act("advocate", case, "interim", text="Suspended pending review.", risk="He works beside her.",
              expires=IN_A_MONTH, owner=personas.admin)  # fmt: skip
    measure = case.measures.get(kind="interim")
    assert measure.owner is not None
    owner_reads = _section(_page(personas, "admin", case), "timeline")
    assert "Suspended pending review." in owner_reads and "He works beside her." not in owner_reads
    shown = _section(_page(personas, "admin", case), "measures")
    assert f"/organization/members/{personas.respondent.pk}/suspend/?measure={measure.pk}" in shown
