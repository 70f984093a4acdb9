"""The formal path: written notice, the respondent's response, an investigator who cannot
decide, a panel whose members declare conflicts before reading anything, recorded votes
and reasons per allegation, an appeal window, appeals on stated grounds to a separate
appeal panel, the final outcome.

A decision is rows in ``Decision`` that database triggers keep from being updated or
deleted; no service changes one, and the only way to a different outcome is an appeal
decision, which is added beside it and shown to the original panel.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from chorus.accounts.models import Member
from chorus.cases import keys as case_keys
from chorus.cases.machine import APPOINTED, DECIDERS, Role
from chorus.cases.models import Allegation, Appeal, Case, ConflictChallenge, Decision, Party, Vote
from chorus.cases.services.common import stamp
from chorus.cases.services.core import (
    CaseActor,
    CaseError,
    clean_text,
    implements,
    item_write,
    item_write_to_team,
    log,
    move,
    parties_notify,
    party_add,
    party_invite,
    respondent,
)
from chorus.preparation.services.training import missing as preparation_missing
from chorus.web import tasks

STAGES: dict[str, str] = {Role.PANEL: "panel", Role.APPEAL_PANEL: "appeal"}


def appoint(actor: CaseActor, member: Member, role: str) -> Party:
    """Seat a member in a staff role, keeping the separations DESIGN.md asks for."""
    case = actor.case
    if member.organization_id != case.organization_id or not member.is_active:
        raise CaseError(_("Choose a member of the organization."))
    if not member.has_role(APPOINTED[Role(role)]):
        raise CaseError(_("That member does not hold this role in the organization."))
    if role in DECIDERS and member.has_role("advocate"):
        raise CaseError(_("Advocates support survivors; they cannot decide a case."))
    earlier = {p.role for p in case.parties.filter(tag=case_keys.member_tag(member))}
    if role in earlier:
        raise CaseError(_("That member already has this role in the case."))
    if role == Role.APPEAL_PANEL and earlier:
        raise CaseError(_("The appeal panel must be people who did not act earlier in the case."))
    if earlier & {Role.COMPLAINANT, Role.RESPONDENT, Role.SUPPORTER}:
        raise CaseError(_("A party to the case, or their supporter, cannot also act in it."))
    if {role} | earlier >= {Role.INVESTIGATOR, Role.PANEL} or (role in DECIDERS and Role.FACILITATOR in earlier):
        raise CaseError(_("Whoever investigates or facilitates a case cannot decide it."))
    unprepared = preparation_missing(member, str(role))
    if unprepared is not None:
        raise CaseError(unprepared)
    party = party_add(case, member, role, f"{member.display_name} ({Role(role).label})", bundle_keys=actor.held())
    tasks.mail_later("cases/email/step", member.email, {})
    return party


def _invite_respondent(actor: CaseActor, data: dict[str, Any], kind: str) -> None:
    """The letter goes in the case file; the respondent is emailed a link to read it there."""
    if respondent(actor.case) is not None:
        raise CaseError(_("The respondent has already been contacted."))
    item_write(actor, kind, "file", clean_text(data["text"]))
    party_invite(actor, Role.RESPONDENT, "Respondent", data["email"])


@implements("notice")
def notice(actor: CaseActor, data: dict[str, Any]) -> str:
    if not actor.case.allegations.exists():
        raise CaseError(_("The notice states the allegations: the survivor adds at least one first."))
    _invite_respondent(actor, data, "notice")
    move(actor, actor.case, "notice")
    return _("The notice is sent. The respondent is invited to read it and the case file, and to respond.")


@implements("invite")
def invite(actor: CaseActor, data: dict[str, Any]) -> str:
    _invite_respondent(actor, data, "invitation")
    return _("The invitation is sent. Taking part is voluntary for them, as it is for you.")


@implements("investigator")
def investigator(actor: CaseActor, data: dict[str, Any]) -> str:
    appoint(actor, data["member"], Role.INVESTIGATOR)
    move(actor, actor.case, "investigation")
    return _("The investigator is appointed.")


@implements("report")
def report(actor: CaseActor, data: dict[str, Any]) -> str:
    item_write(actor, "report", "file", clean_text(data["text"]))
    move(actor, actor.case, "report")
    return _("The report is in the case file.")


@implements("panel")
def panel(actor: CaseActor, data: dict[str, Any]) -> str:
    appoint(actor, data["member"], Role.PANEL)
    return _("Appointed. They declare any conflict of interest before they can read the case file.")


@implements("appeal_panel")
def appeal_panel(actor: CaseActor, data: dict[str, Any]) -> str:
    appoint(actor, data["member"], Role.APPEAL_PANEL)
    return _("Appointed to the appeal panel. They declare any conflict before reading.")


@implements("declare")
def declare(actor: CaseActor, data: dict[str, Any]) -> str:
    party = next(p for p in actor.parties if p.role in DECIDERS and p.declared_at is None and p.recused_at is None)
    conflict = data["conflict"] == "yes"
    text = clean_text(data.get("text", ""), required=conflict)
    if conflict:
        stamp(Party, party.pk, "declared_at", "recused_at", conflict=True)
        item_write_to_team(actor, "conflict", text)
        log(actor, actor.case, "recused", party=party.pk, why="declared")
        return _("You have stepped aside. You will not see the case file.")
    stamp(Party, party.pk, "declared_at")
    return _("Thank you. You can now read the case file.")


def seated(case: Case, role: str) -> list[Party]:
    """The members of the panel (or appeal panel) who declared no conflict, have not
    recused, and still hold the organization's role: a seat given for a role ends with the
    role (``core.case_actor``), so one whose role was removed (offboarded, suspended) no
    longer counts, and the panel needs someone new seated instead of waiting for a vote
    that can never come."""
    holders = {
        case_keys.member_tag(member) for member in Member.objects.holding(case.organization_id, APPOINTED[Role(role)])
    }
    return [
        party
        for party in case.parties.filter(role=role, declared_at__isnull=False, recused_at__isnull=True)
        if party.tag is not None and bytes(party.tag) in holders
    ]


@implements("challenge")
def challenge(actor: CaseActor, data: dict[str, Any]) -> str:
    member: Party = data["member"]
    if member.recused_at is not None:
        raise CaseError(_("That panel member has already stepped aside."))
    by = actor.acting_as(Role.COMPLAINANT, Role.RESPONDENT)
    ConflictChallenge.objects.create(case=actor.case, member=member, by=by)
    item_write(
        actor,
        "challenge",
        "file",
        _("About %(member)s: %(text)s") % {"member": member.label, "text": clean_text(data["text"])},
    )
    return _("Recorded. Another panel member rules on it before the panel can decide.")


@implements("rule")
def rule(actor: CaseActor, data: dict[str, Any]) -> str:
    ruler = actor.acting_as(*DECIDERS)
    pending = (
        ConflictChallenge.objects.filter(case=actor.case, ruled_at__isnull=True, member__role=ruler.role)
        .exclude(member=ruler)
        .select_related("member")
        .first()
    )
    if pending is None:
        raise CaseError(_("No conflict raised about a colleague is waiting for a ruling."))
    upheld = data["upheld"] == "yes"
    stamp(ConflictChallenge, pending.pk, "ruled_at", upheld=upheld)
    item_write(
        actor,
        "ruling",
        "file",
        (_("Upheld: %(reasons)s") if upheld else _("Not upheld: %(reasons)s"))
        % {"reasons": clean_text(data["reasons"])},
    )
    if upheld:
        stamp(Party, pending.member.pk, "recused_at", conflict=True)
        log(actor, actor.case, "recused", party=pending.member.pk, why="upheld")
    return _("Ruled on the conflict raised about %(member)s.") % {"member": pending.member.label}


def _ready_to_decide(case: Case, role: str) -> list[Party]:
    members = seated(case, role)
    if len(members) < settings.CHORUS_PANEL_SIZE:
        raise CaseError(
            _("The panel needs %(size)d members who declared no conflict; it has %(seated)d.")
            % {"size": settings.CHORUS_PANEL_SIZE, "seated": len(members)}
        )
    if ConflictChallenge.objects.filter(case=case, ruled_at__isnull=True, member__role=role).exists():
        raise CaseError(_("A conflict raised about a panel member is waiting for a ruling."))
    return members


@implements("deliberate")
def deliberate(actor: CaseActor, data: dict[str, Any]) -> str:
    _ready_to_decide(actor.case, Role.PANEL)
    move(actor, actor.case, "deliberation")
    return _("Deliberation is open. Each panel member votes on each allegation with reasons.")


def _vote(actor: CaseActor, data: dict[str, Any], role: str) -> str:
    voter = actor.acting_as(role)
    allegation: Allegation = data["allegation"]
    stage = STAGES[role]
    if Vote.objects.filter(allegation=allegation, party=voter, stage=stage).exists():
        raise CaseError(_("You have voted on this allegation; a vote is not changed once cast."))
    Vote.objects.create(
        case=actor.case, allegation=allegation, party=voter, stage=stage, upheld=data["upheld"] == "yes"
    )
    item_write(actor, f"{stage}_vote", "file", clean_text(data["reasons"]), allegation=allegation)
    return _("Your vote on allegation %(number)d is recorded.") % {"number": allegation.number}


@implements("vote")
def vote(actor: CaseActor, data: dict[str, Any]) -> str:
    return _vote(actor, data, Role.PANEL)


@implements("appeal_vote")
def appeal_vote(actor: CaseActor, data: dict[str, Any]) -> str:
    return _vote(actor, data, Role.APPEAL_PANEL)


def _findings(case: Case, role: str) -> dict[int, bool]:
    """Each allegation's finding by majority; a tie is not upheld (the benefit of the doubt)."""
    stage = STAGES[role]
    members = _ready_to_decide(case, role)
    allegations = list(case.allegations.all())
    counts = {
        row["allegation"]: row
        for row in Vote.objects.filter(case=case, stage=stage, party__in=members)
        .values("allegation")
        .annotate(cast=Count("id"), upheld=Count("id", filter=Q(upheld=True)))
    }
    missing = [a.number for a in allegations if counts.get(a.pk, {}).get("cast", 0) < len(members)]
    if missing:
        raise CaseError(
            _("Every seated member must vote on every allegation first (still open: %(numbers)s).")
            % {"numbers": ", ".join(str(number) for number in missing)}
        )
    return {a.pk: counts[a.pk]["upheld"] * 2 > len(members) for a in allegations}


def _decide(actor: CaseActor, role: str, text: str) -> dict[int, bool]:
    """Record the seated panel's findings (rows that never change) and its written reasons."""
    findings = _findings(actor.case, role)
    stage = STAGES[role]
    Decision.objects.bulk_create(
        [Decision(case=actor.case, allegation_id=pk, stage=stage, upheld=upheld) for pk, upheld in findings.items()]
    )
    item_write(actor, "decision" if stage == "panel" else "appeal_decision", "file", clean_text(text))
    return findings


@implements("decide")
def decide(actor: CaseActor, data: dict[str, Any]) -> str:
    case = actor.case
    _decide(actor, Role.PANEL, data["text"])
    deadline = timezone.now() + timedelta(days=settings.CHORUS_APPEAL_DAYS)
    Case.objects.filter(pk=case.pk).update(appeal_deadline=deadline)
    move(actor, case, "appeal_window")
    tasks.task_enqueue("cases.appeal_window", {"case": str(case.pk)}, run_at=deadline, once=f"appeal:{case.pk}")
    parties_notify(case, Role.COMPLAINANT, Role.RESPONDENT)
    return _("The decision is recorded. Either party may appeal until %(date)s.") % {
        "date": formats.date_format(timezone.localtime(deadline))
    }


@implements("appeal")
def appeal(actor: CaseActor, data: dict[str, Any]) -> str:
    case = actor.case
    if case.appeal_deadline is None or timezone.now() > case.appeal_deadline:
        raise CaseError(_("The appeal window has closed."))
    by = actor.acting_as(Role.COMPLAINANT, Role.RESPONDENT)
    Appeal.objects.create(case=case, by=by, ground=data["ground"])
    item_write(actor, "appeal", "file", clean_text(data["text"]))
    move(actor, case, "appeal")
    return _("Your appeal is filed. A separate appeal panel decides it.")


@implements("appeal_decide")
def appeal_decide(actor: CaseActor, data: dict[str, Any]) -> str:
    case = actor.case
    findings = _decide(actor, Role.APPEAL_PANEL, data["text"])
    original = dict(Decision.objects.filter(case=case, stage="panel").values_list("allegation_id", "upheld"))
    reversed_ = [pk for pk, upheld in findings.items() if original.get(pk) != upheld]
    if reversed_:  # the original panel sees it on the case page (``reversed_on_appeal``) and is emailed
        parties_notify(case, Role.PANEL)
        log(actor, case, "reversed_on_appeal", allegations=len(reversed_))
    move(actor, case, "final")
    parties_notify(case, Role.COMPLAINANT, Role.RESPONDENT)
    if reversed_:
        return _(
            "The appeal decision is recorded; the outcome is final. It reverses the panel on at least one "
            "allegation; the panel is told."
        )
    return _("The appeal decision is recorded; the outcome is final.")


@tasks.handler("cases.appeal_window")
def appeal_window_close(payload: dict[str, Any]) -> None:
    case = Case.objects.filter(pk=payload["case"]).first()
    if case is None or case.state != "appeal_window":
        return
    # The window stays open while the survivor has paused the case; resuming moves the
    # deadline on by the paused time (``common.resume``), and the next look finds it. When
    # the last complainant withdraws, their withdrawal lifts the pause the same way (no one
    # is left to resume it), so a case no complainant takes part in still becomes final here.
    if case.paused:
        tasks.task_enqueue("cases.appeal_window", payload, run_at=timezone.now() + timedelta(hours=1))
        return
    if case.appeal_deadline and case.appeal_deadline > timezone.now():
        tasks.task_enqueue("cases.appeal_window", payload, run_at=case.appeal_deadline)
        return
    with transaction.atomic():
        move(None, case, "final", why="appeal window closed")
    parties_notify(case, Role.COMPLAINANT, Role.RESPONDENT)


def findings(case: Case) -> list[tuple[int, bool | None, bool | None]]:
    """(allegation number, panel finding, appeal finding) for the case page."""
    rows = {(d.allegation_id, d.stage): d.upheld for d in case.decisions.all()}
    return [(a.number, rows.get((a.pk, "panel")), rows.get((a.pk, "appeal"))) for a in case.allegations.all()]


def reversed_on_appeal(rows: list[tuple[int, bool | None, bool | None]]) -> bool:
    """Whether, in ``findings(case)``, the appeal panel differs from the panel anywhere."""
    return any(panel is not None and appeal is not None and panel != appeal for _, panel, appeal in rows)
