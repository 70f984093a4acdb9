"""Forms for the case pages, built from the machine's field declarations: one form per
action, its choices scoped to the case and the person acting. Validation of shape only;
every rule lives in the services."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member
from chorus.cases.machine import CONSENT_STEPS, SERIOUS, STATE_LABELS, Action, Field, Pathway
from chorus.cases.models import Consent
from chorus.cases.services.core import MAX_TEXT, CaseActor
from chorus.cases.services.stages import MAX_TARGET_DAYS
from chorus.preparation.models import PREPARED_ROLES
from chorus.preparation.services.training import prepared_ids
from chorus.records.access import Owner
from chorus.records.models import Record
from chorus.records.services.writing import records_of
from chorus.web.dates import DatePartsField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class _Choice(forms.ModelChoiceField):
    def __init__(self, *args: Any, label_of: Any, empty: bool | None = None, **kwargs: Any) -> None:
        super().__init__(*args, empty_label=_("Choose one"), **kwargs)
        self.label_of = label_of
        # Whether there is nothing to choose, when known from the case's rows already loaded
        # (the same filter as the queryset, in Python): None asks the database.
        self.empty = empty

    def label_from_instance(self, obj: Any) -> str:
        return str(self.label_of(obj))


# What the page says instead of an empty list, when a step has nothing to choose from.
NOTHING_TO_CHOOSE: dict[tuple[str, str], StrOrPromise] = {
    ("member", "investigator"): _("No member of the organization holds the investigator role yet."),
    ("member", "panel"): _("No other member of the organization holds the panel role."),
    ("member", "appeal_panel"): _("No other member of the organization holds the appeal panel role."),
    ("member", "facilitator"): _("No member of the organization holds the facilitator role yet."),
    ("member", ""): _("There is no other member to choose."),
    ("party", "supporter"): _("No supporter you invited has joined yet."),
    ("party", "panel appeal_panel"): _("No panel member is seated."),
    ("party", "facilitator complainant owner"): _("There is no one in the case to verify it yet."),
    ("measure", "requested"): _("No measure is waiting for a decision."),
    ("measure", "agreed"): _("No agreed measure is waiting to be done."),
    ("measure", "done"): _("No measure is waiting for a review."),
    ("measure", "agreed done"): _("No agreed measure to challenge."),
    ("milestone", "open"): _("No milestone is waiting to be reported."),
    ("milestone", "reported"): _("No milestone is waiting to be verified."),
    ("allegation", ""): _("There is no allegation in the case yet."),
    ("item", ""): _("There is nothing written in the case that you can show yet."),
    ("consent", ""): _("You have given every consent this case asks for."),
}


def _prepared_label(member: Member, prepared: set[Any]) -> str:
    if member.pk in prepared:
        return member.display_name
    return _("%(name)s (no current preparation)") % {"name": member.display_name}


def _consent_steps(actor: CaseActor) -> list[tuple[str, StrOrPromise]]:
    """The consents this person has not given yet (a given one is not asked for again)."""
    given = set(Consent.objects.filter(party__in=actor.parties).values_list("step", flat=True))
    return [(step, label) for step, label in CONSENT_STEPS if step not in given]


def _member_field(actor: CaseActor, spec: Field, common: dict[str, Any]) -> forms.Field:
    """Members to appoint. For a role that requires preparation, everyone holding the role is
    offered and those without current preparation are marked: choosing one is refused with
    what is missing, which tells the person appointing more than a shorter list would."""
    case = actor.case
    members = Member.objects.filter(organization=case.organization, is_active=True).exclude(pk=actor.member.pk)
    if spec.filter:
        members = members.filter(pk__in=Member.objects.holding(case.organization, spec.filter))
    if spec.filter in PREPARED_ROLES:
        prepared = prepared_ids(case.organization, spec.filter)
        return _Choice(members.order_by("display_name"), label_of=lambda m: _prepared_label(m, prepared), **common)
    return _Choice(members.order_by("display_name"), label_of=lambda m: m.display_name, **common)


def _form_field(actor: CaseActor, spec: Field) -> forms.Field:  # noqa: PLR0911 (one return per field kind, read top to bottom)
    case = actor.case
    common: dict[str, Any] = {"label": spec.label, "required": spec.required}
    kind = spec.kind
    if kind == "text":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=MAX_TEXT, **common)
    if kind == "choice":
        choices = _consent_steps(actor) if spec.choices is CONSENT_STEPS else spec.choices
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if kind == "date":
        return DatePartsField(**common)
    if kind == "email":
        return forms.EmailField(**common)
    if kind == "member":
        return _member_field(actor, spec, common)
    if kind == "party":
        roles = spec.filter.split()
        parties = [
            p
            for p in case.parties.all()
            if p.role in roles and p.joined_at is not None and p.recused_at is None and p.withdrawn_at is None
        ]
        return _among(case.parties.order_by("added_at"), parties, label_of=lambda p: p.label, **common)
    if kind == "measure":
        statuses = spec.filter.split()
        measures = [m for m in case.measures.all() if m.status in statuses]
        return _among(
            case.measures.all(), measures, label_of=lambda m: f"{m.number} · {m.get_kind_display()}", **common
        )
    if kind == "milestone":
        reported = spec.filter != "open"
        milestones = [
            m for m in case.milestones.all() if m.verified_at is None and (m.reported_at is not None) == reported
        ]
        label_of = lambda m: _("Milestone %(number)d") % {"number": m.number}  # noqa: E731
        return _among(case.milestones.all(), milestones, label_of=label_of, **common)
    if kind == "allegation":
        label_of = lambda a: _("Allegation %(number)d") % {"number": a.number}  # noqa: E731
        return _among(case.allegations.all(), list(case.allegations.all()), label_of=label_of, **common)
    if kind == "item":
        items = case.items.filter(compartment__in=list(actor.opened()), body_sealed__isnull=False)
        return _Choice(
            items,
            label_of=lambda i: f"{i.kind.replace('_', ' ')} · {formats.date_format(timezone.localtime(i.created_at), 'DATETIME_FORMAT')}",
            **common,
        )
    if kind == "record":
        owner = Owner(organization=actor.member.organization, vault_key=actor.vault_key, member=actor.member)
        ids = {summary.record.pk: summary.title or _("Untitled record") for summary in records_of(owner)}
        return _Choice(Record.objects.filter(pk__in=ids), label_of=lambda r: ids[r.pk], **common)
    raise ValueError(kind)


def _among(rows: Any, chosen: list[Any], **options: Any) -> _Choice:
    """A choice among ``chosen``: the case's rows (loaded once for the page) that the step's
    rule keeps, worked out in Python; the form checks what is sent against the same rows."""
    return _Choice(rows.filter(pk__in=[row.pk for row in chosen]), empty=not chosen, **options)


def _empty(field: forms.Field) -> bool:
    if isinstance(field, _Choice) and field.empty is not None:
        return field.empty
    if isinstance(field, forms.ModelChoiceField):
        return field.queryset is not None and not field.queryset.exists()
    if isinstance(field, forms.ChoiceField):
        return not list(field.choices)  # type: ignore[arg-type]
    return False


def _fields(actor: CaseActor, action: Action) -> tuple[dict[str, forms.Field], StrOrPromise | None]:
    """The action's form fields, and why it cannot be offered when a choice it needs is
    empty. An optional choice with nothing in it is left out rather than shown empty.
    Worked out once per step and request: the page asks whether a step can be offered, then
    for its form."""
    if action.name not in actor.step_fields:
        actor.step_fields[action.name] = _fields_now(actor, action)
    fields, why = actor.step_fields[action.name]
    return dict(fields), why


def _fields_now(actor: CaseActor, action: Action) -> tuple[dict[str, forms.Field], StrOrPromise | None]:
    fields: dict[str, forms.Field] = {}
    for spec in action.fields:
        field = _form_field(actor, spec)
        if _empty(field):
            if not spec.required:
                continue
            kind = "consent" if spec.choices is CONSENT_STEPS else spec.kind
            return fields, NOTHING_TO_CHOOSE.get((kind, spec.filter), NOTHING_TO_CHOOSE.get((kind, ""), ""))
        fields[spec.name] = field
    if action.name in SERIOUS:
        fields["confirm"] = forms.BooleanField(label=str(SERIOUS[action.name]), required=True)
    return fields, None


def nothing_to_choose(actor: CaseActor, action: Action) -> StrOrPromise | None:
    """Why the step is not offered now although it is this person's to take, or None."""
    return _fields(actor, action)[1]


def action_form(actor: CaseActor, action: Action, data: Any = None) -> forms.Form:
    fields, _empty_choice = _fields(actor, action)
    form_class = type(f"{action.name}_form", (forms.Form,), fields)
    return form_class(data, prefix=action.name)  # type: ignore[no-any-return]


def cleaned(form: forms.Form) -> dict[str, Any]:
    """The form's values as the services take them: dates become the end of that day."""
    values = dict(form.cleaned_data)
    values.pop("confirm", None)  # checked by the form: the services take the step itself
    for name, value in values.items():
        if hasattr(value, "isoformat") and not isinstance(value, datetime):
            values[name] = timezone.make_aware(datetime.combine(value, time(23, 59)))
    return values


class CaseOpenForm(forms.Form):
    summary = forms.CharField(
        label=_("In a few words, what would you like to happen?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_TEXT,
        help_text=_("Only you and the advocates can read this."),
    )
    pathway = forms.ChoiceField(
        label=_("How would you like to start?"),
        widget=forms.RadioSelect,
        initial="intake",
        choices=[
            ("intake", _("Talk with an advocate first")),
            ("support", _("Support only: measures that help me, no process")),
            ("restorative", _("A restorative process")),
            ("formal", _("A formal process with a panel")),
        ],
    )


class SelfCaseForm(forms.Form):
    facilitator = _Choice(queryset=Member.objects.none(), label=_("Facilitator"), label_of=lambda m: m.display_name)
    text = forms.CharField(
        label=_("What worries you about your behaviour? Name no one."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_TEXT,
    )

    def __init__(self, member: Member, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facilitator"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for the type checker)
        field.queryset = (
            Member.objects.holding(member.organization, "facilitator")
            .exclude(pk=member.pk)
            .filter(pk__in=prepared_ids(member.organization, "facilitator"))  # only those who may be chosen
            .order_by("display_name")
        )


class ProcessReportForm(forms.Form):
    case_reference = forms.CharField(
        label=_("Case reference"), required=False, max_length=40, help_text=_("Shown on the case page.")
    )
    text = forms.CharField(
        label=_("What went wrong in how the case was handled?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_TEXT,
    )


class StageTargetsForm(forms.Form):
    """One number of days per pathway and stage; empty means no target for that stage."""

    def __init__(self, targets: dict[tuple[str, str], int | None], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for (pathway, state), days in targets.items():
            self.fields[f"{pathway}__{state}"] = forms.IntegerField(
                label=str(STATE_LABELS[state]),
                required=False,
                min_value=1,
                max_value=MAX_TARGET_DAYS,
                initial=days,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "days"}),
                error_messages={
                    "min_value": _("Enter a number of days from 1 to %(max)d, or leave it empty for no target.")
                    % {"max": MAX_TARGET_DAYS},
                    "max_value": _("Enter a number of days from 1 to %(max)d, or leave it empty for no target.")
                    % {"max": MAX_TARGET_DAYS},
                    "invalid": _("Enter a whole number of days, like 7, or leave it empty for no target."),
                },
            )

    def targets(self) -> dict[tuple[str, str], int | None]:
        found: dict[tuple[str, str], int | None] = {}
        for name, days in self.cleaned_data.items():
            pathway, _sep, state = name.partition("__")
            found[(pathway, state)] = days
        return found

    def by_pathway(self) -> list[tuple[str, list[forms.BoundField]]]:
        grouped: dict[str, list[forms.BoundField]] = {}
        for name in self.fields:
            grouped.setdefault(name.partition("__")[0], []).append(self[name])
        return [(str(Pathway(pathway).label), fields) for pathway, fields in grouped.items()]
