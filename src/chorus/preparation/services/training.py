"""Training records, the organization's course list and default validity, and the one
question appointment asks: does this person hold current preparation for this role?

Only an administrator or an oversight member records or withdraws a record, and never
their own. Each change is written to the ledger (who, whose record, which roles; a hash of
the rest)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chorus.accounts.models import Member, Organization
from chorus.accounts.roles import ROLE_LABELS
from chorus.ledger.services import ledger_append
from chorus.preparation.models import PREPARED_ROLES, VALIDITY_BOUNDS, Course, PreparationPolicy, TrainingRecord

# Who confirms someone's preparation (never their own).
CONFIRMS: frozenset[str] = frozenset({"admin", "oversight"})
MAX_TOPIC = 200
MIN_REASON = 10


class PreparationError(Exception):
    """Refused; the message is for the person who asked."""


def may_confirm(member: Member) -> bool:
    return bool(member.role_codes & CONFIRMS)


def policy_for(organization: Organization | UUID) -> PreparationPolicy:
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    policy = PreparationPolicy.objects.filter(organization_id=organization_id).first()
    return policy if policy is not None else PreparationPolicy(organization_id=organization_id)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def ceiling_months() -> int:
    """The longest any record counts, set for the whole deployment
    (CHORUS_TRAINING_MAX_VALIDITY_YEARS): an organization's usual validity is set by one
    administrator, so without this one person could still make someone eligible for years."""
    return int(settings.CHORUS_TRAINING_MAX_VALIDITY_YEARS) * 12


def validity_months_for(organization: Organization | UUID) -> int:
    """How long a record made now counts when no end date is given: the organization's usual
    validity, never more than the deployment's ceiling."""
    return min(policy_for(organization).validity_months, ceiling_months())


def validity_months_highest() -> int:
    """The longest usual validity an organization may set: the database's bound, never past
    the deployment's ceiling."""
    return min(VALIDITY_BOUNDS[1], ceiling_months())


def validity_refusal(organization: Organization | UUID, *, completed_on: date, valid_until: date) -> str | None:
    """Why an end date is refused, or None. A date may shorten the organization's validity,
    never lengthen it, and never passes the deployment's ceiling: otherwise one person could
    make someone eligible for appointment for good."""
    if valid_until <= completed_on:
        return _("The date it is valid until must be after the date it was completed.")
    usual = policy_for(organization).validity_months
    months = min(usual, ceiling_months())
    latest = add_months(completed_on, months)
    if valid_until <= latest:
        return None
    if months == usual:
        return _(
            "A record counts for at most your organization's validity of %(months)d months: choose %(date)s or "
            "an earlier date, or leave it empty."
        ) % {"months": months, "date": formats.date_format(latest, "DATE_FORMAT")}
    years = int(settings.CHORUS_TRAINING_MAX_VALIDITY_YEARS)
    return ngettext(
        "A record counts for at most %(years)d year after it was completed: choose %(date)s or an earlier "
        "date, or leave it empty.",
        "A record counts for at most %(years)d years after it was completed: choose %(date)s or an earlier "
        "date, or leave it empty.",
        years,
    ) % {"years": years, "date": formats.date_format(latest, "DATE_FORMAT")}


def _confirmer(actor: Member) -> Member:
    if not actor.is_active or not may_confirm(actor):
        raise PreparationError(_("Only an administrator or an oversight member can do this."))
    return actor


def validity_set(*, actor: Member, months: int) -> PreparationPolicy:
    """The validity a new record gets when no end date is given; records already made keep theirs."""
    _confirmer(actor)
    low, high = VALIDITY_BOUNDS[0], validity_months_highest()
    if not low <= months <= high:
        raise PreparationError(_("Enter a number of months from %(low)d to %(high)d.") % {"low": low, "high": high})
    with transaction.atomic():
        policy, _created = PreparationPolicy.objects.select_for_update().get_or_create(
            organization_id=actor.organization_id
        )
        before = policy.validity_months
        policy.validity_months = months
        policy.changed_at = timezone.now()
        policy.changed_by = actor.pseudonym
        policy.save()
        ledger_append(
            organization_id=actor.organization_id,
            actor=actor.pseudonym,
            action="preparation.validity_changed",
            refs={"months": months},
            payload={"before": before},
        )
    return policy


def course_add(*, actor: Member, name: str) -> Course:
    _confirmer(actor)
    name = " ".join(name.split())
    if not name:
        raise PreparationError(_("Enter the name of the course or topic."))
    if len(name) > MAX_TOPIC:
        raise PreparationError(_("Keep the name under %(limit)d characters.") % {"limit": MAX_TOPIC})
    with transaction.atomic():
        if Course.objects.filter(organization_id=actor.organization_id, name__iexact=name).exists():
            raise PreparationError(_("That course is already on the list."))
        course = Course.objects.create(organization_id=actor.organization_id, name=name, added_by=actor.pseudonym)
        ledger_append(
            organization_id=actor.organization_id,
            actor=actor.pseudonym,
            action="preparation.course_added",
            refs={"course": course.pk},
            payload={"name": name},
        )
    return course


def training_record(
    *,
    actor: Member | None,
    member: Member,
    roles: list[str] | set[str],
    topic: str,
    completed_on: date,
    valid_until: date | None = None,
) -> TrainingRecord:
    """Record (and so confirm) that ``member`` completed ``topic`` on ``completed_on``,
    covering ``roles``. ``actor`` None is the deployment's operator (the demo and a
    founding set-up), never a person using the pages."""
    if actor is not None:
        _confirmer(actor)
        if actor.pk == member.pk:
            raise PreparationError(
                _("Nobody confirms their own preparation: ask another administrator or an oversight member.")
            )
        if actor.organization_id != member.organization_id:
            raise PreparationError(_("Choose a member of the organization."))
    if not member.is_active:
        raise PreparationError(_("Choose a member of the organization."))
    codes = sorted(set(roles))
    if not codes or any(code not in PREPARED_ROLES for code in codes):
        raise PreparationError(_("Choose at least one role the preparation covers."))
    topic = " ".join(topic.split())
    if not topic:
        raise PreparationError(_("Choose a course from the list or write the topic."))
    if len(topic) > MAX_TOPIC:
        raise PreparationError(_("Keep the topic under %(limit)d characters.") % {"limit": MAX_TOPIC})
    today = timezone.localdate()
    if completed_on > today:
        raise PreparationError(_("The date it was completed must be today or in the past."))
    if valid_until is None:
        valid_until = add_months(completed_on, validity_months_for(member.organization_id))
    refusal = validity_refusal(member.organization_id, completed_on=completed_on, valid_until=valid_until)
    if refusal is not None:
        raise PreparationError(refusal)
    with transaction.atomic():
        record = TrainingRecord.objects.create(
            organization_id=member.organization_id,
            member=member,
            topic=topic,
            roles=" ".join(codes),
            completed_on=completed_on,
            valid_until=valid_until,
            confirmed_by=actor,
            confirmation="second_person" if actor is not None else "operator",
        )
        ledger_append(
            organization_id=member.organization_id,
            actor=actor.pseudonym if actor is not None else "operator",
            action="preparation.recorded",
            refs={"record": str(record.pk), "member": member.pseudonym, "roles": codes},
            payload={
                "topic": topic,
                "completed_on": completed_on.isoformat(),
                "valid_until": valid_until.isoformat(),
            },
        )
    return record


def training_withdraw(*, actor: Member, record: TrainingRecord, reason: str) -> TrainingRecord:
    """Withdraw a record (recorded in error, or the preparation no longer counts)."""
    _confirmer(actor)
    if record.organization_id != actor.organization_id:
        raise PreparationError(_("That record is not in your organization."))
    if record.member_id == actor.pk:
        raise PreparationError(_("Nobody withdraws their own preparation record: ask someone else."))
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise PreparationError(_("Write the reason in a sentence."))
    with transaction.atomic():
        locked = TrainingRecord.objects.select_for_update().get(pk=record.pk)
        if locked.withdrawn_at is not None:
            raise PreparationError(_("That record is already withdrawn."))
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor
        locked.withdraw_reason = reason
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
        ledger_append(
            organization_id=actor.organization_id,
            actor=actor.pseudonym,
            action="preparation.withdrawn",
            refs={"record": str(locked.pk), "member": locked.member.pseudonym, "roles": locked.role_codes},
            payload={"reason": reason},
        )
    return locked


# ---- what appointment and the pages ask ---------------------------------------------


def records_of(member: Member) -> list[TrainingRecord]:
    return list(TrainingRecord.objects.filter(member=member).select_related("confirmed_by", "withdrawn_by"))


def _earliest_completion(day: date) -> date:
    """Records completed before this no longer count on ``day``, whatever end date they
    carry: one made before the ceiling existed with a far-off date is capped here too."""
    return add_months(day, -ceiling_months())


def current_record(member: Member, role: str, *, today: date | None = None) -> TrainingRecord | None:
    """The record covering ``role`` that stays valid longest, if any is current."""
    day = today or timezone.localdate()
    rows = TrainingRecord.objects.filter(
        member=member, withdrawn_at__isnull=True, valid_until__gte=day, completed_on__gte=_earliest_completion(day)
    )
    return next((row for row in rows if role in row.role_codes), None)


def prepared_ids(organization: Organization | UUID, role: str) -> set[UUID]:
    """Members of the organization with a current record covering ``role``."""
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    today = timezone.localdate()
    rows = TrainingRecord.objects.filter(
        organization_id=organization_id,
        withdrawn_at__isnull=True,
        valid_until__gte=today,
        completed_on__gte=_earliest_completion(today),
    ).values_list("member_id", "roles")
    return {member_id for member_id, roles in rows if role in roles.split()}


def missing(member: Member, role: str) -> str | None:
    """Why ``member`` cannot be appointed to ``role`` for want of preparation; None when they may."""
    if role not in PREPARED_ROLES or current_record(member, role) is not None:
        return None
    work = PREPARED_ROLES[role]
    covering = [row for row in TrainingRecord.objects.filter(member=member) if role in row.role_codes]
    values = {"name": member.display_name, "work": work}
    if not covering:
        problem = _("%(name)s has no recorded preparation for %(work)s.") % values
    else:
        last = max(covering, key=lambda row: row.withdrawn_at.date() if row.withdrawn_at else row.counts_until)
        if last.withdrawn_at is not None:
            problem = _("%(name)s has no current preparation for %(work)s: the last record was withdrawn on %(date)s.")
            values["date"] = formats.date_format(timezone.localtime(last.withdrawn_at))
        else:
            problem = _("%(name)s has no current preparation for %(work)s: the last one expired on %(date)s.")
            values["date"] = formats.date_format(last.counts_until)
        problem = problem % values
    return f"{problem} {_('An administrator or an oversight member can record it on the Preparation page.')}"


def role_label(role: str) -> str:
    return str(ROLE_LABELS[role])


@dataclass(frozen=True)
class RoleShare:
    role: str
    holders: int
    prepared: int


def shares(organization: Organization) -> list[RoleShare]:
    """For each prepared role: how many active members hold it, and how many of them hold
    current preparation for it (the transparency page decides what of this to show)."""
    result = []
    for role in PREPARED_ROLES:
        holders = set(Member.objects.holding(organization, role).values_list("pk", flat=True))
        result.append(RoleShare(role, len(holders), len(holders & prepared_ids(organization, role))))
    return result


@dataclass(frozen=True)
class RoleStatus:
    role: str
    label: str
    held: bool  # the member holds the organization role
    current: TrainingRecord | None


@dataclass(frozen=True)
class PersonPreparation:
    member: Member
    statuses: list[RoleStatus]
    records: list[TrainingRecord]

    @property
    def unprepared(self) -> list[RoleStatus]:
        """Roles they hold without current preparation for them."""
        return [status for status in self.statuses if status.held and status.current is None]


def person_preparation(member: Member) -> PersonPreparation:
    records = records_of(member)
    today = timezone.localdate()
    statuses = []
    for role in PREPARED_ROLES:
        current = next((row for row in records if row.is_current(today) and role in row.role_codes), None)
        statuses.append(RoleStatus(role, role_label(role), member.has_role(role), current))
    return PersonPreparation(member, statuses, records)


def overview(organization: Organization) -> list[PersonPreparation]:
    """Everyone who holds a role that requires preparation, or has a record, by name."""
    ids: set[UUID] = set(TrainingRecord.objects.filter(organization=organization).values_list("member_id", flat=True))
    for role in PREPARED_ROLES:
        ids |= set(Member.objects.holding(organization, role).values_list("pk", flat=True))
    people = Member.objects.filter(pk__in=ids, is_active=True).order_by("display_name")
    return [person_preparation(member) for member in people]
