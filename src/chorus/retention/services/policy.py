"""The organization's retention periods and its legal hold: set by an administrator, each
change ledgered and shown to every member on the retention page.

A longer period takes effect at once. A shorter one waits: the old period stays in force for
the old period counted from the change (``Shortening``), so one administrator cannot make
anything go sooner than the policy members knew would have let it go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts.models import Member, Organization
from chorus.ledger.services import ledger_append
from chorus.retention.models import BOUNDS, Hold, Policy, Shortening

PERIODS = tuple(BOUNDS)
# A month is counted as 31 days: a period is never shorter than the months it names.
MONTH = timedelta(days=31)


class RetentionError(Exception):
    """Refused; the message is for the administrator."""


@dataclass(frozen=True)
class Period:
    """One period, and the shorter one chosen for it, if any, with when that takes effect."""

    current: timedelta
    shorter: timedelta | None = None
    from_: datetime | None = None

    def due(self, since: datetime) -> datetime:
        """When something untouched since ``since`` falls due: by the old period if that comes
        before the shortening takes effect, else by the shorter one but never before then."""
        end = since + self.current
        if self.shorter is None or self.from_ is None or end <= self.from_:
            return end
        return max(since + self.shorter, self.from_)

    def at(self, now: datetime) -> timedelta:
        """The period in force at ``now``."""
        if self.shorter is not None and self.from_ is not None and now >= self.from_:
            return self.shorter
        return self.current

    @property
    def least(self) -> timedelta:
        """The shortest it may become (to select, in SQL, what may be due)."""
        return self.shorter if self.shorter is not None else self.current


@dataclass(frozen=True)
class Periods:
    draft: Period
    record: Period
    anonymous: Period
    entry: Period
    story: Period
    notice: Period


def policy_for(organization: Organization | UUID) -> Policy:
    """The organization's policy, or the defaults (unsaved) when it never changed them."""
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    policy = Policy.objects.filter(organization_id=organization_id).first()
    return policy if policy is not None else Policy(organization_id=organization_id)


def length(name: str, value: int) -> timedelta:
    return value * MONTH if name.endswith("_months") else timedelta(days=value)


def shortenings_for(organization: Organization | UUID) -> dict[str, Shortening]:
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    return {row.period: row for row in Shortening.objects.filter(organization_id=organization_id)}


def periods_of(policy: Policy) -> Periods:
    pending = shortenings_for(policy.organization_id)

    def period(name: str) -> Period:
        current = length(name, getattr(policy, name))
        row = pending.get(name)
        if row is None:
            return Period(current)
        return Period(current, length(name, row.value), row.takes_effect_at)

    return Periods(**{name.rsplit("_", 1)[0]: period(name) for name in PERIODS})


def chosen_values(organization: Organization | UUID) -> dict[str, int]:
    """The values an administrator last chose (a shorter one waiting included)."""
    policy = policy_for(organization)
    values = {name: getattr(policy, name) for name in PERIODS}
    values.update({name: row.value for name, row in shortenings_for(policy.organization_id).items()})
    return values


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


def policy_set(admin: Member, *, now: datetime | None = None, **values: int) -> Policy:
    """Change the periods. A longer period takes effect at the next sweep; a shorter one only
    once the old period has passed since this change (until then the old one applies, and
    anything the old one would have deleted sooner still goes then). A notice already sent
    keeps its date."""
    if not admin.has_role("admin"):
        raise RetentionError(_("Only an administrator can change how long things are kept."))
    errors = policy_check(values)
    if errors:
        raise RetentionError(" ".join(errors.values()))
    organization = admin.organization
    with transaction.atomic():
        policy, _created = Policy.objects.select_for_update().get_or_create(organization=organization)
        moment = now or timezone.now()
        before = chosen_values(organization)
        pending = shortenings_for(organization)
        waits: dict[str, str] = {}
        for name in PERIODS:
            value, row = values[name], pending.get(name)
            in_force = getattr(policy, name)
            if row is not None and row.takes_effect_at <= moment:
                in_force = row.value  # its time came: it is now the period in force
                setattr(policy, name, in_force)
                row.delete()
                row = None
            if row is not None and row.value == value:
                waits[name] = row.takes_effect_at.isoformat()  # chosen again: its date stays
                continue
            if value >= in_force:
                setattr(policy, name, value)
                if row is not None:
                    row.delete()
                continue
            takes_effect_at = moment + length(name, in_force)
            Shortening.objects.update_or_create(
                organization=organization,
                period=name,
                defaults={
                    "value": value,
                    "chosen_at": moment,
                    "takes_effect_at": takes_effect_at,
                    "chosen_by": admin.pseudonym,
                },
            )
            waits[name] = takes_effect_at.isoformat()
        policy.changed_at = moment
        policy.changed_by = admin.pseudonym
        policy.save()
        ledger_append(
            organization_id=organization.pk,
            actor=admin.pseudonym,
            action="retention.policy_changed",
            refs={name: values[name] for name in PERIODS},
            payload={"before": before, "shorter_from": waits},
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
