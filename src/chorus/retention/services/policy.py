"""The organization's retention periods and its legal hold: set by an administrator, each
change ledgered and shown to every member on the retention page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts.models import Member, Organization
from chorus.ledger.services import ledger_append
from chorus.retention.models import BOUNDS, Hold, Policy

PERIODS = tuple(BOUNDS)
# A month is counted as 31 days: a period is never shorter than the months it names.
MONTH = timedelta(days=31)


class RetentionError(Exception):
    """Refused; the message is for the administrator."""


@dataclass(frozen=True)
class Periods:
    draft: timedelta
    record: timedelta
    anonymous: timedelta
    entry: timedelta
    story: timedelta
    notice: timedelta


def policy_for(organization: Organization | UUID) -> Policy:
    """The organization's policy, or the defaults (unsaved) when it never changed them."""
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    policy = Policy.objects.filter(organization_id=organization_id).first()
    return policy if policy is not None else Policy(organization_id=organization_id)


def periods_of(policy: Policy) -> Periods:
    return Periods(
        draft=policy.draft_months * MONTH,
        record=policy.record_months * MONTH,
        anonymous=policy.anonymous_months * MONTH,
        entry=timedelta(days=policy.entry_days),
        story=timedelta(days=policy.story_days),
        notice=timedelta(days=policy.notice_days),
    )


def policy_check(values: dict[str, int]) -> dict[str, str]:
    """Errors by field name (empty when the values may be saved)."""
    errors: dict[str, str] = {}
    for name in PERIODS:
        low, high = BOUNDS[name]
        value = values.get(name)
        if not isinstance(value, int) or not low <= value <= high:
            errors[name] = _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
    if not errors and values["notice_days"] * timedelta(days=1) >= values["draft_months"] * MONTH:
        errors["notice_days"] = _("The notice must be shorter than the time unused drafts are kept.")
    return errors


def policy_set(admin: Member, **values: int) -> Policy:
    """Change the periods. Takes effect at the next sweep; a notice already sent keeps its date."""
    if not admin.has_role("admin"):
        raise RetentionError(_("Only an administrator can change how long things are kept."))
    errors = policy_check(values)
    if errors:
        raise RetentionError(" ".join(errors.values()))
    organization = admin.organization
    with transaction.atomic():
        policy, _created = Policy.objects.select_for_update().get_or_create(organization=organization)
        before = {name: getattr(policy, name) for name in PERIODS}
        for name in PERIODS:
            setattr(policy, name, values[name])
        policy.changed_at = timezone.now()
        policy.changed_by = admin.pseudonym
        policy.save()
        ledger_append(
            organization_id=organization.pk,
            actor=admin.pseudonym,
            action="retention.policy_changed",
            refs={name: values[name] for name in PERIODS},
            payload={"before": before},
        )
    return policy


def hold_current(organization: Organization | UUID) -> Hold | None:
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    return Hold.objects.filter(organization_id=organization_id, lifted_at__isnull=True).first()


def hold_last_lifted(organization: Organization | UUID) -> datetime | None:
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    hold = Hold.objects.filter(organization_id=organization_id, lifted_at__isnull=False).order_by("-lifted_at").first()
    return hold.lifted_at if hold else None


def organizations_on_hold() -> set[UUID]:
    return set(Hold.objects.filter(lifted_at__isnull=True).values_list("organization_id", flat=True))


def _reason(text: str) -> str:
    reason = text.strip()
    if len(reason) < 10:
        raise RetentionError(_("Write the reason, in a sentence members will understand (at least 10 characters)."))
    if len(reason) > 2000:
        raise RetentionError(_("Keep the reason under 2,000 characters."))
    return reason


def hold_set(admin: Member, *, reason: str) -> Hold:
    """Stop every retention deletion in the organization until the hold is lifted."""
    if not admin.has_role("admin"):
        raise RetentionError(_("Only an administrator can set a legal hold."))
    text = _reason(reason)
    try:
        with transaction.atomic():
            hold = Hold.objects.create(organization=admin.organization, reason=text, set_by=admin.pseudonym)
            ledger_append(
                organization_id=admin.organization_id,
                actor=admin.pseudonym,
                action="retention.hold_set",
                refs={"hold": hold.pk},
                payload={"reason": text},
            )
    except IntegrityError as error:
        raise RetentionError(_("A legal hold is already in place.")) from error
    return hold


def hold_lift(admin: Member, *, reason: str) -> Hold:
    if not admin.has_role("admin"):
        raise RetentionError(_("Only an administrator can lift a legal hold."))
    text = _reason(reason)
    with transaction.atomic():
        hold = Hold.objects.select_for_update().filter(organization=admin.organization, lifted_at__isnull=True).first()
        if hold is None:
            raise RetentionError(_("There is no legal hold to lift."))
        hold.lifted_at = timezone.now()
        hold.lifted_by = admin.pseudonym
        hold.lift_reason = text
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        ledger_append(
            organization_id=admin.organization_id,
            actor=admin.pseudonym,
            action="retention.hold_lifted",
            refs={"hold": hold.pk},
            payload={"reason": text},
        )
    return hold
