"""Three cases in Chromium: support only, restorative, and formal with an appeal.

Each person uses their own browser context and signs in through the real pages; every
step is a form on the case page. The restorative case to its signed plan and the formal case
from filing to decision are taken only through the step each person is offered first
(``next_step``), checked against the step indicator and the timeline. The formal journey includes leadership trying to change
the decision, and ends with a search of everything stored for what was typed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.cases.keys import acted
from chorus.cases.models import Case, Decision
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for, ledger_verify
from tests.browser.case_steps import DUE, case_url_of, invitation_path, next_step, refused, staff, step
from tests.browser.conftest import Mailbox
from tests.browser.test_records_journey import _sign_in
from tests.leak import leaks
from tests.personas import make_personas

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ledger_flushable")]


def _people(
    browser_pages: Any, base: str, personas: Any, *names: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    pages = {}
    for name in names:
        member, secret = (extra or {}).get(name) or (personas.members[name], personas.totp_secrets.get(name))
        pages[name] = browser_pages()
        _sign_in(pages[name], base, member.email, secret)
    return pages


def _open_case(page: Any, base: str, summary: str, pathway: str) -> str:
    page.goto(base + "/")
    page.get_by_role("link", name="Cases").click()
    page.get_by_label("In a few words, what would you like to happen?").fill(summary)
    page.get_by_label(pathway).check()
    page.get_by_role("button", name="Open the case").click()
    expect(page.locator(".notice-success")).to_contain_text("Your case is open")
    return case_url_of(page)


def _join(page: Any, base: str, mailbox: Mailbox) -> None:
    page.goto(base + invitation_path(mailbox))
    page.get_by_role("button", name="Join the case").click()
    expect(page.locator(".notice-success")).to_contain_text("You have joined the case")


def test_support_only_two_measures_done(live_server: LiveServer, browser_pages: Any, settings: Any) -> None:
    base = live_server.url
    personas = make_personas()
    pages = _people(browser_pages, base, personas, "survivor", "advocate", "admin")
    url = _open_case(
        pages["survivor"], base, "I need to feel safe at work.", "Support only: measures that help me, no process"
    )
    expect(pages["survivor"].locator("#case-stage")).to_contain_text("Support")
    for kind, text in (
        ("A new room or workspace", "A desk on another floor"),
        ("Another supervisor", "Not report to him"),
    ):
        step(pages["survivor"], url, "measure_request", check=(kind,), fill={"What exactly": text}, said="is requested")
    for number in ("1", "2"):
        step(pages["advocate"], url, "measure_decide", check=("Agree",), fill={"Reasons": "Reasonable and quick.", "Due by": DUE},
             select={"Measure": f"{number} · Supportive measure", "Who carries it out": "Admin"}, said="is agreed")  # fmt: skip
    # Leadership carries the measures out, reading only them.
    pages["admin"].goto(url)
    expect(pages["admin"].locator("#timeline")).to_contain_text("A desk on another floor")
    expect(pages["admin"].locator("#timeline")).not_to_contain_text("I need to feel safe at work.")
    for number in ("1", "2"):
        step(pages["admin"], url, "measure_done", select={"Measure": f"{number} · Supportive measure"},
             fill={"What was done": "Arranged."}, said="marked done")  # fmt: skip
    for number in ("1", "2"):
        step(pages["survivor"], url, "measure_review", select={"Measure": f"{number} · Supportive measure"},
             fill={"Is it meeting the need?": "Yes, it helps."}, said="is reviewed")  # fmt: skip
    expect(pages["survivor"].locator("#measures tbody tr")).to_have_count(2)
    expect(pages["survivor"].locator("#measures")).not_to_contain_text("Agreed")
    assert set(Case.objects.get().measures.values_list("status", flat=True)) == {"reviewed"}
    # An administrator sets the organization's target for the first stage of a formal case.
    admin = pages["admin"]
    admin.goto(base + "/cases/")
    admin.get_by_role("link", name="Set the target time for each stage of a case").click()
    admin.get_by_label("Filed").fill("0")
    admin.get_by_role("button", name="Save the targets").click()
    expect(admin.locator(".error-summary")).to_contain_text("from 1 to")
    admin.get_by_label("Filed").fill("10")
    admin.get_by_role("button", name="Save the targets").click()
    expect(admin.locator(".notice-success")).to_contain_text("The targets are saved")


def test_restorative_plan_with_three_milestones_confirmed_by_the_survivor(
    live_server: LiveServer, browser_pages: Any, mailbox: Mailbox, settings: Any
) -> None:
    settings.CHORUS_BASE_URL = live_server.url
    base = live_server.url
    personas = make_personas()
    pages = _people(browser_pages, base, personas, "survivor", "advocate", "respondent", "facilitator")
    survivor, advocate, respondent, facilitator = (
        pages[n] for n in ("survivor", "advocate", "respondent", "facilitator")
    )
    url = _open_case(survivor, base, "I want him to understand and to stop.", "A restorative process")
    contact = "Contact the respondent (a notice or an invitation to a restorative process)"
    letter = {"Respondent's email address": personas.respondent.email, "Invitation letter": "You are invited."}
    refused(advocate, url, "invite", "needs consent first", fill=letter)
    # Up to the signed plan, everyone reads only the step indicator and takes the step offered first.
    next_step(survivor, url, "Give your consent", stage="Checking suitability", check=(contact,))
    next_step(advocate, url, "Invite the respondent to a restorative process", fill=letter, said="invitation is sent")
    _join(respondent, base, mailbox)
    for page in (respondent, survivor):
        next_step(page, url, "Give your consent", check=("Take part in a restorative process, voluntarily",))
    next_step(advocate, url, "Appoint the facilitator", select={"Facilitator": "Facilitator"})
    next_step(facilitator, url, "Record the safety assessment", fill={"Safety assessment": "No risk of retaliation."})
    next_step(facilitator, url, "Decide suitability", check=("Suitable",), fill={"Reasons": "Both take part freely."},
              said="Suitable")  # fmt: skip
    next_step(facilitator, url, "Record a preparation meeting", stage="Preparation", check=("The survivor",),
              fill={"Notes": "She wants an apology."})  # fmt: skip
    next_step(facilitator, url, "Record a preparation meeting", check=("The respondent",),
              fill={"Notes": "He is ready to listen."})  # fmt: skip
    next_step(survivor, url, "Give your consent", check=("Meet in a facilitated dialogue",))
    next_step(facilitator, url, "Move to the dialogue")
    next_step(facilitator, url, "Record what was agreed", stage="Dialogue",
              fill={"Agreements": "A written apology and a year of no contact."})  # fmt: skip
    for page in (survivor, respondent):
        next_step(page, url, "Give your consent", check=("Sign the accountability plan",))
    next_step(facilitator, url, "Sign the accountability plan", fill={"Behaviours named": "Comments about her body.",
              "Impact acknowledged": "Fear at work.", "Removal from opportunities to cause harm": "Off her shifts.",
              "Amends the survivor wants": "An apology."}, said="plan is signed")  # fmt: skip
    survivor.goto(url)
    expect(survivor.locator("#steps [aria-current=step]")).to_contain_text("Accountability plan active")
    expect(survivor.locator("#timeline")).to_contain_text("Stage: Accountability plan active")
    expect(survivor.locator("#timeline")).to_contain_text("She wants an apology.")
    for milestone in ("Written apology", "Training course", "Three months without contact"):
        step(facilitator, url, "milestone", fill={"Step": milestone, "Due by": DUE},
             select={"Verified by": "Facilitator (Facilitator)"})  # fmt: skip
    respondent.goto(url)
    expect(respondent.locator("#milestones tbody tr")).to_have_count(3)
    for number in ("1", "2", "3"):
        step(
            respondent,
            url,
            "milestone_report",
            select={"Milestone": f"Milestone {number}"},
            fill={"What you did": "Done."},
        )
        step(
            facilitator,
            url,
            "milestone_verify",
            select={"Milestone": f"Milestone {number}"},
            fill={"Verified how": "Checked."},
        )
        step(respondent if number != "2" else facilitator, url, "checkin", fill={"Check-in": f"Check-in {number}."})
    # The respondent never sees the survivor's side of the preparation.
    respondent.goto(url)
    expect(respondent.locator("#timeline")).not_to_contain_text("She wants an apology.")
    step(facilitator, url, "review", said="review has begun")
    step(survivor, url, "needs_met", fill={"In your words": "I feel safe again."}, said="case is closed")
    expect(survivor.locator("#case-stage")).to_contain_text("Closed")


def test_formal_notice_response_recusal_decision_appeal_final(
    live_server: LiveServer, browser_pages: Any, mailbox: Mailbox, settings: Any
) -> None:
    settings.CHORUS_BASE_URL = live_server.url
    settings.CHORUS_PANEL_SIZE = 2
    base = live_server.url
    personas = make_personas()
    extra = {name: staff(personas, name, role) for name, role in
             (("panel2", "panel"), ("panel3", "panel"), ("appeal1", "appeal_panel"), ("appeal2", "appeal_panel"))}  # fmt: skip
    pages = _people(browser_pages, base, personas, "survivor", "advocate", "respondent", "investigator", "panel", "admin",
                    *extra, extra=extra)  # fmt: skip
    survivor, advocate, respondent = pages["survivor"], pages["advocate"], pages["respondent"]
    allegation = "He grabbed me in the stockroom on 3 March."
    url = _open_case(survivor, base, "I want a formal decision.", "A formal process with a panel")
    # From filing to decision, everyone reads only the step indicator, the timeline and the
    # step the page offers first.
    next_step(survivor, url, "Add an allegation", stage="Filed", fill={"Allegation": allegation})
    next_step(survivor, url, "Give your consent",
              check=("Contact the respondent (a notice or an invitation to a restorative process)",))  # fmt: skip
    survivor.goto(url)
    expect(survivor.locator("#what-next")).to_contain_text("waiting on the advocates")
    next_step(advocate, url, "Send the written notice", fill={"Respondent's email address": personas.respondent.email,
              "Notice (the allegations, the process, their rights)": "Notice of one allegation; you may respond and appeal."},
              said="notice is sent")  # fmt: skip
    _join(respondent, base, mailbox)
    respondent.goto(url)
    expect(respondent.locator("#timeline")).to_contain_text(allegation)
    expect(respondent.locator("#timeline")).not_to_contain_text("I want a formal decision.")
    next_step(respondent, url, "Respond", stage="Notice given",
              fill={"Your response": "I deny it; I was not at work that day."})  # fmt: skip
    next_step(advocate, url, "Appoint the investigator", select={"Investigator": "Investigator"})
    next_step(pages["investigator"], url, "Submit the investigation report", stage="Investigation",
              fill={"Report": "The rota shows he was at work."})  # fmt: skip
    for name in ("Panel", "Panel2"):
        next_step(advocate, url, "Appoint a panel member", stage="Report written", select={"Panel member": name},
                  said="declare any conflict")  # fmt: skip
    step(advocate, url, "panel", select={"Panel member": "Panel3"}, said="declare any conflict")
    # Before declaring, a panel member sees nothing of the file.
    pages["panel3"].goto(url)
    expect(pages["panel3"].get_by_text("Declare any conflict of interest first")).to_be_visible()
    next_step(pages["panel3"], url, "Declare conflicts of interest", check=("I have a conflict and step aside",),
              fill={"Explain (required when you have a conflict)": "I manage the respondent."}, said="stepped aside")  # fmt: skip
    for name in ("panel", "panel2"):
        next_step(pages[name], url, "Declare conflicts of interest", check=("No conflict",), said="can now read")
    expect(pages["panel"].locator("#parties")).to_contain_text("Panel3 (Panel member) — stepped aside")
    next_step(advocate, url, "Open deliberation")
    for name in ("panel", "panel2"):
        next_step(pages[name], url, "Vote on an allegation", stage="Panel deliberating",
                  select={"Allegation": "Allegation 1"}, check=("Upheld",), fill={"Reasons": "The rota and the account agree."})  # fmt: skip
    next_step(pages["panel"], url, "Record the panel's decision", fill={"Written reasons": "Upheld on the evidence of the rota."},
              said="decision is recorded")  # fmt: skip
    survivor.goto(url)
    expect(survivor.locator("#steps [aria-current=step]")).to_contain_text("Decided; appeal window open")
    expect(survivor.locator("#timeline")).to_contain_text("The panel decided")
    expect(survivor.locator("#findings")).to_contain_text("Upheld")

    # Leadership tries to change the decision: there is no way, and the attempt is recorded.
    admin = pages["admin"]
    admin.goto(url)
    expect(admin.get_by_role("heading", level=1)).to_have_text("There is nothing here.")
    admin.goto(base + "/cases/")
    token = admin.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    answer = admin.request.post(url + "act/decide/", form={"csrfmiddlewaretoken": token, "decide-text": "Not upheld."},
                                headers={"Referer": base + "/cases/"})  # fmt: skip
    assert answer.status == 403 and "changes only through an appeal" in answer.text()
    refused = LedgerEvent.objects.filter(action="case.decision_change_refused")
    assert [acted(personas.admin, event.actor, event.refs) for event in refused] == [True]

    step(respondent, url, "appeal", check=("A procedural irregularity",),
         fill={"Your appeal": "The panel never saw my timesheet."}, said="appeal is filed")  # fmt: skip
    for name in ("Appeal1", "Appeal2"):
        next_step(
            advocate, url, "Appoint an appeal panel member", stage="Under appeal", select={"Appeal panel member": name}
        )
    for name in ("appeal1", "appeal2"):
        next_step(pages[name], url, "Declare conflicts of interest", check=("No conflict",))
        next_step(pages[name], url, "Vote on an allegation (appeal)", select={"Allegation": "Allegation 1"},
                  check=("Not upheld",), fill={"Reasons": "The timesheet was never considered."})  # fmt: skip
    next_step(pages["appeal1"], url, "Record the appeal decision", fill={"Written reasons": "Reversed for procedure."},
              said="final")  # fmt: skip
    survivor.goto(url)
    expect(survivor.locator("#case-stage")).to_contain_text("Final")
    expect(survivor.locator("#findings tbody tr td")).to_have_text(["1", "Upheld", "Not upheld"])
    pages["panel"].goto(url)
    expect(pages["panel"].locator("#reversed")).to_contain_text("reversed this panel's decision")
    case = Case.objects.get()
    assert [(d.stage, d.upheld) for d in Decision.objects.filter(case=case).order_by("stage")] == [
        ("appeal", False),
        ("panel", True),
    ]
    assert ledger_verify(chain_for(personas.organization.pk)).ok
    typed: list[str | bytes] = [allegation, "I deny it; I was not at work that day.", "The rota shows he was at work.",
             "I manage the respondent.", "The panel never saw my timesheet.", "Upheld on the evidence of the rota."]  # fmt: skip
    assert leaks(typed) == []
    assert json.dumps(list(LedgerEvent.objects.values_list("refs", flat=True))).find("stockroom") == -1
