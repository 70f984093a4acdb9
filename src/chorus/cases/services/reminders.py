"""Overdue steps raise reminders: a row the owing party sees in the app, and an email
that says only that something in a case needs them. The scan is a periodic job of the
task queue; a reminder exists once per step, so scanning again sends nothing twice."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from chorus.cases.machine import ENDED, Role
from chorus.cases.models import Case, Measure, Milestone, Party, Reminder
from chorus.cases.services.core import log, party_member
from chorus.records.services.team import advocates_of
from chorus.web import tasks


def _remind(party: Party | None, about: str) -> bool:
    if party is None or party.joined_at is None or party.withdrawn_at is not None:
        return False  # a complainant who withdrew is reminded of nothing (``common.withdraw``)
    try:
        with transaction.atomic():
            Reminder.objects.create(party=party, about=about)
    except IntegrityError:
        return False  # already reminded of this step
    member = party_member(party)
    if member is not None:
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
