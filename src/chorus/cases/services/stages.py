"""Where a case is in time: its short reference, the stages it has been through, the targets
the organization sets for each stage, and the next deadline.

Every change of stage goes through ``stage_enter`` (called by ``core.move``, ``core.repath``
and the openings), so ``StagePeriod`` holds each case's whole history: the step indicator,
the timeline, the overdue-stage reminders and the time-in-stage insights read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.accounts.models import Member, Organization
from chorus.cases.machine import ENDED, STATE_LABELS, TARGET_DAYS, TARGETABLE
from chorus.cases.models import Case, CaseCounter, Reminder, StagePeriod, StageTarget
from chorus.ledger.services import ledger_append

REFERENCE = re.compile(r"^C-(\d{4})-(\d{4,})$")
MAX_TARGET_DAYS = 3650


# ---- references ------------------------------------------------------------------


def reference_next(organization: Organization, year: int) -> str:
    """The next reference of ``organization`` in ``year``, e.g. ``C-2026-0042``.

    Call inside the transaction that creates the case: the counter row is incremented with a
    single UPDATE, which holds its row lock (PostgreSQL) or the database's write lock
    (SQLite) until that transaction ends, so two cases opened at once never get the same
    number, and a rolled-back opening gives its number back."""
    for _attempt in range(3):
        bumped = CaseCounter.objects.filter(organization=organization, year=year).update(last=F("last") + 1)
        if bumped:
            last = CaseCounter.objects.get(organization=organization, year=year).last
            return f"C-{year}-{last:04d}"
        try:
            with transaction.atomic():  # the year's first case: someone else may be creating the row too
                CaseCounter.objects.create(organization=organization, year=year, last=1)
        except IntegrityError:
            continue
        return f"C-{year}-0001"
    raise RuntimeError("could not number the case")  # pragma: no cover (three lost races in a row)


def case_create(case: Case) -> Case:
    """Save a new case with its reference and its first stage (inside the caller's transaction)."""
    case.reference = reference_next(case.organization, timezone.localtime(case.opened_at).year)
    case.save()
    StagePeriod.objects.create(case=case, pathway=case.pathway, state=case.state, entered_at=case.opened_at)
    return case


def case_by_reference(organization: Organization, text: str) -> Case | None:
    if not REFERENCE.match(text.strip().upper()):
        return None
    return Case.objects.filter(organization=organization, reference=text.strip().upper()).first()


# ---- stages ----------------------------------------------------------------------


def stage_enter(case: Case) -> None:
    """The case is now in ``case.pathway``/``case.state``: close the stay it leaves (and its
    overdue reminders) and open the new one."""
    now = timezone.now()
    left = list(StagePeriod.objects.filter(case=case, left_at__isnull=True))
    StagePeriod.objects.filter(pk__in=[period.pk for period in left]).update(left_at=now)
    for period in left:
        Reminder.objects.filter(party__case=case, about=f"stage:{period.state}", settled_at__isnull=True).update(
            settled_at=now
        )
    StagePeriod.objects.create(case=case, pathway=case.pathway, state=case.state, entered_at=now)


# ---- targets ---------------------------------------------------------------------


def targets_for(organization: Organization) -> dict[tuple[str, str], int | None]:
    """Target days for every targetable (pathway, stage): the organization's, else the default."""
    targets = {key: TARGET_DAYS.get(key) for key in TARGETABLE}
    for pathway, state, days in StageTarget.objects.filter(organization=organization).values_list(
        "pathway", "state", "days"
    ):
        if (pathway, state) in targets:
            targets[(pathway, state)] = days
    return targets


class TargetError(ValueError):
    """A target that cannot be stored; the message says why."""


def targets_set(*, organization: Organization, actor: Member, targets: dict[tuple[str, str], int | None]) -> int:
    """Store the organization's targets (None: no target); returns how many changed. One
    ledger event names the changed stages and their new days (no case, no person)."""
    current = targets_for(organization)
    changed: dict[str, int | None] = {}
    for key, days in targets.items():
        if key not in current:
            raise TargetError(_("There is no such stage."))
        if days is not None and not 1 <= days <= MAX_TARGET_DAYS:
            raise TargetError(_("A target is between 1 and %(max)d days.") % {"max": MAX_TARGET_DAYS})
        if current[key] != days:
            changed[f"{key[0]}.{key[1]}"] = days
    if not changed:
        return 0
    with transaction.atomic():
        for key, days in targets.items():
            if f"{key[0]}.{key[1]}" in changed:
                StageTarget.objects.update_or_create(
                    organization=organization, pathway=key[0], state=key[1], defaults={"days": days}
                )
        ledger_append(
            organization_id=organization.pk,
            actor=actor.pseudonym,
            action="case.targets_changed",
            refs={"targets": changed},
        )
    return len(changed)


# ---- deadlines -------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    what: str | Promise
    due_at: datetime
    overdue: bool


def stage_due(case: Case, period: StagePeriod | None, targets: dict[tuple[str, str], int | None]) -> datetime | None:
    if period is None or case.state in ENDED:
        return None
    days = targets.get((case.pathway, case.state))
    return None if days is None else period.entered_at + timedelta(days=days)


def deadlines(
    case: Case, *, targets: dict[tuple[str, str], int | None] | None = None, now: datetime | None = None
) -> list[Deadline]:
    """Every date the case is working to now, soonest first: from its stays, measures and
    milestones (read once when the caller loaded them for several cases or several uses),
    and the organization's ``targets`` (read here when the caller has not)."""
    if case.state in ENDED or case.destroyed_at is not None:
        return []
    now = now or timezone.now()
    found: list[Deadline] = []
    current = next((period for period in case.periods.all() if period.left_at is None), None)
    due = stage_due(case, current, targets if targets is not None else targets_for(case.organization))
    if due is not None:
        found.append(
            Deadline(
                gettext_lazy("Target for this stage (%(stage)s)") % {"stage": STATE_LABELS[case.state]},
                due,
                due < now,
            )
        )
    if case.state == "appeal_window" and case.appeal_deadline is not None:
        found.append(Deadline(gettext_lazy("Last day to appeal"), case.appeal_deadline, False))
    for measure in case.measures.all():
        if measure.status != "agreed" or measure.due_at is None:
            continue
        found.append(
            Deadline(
                gettext_lazy("Measure %(number)d is due") % {"number": measure.number},
                measure.due_at,
                measure.due_at < now,
            )
        )
    for milestone in (milestone for milestone in case.milestones.all() if milestone.verified_at is None):
        found.append(
            Deadline(
                gettext_lazy("Milestone %(number)d is due") % {"number": milestone.number},
                milestone.due_at,
                milestone.due_at < now,
            )
        )
    return sorted(found, key=lambda deadline: deadline.due_at)


def most_pressing(found: list[Deadline]) -> Deadline | None:
    """The first overdue date, else the soonest."""
    overdue = [deadline for deadline in found if deadline.overdue]
    return (overdue or found)[0] if found else None


def next_deadline(case: Case) -> Deadline | None:
    return most_pressing(deadlines(case))
