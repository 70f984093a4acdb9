"""Forms for the case pages, built from the machine's field declarations: one form per
action, its choices scoped to the case and the person acting. Validation of shape only;
every rule lives in the services."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member
from chorus.cases.machine import Action, Field
from chorus.cases.services.core import MAX_TEXT, CaseActor
from chorus.records.access import Owner
from chorus.records.models import Record
from chorus.records.services.writing import records_of


class _Choice(forms.ModelChoiceField):
    def __init__(self, *args: Any, label_of: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label_of = label_of

    def label_from_instance(self, obj: Any) -> str:
        return str(self.label_of(obj))


def _form_field(actor: CaseActor, spec: Field) -> forms.Field:  # noqa: PLR0911 (one return per field kind, read top to bottom)
    case = actor.case
    common: dict[str, Any] = {"label": spec.label, "required": spec.required}
    kind = spec.kind
    if kind == "text":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=MAX_TEXT, **common)
    if kind == "choice":
        return forms.ChoiceField(choices=spec.choices, widget=forms.RadioSelect, **common)
    if kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == "email":
        return forms.EmailField(**common)
    if kind == "member":
        members = Member.objects.filter(organization=case.organization, is_active=True).exclude(pk=actor.member.pk)
        if spec.filter:
            members = members.filter(pk__in=Member.objects.holding(case.organization, spec.filter))
        return _Choice(members.order_by("display_name"), label_of=lambda m: m.display_name, **common)
    if kind == "party":
        parties = case.parties.filter(
            role__in=spec.filter.split(), joined_at__isnull=False, recused_at__isnull=True, withdrawn_at__isnull=True
        )
        return _Choice(parties.order_by("added_at"), label_of=lambda p: p.label, **common)
    if kind == "measure":
        measures = case.measures.filter(status__in=spec.filter.split())
        return _Choice(measures, label_of=lambda m: f"{m.number} · {m.get_kind_display()}", **common)
    if kind == "milestone":
        milestones = case.milestones.filter(verified_at__isnull=True)
        milestones = milestones.filter(reported_at__isnull=spec.filter == "open")
        return _Choice(milestones, label_of=lambda m: _("Milestone %(number)d") % {"number": m.number}, **common)
    if kind == "allegation":
        return _Choice(
            case.allegations.all(), label_of=lambda a: _("Allegation %(number)d") % {"number": a.number}, **common
        )
    if kind == "item":
        items = case.items.filter(compartment__in=list(actor.opened()), body_sealed__isnull=False)
        return _Choice(
            items, label_of=lambda i: f"{i.kind.replace('_', ' ')} · {i.created_at:%Y-%m-%d %H:%M}", **common
        )
    if kind == "record":
        owner = Owner(organization=actor.member.organization, vault_key=actor.vault_key, member=actor.member)
        ids = {summary.record.pk: summary.title or _("Untitled record") for summary in records_of(owner)}
        return _Choice(Record.objects.filter(pk__in=ids), label_of=lambda r: ids[r.pk], **common)
    raise ValueError(kind)


def action_form(actor: CaseActor, action: Action, data: Any = None) -> forms.Form:
    fields = {spec.name: _form_field(actor, spec) for spec in action.fields}
    form_class = type(f"{action.name}_form", (forms.Form,), fields)
    return form_class(data, prefix=action.name)  # type: ignore[no-any-return]


def cleaned(form: forms.Form) -> dict[str, Any]:
    """The form's values as the services take them: dates become the end of that day."""
    values = dict(form.cleaned_data)
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
            .order_by("display_name")
        )


class ProcessReportForm(forms.Form):
    case_reference = forms.CharField(
        label=_("Case reference"), required=False, max_length=40, help_text=_("Shown on the case page. Optional.")
    )
    text = forms.CharField(
        label=_("What went wrong in how the case was handled?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_TEXT,
    )
