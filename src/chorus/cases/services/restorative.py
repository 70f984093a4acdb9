"""The restorative path and self-initiated accountability: suitability (each party's
voluntary consent, a safety assessment, the facilitator's decision with reasons),
preparation in separate meetings, the dialogue's agreements, and an accountability plan
with milestones, verifiers, check-ins and the survivor's choice of response to a breach.
The survivor confirms when their needs were met."""

from __future__ import annotations

from typing import Any

from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from chorus.cases.machine import BREACH_RESPONSES, Role
from chorus.cases.models import Milestone, Party
from chorus.cases.services.common import stamp
from chorus.cases.services.core import CaseActor, CaseError, clean_text, implements, item_write, move, repath
from chorus.cases.services.formal import appoint
from chorus.cases.services.measures import due_date
from chorus.cases.services.reminders import reminders_settle


@implements("facilitator")
def facilitator(actor: CaseActor, data: dict[str, Any]) -> str:
    if actor.case.parties.filter(role=Role.FACILITATOR, recused_at__isnull=True).exists():
        raise CaseError(_("The case already has a facilitator."))
    appoint(actor, data["member"], Role.FACILITATOR)
    return _("The facilitator is appointed.")


@implements("suitability")
def suitability(actor: CaseActor, data: dict[str, Any]) -> str:
    if not actor.case.items.filter(kind="safety").exists():
        raise CaseError(_("Record the safety assessment before deciding suitability."))
    reasons = clean_text(data["reasons"])
    suitable = data["suitable"] == "yes"
    item_write(actor, "suitability", "file", ("Suitable. " if suitable else "Not suitable. ") + reasons)
    if suitable:
        move(actor, actor.case, "preparation")
        return _("Suitable: preparation meetings can begin, with each side separately.")
    repath(actor, actor.case, "intake", why="not suitable")  # the survivor chooses again
    return _("Not suitable. The survivor is told and chooses how to go on.")


@implements("prepare")
def prepare(actor: CaseActor, data: dict[str, Any]) -> str:
    compartment = "support" if data["side"] == "complainant" else "respondent"
    item_write(actor, "preparation", compartment, clean_text(data["text"]))
    return _("The preparation notes are kept for that side only.")


@implements("dialogue")
def dialogue(actor: CaseActor, data: dict[str, Any]) -> str:
    sides = {item.compartment for item in actor.case.items.filter(kind="preparation")}
    if sides != {"support", "respondent"}:
        raise CaseError(_("Meet each side separately before the dialogue."))
    move(actor, actor.case, "dialogue")
    return _("The dialogue can take place.")


@implements("plan")
def plan(actor: CaseActor, data: dict[str, Any]) -> str:
    if not actor.case.items.filter(kind="agreement").exists():
        raise CaseError(_("Record what was agreed in the dialogue first."))
    sections = [
        (_("Behaviours named"), data["behaviours"]),
        (_("Impact acknowledged"), data["impact"]),
        (_("Removal from opportunities to cause harm"), data["removal"]),
        (_("Amends the survivor wants"), data["amends"]),
    ]
    item_write(actor, "plan", "file", "\n\n".join(f"{title}: {clean_text(text)}" for title, text in sections))
    move(actor, actor.case, "plan")
    return _("The accountability plan is signed and active. Add its milestones.")


@implements("milestone")
def milestone(actor: CaseActor, data: dict[str, Any]) -> str:
    verifier: Party = data["verifier"]
    if verifier.joined_at is None or verifier.recused_at is not None or verifier.withdrawn_at is not None:
        raise CaseError(_("Choose someone in the case to verify this step."))
    number = (actor.case.milestones.aggregate(n=Max("number"))["n"] or 0) + 1
    row = Milestone.objects.create(case=actor.case, number=number, due_at=due_date(data["due"]), verifier=verifier)
    item_write(actor, "milestone", "file", clean_text(data["text"]), milestone=row)
    return _("Milestone %(number)d is added, due %(date)s, verified by %(verifier)s.") % {
        "number": number,
        "date": formats.date_format(timezone.localtime(row.due_at)),
        "verifier": verifier.label,
    }


@implements("milestone_report")
def milestone_report(actor: CaseActor, data: dict[str, Any]) -> str:
    row: Milestone = data["milestone"]
    item_write(actor, "milestone_report", "file", clean_text(data["text"]), milestone=row)
    stamp(Milestone, row.pk, "reported_at")
    reminders_settle(actor.case, f"milestone:{row.number}", parties=[actor.acting_as(Role.RESPONDENT, Role.SELF)])
    return _("Milestone %(number)d is reported done; %(verifier)s verifies it.") % {
        "number": row.number,
        "verifier": row.verifier.label,
    }


@implements("milestone_verify")
def milestone_verify(actor: CaseActor, data: dict[str, Any]) -> str:
    row: Milestone = data["milestone"]
    if row.verifier_id not in {party.pk for party in actor.parties}:
        raise CaseError(
            _("Milestone %(number)d is verified by %(verifier)s.")
            % {"number": row.number, "verifier": row.verifier.label}
        )
    item_write(actor, "milestone_verified", "file", clean_text(data["text"]), milestone=row)
    stamp(Milestone, row.pk, "verified_at")
    reminders_settle(actor.case, f"milestone:{row.number}")
    return _("Milestone %(number)d is verified.") % {"number": row.number}


@implements("breach_response")
def breach_response(actor: CaseActor, data: dict[str, Any]) -> str:
    if not actor.case.items.filter(kind="breach").exists():
        raise CaseError(_("No breach has been reported."))
    response = data["response"]
    item_write(
        actor,
        "breach_response",
        "file",
        _("Response chosen: %(response)s. %(text)s")
        % {"response": dict(BREACH_RESPONSES)[response], "text": clean_text(data.get("text", ""), required=False)},
    )
    if response == "new_steps":
        return _("The plan continues; the facilitator adds the steps.")
    repath(actor, actor.case, response, why="breach")
    return _("The plan has ended as you chose.")


@implements("review")
def review(actor: CaseActor, data: dict[str, Any]) -> str:
    milestones = actor.case.milestones.all()
    if not milestones.exists():
        raise CaseError(_("The plan has no milestones yet."))
    if milestones.filter(verified_at__isnull=True).exists():
        raise CaseError(_("Every milestone must be verified before the review."))
    move(actor, actor.case, "review")
    if actor.case.pathway == "restorative":
        return _("The review has begun. The survivor confirms whether their needs were met.")
    return _("The review has begun.")


@implements("needs_met")
def needs_met(actor: CaseActor, data: dict[str, Any]) -> str:
    text = clean_text(data.get("text", ""), required=False)
    item_write(actor, "needs_met", "support", text or _("My needs were met."))
    move(actor, actor.case, "closed")
    return _("Thank you. The case is closed; its record stays.")


@implements("complete")
def complete(actor: CaseActor, data: dict[str, Any]) -> str:
    if actor.case.pathway == "restorative":
        raise CaseError(_("In a restorative process the survivor confirms when their needs were met."))
    move(actor, actor.case, "closed")
    return _("The plan is completed and closed.")
