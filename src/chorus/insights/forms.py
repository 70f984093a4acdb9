"""Forms for stories, the self-assessment and action points: shape only; the rules live
in the services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member, Organization
from chorus.insights.models import ActionPoint, Answer, AssessmentAnswer
from chorus.insights.services.actions import MAX_TEXT, QUESTIONS
from chorus.web.dates import DatePartsField


class StoryForm(forms.Form):
    text = forms.CharField(
        label=_("Your excerpt"),
        help_text=_(
            "A part of your experience you want the organization to learn from. Leave out names, places, dates and "
            "anything else that could point to you or anyone else. You will read it back before anyone sees it."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,  # the service explains an empty or too long excerpt in its own words
        strip=False,
    )


class AssessmentForm(forms.Form):
    def __init__(self, *args: Any, current: dict[str, AssessmentAnswer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in QUESTIONS:
            answer = current.get(question.code)
            self.fields[f"{question.code}-answer"] = forms.ChoiceField(
                label=str(question.text),
                choices=Answer.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=answer.answer if answer else None,
            )
            self.fields[f"{question.code}-note"] = forms.CharField(
                label=_("What we found"),
                required=False,
                max_length=MAX_TEXT,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=answer.note if answer else "",
            )

    def answers(self) -> dict[str, tuple[str, str]]:
        return {
            question.code: (self.cleaned_data[f"{question.code}-answer"], self.cleaned_data[f"{question.code}-note"])
            for question in QUESTIONS
            if self.cleaned_data.get(f"{question.code}-answer")
        }

    def pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"{q.code}-answer"], self[f"{q.code}-note"]) for q in QUESTIONS]


class _MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ActionPointForm(forms.Form):
    finding = forms.CharField(
        label=_("Finding"),
        help_text=_(
            "What is missing or not working, as an institutional matter. Do not name anyone involved in a case."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT,
    )
    indicator = forms.CharField(label=_("Indicator"), help_text=_("How we will know it worked."), max_length=MAX_TEXT)
    owner = _MemberChoice(label=_("Owner"), queryset=Member.objects.none())
    due_on = DatePartsField(label=_("Due date"))
    question = forms.ChoiceField(label=_("From the self-assessment question"), required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        owner.queryset = Member.objects.filter(organization=organization, is_active=True).order_by("display_name")
        question = cast(forms.ChoiceField, self.fields["question"])
        question.choices = [("", _("None")), *((q.code, q.text) for q in QUESTIONS)]


class ActionPointUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionPoint.Status.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("What was done, or what the review found"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT,
    )
    due_on = DatePartsField(
        label=_("New due date"),
        required=False,
        help_text=_("Only administrators and the oversight body move a due date."),
    )


class AccountabilityStoryForm(forms.Form):
    text = forms.CharField(
        label=_("Your story of accountability"),
        help_text=_(
            "What you did, the harm it caused, and what you learned or changed. Leave out names, places, dates and "
            "anything else that could point to you or to the people you harmed. You will read it back before "
            "anyone sees it."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,  # the service explains an empty or too long story in its own words
        strip=False,
    )


class AccountabilityReadersForm(forms.Form):
    readers = forms.ChoiceField(
        label=_("Who may read the stories of accountability that their authors chose to show?"),
        choices=[
            ("commission", _("Only the commission")),
            ("members", _("Every member of the organization")),
        ],
        widget=forms.RadioSelect,
    )
