"""The case page as a story: where the case is in its pathway (the step indicator), who it
waits on, what happened (a timeline of the case's own events merged with what this person
may read), and the steps this person can take now, the usual next one first.

Nothing here reveals more than the page did before: the events come from what every
party already saw on it (the people in the case, the stage, the measures and milestones
tables, the findings), now dated and in order, and only from when this person's part in the
case began (``seen_from``); written items come from ``items_for``. Who the case waits on
names someone whose consent is still missing only to whoever could already tell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.cases.machine import (
    ACTIONS,
    APPOINTED,
    BOTH_CONSENT,
    ENDED,
    FIRST_DUTIES,
    OPTIONAL_STEPS,
    SERIOUS,
    STATE_LABELS,
    STEP_GROUPS,
    STEPS,
    TEAM,
    USUAL_NEXT,
    Action,
    Pathway,
    Role,
)
from chorus.cases.models import Appeal, Case, ConflictChallenge, Consent, Decision, Measure, Party, StagePeriod, Vote
from chorus.cases.services.core import CaseActor, ItemView, complainants, party_member, party_shown_label, respondent

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# ---- the step indicator ----------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    state: str
    label: str | Promise
    status: str  # "done", "current" or "upcoming"


def steps(case: Case) -> list[StepView]:
    """The pathway's stages in order, each done, current or upcoming. A withdrawn case shows
    the stages it went through and then "Withdrawn"; an appeal or monitoring stage shows
    only in a case that reached it."""
    visited = [period.state for period in case.periods.all() if period.pathway == case.pathway]
    order = [
        state
        for state in STEPS.get(case.pathway, (case.state,))
        if state not in OPTIONAL_STEPS or state in visited or state == case.state
    ]
    if case.state == "withdrawn":
        reached = [state for state in order if state in visited and state not in ENDED]
        return [StepView(state, STATE_LABELS[state], "done") for state in reached] + [
            StepView("withdrawn", STATE_LABELS["withdrawn"], "current")
        ]
    if case.state not in order:
        order.append(case.state)
    current = order.index(case.state)
    views = []
    for index, state in enumerate(order):
        status = "done" if index < current else "current" if index == current else "upcoming"
        if state == "closed" and case.state == "closed":
            status = "done"
        views.append(StepView(state, STATE_LABELS[state], status))
    return views


# ---- who the case waits on -------------------------------------------------------

WAITING_LABELS: dict[str, StrOrPromise] = {
    TEAM: gettext_lazy("the advocates"),
    Role.COMPLAINANT: gettext_lazy("the survivor"),
    Role.RESPONDENT: gettext_lazy("the respondent"),
    Role.FACILITATOR: gettext_lazy("the facilitator"),
    Role.INVESTIGATOR: gettext_lazy("the investigator"),
    Role.PANEL: gettext_lazy("the panel"),
    Role.APPEAL_PANEL: gettext_lazy("the appeal panel"),
    Role.OWNER: gettext_lazy("whoever carries out a measure"),
    Role.SELF: gettext_lazy("the member taking accountability"),
}
# The consent a stage's next step needs (``machine.ACTIONS``' ``consent``).
GATES = {"filed": "contact", "suitability": "contact", "preparation": "dialogue", "dialogue": "agreement"}


def _consent_missing(case: Case, step: str, assume: Mapping[UUID, bool] | None = None) -> list[Party]:
    """The parties whose consent to ``step`` is still missing; ``assume`` overrides what some
    parties gave (party id: consented or not), to ask what the answer would be either way."""
    needed = complainants(case)
    if step in BOTH_CONSENT and (other := respondent(case)) is not None:
        needed.append(other)
    given = set(Consent.objects.filter(case=case, step=step).values_list("party_id", flat=True))
    for party_id, consented in (assume or {}).items():
        if consented:
            given.add(party_id)
        else:
            given.discard(party_id)
    return [party for party in needed if party.pk not in given]


def _seated(case: Case, role: str) -> int:
    return sum(
        1 for p in case.parties.all() if p.role == role and p.joined_at is not None and p.recused_at is None
    )


def waiting_on(case: Case) -> tuple[str, ...]:
    """The roles the case waits on now (``machine.Role`` values, or ``TEAM`` for the
    advocates); empty when it waits on no one (ended, or an appeal window running out).

    Also the hook for notices: "a step in the case needs this person" is a party whose role
    is in here. What the case page shows one person is ``waiting_seen``."""
    return _waiting_on(case)


def _waiting_on(case: Case, assume: Mapping[UUID, bool] | None = None) -> tuple[str, ...]:  # noqa: PLR0911, PLR0912 (one answer per stage, read top to bottom)
    state = case.state
    if state in ENDED or case.destroyed_at is not None:
        return ()
    if case.paused:
        return (Role.COMPLAINANT,)
    gate = GATES.get(state)
    missing = {party.role for party in _consent_missing(case, gate, assume)} if gate else set()
    if state == "intake":
        return (Role.COMPLAINANT, TEAM)
    if state == "support":
        statuses = {measure.status for measure in case.measures.all()}
        if Measure.Status.REQUESTED in statuses:
            return (TEAM,)
        return (Role.OWNER,) if Measure.Status.AGREED in statuses else ()
    if state == "filed":
        if not case.allegations.all() or Role.COMPLAINANT in missing:
            return (Role.COMPLAINANT,)
        return (TEAM,)
    if state == "suitability":
        if respondent(case) is None:
            return (Role.COMPLAINANT,) if Role.COMPLAINANT in missing else (TEAM,)
        if not _seated(case, Role.FACILITATOR):
            return (TEAM,)
        return tuple(sorted({Role.FACILITATOR, *missing}))
    if state in ("preparation", "dialogue"):
        return tuple(sorted({Role.FACILITATOR, *missing}))
    if state == "plan":
        if any(m.verified_at is None and m.reported_at is None for m in case.milestones.all()):
            return (Role.SELF,) if case.pathway == Pathway.SELF else (Role.RESPONDENT,)
        return (Role.FACILITATOR,)
    if state == "review":
        return (Role.FACILITATOR,) if case.pathway == Pathway.SELF else (Role.COMPLAINANT, Role.FACILITATOR)
    if state == "notice":
        answered = case.items.filter(kind="response").exists()
        return (TEAM,) if answered else (TEAM, Role.RESPONDENT)
    if state == "investigation":
        return (Role.INVESTIGATOR,)
    if state == "report":
        if case.parties.filter(role=Role.PANEL, declared_at__isnull=True, recused_at__isnull=True).exists():
            return (TEAM, Role.PANEL)
        return (TEAM,)
    if state == "deliberation":
        return (Role.PANEL,)
    if state == "appeal":
        return (TEAM,) if _seated(case, Role.APPEAL_PANEL) < settings.CHORUS_PANEL_SIZE else (Role.APPEAL_PANEL,)
    if state in ("final", "monitoring"):
        return (TEAM,)
    return ()


def waiting_parties(case: Case) -> list[Party]:
    """The joined parties the case waits on, for notices: not a complainant who withdrew,
    a panel member who recused, or a seat given for a role its member no longer holds (the
    home workspace drops such seats too)."""
    roles = [role for role in waiting_on(case) if role != TEAM]
    parties = case.parties.filter(
        role__in=roles, joined_at__isnull=False, withdrawn_at__isnull=True, recused_at__isnull=True
    )
    kept = []
    for party in parties:
        if party.role in APPOINTED:
            member = party_member(party)
            if member is None or not member.has_role(APPOINTED[Role(party.role)]):
                continue
        kept.append(party)
    return kept


# Said instead of naming someone whose missing consent this person could not already tell.
OTHERS = gettext_lazy("the other people in the case")


def _consent_seen(actor: CaseActor, step: str) -> bool:
    """Whether this person could already tell who has still to consent to ``step``: a step
    gated on it names them when it is refused (``act.consent_missing``)."""
    return any(action.consent == step and action.by & actor.roles for action in ACTIONS)


def waiting_seen(actor: CaseActor) -> tuple[tuple[str, ...], bool]:
    """The roles the case waits on as this person may see them, and whether someone is left
    unnamed. Whether another party has still to give the consent this stage needs is theirs
    (and the advocates' or facilitator's, who are told when the gated step is refused): for
    anyone else the answer is worked out both ways, with that consent given and with it
    missing, and only what both agree on is named; the rest are "the other people"."""
    case = actor.case
    gate = GATES.get(case.state)
    if gate is None or case.paused or case.state in ENDED or _consent_seen(actor, gate):
        return waiting_on(case), False
    others = [*complainants(case), respondent(case)]
    hidden = [party.pk for party in others if party is not None and party not in actor.parties]
    if not hidden:
        return waiting_on(case), False
    given = _waiting_on(case, dict.fromkeys(hidden, True))
    missing = _waiting_on(case, dict.fromkeys(hidden, False))
    return tuple(role for role in given if role in missing), set(given) != set(missing)


def waiting_mine(actor: CaseActor) -> bool:
    """Whether the case waits on this person, as far as they may see."""
    return bool(set(waiting_seen(actor)[0]) & actor.roles)


def waiting_text(actor: CaseActor) -> str:
    roles, unnamed = waiting_seen(actor)
    labels = [str(WAITING_LABELS[role]) for role in roles if role in WAITING_LABELS]
    if unnamed:
        labels.append(str(OTHERS))
    return _(" and ").join(labels)


# ---- the timeline ----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    at: datetime
    title: str
    text: str = ""
    author: str = ""
    kind: str = "event"  # "event" (from the case's own rows) or "item" (something written)
    about: str = ""


ITEM_TITLES: dict[str, StrOrPromise] = {
    "summary": gettext_lazy("What the case is about"),
    "need": gettext_lazy("What is needed"),
    "evidence": gettext_lazy("Evidence"),
    "allegation": gettext_lazy("Allegation"),
    "notice": gettext_lazy("Written notice"),
    "invitation": gettext_lazy("Invitation"),
    "response": gettext_lazy("Response"),
    "report": gettext_lazy("Investigation report"),
    "reasons": gettext_lazy("Written reasons"),
    "appeal": gettext_lazy("Appeal"),
    "plan": gettext_lazy("Accountability plan"),
    "agreement": gettext_lazy("What was agreed"),
    "preparation": gettext_lazy("Preparation notes"),
    "safety": gettext_lazy("Safety assessment"),
    "suitability": gettext_lazy("Suitability"),
    "checkin": gettext_lazy("Check-in"),
    "breach": gettext_lazy("Breach of the plan"),
    "withdrawal": gettext_lazy("Withdrawal"),
}


def _stage_events(periods: list[StagePeriod], since: datetime | None) -> list[Entry]:
    """The stages, from ``since`` on. A stage whose start this person did not see is not
    told, and the first one they see is named on its own: that the case was opened, or came
    from another pathway, before their part began is not theirs to learn here."""
    entries = []
    previous = None
    for period in periods:
        seen = since is None or period.entered_at >= since
        label = STATE_LABELS.get(period.state, period.state)
        if seen and previous is None:
            title = _("The case was opened: %(pathway)s, %(stage)s") % {
                "pathway": Pathway(period.pathway).label,
                "stage": label,
            }
        elif seen and previous is not None and previous[1] and previous[0].pathway != period.pathway:
            title = _("The pathway changed to: %(pathway)s") % {"pathway": Pathway(period.pathway).label}
        else:
            title = _("Stage: %(stage)s") % {"stage": label}
        if seen:
            entries.append(Entry(period.entered_at, title))
        previous = (period, seen)
    return entries


def _opened_with_case(case: Case, party: Party, opened: datetime | None) -> bool:
    """Whoever opened the case (and a self-initiated plan's facilitator) joined with it: the
    opening says so already. Everyone else came later: by invitation, appointment or a group."""
    openers = (Role.SELF, Role.FACILITATOR) if case.pathway == Pathway.SELF else (Role.COMPLAINANT,)
    return (
        opened is not None
        and case.from_group_id is None
        and party.role in openers
        and not party.invite_email_hash
        and party.added_at - opened < timedelta(seconds=5)
    )


def _party_events(case: Case, opened: datetime | None) -> list[Entry]:
    entries = []
    for party in case.parties.all():
        if party.joined_at is None:
            continue
        who = party_shown_label(party)
        if not _opened_with_case(case, party, opened):
            entries.append(Entry(party.joined_at, _("%(who)s joined the case") % {"who": who}))
        if party.declared_at and not party.conflict:
            entries.append(Entry(party.declared_at, _("%(who)s declared no conflict") % {"who": who}))
        if party.recused_at:
            entries.append(Entry(party.recused_at, _("%(who)s stepped aside") % {"who": who}))
        if party.withdrawn_at:
            entries.append(Entry(party.withdrawn_at, _("%(who)s withdrew") % {"who": who}))
    return entries


def _decision_events(case: Case) -> list[Entry]:
    entries = []
    by_stage: dict[str, list[Decision]] = {}
    for decision in sorted(case.decisions.all(), key=lambda decision: decision.allegation.number):
        by_stage.setdefault(decision.stage, []).append(decision)
    for stage, decisions in by_stage.items():
        findings = "; ".join(
            _("allegation %(number)d: %(finding)s")
            % {"number": d.allegation.number, "finding": _("upheld") if d.upheld else _("not upheld")}
            for d in decisions
        )
        title = _("The appeal panel decided") if stage == "appeal" else _("The panel decided")
        entries.append(Entry(min(d.decided_at for d in decisions), title, findings))
    appeal = Appeal.objects.filter(case=case).first()
    if appeal is not None:
        entries.append(Entry(appeal.filed_at, _("An appeal was filed")))
    return entries


def _measure_events(case: Case) -> list[Entry]:
    entries: list[Entry] = []
    for measure in case.measures.all():
        name = _("%(kind)s %(number)d") % {"kind": measure.get_kind_display(), "number": measure.number}
        stamps = (
            (measure.requested_at if measure.kind == Measure.Kind.SUPPORTIVE else None, _("%(what)s was asked for")),
            (measure.decided_at if measure.status != Measure.Status.DECLINED else None, _("%(what)s was agreed")),
            (measure.decided_at if measure.status == Measure.Status.DECLINED else None, _("%(what)s was declined")),
            (measure.done_at, _("%(what)s was done")),
            (measure.reviewed_at, _("%(what)s was reviewed")),
        )
        entries.extend(Entry(at, said % {"what": name}) for at, said in stamps if at is not None)
    for milestone in case.milestones.all():
        name = _("Milestone %(number)d") % {"number": milestone.number}
        if milestone.reported_at:
            entries.append(Entry(milestone.reported_at, _("%(what)s was reported done") % {"what": name}))
        if milestone.verified_at:
            entries.append(Entry(milestone.verified_at, _("%(what)s was verified") % {"what": name}))
    return entries


# The process a case role serves, which that role sees from its start whenever they came in:
# a panel or investigator reads the formal process from its filing, a facilitator the
# restorative process (or the self-initiated plan) from its beginning.
SERVES: dict[str, tuple[str, ...]] = {
    Role.FACILITATOR: (Pathway.RESTORATIVE, Pathway.SELF),
    Role.INVESTIGATOR: (Pathway.FORMAL,),
    Role.PANEL: (Pathway.FORMAL,),
    Role.APPEAL_PANEL: (Pathway.FORMAL,),
}


def _pathway_start(periods: list[StagePeriod], pathways: tuple[str, ...]) -> datetime | None:
    """When the case last came into one of ``pathways`` (None if it never did)."""
    start = None
    for previous, period in zip([None, *periods], periods, strict=False):
        if period.pathway in pathways and (previous is None or previous.pathway not in pathways):
            start = period.entered_at
    return start


def seen_from(actor: CaseActor, periods: list[StagePeriod]) -> datetime | None:
    """From when this person's view of the case's history begins (None: from its opening).

    The advocates and whoever opened the case (or, in a matched group's case, each of the
    group's complainants, who chose it together) see all of it. A staff role sees the process
    it serves from its start (``SERVES``). Anyone else, a respondent above all, sees from
    when they were brought in: a respondent in a formal case is given written notice of the
    allegations, not the survivor's time in support or an earlier pathway."""
    case = actor.case
    if actor.team:
        return None
    opened = periods[0].entered_at if periods else None
    starts = []
    for party in actor.parties:
        if _opened_with_case(case, party, opened) or (
            party.role == Role.COMPLAINANT and case.from_group_id is not None
        ):
            return None
        served = SERVES.get(party.role)
        start = _pathway_start(periods, served) if served else None
        starts.append(min(start, party.added_at) if start else party.added_at)
    return min(starts, default=timezone.now())


def timeline(actor: CaseActor, items: list[ItemView]) -> list[Entry]:
    """What happened, newest last: the case's own events from when this person's part began
    (``seen_from``), and the items this person may read."""
    case = actor.case
    periods = list(case.periods.all())
    since = seen_from(actor, periods)
    opened = periods[0].entered_at if periods else None
    events = [*_party_events(case, opened), *_decision_events(case), *_measure_events(case)]
    entries = [*_stage_events(periods, since), *(entry for entry in events if since is None or entry.at >= since)]
    entries.extend(
        Entry(
            item.at,
            str(ITEM_TITLES.get(item.kind, item.kind.replace("_", " ").capitalize())),
            item.text,
            item.author,
            "item",
            item.about,
        )
        for item in items
    )
    return sorted(entries, key=lambda entry: (entry.at, entry.kind == "item"))


# ---- the steps this person can take ----------------------------------------------


@dataclass
class StepGroup:
    key: str
    label: str | Promise
    actions: list[Action] = field(default_factory=list)
    unavailable: list[tuple[Action, StrOrPromise]] = field(default_factory=list)


def _worth_taking(actor: CaseActor, name: str) -> bool:  # noqa: PLR0911, PLR0912 (one answer per step, read top to bottom)
    """Whether a step the machine offers is the natural next one in this case right now."""
    case = actor.case
    kinds = set(case.items.values_list("kind", flat=True))
    if name == "allegation":
        return not case.allegations.all()
    if name == "consent":
        gate = GATES.get(case.state)
        if case.state == "suitability" and respondent(case) is not None:
            gate = "restorative"
        return gate is not None and any(party in actor.parties for party in _consent_missing(case, gate))
    if name in ("notice", "invite"):
        return respondent(case) is None
    if name in ("facilitator", "investigator"):
        return not _seated(case, name)
    if name == "safety":
        return "safety" not in kinds
    if name == "suitability":
        return "safety" in kinds
    if name == "prepare":
        return set(case.items.filter(kind="preparation").values_list("compartment", flat=True)) != {
            "support",
            "respondent",
        }
    if name == "agreement":
        return "agreement" not in kinds
    if name in ("panel", "appeal_panel"):
        role = Role.PANEL if name == "panel" else Role.APPEAL_PANEL
        return _seated(case, role) < int(settings.CHORUS_PANEL_SIZE)
    if name == "respond":
        return not case.items.filter(kind="response", author__in=actor.parties).exists()
    if name in ("vote", "appeal_vote"):
        stage = "panel" if name == "vote" else "appeal"
        voted = Vote.objects.filter(case=case, stage=stage, party__in=actor.parties).count()
        return voted < case.allegations.count()
    if name == "rule":
        return ConflictChallenge.objects.filter(case=case, ruled_at__isnull=True).exists()
    if name == "milestone":
        return not case.milestones.all()
    if name == "review":
        milestones = case.milestones.all()
        return bool(milestones) and all(milestone.verified_at is not None for milestone in milestones)
    return True


def plan_steps(
    actor: CaseActor, offered: list[Action], unavailable: list[tuple[Action, StrOrPromise]]
) -> tuple[Action | None, list[StepGroup]]:
    """The usual next step (or None), and every other offered step in its named group."""
    names = {action.name: action for action in offered}
    primary = None
    for name in (*FIRST_DUTIES, *USUAL_NEXT.get(actor.case.state, ())):
        if name in names and _worth_taking(actor, name):
            primary = names[name]
            break
    groups = []
    for key, label, members in STEP_GROUPS:
        group = StepGroup(key, label)
        group.actions = [names[name] for name in members if name in names and names[name] is not primary]
        group.unavailable = [(action, why) for action, why in unavailable if action.name in members]
        if group.actions or group.unavailable:
            groups.append(group)
    return primary, groups


def serious(action: Action) -> bool:
    return action.name in SERIOUS
