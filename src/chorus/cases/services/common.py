"""Steps on every pathway: choosing and changing it, consent, pause, withdrawal, needs,
evidence, supporters, and the legal hold."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.cases.machine import Role
from chorus.cases.models import Allegation, Case, Consent, Item, Party
from chorus.cases.services.core import (
    CaseActor,
    CaseError,
    clean_text,
    complainants,
    implements,
    item_share,
    item_write,
    log,
    move,
    parties_notify,
    party_invite,
    repath,
)
from chorus.records.access import Owner
from chorus.records.fields import PART_NAMES
from chorus.records.models import Record
from chorus.records.services.writing import record_contents

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The stages in which a party's right to appeal the panel's decision is pending: the
# window is open, or an appeal was filed and is to be heard.
APPEAL_STAGES = ("appeal_window", "appeal")


@implements("choose_pathway")
def choose_pathway(actor: CaseActor, data: dict[str, Any]) -> str:
    # The machine offers this step only until a plan is signed (DESIGN.md "Cases").
    if data["pathway"] == actor.case.pathway:
        raise CaseError(_("The case is already on that pathway."))
    repath(actor, actor.case, data["pathway"])
    return _("The pathway is changed. You can change it again until a plan is signed.")


@implements("consent")
def consent(actor: CaseActor, data: dict[str, Any]) -> str:
    party = actor.acting_as(Role.COMPLAINANT, Role.RESPONDENT)
    Consent.objects.get_or_create(case=actor.case, party=party, step=data["step"])
    return _("Your consent is recorded.")


@implements("pause")
def pause(actor: CaseActor, data: dict[str, Any]) -> str:
    Case.objects.filter(pk=actor.case.pk).update(paused=True, paused_at=timezone.now())
    return _("The case is paused. Nothing moves until you resume it.")


@implements("resume")
def resume(actor: CaseActor, data: dict[str, Any]) -> str:
    """What a pause stopped, and what resuming gives back: ``pause_lift``."""
    case = actor.case
    if not case.paused or case.paused_at is None:
        raise CaseError(_("The case is not paused."))
    deadline = pause_lift(actor, case)
    if deadline is None:
        return _("The case is moving again.")
    return _(
        "The case is moving again. The time it was paused is added to the appeal window: either party may appeal until %(date)s."
    ) % {"date": formats.date_format(timezone.localtime(deadline), "DATETIME_FORMAT")}


def pause_lift(actor: CaseActor, case: Case) -> datetime | None:
    """End a pause; returns the appeal deadline if it moved.

    Nothing moved while the case was paused — not even an appeal, which no one can file
    then — so the appeal window gets back the time the pause took from it: the deadline
    moves by the paused time (the part of it before the deadline, if the window would have
    closed meanwhile).

    That is the only clock a pause stops. A measure's due date and an interim measure's
    expiry stay: the first is what the organization owes the survivor, the second a limit
    on a restriction of the respondent, and a pause must lengthen neither (overdue
    reminders simply wait while the case is paused). A milestone's due date stays too: the
    step is the respondent's to take whether or not the process is paused. Retention counts
    from the case's end, which a pause does not reach."""
    paused_at, now = case.paused_at, timezone.now()
    Case.objects.filter(pk=case.pk).update(paused=False, paused_at=None)
    case.paused, case.paused_at = False, None
    deadline = case.appeal_deadline
    if case.state != "appeal_window" or deadline is None or paused_at is None or paused_at >= deadline:
        return None
    deadline += now - paused_at
    Case.objects.filter(pk=case.pk).update(appeal_deadline=deadline)
    case.appeal_deadline = deadline
    log(actor, case, "appeal_deadline_moved", to=deadline.isoformat(), paused_at=paused_at.isoformat())
    parties_notify(case, Role.COMPLAINANT, Role.RESPONDENT)
    return deadline


@implements("withdraw")
def withdraw(actor: CaseActor, data: dict[str, Any]) -> str:
    """A complainant withdraws. It ends the whole case only when they are the last
    complainant taking part and no appeal right is pending; otherwise it ends only their
    part (``Party.withdrawn_at``).

    Why: the case is not only theirs. Co-complainants (a matched group's case) each chose
    it, and one leaving does not take it from the others. Once the panel has decided, both
    parties hold a right to appeal: the appeal window is theirs until its deadline, and a
    filed appeal belongs to the case, not to whoever filed it. If a withdrawal ended the
    case then, a complainant could take the respondent's remaining time to appeal a finding
    against them (or their co-complainants'). So in the appeal window the window stays
    open for the others, an appeal filed in it is heard, and if no one appeals the case
    becomes final when the window closes (``formal.appeal_window_close``); during an appeal
    the appeal panel still decides it.

    A complainant whose part ended takes no further step and their consent is asked for
    nothing (``CaseActor.roles``, ``complainants``), they are emailed no more, and they can
    still read the case and its outcome. A pause no one is left to resume is lifted as on
    resuming, the appeal deadline moving on by the paused time, so the window can close."""
    case = actor.case
    text = clean_text(data.get("text", ""), required=False)
    if text:
        item_write(actor, "withdrawal", "support", text)
    party = actor.acting_as(Role.COMPLAINANT)
    others = [other for other in complainants(case) if other.pk != party.pk]
    if not others and case.state not in APPEAL_STAGES:
        Case.objects.filter(pk=case.pk).update(paused=False, paused_at=None)
        move(actor, case, "withdrawn")
        return _("You have withdrawn. The case has ended.")
    stamp(Party, party.pk, "withdrawn_at")
    log(actor, case, "complainant_withdrew", party=party.pk, stage=case.state)
    if case.paused and not others:
        pause_lift(actor, case)
    if case.state == "appeal":
        return _(
            "You have withdrawn. The appeal that was filed is still heard by the appeal panel; nothing in it needs "
            "you, and you will not be emailed about it. You can still read the case and its outcome here."
        )
    if case.state == "appeal_window" and case.appeal_deadline is not None:
        return _(
            "You have withdrawn. The panel's decision stays as it is unless an appeal changes it: the others in "
            "the case may still appeal until %(date)s, and an appeal filed by then is heard. Nothing in it needs "
            "you, and you will not be emailed about it. You can still read the case and its outcome here."
        ) % {"date": formats.date_format(timezone.localtime(case.appeal_deadline), "DATETIME_FORMAT")}
    return _(
        "You have withdrawn. Your part has ended; the case goes on for the other complainants. Nothing in it "
        "needs you, and you will not be emailed about it. You can still read the case here."
    )


# Steps that only put one text in one compartment: (item kind, compartment, what to say).
WRITING_STEPS = {
    "need": ("need", "support", gettext_lazy("Your needs are recorded for the advocates.")),
    "respond": ("response", "file", gettext_lazy("Your response is in the case file.")),
    "safety": ("safety", "support", gettext_lazy("The safety assessment is recorded.")),
    "agreement": ("agreement", "file", gettext_lazy("What was agreed is recorded.")),
    "checkin": ("checkin", "file", gettext_lazy("The check-in is recorded.")),
    "breach": ("breach", "file", gettext_lazy("The breach is recorded. The survivor chooses what happens next.")),
}


def _writing_step(kind: str, compartment: str, said: StrOrPromise) -> Any:
    def write(actor: CaseActor, data: dict[str, Any]) -> str:
        item_write(actor, kind, compartment, clean_text(data["text"]))
        return str(said)

    return write


for _name, (_kind, _compartment, _said) in WRITING_STEPS.items():
    implements(_name)(_writing_step(_kind, _compartment, _said))


def _record_text(actor: CaseActor, record: Record) -> str:
    owner = Owner(organization=actor.member.organization, vault_key=actor.vault_key, member=actor.member)
    if record.organization_id != owner.organization.pk or bytes(record.owner_tag) != owner.tag:
        raise CaseError(_("Choose one of your own records."))
    latest = record_contents(owner, record).latest
    if not latest:
        raise CaseError(_("That record has no saved version yet."))
    return "\n\n".join(latest[name] for name in PART_NAMES if latest.get(name))


@implements("evidence")
def evidence(actor: CaseActor, data: dict[str, Any]) -> str:
    text = clean_text(data.get("text", ""), required=False)
    record = data.get("record")
    if record is not None:
        text = (text + "\n\n" if text else "") + _record_text(actor, record)
    if not text:
        raise CaseError(_("Write the evidence, or choose one of your records to copy."))
    item_write(actor, "evidence", "file", text)
    return _("Added to the case file. Everyone the case file is for can read it.")


@implements("allegation")
def allegation(actor: CaseActor, data: dict[str, Any]) -> None:
    number = (actor.case.allegations.aggregate(n=Max("number"))["n"] or 0) + 1
    row = Allegation.objects.create(case=actor.case, number=number)
    item_write(actor, "allegation", "file", clean_text(data["text"]), allegation=row)


@implements("supporter")
def supporter(actor: CaseActor, data: dict[str, Any]) -> str:
    inviter = actor.acting_as(Role.COMPLAINANT, Role.RESPONDENT)
    party_invite(
        actor, Role.SUPPORTER, _("Supporter of %(name)s") % {"name": inviter.label}, data["email"], invited_by=inviter
    )
    return _("Invited. Your supporter sees only what you choose to show them.")


@implements("share")
def share(actor: CaseActor, data: dict[str, Any]) -> str:
    item: Item = data["item"]
    supporter: Party = data["supporter"]
    if supporter.invited_by_id not in {party.pk for party in actor.parties} or supporter.joined_at is None:
        raise CaseError(_("Choose a supporter you invited who has joined."))
    item_share(actor, item, supporter)
    return _("Shown to your supporter.")


@implements("hold")
def hold(actor: CaseActor, data: dict[str, Any]) -> str:
    on = data["hold"] == "yes"
    item_write(actor, "hold", "support", clean_text(data["reasons"]))
    Case.objects.filter(pk=actor.case.pk).update(legal_hold=on)
    log(actor, actor.case, "legal_hold", on=on)
    return _("A legal hold is in place: nothing in this case is destroyed.") if on else _("The legal hold is lifted.")


def stamp(model: Any, pk: object, *now: str, **fields: object) -> None:
    """Update one row: the fields named in ``now`` to the current time, the others as given."""
    model.objects.filter(pk=pk).update(**dict.fromkeys(now, timezone.now()), **fields)
