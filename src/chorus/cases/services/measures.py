"""Supportive and interim measures, and the sanctions and remedies a final decision
leaves to monitor: requested, decided with reasons, owned, due, done, reviewed; a
challenge by the other party is recorded. The person who carries a measure out joins
the case as its owner and reads only that measure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from chorus.accounts.models import Member
from chorus.cases import keys as case_keys
from chorus.cases.machine import MEASURE_KINDS, Role
from chorus.cases.models import Measure, Party
from chorus.cases.services.common import stamp
from chorus.cases.services.core import (
    CaseActor,
    CaseError,
    clean_text,
    implements,
    item_share,
    item_write,
    item_write_to_team,
    move,
    party_add,
    respondent,
)
from chorus.cases.services.reminders import reminders_settle
from chorus.web import tasks

KIND_LABELS = dict(MEASURE_KINDS)
# Measures the respondent must know of (and may challenge): their decision goes in the case file.
TOUCH_RESPONDENT = {"no_contact"}


def _next_number(actor: CaseActor) -> int:
    return (actor.case.measures.aggregate(n=Max("number"))["n"] or 0) + 1


def _compartment(actor: CaseActor) -> str:
    return "file" if Role.RESPONDENT in actor.roles and Role.COMPLAINANT not in actor.roles else "support"


def _owner_party(actor: CaseActor, member: Member) -> Party:
    if member.organization_id != actor.case.organization_id or not member.is_active:
        raise CaseError(_("Choose a member of the organization to carry it out."))
    existing = actor.case.parties.filter(role=Role.OWNER, tag=case_keys.member_tag(member)).first()
    if existing is not None:
        return existing
    # Labelled by the role, never the name: the owner of a sanction is often the administrator
    # who proposes carrying it out, and a name here beside that proposal would tell a database
    # dump whose case it was. The case page shows the name, opened from the sealed member.
    party = party_add(actor.case, member, Role.OWNER, str(Role.OWNER.label), bundle_keys=None)
    tasks.mail_later("cases/email/step", member.email, {})
    return party


def due_date(value: datetime | None) -> datetime:
    if value is None:
        raise CaseError(_("Give a due date."))
    if value <= timezone.now():
        raise CaseError(_("The date has already passed. Choose a later one."))
    return value


@implements("measure_request")
def measure_request(actor: CaseActor, data: dict[str, Any]) -> str:
    text = clean_text(data["text"])
    measure = Measure.objects.create(
        case=actor.case, number=_next_number(actor), kind=Measure.Kind.SUPPORTIVE, category=data["kind"]
    )
    item_write(actor, "measure_request", _compartment(actor), f"{KIND_LABELS[data['kind']]}: {text}", measure=measure)
    return _("Measure %(number)d is requested. The advocates decide it with reasons.") % {"number": measure.number}


def _handover(actor: CaseActor, measure: Measure, owner: Party, *, withheld: tuple[str, ...] = ()) -> None:
    """The owner reads what they carry out: the measure's items, less the ``withheld`` kinds."""
    for item in measure.items.filter(body_sealed__isnull=False).exclude(kind__in=withheld):
        if item.compartment in actor.opened():
            item_share(actor, item, owner)
    stamp(Measure, measure.pk, owner=owner)


@implements("measure_decide")
def measure_decide(actor: CaseActor, data: dict[str, Any]) -> str:
    measure: Measure = data["measure"]
    reasons = clean_text(data["reasons"])
    agree = data["agree"] == "yes"
    said = ("Agreed. " if agree else "Declined. ") + reasons
    if measure.category in TOUCH_RESPONDENT:  # the respondent reads the decision, not the request
        compartment, said = "file", f"{KIND_LABELS[measure.category]}: {said}"
    else:
        first = measure.items.order_by("created_at").first()
        compartment = first.compartment if first else "support"
    item_write(actor, "measure_decision", compartment, said, measure=measure)
    if not agree:
        stamp(Measure, measure.pk, "decided_at", status=Measure.Status.DECLINED)
        return _("Measure %(number)d is declined; the reasons are recorded.") % {"number": measure.number}
    if data.get("owner") is None:
        raise CaseError(_("Say who carries the measure out."))
    stamp(Measure, measure.pk, "decided_at", status=Measure.Status.AGREED, due_at=due_date(data.get("due")))
    _handover(actor, measure, _owner_party(actor, data["owner"]))
    return _("Measure %(number)d is agreed and handed to its owner.") % {"number": measure.number}


@implements("measure_done")
def measure_done(actor: CaseActor, data: dict[str, Any]) -> str:
    measure: Measure = data["measure"]
    owner = actor.party(Role.OWNER)
    if not actor.team and (owner is None or measure.owner_id != owner.pk):
        raise CaseError(_("Only the person carrying out this measure, or an advocate, marks it done."))
    text = clean_text(data["text"])
    if actor.team:
        item_write(actor, "measure_done", "support", text, measure=measure)
    else:  # the owner reads only their measure: their note goes to the advocates alone
        item_write_to_team(actor, "measure_done", text, measure=measure)
    stamp(Measure, measure.pk, "done_at", status=Measure.Status.DONE)
    reminders_settle(actor.case, f"measure:{measure.number}")
    return _("Measure %(number)d is marked done.") % {"number": measure.number}


@implements("measure_review")
def measure_review(actor: CaseActor, data: dict[str, Any]) -> str:
    measure: Measure = data["measure"]
    item_write(actor, "measure_review", "support", clean_text(data["text"]), measure=measure)
    stamp(Measure, measure.pk, "reviewed_at", status=Measure.Status.REVIEWED)
    return _("Measure %(number)d is reviewed.") % {"number": measure.number}


@implements("measure_challenge")
def measure_challenge(actor: CaseActor, data: dict[str, Any]) -> str:
    measure: Measure = data["measure"]
    item_write(actor, "measure_challenge", "file", clean_text(data["text"]), measure=measure)
    stamp(Measure, measure.pk, "challenged_at")
    return _("Your challenge is recorded in the case file, where the advocates read it.")


@implements("interim")
def interim(actor: CaseActor, data: dict[str, Any]) -> str:
    """A recorded risk assessment, notice to the respondent (the case file), a way to
    challenge it (measure_challenge) and an expiry."""
    if respondent(actor.case) is None:
        raise CaseError(_("Send the respondent the written notice first: an interim measure needs notice."))
    expires = due_date(data["expires"])
    measure = Measure.objects.create(
        case=actor.case,
        number=_next_number(actor),
        kind=Measure.Kind.INTERIM,
        status=Measure.Status.AGREED,
        decided_at=timezone.now(),
        expires_at=expires,
    )
    item_write(actor, "interim", "file", clean_text(data["text"]), measure=measure)
    item_write(actor, "risk_assessment", "file", clean_text(data["risk"]), measure=measure)
    if data.get("owner") is not None:  # e.g. an administrator, who carries out a suspension pending review
        # They read the measure, not the risk assessment: that weighs the case itself, and an
        # administrator never reads case content.
        _handover(actor, measure, _owner_party(actor, data["owner"]), withheld=("risk_assessment",))
    return _("Interim measure %(number)d is in place until %(date)s. The respondent can read and challenge it.") % {
        "number": measure.number,
        "date": formats.date_format(expires),
    }


@implements("sanction")
def sanction(actor: CaseActor, data: dict[str, Any]) -> str:
    measure = Measure.objects.create(
        case=actor.case,
        number=_next_number(actor),
        kind=data["kind"],
        status=Measure.Status.AGREED,
        decided_at=timezone.now(),
        due_at=due_date(data["due"]),
    )
    item_write(actor, data["kind"], "file", clean_text(data["text"]), measure=measure)
    _handover(actor, measure, _owner_party(actor, data["owner"]))
    if actor.case.state == "final":
        move(actor, actor.case, "monitoring")
    return _("%(kind)s %(number)d is recorded and handed to whoever carries it out.") % {
        "kind": Measure.Kind(data["kind"]).label,
        "number": measure.number,
    }


@implements("close")
def close(actor: CaseActor, data: dict[str, Any]) -> str:
    pending = actor.case.measures.filter(kind__in=["sanction", "remedy"]).exclude(status__in=["done", "reviewed"])
    if pending.exists():
        raise CaseError(_("Every sanction and remedy must be done before the case closes."))
    move(actor, actor.case, "closed")
    return _("The case is closed.")
