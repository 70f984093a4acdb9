"""The organization's self-assessment and its action points.

The questionnaire asks what survivors and practitioners say makes an organization safe to
report to; a "no" or "partly" becomes a finding, and a finding an action point with an
owner, an indicator, a due date and a history of every report and review. Overdue points
remind their owner once per due date (a periodic job of the task queue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member, Organization
from chorus.insights.access import may_see_insights
from chorus.insights.models import ActionPoint, ActionPointReview, Answer, AssessmentAnswer
from chorus.ledger.services import ledger_append
from chorus.web import tasks
from chorus.web.posting import clean_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_TEXT = 2000
# Who steers the organization's learning: they answer the questionnaire and set action points.
STEWARDS = ("admin", "oversight")


@dataclass(frozen=True)
class Question:
    code: str
    text: str | Promise


QUESTIONS: tuple[Question, ...] = (
    Question("policy", _("Is there a written policy on sexual harassment and assault that every member can find?")),
    Question("support", _("Can someone get confidential support without starting a formal process?")),
    Question("independence", _("Are the advocates independent of the organization's leadership?")),
    Question("separation", _("Are the people who investigate and the people who decide always different?")),
    Question("conflicts", _("Do decision makers declare conflicts of interest before they read a case?")),
    Question("measures", _("Are supportive measures available without a finding (a new room, supervisor, schedule)?")),
    Question("retaliation", _("Are people protected from retaliation for reporting, supporting or witnessing?")),
    Question(
        "training", _("Do leadership and members take part in training on harassment and bystander action yearly?")
    ),
    Question("accountability", _("Is there a way to repair harm besides punishment (restorative accountability)?")),
    Question("transparency", _("Are process figures and outcomes published to members every year?")),
)
BY_CODE = {question.code: question for question in QUESTIONS}


class ActionError(Exception):
    """The step cannot be taken as asked; the message says why."""


def may_steer(member: Member) -> bool:
    return any(member.has_role(role) for role in STEWARDS)


def _text(value: str, empty: StrOrPromise) -> str:
    return clean_text(value, limit=MAX_TEXT, refusal=ActionError, empty=empty)


def _steward(member: Member) -> None:
    if not may_steer(member):
        raise ActionError(_("Only administrators and the oversight body set the organization's action points."))


# --- the self-assessment ---------------------------------------------------------------


def current_answers(organization: Organization) -> dict[str, AssessmentAnswer]:
    answers: dict[str, AssessmentAnswer] = {}
    for answer in AssessmentAnswer.objects.filter(organization=organization).select_related("answered_by"):
        answers.setdefault(answer.question, answer)  # newest first
    return answers


def assessment_answer(member: Member, *, answers: dict[str, tuple[str, str]]) -> int:
    """Record the answers that changed (question → (answer, note)); returns how many."""
    _steward(member)
    current = current_answers(member.organization)
    changed = 0
    with transaction.atomic():
        for code, (answer, note) in answers.items():
            if code not in BY_CODE or answer not in Answer.values:
                raise ActionError(_("Please choose yes, partly or no for each question you answer."))
            text = note.strip()[:MAX_TEXT]
            before = current.get(code)
            if before is not None and (before.answer, before.note) == (answer, text):
                continue
            AssessmentAnswer.objects.create(
                organization=member.organization, question=code, answer=answer, note=text, answered_by=member
            )
            changed += 1
        if changed:
            ledger_append(
                organization_id=member.organization.pk,
                actor=member.pseudonym,
                action="assessment.answered",
                refs={"questions": changed},
            )
    return changed


# --- action points ---------------------------------------------------------------------


def action_point_create(
    member: Member, *, finding: str, indicator: str, owner: Member, due_on: date, question: str = ""
) -> ActionPoint:
    _steward(member)
    if owner.organization_id != member.organization_id or not owner.is_active:
        raise ActionError(_("The owner must be an active member of your organization."))
    if due_on < timezone.localdate():
        raise ActionError(_("The due date cannot be in the past."))
    if question and question not in BY_CODE:
        raise ActionError(_("That question is not part of the self-assessment."))
    with transaction.atomic():
        # The organization's row is the lock that numbers its points one after another.
        Organization.objects.select_for_update().get(pk=member.organization_id)
        number = (
            ActionPoint.objects.filter(organization=member.organization).aggregate(last=Max("number"))["last"] or 0
        ) + 1
        point = ActionPoint.objects.create(
            organization=member.organization,
            number=number,
            finding=_text(finding, _("Please write the finding first.")),
            indicator=_text(indicator, _("Please write the indicator first.")),
            owner=owner,
            due_on=due_on,
            question=question,
        )
        ActionPointReview.objects.create(action_point=point, by=member, status=point.status, due_on=due_on, note="Set.")
        ledger_append(
            organization_id=member.organization.pk,
            actor=member.pseudonym,
            action="action_point.created",
            refs={"number": number, "owner": owner.pseudonym},
        )
        tasks.mail_later("insights/email/action_point", owner.email, {"number": number})
    return point


def may_update(member: Member, point: ActionPoint) -> bool:
    return point.owner_id == member.pk or may_steer(member)


def action_point_update(
    member: Member, point: ActionPoint, *, status: str, note: str, due_on: date | None = None
) -> ActionPointReview:
    """A report (by the owner) or a review (by a steward): new status, a note, maybe a new date.

    Only stewards move the due date or drop a point; dropping needs reasons, as every
    update does. Nothing is edited: each update is a new row of the history.
    """
    if not may_update(member, point):
        raise ActionError(_("Only the owner, administrators and the oversight body update this action point."))
    if status not in ActionPoint.Status.values:
        raise ActionError(_("Please choose a status."))
    steering = may_steer(member)
    if status == ActionPoint.Status.DROPPED and not steering:
        raise ActionError(_("Only administrators and the oversight body can drop an action point."))
    new_due = due_on or point.due_on
    if new_due != point.due_on and not steering:
        raise ActionError(_("Only administrators and the oversight body can move the due date."))
    text = _text(note, _("Please write the note first."))
    with transaction.atomic():
        point = ActionPoint.objects.select_for_update().get(pk=point.pk)
        if new_due != point.due_on:
            point.reminded_at = None  # a new date earns a new reminder
        point.status = status
        point.due_on = new_due
        point.save(update_fields=["status", "due_on", "reminded_at"])
        review = ActionPointReview.objects.create(
            action_point=point, by=member, status=status, due_on=new_due, note=text
        )
        ledger_append(
            organization_id=point.organization_id,
            actor=member.pseudonym,
            action="action_point.updated",
            refs={"number": point.number, "status": status},
        )
    return review


@dataclass(frozen=True)
class Dashboard:
    points: list[ActionPoint]
    by_status: list[tuple[str, str | Promise, int]]
    overdue: list[ActionPoint]
    today: date


def dashboard(member: Member) -> Dashboard:
    """Stewards and insight readers see every point; anyone else the points they own."""
    points = ActionPoint.objects.filter(organization=member.organization).select_related("owner")
    if not may_see_insights(member):
        points = points.filter(owner=member)
    rows = list(points)
    today = timezone.localdate()
    return Dashboard(
        points=rows,
        by_status=[(code, label, sum(p.status == code for p in rows)) for code, label in ActionPoint.Status.choices],
        overdue=[p for p in rows if p.overdue(today)],
        today=today,
    )


def action_points_remind() -> int:
    """Email each overdue point's owner once per due date; returns how many were reminded."""
    today = timezone.localdate()
    reminded = 0
    due = ActionPoint.objects.filter(due_on__lt=today, reminded_at__isnull=True).exclude(
        status__in=[ActionPoint.Status.DONE, ActionPoint.Status.DROPPED]
    )
    for point in due.select_related("owner"):
        with transaction.atomic():
            claimed = ActionPoint.objects.filter(pk=point.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if not claimed:
                continue
            tasks.mail_later("insights/email/action_point_due", point.owner.email, {"number": point.number})
            ledger_append(
                organization_id=point.organization_id,
                actor="system",
                action="action_point.overdue",
                refs={"number": point.number, "owner": point.owner.pseudonym},
            )
            reminded += 1
    return reminded


tasks.periodic(action_points_remind)
