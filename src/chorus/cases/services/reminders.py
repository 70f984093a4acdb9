"""Overdue steps (a measure, a milestone, a stage past the organization's target) raise reminders: a row the owing party sees in the app, and an email
that says only that something in a case needs them. The scan is a periodic job of the
task queue; a reminder exists once per step, so scanning again sends nothing twice."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from chorus.accounts.models import Member
from chorus.cases.machine import ENDED, TEAM, Role
from chorus.cases.models import Case, Measure, Milestone, Party, Reminder, StagePeriod
from chorus.cases.services import stages, story
from chorus.cases.services.core import log, party_member
from chorus.records.services.team import advocates_of
from chorus.web import tasks

# The survivor's side of a case: an email saying a case of theirs needs them tells whoever
# reads their inbox that they are in one, so only those who chose it are emailed ("A case
# you take part in needs you"); the reminder on the case page is there either way. The
# other roles (respondent, investigator, panels, facilitator, who carries out a measure)
# have due-process duties and keep their emails.
EMAILED_IF_CHOSEN = frozenset({Role.COMPLAINANT, Role.SUPPORTER})


def _wants_email(party: Party, member: Member) -> bool:
    from chorus.notices.models import Kind
    from chorus.notices.services import kinds_for

    return party.role not in EMAILED_IF_CHOSEN or Kind.STEP in kinds_for(member)


def _advocates_emailed(case: Case) -> list[str]:
    """The advocates who keep their case notices on (``notices``): the others read it in
    Chorus."""
    from chorus.notices.models import Kind
    from chorus.notices.services import kinds_for

    return [advocate.email for advocate in advocates_of(case.organization) if Kind.CASE in kinds_for(advocate)]


def _remind(party: Party | None, about: str, *, chosen_only: bool = False) -> bool:
    if party is None or party.joined_at is None or party.withdrawn_at is not None:
        return False  # a complainant who withdrew is reminded of nothing (``common.withdraw``)
    try:
        with transaction.atomic():
            Reminder.objects.create(party=party, about=about)
    except IntegrityError:
        return False  # already reminded of this step
    member = party_member(party)
    if member is not None and (not chosen_only or _wants_email(party, member)):
        tasks.mail_later("cases/email/reminder", member.email, {})
    return True


def reminders_scan() -> int:
    """Find every overdue step in every open, unpaused case; returns reminders raised."""
    now = timezone.now()
    raised = 0
    live = Case.objects.exclude(state__in=ENDED).filter(paused=False, destroyed_at__isnull=True)
    overdue_measures = Measure.objects.filter(
        case__in=live, status=Measure.Status.AGREED, due_at__lt=now
    ).select_related("owner", "case")
    for measure in overdue_measures:
        with transaction.atomic():
            if _remind(measure.owner, f"measure:{measure.number}"):
                raised += 1
                log(None, measure.case, "reminder", about=f"measure:{measure.number}")
                for address in advocates_of(measure.case.organization).values_list("email", flat=True):
                    tasks.mail_later("cases/email/reminder", address, {})
    overdue_milestones = Milestone.objects.filter(
        case__in=live, due_at__lt=now, verified_at__isnull=True
    ).select_related("case", "verifier")
    for milestone in overdue_milestones:
        case = milestone.case
        owes = case.parties.filter(role__in=[Role.RESPONDENT, Role.SELF], joined_at__isnull=False).first()
        who = owes if milestone.reported_at is None else milestone.verifier
        with transaction.atomic():
            if _remind(who, f"milestone:{milestone.number}"):
                raised += 1
                log(None, case, "reminder", about=f"milestone:{milestone.number}")
    return raised + _overdue_stages(live, now)


def _overdue_stages(live: QuerySet[Case], now: datetime) -> int:
    """A stage past the organization's target: the parties the case waits on are reminded
    (and the advocates, by email, when it waits on them), once per stay in the stage. By
    email only those who chose to hear of their cases (``EMAILED_IF_CHOSEN``, the advocates'
    case notices) or whose role carries a duty."""
    raised = 0
    targets: dict[object, dict[tuple[str, str], int | None]] = {}
    periods = StagePeriod.objects.filter(case__in=live, left_at__isnull=True, reminded_at__isnull=True)
    for period in periods.select_related("case", "case__organization"):
        case = period.case
        org_targets = targets.setdefault(case.organization_id, stages.targets_for(case.organization))
        due = stages.stage_due(case, period, org_targets)
        if due is None or due >= now:
            continue
        about = f"stage:{period.state}"
        with transaction.atomic():
            if not StagePeriod.objects.filter(pk=period.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue  # another worker took it
            Reminder.objects.filter(party__case=case, about=about).delete()  # an earlier stay in this stage
            for party in story.waiting_parties(case):
                _remind(party, about, chosen_only=True)
            if TEAM in story.waiting_on(case):
                for address in _advocates_emailed(case):
                    tasks.mail_later("cases/email/reminder", address, {})
            log(None, case, "reminder", about=about)
            raised += 1
    return raised


tasks.periodic(reminders_scan)


def reminders_settle(case: Case, about: str, *, parties: list[Party] | None = None) -> None:
    """The step was taken: its reminders (to ``parties``, or to everyone) leave the case page."""
    reminders = Reminder.objects.filter(party__case=case, about=about, settled_at__isnull=True)
    if parties is not None:
        reminders = reminders.filter(party__in=parties)
    reminders.update(settled_at=timezone.now())


def reminders_for(parties: list[Party]) -> list[Reminder]:
    return list(Reminder.objects.filter(party__in=parties, settled_at__isnull=True).order_by("created_at"))
