"""Forms for a request for repair. Shape only; every rule lives in ``services.repair``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member
from chorus.cases.models import RepairRequest
from chorus.cases.services.core import MAX_TEXT
from chorus.cases.services.repair import MAX_NAME


class _MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


def _members(member: Member) -> Any:
    return (
        Member.objects.filter(organization=member.organization, is_active=True)
        .exclude(pk=member.pk)
        .order_by("display_name")
    )


class RepairRequestForm(forms.Form):
    concerning = _MemberChoice(
        queryset=Member.objects.none(),
        required=False,
        empty_label=_("They are not a member, or I would rather write their name"),
        label=_("Who is the person concerned?"),
        help_text=_("Only your facilitator and, if they pass it on, the advocates will see this."),
    )
    name = forms.CharField(label=_("Their name, if they are not a member"), required=False, max_length=MAX_NAME)
    offer = forms.CharField(
        label=_("What would you like to offer?"),
        help_text=_("For example an acknowledgement of what you did, or an apology. They may want nothing."),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=MAX_TEXT,
    )

    def __init__(self, member: Member, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["concerning"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for the type checker)
        field.queryset = _members(member)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("concerning") and not (data.get("name") or "").strip():
            raise forms.ValidationError(_("Choose the person concerned, or write their name."))
        return data


class RepairReviewForm(forms.Form):
    forward = forms.ChoiceField(
        label=_("Pass this request to the advocates?"),
        choices=(("yes", _("Yes, pass it on")), ("no", _("No, do not pass it on"))),
        widget=forms.RadioSelect,
    )


class RepairAskForm(forms.Form):
    recipient = _MemberChoice(queryset=Member.objects.none(), label=_("Whom to ask"), empty_label=_("Choose one"))

    def __init__(self, member: Member, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["recipient"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for the type checker)
        field.queryset = _members(member)


class RepairAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Do you want anything from them?"),
        choices=[
            (RepairRequest.Answer.NOTHING, _("No, nothing")),
            (RepairRequest.Answer.ACKNOWLEDGEMENT, _("An acknowledgement of what happened")),
            (RepairRequest.Answer.APOLOGY, _("An apology")),
            (RepairRequest.Answer.RESTORATIVE, _("A restorative process, with a facilitator")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Anything you want them to know"),
        help_text=_(
            "They see this only if you ask for something. If you choose nothing, they are told only that no repair is wanted."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=MAX_TEXT,
    )
